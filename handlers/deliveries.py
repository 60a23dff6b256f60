"""Sends what the app owes people (see models.deliveries), one Slack call path per kind."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from functools import partial

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from handlers.blocks import Blocks
from handlers.reports import Documents, upload_postmortem_documents
from models.postmortems import DOCUMENTS_DELIVERY, OWNER_DELIVERY, SUMMARY_DELIVERY
from models.services import Services
from models.views import DeliveryView

log = logging.getLogger(__name__)

# Errors that will not go away by trying again: the person or channel is gone or closed to us.
PERMANENT_ERRORS = frozenset(
    {
        "account_inactive",
        "cannot_dm_bot",
        "channel_not_found",
        "is_archived",
        "messages_tab_disabled",
        "not_in_channel",
        "user_disabled",
        "user_not_found",
        "user_not_visible",
        "users_not_found",
    }
)


class Deferred(Exception):
    """Raised by a sender when now is the wrong time (night where the recipient is)."""

    def __init__(self, until: datetime) -> None:
        super().__init__(until.isoformat())
        self.until = until


Sender = Callable[[DeliveryView], None]


class Courier:
    def __init__(self, client: WebClient, services: Services, blocks: Blocks) -> None:
        self._client, self._services, self._blocks = client, services, blocks
        self._senders: dict[str, Sender] = {
            SUMMARY_DELIVERY: self._post_summary,
            OWNER_DELIVERY: self._send_owner_actions,
            DOCUMENTS_DELIVERY: partial(
                upload_postmortem_documents, client, services, Documents(blocks.templates)
            ),
        }

    def add_sender(self, kind: str, sender: Sender) -> None:
        """Features that owe their own kinds of message register how to send them."""
        self._senders[kind] = sender

    def deliver_due(self, *, subject_id: int | None = None) -> int:
        """Send everything due now; returns how many were sent."""
        sent = 0
        deliveries = self._services.deliveries
        while batch := deliveries.claim_due(subject_id=subject_id):
            for delivery in batch:
                if self._send(delivery):
                    sent += 1
        return sent

    def _send(self, delivery: DeliveryView) -> bool:
        deliveries = self._services.deliveries
        try:
            self._senders[delivery.kind](delivery)
        except Deferred as later:
            deliveries.defer(delivery_id=delivery.id, until=later.until)
            return False
        except SlackApiError as error:
            code = str(error.response.get("error", "unknown_error"))
            log.warning("delivery %s (%s) failed: %s", delivery.id, delivery.kind, code)
            deliveries.mark_failed(
                delivery_id=delivery.id, error=code, permanent=code in PERMANENT_ERRORS
            )
            return False
        except (SlackClientError, OSError) as error:
            log.warning("delivery %s (%s) will be retried: %r", delivery.id, delivery.kind, error)
            deliveries.mark_failed(delivery_id=delivery.id, error=repr(error), permanent=False)
            return False
        deliveries.mark_sent(delivery_id=delivery.id)
        return True

    def _post_summary(self, delivery: DeliveryView) -> None:
        assert delivery.subject_id is not None
        summary = self._services.postmortems.summary(
            team_id=delivery.team_id, postmortem_id=delivery.subject_id
        )
        postmortem = summary.postmortem
        for message in self._blocks.summary(summary):
            self._client.chat_postMessage(
                channel=postmortem.channel_id, thread_ts=postmortem.thread_ts, **message
            )
        self._client.chat_update(
            channel=postmortem.channel_id,
            ts=postmortem.thread_ts,
            **self._blocks.root(
                title=postmortem.title,
                kind=postmortem.kind.value,
                facilitator_id=postmortem.facilitator_id,
                closed=True,
            ),
        )

    def _send_owner_actions(self, delivery: DeliveryView) -> None:
        assert delivery.subject_id is not None
        postmortem = self._services.postmortems.get(
            team_id=delivery.team_id, postmortem_id=delivery.subject_id
        )
        actions = self._services.actions.open_for_owner(
            team_id=delivery.team_id,
            owner_id=delivery.recipient_id,
            postmortem_id=delivery.subject_id,
        )
        if not actions:
            return
        channel = self._client.conversations_open(users=delivery.recipient_id)["channel"]["id"]
        self._client.chat_postMessage(
            channel=channel, **self._blocks.owner_actions(postmortem, actions)
        )
