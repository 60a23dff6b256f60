"""One error policy: a UserFacingError becomes a private reply; anything else is logged
with an id the user can quote to whoever runs the app.

Listeners apply it themselves, after ack(), with `replying_privately`: when a listener
raises soon after ack(), Bolt 1.30's thread runner (run_ack_function_asynchronously in
slack_bolt/listener/thread_runner.py) overwrites the acknowledged response with None, so
Slack sees a 3-second timeout and a 404. `@app.error` still covers middleware errors.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any, Final

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from models.core.errors import Param, Reason, UserFacingError
from templates import escape_mrkdwn

log = logging.getLogger(__name__)


def register(app: App) -> None:
    app.error(tell_user)


# How Slack words each reason (plain text; escaped for mrkdwn where it is sent).
_WORDING: Final[dict[Reason, str]] = {
    Reason.TITLE_MISSING: "Give the review a title: `/postmortem start <title>`.",
    Reason.CLOSE_ONLY_BY_FACILITATOR: (
        "Thanks! Only the facilitator who started this review can close it, "
        "so that nobody is cut off mid-thought. Ask them to press *Close review*."
    ),
    Reason.ACTION_NOTHING_TO_DO: "Say what needs doing after `action:`.",
    Reason.ACTION_DATE_UNREADABLE: (
        "I couldn't read “{words}” as a date, so I haven't created an action yet. Your reply "
        "is saved; try a date like `friday`, `in 2 weeks` or `2026-12-01`, or use *Add action*."
    ),
    Reason.ACTION_DATE_PASSED: (
        "{target_on:%d %b %Y} has already passed, so I haven't recorded the action. "
        "Your reply is saved; edit it with a later date, or use *Add action*."
    ),
    Reason.LESSON_TEXT_MISSING: "Write the lesson after the command: `/lesson keep: …`.",
    Reason.SEARCH_KIND_UNKNOWN: "Use `kind:keep` or `kind:improve`.",
    Reason.SEARCH_SINCE_UNREADABLE: (
        "I couldn't read `since:{value}`; try `since:2026-01-01` or `since:30d`."
    ),
    Reason.SEARCH_EMPTY: "Search for some words, e.g. `/lessons canary config`.",
    Reason.OLD_LISTING: "That button is from an older message; run `/actions` again.",
    Reason.ZONE_UNKNOWN: (
        "`{typed}` is not a time zone I know; use an IANA name such as "
        "Europe/Paris, America/New_York or UTC."
    ),
    Reason.CADENCE_UNREADABLE: (
        "{problem} Try for example "
        "`/postmortem review set monthly first tuesday 10:00 Europe/London lead 7 followup 1`, "
        "`weekly friday 16:00`, `every 2 weeks tuesday` or `monthly on the 15th 09:30`."
    ),
    Reason.NO_POSTMORTEM_IN_CHANNEL: (
        "There is no post-mortem in this channel yet. Start one with `/postmortem start <title>`."
    ),
}


def wording(error: UserFacingError) -> str:
    """What the person reads about `error`, not yet escaped for mrkdwn."""
    if error.reason is None:
        return str(error)
    return word(error.reason, error.params)


def word(reason: str, params: dict[str, Param]) -> str:
    """The wording of a reason stored with its parameters (a delivery's payload)."""
    values: dict[str, object] = dict(params)
    if isinstance(target_on := params.get("target_on"), str):
        values["target_on"] = date.fromisoformat(target_on)
    return _WORDING[Reason(reason)].format(**values)


ButtonWork = Callable[[dict[str, Any], dict[str, Any], WebClient], None]


def acknowledge(ack: Ack) -> None:
    """The ack half of a listener registered as `(acknowledge, work)`: Bolt answers Slack
    as soon as this returns and runs `work` on its pool afterwards (a lazy listener; the
    app runs with process_before_response). `work` may call ack() again: a lazy
    listener's ack is a no-op."""
    ack()


def on_button(work: ButtonWork) -> Callable[..., None]:
    """A block_actions listener: ack at once, then `work(body, action, client)`, with its
    errors replied privately."""

    def listener(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        ack()
        with replying_privately(body, client, respond):
            work(body, action, client)

    return listener


@contextmanager
def replying_privately(
    body: dict[str, Any], client: WebClient, respond: Respond | None = None
) -> Iterator[None]:
    try:
        yield
    except Exception as error:  # the app's one error policy; see the module docstring
        tell_user(error, body, client, respond)


def tell_user(
    error: Exception, body: dict[str, Any], client: WebClient, respond: Respond | None
) -> None:
    if isinstance(error, UserFacingError):
        reply = wording(error)
    else:
        reference = uuid.uuid4().hex[:8]
        log.error("unhandled error %s", reference, exc_info=error)
        reply = f"Sorry, something went wrong on my side (error `{reference}`). Please try again."
    # Error texts may quote what the user typed: escape, so it cannot ping anyone.
    text = escape_mrkdwn(reply)
    if respond is not None and body.get("response_url"):
        # response_url works even in channels the bot has not joined.
        respond(text=text, response_type="ephemeral", replace_original=False)
        return
    user, channel, thread_ts = _where(body)
    if not user or not channel:
        return
    try:
        client.chat_postEphemeral(channel=channel, user=user, text=text, thread_ts=thread_ts)
    except SlackApiError as failure:
        # Best effort: the channel may be one we cannot post in.
        log.warning("could not tell %s about an error: %s", user, failure.response.get("error"))


def _where(body: dict[str, Any]) -> tuple[str | None, str | None, str | None]:
    event = body.get("event", {})
    container = body.get("container", {})
    user = body.get("user_id") or body.get("user", {}).get("id") or event.get("user")
    channel = (
        body.get("channel_id")
        or body.get("channel", {}).get("id")
        or container.get("channel_id")
        or event.get("channel")
    )
    return user, channel, container.get("thread_ts") or event.get("thread_ts")
