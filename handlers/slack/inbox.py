"""Events API deliveries: stored before their 200, processed afterwards by a few workers.

The front Bolt app answers Slack's events only after `Inbox.store` has committed them (a
global middleware, so HTTP and Socket Mode behave alike); commands, buttons and forms go on
to their listeners as usual. A second Bolt app, built with `process_before_response=True`,
runs the stored events' listeners synchronously on a worker thread, so the worker knows
when an event is done and a failure is retried, not forgotten. Nothing waits in memory:
a burst waits in the table, and workers take a few rows at a time.
https://api.slack.com/apis/events-api#responding
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from slack_bolt import App, BoltRequest, BoltResponse

from handlers.slack.ids import Event
from models.core.inbox import Inbox
from models.core.references import REF_LENGTH, Platform

log = logging.getLogger(__name__)

BATCH = 20
# Rows of a crashed process, or of another replica, are found by polling this often.
POLL_SECONDS = 2.0


class EventIntake:
    """Keeps the Events API deliveries a listener can use, before their 200.

    Over HTTP the server calls `keep` as soon as a request's signature is verified and
    answers 200 itself: an event's acknowledgement owes Slack nothing but the status, so
    it skips the front app's dispatch (context, authorisation, middleware), which would
    double the acknowledgement's work. Socket Mode requests reach the front app, whose
    global `middleware` does the same. Authorisation, and dropping the app's own messages,
    happen when the stored event is processed (the events app runs Bolt's middleware)."""

    def __init__(self, inbox: Inbox, wake: Callable[[], None]) -> None:
        self._inbox, self._wake = inbox, wake

    def keep(self, body: dict[str, Any]) -> None:
        """Store an `event_callback` worth keeping (a repeat is dropped by its id)."""
        event_id, event = body.get("event_id"), body.get("event")
        if isinstance(event_id, str) and isinstance(event, dict) and worth_keeping(event):
            self._inbox.store(
                platform=Platform.SLACK,
                event_id=event_id[:REF_LENGTH],
                team_id=str(body.get("team_id", ""))[:REF_LENGTH],
                body=body,
            )
            self._wake()

    def middleware(
        self, body: dict[str, Any], next_: Callable[[], BoltResponse]
    ) -> BoltResponse | None:
        """A global middleware for the front app: keep an event, then acknowledge it."""
        if body.get("type") != "event_callback":
            return next_()
        self.keep(body)
        return BoltResponse(status=200, body="")


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
            # Marked done together: a crash before the mark only repeats work, never its
            # effect (the use cases drop an event id they have applied).
            done = [inbound_id for inbound_id, body in batch if self._process(inbound_id, body)]
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
        # Socket Mode requests carry no signature: this one was verified when it was stored.
        response = self._events.dispatch(BoltRequest(body=body, mode="socket_mode"))
        if response.status < 500:  # 404 only means no listener wanted it
            return True
        if self._inbox.mark_failed(inbound_id=inbound_id, error=response.body or "listener failed"):
            log.error("gave up on event %s after repeated failures", body.get("event_id"))
        return False
