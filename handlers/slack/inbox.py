"""Events API deliveries, and most commands and clicks: stored before their 200, processed
afterwards by a few workers.

The front Bolt app answers Slack only after `Inbox.store` has committed what it keeps (a
global middleware, so HTTP and Socket Mode behave alike). Kept are the events a listener
can use, every slash command and every button click, except those whose work opens a
form: a modal must open within 3 s of the click (its `trigger_id` expires), so those, and
form submissions (whose answer may be the form's errors), go on to the front app's
listeners as usual. A second Bolt app, built with `process_before_response=True`, runs the
stored requests' listeners synchronously on a worker thread (their work after the ack too,
see `RunAtOnce`), so the worker knows when a request is done. Nothing waits in memory: a
burst waits in the table, and workers take a few rows at a time.

A failed event is retried (the use cases drop an event id they have applied). A command or
a click runs at most once: a worker takes it (`Inbox.take`, one write) just before its
work, so a lease that ran out while it waited in a batch never makes a second worker run
it again (a second `/postmortem start` would start a second post-mortem). One stored but
not yet taken when the process died is run after the restart; one whose work was under
way (milliseconds) is not, and one that fails is not retried: its work tells the person
what went wrong, and they can send it again.
https://api.slack.com/apis/events-api#responding
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from slack_bolt import App, BoltRequest, BoltResponse
from slack_bolt.lazy_listener.runner import LazyListenerRunner

from handlers.slack.ids import ActionId, Command, Event
from models.core.inbox import Inbox
from models.core.references import REF_LENGTH, Platform

log = logging.getLogger(__name__)

BATCH = 20
# Rows of a crashed process, or of another replica, are found by polling this often.
POLL_SECONDS = 2.0
# What stays on the front app: the buttons and the command whose work opens a form (see
# the module docstring). tests/handlers/slack/test_inbox_routing.py finds every listener
# that calls views_open and checks it is listed here.
OPENS_A_FORM_ACTIONS = frozenset(
    {
        ActionId.ADD_ACTION,
        ActionId.ADD_ACTION_FROM_REPLY,
        ActionId.UPDATE_BLOCKED,
        ActionId.UPDATE_NOTE,
        ActionId.OKR_CHECK_IN,
        ActionId.OKR_LINK,
        ActionId.OKR_EDIT,
        ActionId.OKR_SERVE,
    }
)
OPENS_A_FORM_COMMANDS = frozenset({Command.OKR})
# Only the app's own: anything else goes to the front app, which answers 404.
_WORKERS_RUN_COMMANDS = frozenset(Command) - OPENS_A_FORM_COMMANDS
_WORKERS_RUN_ACTIONS = frozenset(ActionId) - OPENS_A_FORM_ACTIONS
# A stored command or click is known by its trigger_id (unique per invocation; Slack does
# not resend either), kept apart from the Events API's event ids.
TRIGGER_PREFIX = "trigger:"


class EventIntake:
    """Keeps, before their 200, the Events API deliveries a listener can use and the
    commands and clicks the workers run (see the module docstring).

    Over HTTP the server calls `keep` as soon as a request's signature is verified and,
    when it returns True, answers 200 itself: such a request's acknowledgement owes Slack
    nothing but the status, so it skips the front app's dispatch (context, authorisation,
    middleware, listener matching), which would double the acknowledgement's work. Socket
    Mode requests reach the front app, whose global `middleware` does the same.
    Authorisation, and dropping the app's own messages, happen when the stored request is
    processed (the events app runs Bolt's middleware)."""

    def __init__(self, inbox: Inbox, wake: Callable[[], None]) -> None:
        self._inbox, self._wake = inbox, wake

    def keep(self, body: dict[str, Any]) -> bool:
        """True when `body` is answered with a bare 200 now: an event (stored when worth
        keeping; a repeat is dropped by its id), or a command or click the workers run.
        False: the front app handles it."""
        if body.get("type") == "event_callback":
            event_id, event = body.get("event_id"), body.get("event")
            if isinstance(event_id, str) and isinstance(event, dict) and worth_keeping(event):
                self._store(event_id, body)
            return True
        trigger_id = body.get("trigger_id")
        if not isinstance(trigger_id, str) or not trigger_id or not _run_by_workers(body):
            return False
        self._store(TRIGGER_PREFIX + trigger_id, body)
        return True

    def middleware(
        self, body: dict[str, Any], next_: Callable[[], BoltResponse]
    ) -> BoltResponse | None:
        """A global middleware for the front app: keep what `keep` keeps, and acknowledge
        it; the rest goes on to the listeners."""
        if self.keep(body):
            return BoltResponse(status=200, body="")
        return next_()

    def _store(self, key: str, body: dict[str, Any]) -> None:
        self._inbox.store(
            platform=Platform.SLACK,
            event_id=key[:REF_LENGTH],
            team_id=_team_of(body)[:REF_LENGTH],
            body=body,
        )
        self._wake()


def _run_by_workers(body: dict[str, Any]) -> bool:
    """One of the app's slash commands, or a click on its buttons, whose work opens no
    form."""
    command = body.get("command")
    if isinstance(command, str):
        return command in _WORKERS_RUN_COMMANDS
    if body.get("type") != "block_actions":
        return False
    actions = body.get("actions")
    return (
        isinstance(actions, list)
        and bool(actions)
        and all(_action_id(action) in _WORKERS_RUN_ACTIONS for action in actions)
    )


def _action_id(action: object) -> str:
    found = action.get("action_id") if isinstance(action, dict) else None
    return found if isinstance(found, str) else ""


def _team_of(body: dict[str, Any]) -> str:
    """An event or a command names its workspace in `team_id`; a click in `team.id` (or,
    for an organisation-wide app, the user's `team_id`)."""
    if isinstance(team_id := body.get("team_id"), str):
        return team_id
    team, user = body.get("team"), body.get("user")
    if isinstance(team, dict) and isinstance(team.get("id"), str):
        return str(team["id"])
    if isinstance(user, dict) and isinstance(user.get("team_id"), str):
        return str(user["team_id"])
    return ""


class RunAtOnce(LazyListenerRunner):
    """The events app's runner for a listener's work after its ack: on the worker's own
    thread, before the request counts as done (Bolt's default hands it to a pool, and the
    worker would mark the request done before its work ran). Bolt logs what the work
    raises; the work has already told the person about their own errors."""

    def __init__(self, logger: logging.Logger) -> None:
        self.logger = logger

    def start(self, function: Callable[..., None], request: BoltRequest) -> None:
        self.run(function, request)


def worth_keeping(event: dict[str, Any]) -> bool:
    """Only what a listener can use: people's thread replies, edits and deletions of them,
    Home tab openings, and the app's removal from a workspace. A busy channel's other
    chatter, and every bot's messages (the app's own prompts among them: no listener reads
    a bot's words), are acknowledged and dropped without touching the database."""
    kind = event.get("type")
    if kind in (Event.APP_HOME_OPENED, Event.APP_UNINSTALLED, Event.TOKENS_REVOKED):
        return True
    if kind != Event.MESSAGE:
        return False
    # The message the event is about: itself, or the edited or deleted one.
    written = event.get("message") or event.get("previous_message") or event
    if not isinstance(written, dict) or written.get("bot_id") or event.get("bot_id"):
        return False
    threads = (event, event.get("message"), event.get("previous_message"))
    return any(isinstance(part, dict) and part.get("thread_ts") for part in threads)


def note_failure(error: Exception, body: dict[str, Any]) -> None:
    """The events app's error handler: a failed event is stored and will be tried again,
    so nobody is told anything yet (handlers tell people about errors that are theirs)."""
    log.warning(
        "event %s failed and will be retried: %r", body.get("event_id"), error, exc_info=error
    )


class InboxWorkers:
    """Threads that process stored events until stopped; `drain()` does one pass on the
    calling thread (the scheduler's tick, and tests)."""

    def __init__(self, inbox: Inbox, events_app: App, *, threads: int) -> None:
        self._inbox, self._events, self._count = inbox, events_app, threads
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self._forward: list[Callable[[], None]] = []

    def wake(self) -> None:
        self._wake.set()
        for forward in self._forward:
            forward()

    def forward_wakes(self, to: Callable[[], None]) -> None:
        """Also wake workers elsewhere (another process's) whenever an event is stored."""
        self._forward.append(to)

    def start(self) -> None:
        for number in range(self._count):
            thread = threading.Thread(target=self._run, name=f"inbox-{number}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self, *, timeout: float = 5.0) -> None:
        self._stopping.set()
        self._wake.set()
        for thread in self._threads:
            thread.join(timeout)
        self._threads.clear()

    def drain(self) -> int:
        """Process every event due now; returns how many were taken."""
        taken = 0
        while not self._stopping.is_set() and (
            batch := self._inbox.claim(limit=BATCH, platform=Platform.SLACK)
        ):
            taken += len(batch)
            # Events are marked done together: a crash before the mark only repeats work,
            # never its effect (the use cases drop an event id they have applied). A command
            # or a click is taken on its own just before it runs, so it never runs twice.
            done = []
            for inbound_id, body in batch:
                if body.get("type") == "event_callback":
                    if self._process(inbound_id, body):
                        done.append(inbound_id)
                elif self._inbox.take(inbound_id):
                    self._run_once(body)
            self._inbox.mark_processed(*done)
        return taken

    def purge(self) -> None:
        """Forget events processed long ago (and the ids kept to drop their repeats)."""
        self._inbox.purge()

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                taken = self.drain()
            except Exception:  # the database went away: log, wait, try again
                log.exception("inbox worker could not claim events")
                taken = 0
            if not taken:
                self._wake.wait(POLL_SECONDS)
                self._wake.clear()

    def _process(self, inbound_id: int, body: dict[str, Any]) -> bool:
        """True when done; a failure is marked to be tried again later."""
        response = self._dispatch(body)
        if response.status < 500:  # 404 only means no listener wanted it
            return True
        if self._inbox.mark_failed(inbound_id=inbound_id, error=response.body or "listener failed"):
            log.error("gave up on event %s after repeated failures", body.get("event_id"))
        return False

    def _run_once(self, body: dict[str, Any]) -> None:
        response = self._dispatch(body)
        if response.status >= 500:  # its work has told the person; not tried again
            log.warning("stored %s failed; not tried again", body.get("command") or "click")

    def _dispatch(self, body: dict[str, Any]) -> BoltResponse:
        # Socket Mode requests carry no signature: this one was verified when it was stored.
        return self._events.dispatch(BoltRequest(body=body, mode="socket_mode"))
