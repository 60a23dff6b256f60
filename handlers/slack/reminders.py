"""Sending what reviews owe people: reminder and follow-up DMs, the agenda, overdue nudges.

The outbox (models.core.outbox) decides what is due and claims it; these only send one
delivery each. A Slack error propagates to the Courier, which retries passing failures
and records permanent ones (user_not_found, cannot_dm_bot, ...) for the agenda."""

from __future__ import annotations

from slack_sdk import WebClient

from handlers.slack.clients import SlackClients
from handlers.slack.deliveries import Courier, Deferred
from handlers.slack.review_blocks import Intro, ReviewBlocks
from models.core.people import nudge_time, zone_or_utc
from models.core.views import DeliveryView
from models.followup.meetings import (
    AGENDA_DELIVERY,
    FOLLOWUP_DELIVERY,
    OVERDUE_DELIVERY,
    REMIND_DELIVERY,
)
from models.services import Services


class Reminders:
    def __init__(self, clients: SlackClients, services: Services, blocks: ReviewBlocks) -> None:
        self._clients, self._services, self._blocks = clients, services, blocks

    def register(self, courier: Courier) -> None:
        courier.add_sender(REMIND_DELIVERY, self.remind)
        courier.add_sender(FOLLOWUP_DELIVERY, self.follow_up)
        courier.add_sender(AGENDA_DELIVERY, self.post_agenda)
        courier.add_sender(OVERDUE_DELIVERY, self.nudge_overdue)

    def remind(self, delivery: DeliveryView) -> None:
        assert delivery.subject_id is not None
        owner = delivery.recipient_id
        listing = self._services.meetings.reminder(
            team_id=delivery.team_id, review_id=delivery.subject_id, owner_id=owner
        )
        if listing is None or not listing.actions:
            return
        client = self._clients.for_workspace(delivery.team_id)
        channel = _dm_channel(client, owner)
        posted = client.chat_postMessage(
            channel=channel, **self._blocks.action_list(listing, intro=Intro.REMINDER, viewer=owner)
        )
        self._services.meetings.record_reminder(
            team_id=delivery.team_id,
            review_id=delivery.subject_id,
            owner_id=owner,
            action_ids=[a.id for a in listing.actions],
            dm_conversation=channel,
            dm_ref=str(posted["ts"]),
        )

    def follow_up(self, delivery: DeliveryView) -> None:
        assert delivery.subject_id is not None
        owner = delivery.recipient_id
        listing = self._services.meetings.followup(
            team_id=delivery.team_id, review_id=delivery.subject_id, owner_id=owner
        )
        if listing is None:  # updated everything since the follow-up was planned
            return
        client = self._clients.for_workspace(delivery.team_id)
        client.chat_postMessage(
            channel=_dm_channel(client, owner),
            **self._blocks.action_list(listing, intro=Intro.FOLLOWUP, viewer=owner),
        )

    def post_agenda(self, delivery: DeliveryView) -> None:
        assert delivery.subject_id is not None
        agenda = self._services.meetings.agenda(
            team_id=delivery.team_id, review_id=delivery.subject_id
        )
        client = self._clients.for_workspace(delivery.team_id)
        for page in self._blocks.agenda(agenda):
            client.chat_postMessage(channel=agenda.review.channel_id, **page)

    def nudge_overdue(self, delivery: DeliveryView) -> None:
        owner, team_id = delivery.recipient_id, delivery.team_id
        people, client = self._services.people, self._clients.for_workspace(team_id)
        known, tz = people.known_zone(team_id=team_id, user_id=owner)
        if not known:
            user = client.users_info(user=owner)["user"]
            tz = user.get("tz")
            people.remember_zone(team_id=team_id, user_id=owner, tz=tz)
        # Someone Slack gives no zone for is nudged in their workspace's working hours.
        zone = zone_or_utc(tz or self._services.workspaces.settings(team_id=team_id).timezone)
        now = self._services.clock.now()
        later = nudge_time(now, zone)
        if later is not None:
            raise Deferred(later)
        updates = self._services.updates
        listing = updates.overdue_to_nudge(
            team_id=team_id, owner_id=owner, today=now.astimezone(zone).date()
        )
        if not listing.actions:
            return
        client.chat_postMessage(
            channel=_dm_channel(client, owner),
            **self._blocks.action_list(listing, intro=Intro.OVERDUE, viewer=owner),
        )
        updates.record_nudges(team_id=team_id, action_ids=[a.id for a in listing.actions])


def _dm_channel(client: WebClient, user_id: str) -> str:
    return str(client.conversations_open(users=user_id)["channel"]["id"])
