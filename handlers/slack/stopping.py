"""Stopping every send to a workspace whose token is gone (handlers.slack.lifecycle says
when): its own module, because the courier needs it too."""

from __future__ import annotations

import logging

from handlers.slack.clients import SlackClients
from models.services import Services

log = logging.getLogger(__name__)


def stop_sending(clients: SlackClients, services: Services, team_id: str, *, reason: str) -> None:
    if not clients.multi_workspace:
        log.warning(
            "Slack says Lessonloop's token no longer works in workspace %s (%s): nothing "
            "can be sent until SLACK_BOT_TOKEN is replaced",
            team_id,
            reason,
        )
        return
    clients.forget(team_id)
    stopped = services.lifecycle.stopped(team_id=team_id, reason=reason)
    log.warning(
        "workspace %s stopped (%s) at %s: %d pending messages cancelled; its data is "
        "deleted after %s unless it installs Lessonloop again",
        team_id,
        stopped.reason,
        stopped.at.isoformat(),
        stopped.cancelled_deliveries,
        (stopped.at + services.lifecycle.retention).date().isoformat(),
    )
