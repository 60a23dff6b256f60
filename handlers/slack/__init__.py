"""Every Slack surface of the app, module by module."""

from __future__ import annotations

from slack_bolt import App

from handlers.slack import (
    actions,
    coach,
    conversation,
    errors,
    lessons,
    lifecycle,
    okrs,
    postmortem,
    reviews,
)
from handlers.slack.deps import Deps


def register_all(app: App, deps: Deps) -> None:
    errors.register(app)
    postmortem.register(app, deps)
    conversation.register(app, deps)
    actions.register(app, deps)
    coach.register(app)
    reviews.register(app, deps)
    lessons.register(app, deps)
    lifecycle.register(app, deps)
    okrs.register(app, deps)
