"""Sends what the app owes people in Teams (see models.core.outbox), one path per kind.

The Bot Connector throttles: a 429 says when to come back (Retry-After), and the delivery
is due again then without counting as a failed attempt; 412, 502, 503 and 504 are passing
and retried with back-off; 401, 403 and 404 will not get better (the app was removed from
the team, the conversation is gone) and are kept as refused.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection
from datetime import datetime, timedelta

from handlers.teams import cards
from handlers.teams.connector import Connector, ConnectorError, Target
from handlers.teams.documents import DocumentLinks
from models.actions.service import ACTION_ANNOUNCED_DELIVERY
from models.core.addresses import Address
from models.core.references import Platform
from models.core.views import DeliveryView
from models.postmortems.phases import Phase
from models.postmortems.service import (
    OWNER_DELIVERY,
    PROMPT_DELIVERY,
    ROOT_CLOSED_DELIVERY,
    ROOT_DELIVERY,
    STEP_DONE_DELIVERY,
    SUMMARY_DELIVERY,
)
from models.postmortems.views import PostmortemView
from models.services import Services

log = logging.getLogger(__name__)

PERMANENT_STATUSES = frozenset({400, 401, 403, 404})
# Without a Retry-After, a throttled delivery waits this long.
DEFAULT_RETRY_AFTER = timedelta(seconds=5)

Sender = Callable[[DeliveryView], None]


class Deferred(Exception):
    """Raised by a sender when now is the wrong time (night where the recipient is)."""

    def __init__(self, until: datetime) -> None:
        super().__init__(until.isoformat())
        self.until = until


class NoAddress(Exception):
    """Nobody in this conversation or tenant has written to the app yet."""


class TeamsCourier:
    def __init__(
        self, services: Services, connector: Connector, documents: DocumentLinks | None = None
    ) -> None:
        self._services, self._connector = services, connector
        self._documents = documents
        self.connector = connector
        self._senders: dict[str, Sender] = {
            ROOT_DELIVERY: self._post_root,
            PROMPT_DELIVERY: self._post_prompt,
            STEP_DONE_DELIVERY: self._retire_prompt,
            SUMMARY_DELIVERY: self._post_summary,
            ROOT_CLOSED_DELIVERY: self._mark_root_closed,
            OWNER_DELIVERY: self._send_owner_actions,
            ACTION_ANNOUNCED_DELIVERY: self._announce_action,
        }

    def add_sender(self, kind: str, sender: Sender) -> None:
        self._senders[kind] = sender

    def deliver_due(
        self, *, subject_id: int | None = None, ids: Collection[int] | None = None
    ) -> int:
        sent = 0
        deliveries = self._services.deliveries
        while batch := deliveries.claim_due(
            subject_id=subject_id, ids=ids, platform=Platform.TEAMS
        ):
            for delivery in batch:
                if self._send(delivery):
                    sent += 1
            if ids is not None:
                break
        return sent

    def _send(self, delivery: DeliveryView) -> bool:
        deliveries = self._services.deliveries
        sender = self._senders.get(delivery.kind)
        if sender is None:  # a kind Teams does not send yet: kept, visible, not retried
            deliveries.mark_failed(
                delivery_id=delivery.id,
                error=f"no Teams sender for {delivery.kind}",
                permanent=True,
            )
            return False
        try:
            sender(delivery)
        except Deferred as later:
            deliveries.defer(delivery_id=delivery.id, until=later.until)
            return False
        except ConnectorError as error:
            if error.status == 429:
                wait = (
                    timedelta(seconds=error.retry_after)
                    if error.retry_after is not None
                    else DEFAULT_RETRY_AFTER
                )
                log.info("delivery %s throttled for %s", delivery.id, wait)
                deliveries.defer(delivery_id=delivery.id, until=self._services.clock.now() + wait)
                return False
            log.warning("delivery %s (%s) failed: %s", delivery.id, delivery.kind, error.status)
            deliveries.mark_failed(
                delivery_id=delivery.id,
                error=f"http {error.status}",
                permanent=error.status in PERMANENT_STATUSES,
            )
            return False
        except (NoAddress, OSError) as error:
            log.warning("delivery %s (%s) will be retried: %r", delivery.id, delivery.kind, error)
            deliveries.mark_failed(delivery_id=delivery.id, error=repr(error), permanent=False)
            return False
        deliveries.mark_sent(delivery_id=delivery.id)
        return True

    def _address(self, team_id: str, ref: str) -> Address:
        address = self._services.addresses.find(platform=Platform.TEAMS, team_id=team_id, ref=ref)
        if address is None:
            raise NoAddress(ref)
        return address

    def _channel(self, team_id: str, channel_id: str) -> Target:
        address = self._address(team_id, channel_id)
        return Target(service_url=address.service_url, conversation_id=channel_id)

    def _thread(self, team_id: str, channel_id: str, root: str) -> Target:
        address = self._address(team_id, channel_id)
        return Target(
            service_url=address.service_url, conversation_id=f"{channel_id};messageid={root}"
        )

    def _post_root(self, delivery: DeliveryView) -> None:
        assert delivery.subject_id is not None
        postmortems = self._services.postmortems
        postmortem = postmortems.get(team_id=delivery.team_id, postmortem_id=delivery.subject_id)
        root = self._connector.send(
            self._channel(delivery.team_id, postmortem.channel_id),
            cards.root(postmortem, closed=False),
        )
        postmortems.root_posted(
            team_id=delivery.team_id,
            postmortem_id=postmortem.id,
            thread_ref=root,
            posted_at=None,
            permalink=None,
        )

    def _post_prompt(self, delivery: DeliveryView) -> None:
        assert delivery.subject_id is not None
        step_id = int(delivery.payload["step_id"])
        postmortems = self._services.postmortems
        postmortem = postmortems.prompt_owed(
            team_id=delivery.team_id, postmortem_id=delivery.subject_id, step_id=step_id
        )
        if postmortem is None or postmortem.thread_ref is None:
            return  # people moved on before this prompt went out
        thread = self._thread(postmortem.team_id, postmortem.channel_id, postmortem.thread_ref)
        prompt = self._connector.reply(
            thread, postmortem.thread_ref, cards.phase_prompt(postmortem)
        )
        postmortems.set_prompt(
            team_id=postmortem.team_id,
            postmortem_id=postmortem.id,
            step_id=step_id,
            prompt_ref=prompt,
        )

    def _retire_prompt(self, delivery: DeliveryView) -> None:
        assert delivery.subject_id is not None
        payload = delivery.payload
        postmortem = self._services.postmortems.get(
            team_id=delivery.team_id, postmortem_id=delivery.subject_id
        )
        assert postmortem.thread_ref is not None
        message = (
            cards.notice("Review closed. Thank you all.")
            if payload.get("closed")
            else cards.phase_done(phase=Phase(payload["phase"]), skipped=bool(payload["skipped"]))
        )
        self._connector.update(
            self._thread(delivery.team_id, postmortem.channel_id, postmortem.thread_ref),
            str(payload["prompt_ref"]),
            message,
        )

    def _post_summary(self, delivery: DeliveryView) -> None:
        assert delivery.subject_id is not None
        summary = self._services.postmortems.summary(
            team_id=delivery.team_id, postmortem_id=delivery.subject_id
        )
        postmortem = summary.postmortem
        assert postmortem.thread_ref is not None
        self._connector.reply(
            self._thread(delivery.team_id, postmortem.channel_id, postmortem.thread_ref),
            postmortem.thread_ref,
            cards.summary(
                summary,
                self._documents.urls(delivery.team_id, postmortem.id)
                if self._documents is not None
                else None,
            ),
        )

    def _mark_root_closed(self, delivery: DeliveryView) -> None:
        assert delivery.subject_id is not None
        postmortem = self._services.postmortems.get(
            team_id=delivery.team_id, postmortem_id=delivery.subject_id
        )
        assert postmortem.thread_ref is not None
        self._connector.update(
            self._channel(delivery.team_id, postmortem.channel_id),
            postmortem.thread_ref,
            cards.root(postmortem, closed=True),
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
        target = self.personal(delivery.team_id, delivery.recipient_id, via=postmortem.channel_id)
        self._connector.send(target, cards.owner_actions(postmortem, actions))

    def post_in_channel(self, team_id: str, channel_id: str, message: cards.Activity) -> str:
        """A new post in a channel; returns its id."""
        return self._connector.send(self._channel(team_id, channel_id), message)

    def reply_in_review(self, postmortem: PostmortemView, message: cards.Activity) -> None:
        """Post `message` in the review's reply chain."""
        assert postmortem.thread_ref is not None
        self._connector.reply(
            self._thread(postmortem.team_id, postmortem.channel_id, postmortem.thread_ref),
            postmortem.thread_ref,
            message,
        )

    def _announce_action(self, delivery: DeliveryView) -> None:
        """The action, as it is now, in its review's replies."""
        assert delivery.subject_id is not None
        services = self._services
        action = services.actions.get(team_id=delivery.team_id, action_id=delivery.subject_id)
        if action is None or action.postmortem_id is None:
            return
        postmortem = services.postmortems.get(
            team_id=delivery.team_id, postmortem_id=action.postmortem_id
        )
        assert postmortem.thread_ref is not None
        self._connector.reply(
            self._thread(delivery.team_id, postmortem.channel_id, postmortem.thread_ref),
            postmortem.thread_ref,
            cards.action_added(action),
        )

    def personal(self, team_id: str, user_id: str, *, via: str | None = None) -> Target:
        """The 1:1 conversation with `user_id`, opened (and remembered) when there is none:
        at the person's own address, or at the address of conversation `via`."""
        addresses = self._services.addresses
        address = addresses.find(platform=Platform.TEAMS, team_id=team_id, ref=user_id)
        if address is not None and address.conversation_ref is not None:
            return Target(address.service_url, address.conversation_ref)
        known = address or (self._address(team_id, via) if via is not None else None)
        if known is None:
            raise NoAddress(user_id)
        conversation = self._connector.open_personal(
            service_url=known.service_url, tenant_id=team_id, bot_id=known.bot_ref, user_id=user_id
        )
        if address is None:
            addresses.remember(
                platform=Platform.TEAMS,
                team_id=team_id,
                refs=(user_id,),
                service_url=known.service_url,
                bot_ref=known.bot_ref,
            )
        addresses.opened(
            platform=Platform.TEAMS, team_id=team_id, ref=user_id, conversation_ref=conversation
        )
        return Target(known.service_url, conversation)
