"""The blameless coach's private note can be dismissed by the person who got it."""

from __future__ import annotations

from slack_bolt import Ack, App, Respond

from handlers.slack.errors import acknowledge
from handlers.slack.ids import ActionId


def register(app: App) -> None:
    app.action(ActionId.COACH_DISMISS)(acknowledge, dismiss_nudge)


def dismiss_nudge(ack: Ack, respond: Respond) -> None:
    ack()
    # Ephemeral messages can only be removed through their response_url.
    respond(delete_original=True)
