"""Sends what the app owes people (see models.core.outbox), one Slack call path per kind."""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection
from datetime import datetime

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from handlers.slack.blocks import Blocks
from handlers.slack.clients import NOT_INSTALLED, TOKEN_ERRORS, NotInstalled, SlackClients
from handlers.slack.messages import time_of
from handlers.slack.reports import BoardSender, Documents, upload_postmortem_documents
from handlers.slack.stopping import stop_sending
from models.core.outbox import SendFailed
from models.core.references import Platform
from models.core.views import DeliveryView
from models.postmortems.phases import Phase
from models.postmortems.service import (
    DOCUMENTS_DELIVERY,
    LESSON_PHASES,
    OWNER_DELIVERY,
    PROMPT_DELIVERY,
    ROOT_CLOSED_DELIVERY,
    ROOT_DELIVERY,
    STEP_DONE_DELIVERY,
    SUMMARY_DELIVERY,
)
from models.reports.service import BOARD_DELIVERY, DOCUMENTS_AGAIN_DELIVERY
from models.services import Services

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
    """Each delivery is sent with the client of its own workspace (SlackClients)."""

    def __init__(self, clients: SlackClients, services: Services, blocks: Blocks) -> None:
        self._clients, self._services, self._blocks = clients, services, blocks
        self._documents = Documents(blocks.templates)
        self._senders: dict[str, Sender] = {
            ROOT_DELIVERY: self._post_root,
            PROMPT_DELIVERY: self._post_prompt,
            STEP_DONE_DELIVERY: self._retire_prompt,
            SUMMARY_DELIVERY: self._post_summary,
            ROOT_CLOSED_DELIVERY: self._mark_root_closed,
            OWNER_DELIVERY: self._send_owner_actions,
            DOCUMENTS_DELIVERY: self._upload_documents,
            BOARD_DELIVERY: BoardSender(clients, services, blocks).post,
            DOCUMENTS_AGAIN_DELIVERY: self._upload_documents,
        }

    def add_sender(self, kind: str, sender: Sender) -> None:
        """Features that owe their own kinds of message register how to send them."""
        self._senders[kind] = sender

    def deliver_due(
        self, *, subject_id: int | None = None, ids: Collection[int] | None = None
    ) -> int:
        """Send everything due now (or only what is about `subject_id`, or the deliveries
        of `ids`: what one use case owed); returns how many were sent."""
        if ids is not None and not ids:
            return 0
        sent = 0
        deliveries = self._services.deliveries
        while batch := deliveries.claim_due(
            subject_id=subject_id, ids=ids, platform=Platform.SLACK
        ):
            for delivery in batch:
                if self._send(delivery):
                    sent += 1
            if ids is not None:
                break  # one claim takes all of them that can be taken; the rest are not due
        return sent

    def refused(self, *, delivery_id: int) -> str | None:
        """Slack's error code when it refused this delivery for good, else None."""
        return self._services.deliveries.refused(delivery_id=delivery_id)

    def refusal(self, *, subject_id: int, kind: str) -> str | None:
        """Slack's error code when it refused a delivery for good, else None."""
        return self._services.deliveries.refusal(subject_id=subject_id, kind=kind)

    def email_of(self, team_id: str, user_id: str) -> str | None:
        """A person's email (users.info, scope users:read.email), to find them elsewhere
        (their Jira account); None when Slack shows none."""
        try:
            person = self._clients.for_workspace(team_id).users_info(user=user_id)["user"]
        except SlackApiError as error:
            if error.response.get("error") in PERMANENT_ERRORS:
                return None
            raise
        email = person.get("profile", {}).get("email")
        return str(email) if email else None

    def _slack(self, delivery: DeliveryView) -> WebClient:
        return self._clients.for_workspace(delivery.team_id)

    def _upload_documents(self, delivery: DeliveryView) -> None:
        upload_postmortem_documents(
            self._slack(delivery), self._services, self._documents, delivery
        )

    def _send(self, delivery: DeliveryView) -> bool:
        deliveries = self._services.deliveries
        try:
            self._senders[delivery.kind](delivery)
        except Deferred as later:
            deliveries.defer(delivery_id=delivery.id, until=later.until)
            return False
        except NotInstalled:
            # Uninstalled, revoked or never installed: recorded, never retried.
            deliveries.mark_failed(delivery_id=delivery.id, error=NOT_INSTALLED, permanent=True)
        except SendFailed as failure:  # an outside system's sender (Jira)
            log.warning("delivery %s (%s) failed: %s", delivery.id, delivery.kind, failure.error)
            deliveries.mark_failed(
                delivery_id=delivery.id,
                error=failure.error,
                permanent=failure.permanent,
                retry_after=failure.retry_after,
            )
            return False
        except SlackApiError as error:
            code = str(error.response.get("error", "unknown_error"))
            log.warning("delivery %s (%s) failed: %s", delivery.id, delivery.kind, code)
            token_gone = code in TOKEN_ERRORS and self._clients.multi_workspace
            deliveries.mark_failed(
                delivery_id=delivery.id,
                error=code,
                permanent=code in PERMANENT_ERRORS or token_gone,
            )
            if token_gone:
                # The workspace's token is no good: stop everything it is owed, once.
                stop_sending(self._clients, self._services, delivery.team_id, reason=code)
            return False
        except (SlackClientError, OSError) as error:
            log.warning("delivery %s (%s) will be retried: %r", delivery.id, delivery.kind, error)
            deliveries.mark_failed(delivery_id=delivery.id, error=repr(error), permanent=False)
            return False
        deliveries.mark_sent(delivery_id=delivery.id)
        return True

    def _post_root(self, delivery: DeliveryView) -> None:
        assert delivery.subject_id is not None
        postmortems = self._services.postmortems
        postmortem = postmortems.get(team_id=delivery.team_id, postmortem_id=delivery.subject_id)
        client = self._slack(delivery)
        root = client.chat_postMessage(
            channel=postmortem.channel_id,
            **self._blocks.root(
                title=postmortem.title,
                kind=postmortem.kind.value,
                facilitator_id=postmortem.facilitator_id,
                closed=False,
            ),
        )
        permalink = client.chat_getPermalink(channel=postmortem.channel_id, message_ts=root["ts"])
        postmortems.root_posted(
            team_id=delivery.team_id,
            postmortem_id=postmortem.id,
            thread_ref=root["ts"],
            posted_at=time_of(root["ts"]),
            permalink=permalink.get("permalink"),
        )

    def _post_prompt(self, delivery: DeliveryView) -> None:
        assert delivery.subject_id is not None
        step_id = int(delivery.payload["step_id"])
        postmortems, lessons = self._services.postmortems, self._services.lessons
        postmortem = postmortems.prompt_owed(
            team_id=delivery.team_id, postmortem_id=delivery.subject_id, step_id=step_id
        )
        if postmortem is None or postmortem.thread_ref is None:
            return  # people moved on before this prompt went out: a stale one helps nobody
        kind = LESSON_PHASES.get(postmortem.phase)
        captured = (
            lessons.captured_for(team_id=postmortem.team_id, postmortem_id=postmortem.id, kind=kind)
            if kind is not None
            else []
        )
        timeline = (
            lessons.timeline_of(team_id=postmortem.team_id, postmortem_id=postmortem.id)
            if postmortem.phase is Phase.TIMELINE
            else []
        )
        prompt = self._slack(delivery).chat_postMessage(
            channel=postmortem.channel_id,
            thread_ts=postmortem.thread_ref,
            **self._blocks.phase_prompt(postmortem, captured, timeline),
        )
        postmortems.set_prompt(
            team_id=postmortem.team_id,
            postmortem_id=postmortem.id,
            step_id=step_id,
            prompt_ref=prompt["ts"],
        )

    def _retire_prompt(self, delivery: DeliveryView) -> None:
        """The buttons of a step that is over are replaced by who ended it and how."""
        payload = delivery.payload
        message = (
            self._blocks.notice(":lock: Review closed. Thank you all.")
            if payload.get("closed")
            else self._blocks.phase_done(
                phase=Phase(payload["phase"]),
                skipped=bool(payload["skipped"]),
                by_user=payload["by"],
            )
        )
        self._slack(delivery).chat_update(
            channel=delivery.recipient_id, ts=payload["prompt_ref"], **message
        )

    def _post_summary(self, delivery: DeliveryView) -> None:
        """Posted in parts, each recorded as it goes: a retry starts after the last part
        Slack accepted, so no part appears twice."""
        assert delivery.subject_id is not None
        summary = self._services.postmortems.summary(
            team_id=delivery.team_id, postmortem_id=delivery.subject_id
        )
        postmortem = summary.postmortem
        done = int(delivery.payload.get("parts_sent", 0))
        for part, message in enumerate(self._blocks.summary(summary)):
            if part < done:
                continue
            self._slack(delivery).chat_postMessage(
                channel=postmortem.channel_id, thread_ts=postmortem.thread_ref, **message
            )
            self._services.deliveries.record_progress(
                delivery_id=delivery.id, progress={"parts_sent": part + 1}
            )

    def _mark_root_closed(self, delivery: DeliveryView) -> None:
        assert delivery.subject_id is not None
        postmortem = self._services.postmortems.get(
            team_id=delivery.team_id, postmortem_id=delivery.subject_id
        )
        assert postmortem.thread_ref is not None  # a review is closed only once it is posted
        self._slack(delivery).chat_update(
            channel=postmortem.channel_id,
            ts=postmortem.thread_ref,
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
        client = self._slack(delivery)
        channel = client.conversations_open(users=delivery.recipient_id)["channel"]["id"]
        client.chat_postMessage(channel=channel, **self._blocks.owner_actions(postmortem, actions))
