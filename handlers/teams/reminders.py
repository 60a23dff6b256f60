"""What reviews owe people, sent in Teams: reminder and follow-up 1:1 messages and overdue
nudges, each the owner's actions with the buttons that update them (cards.action_list).
A connector error propagates to the TeamsCourier, which retries or records it."""

from __future__ import annotations

from handlers.teams import cards
from handlers.teams.deliveries import Deferred, TeamsCourier
from models.core.people import nudge_time, zone_or_utc
from models.core.references import Platform
from models.core.views import DeliveryView
from models.followup.meetings import (
    AGENDA_DELIVERY,
    FOLLOWUP_DELIVERY,
    OVERDUE_DELIVERY,
    REMIND_DELIVERY,
)
from models.followup.views import ListingView
from models.services import Services


class TeamsReminders:
    def __init__(self, services: Services, courier: TeamsCourier) -> None:
        self._services, self._courier = services, courier

    def register(self) -> None:
        self._courier.add_sender(REMIND_DELIVERY, self.remind)
        self._courier.add_sender(FOLLOWUP_DELIVERY, self.follow_up)
        self._courier.add_sender(OVERDUE_DELIVERY, self.nudge_overdue)
        self._courier.add_sender(AGENDA_DELIVERY, self.post_agenda)

    def post_agenda(self, delivery: DeliveryView) -> None:
        assert delivery.subject_id is not None
        agenda = self._services.meetings.agenda(
            team_id=delivery.team_id, review_id=delivery.subject_id
        )
        people = {owner for owner, _ in agenda.by_owner} | set(agenda.not_responded)
        names = self._services.addresses.names(
            platform=Platform.TEAMS, team_id=delivery.team_id, refs=people
        )
        self._courier.post_in_channel(
            delivery.team_id, agenda.review.channel_id, cards.agenda(agenda, names)
        )

    def remind(self, delivery: DeliveryView) -> None:
        assert delivery.subject_id is not None
        owner, meetings = delivery.recipient_id, self._services.meetings
        listing = meetings.reminder(
            team_id=delivery.team_id, review_id=delivery.subject_id, owner_id=owner
        )
        if listing is None or not listing.actions:
            return
        target = self._courier.personal(delivery.team_id, owner, via=_channel_of(listing))
        posted = self._courier.connector.send(
            target, cards.action_list(listing, intro=cards.REMINDER)
        )
        meetings.record_reminder(
            team_id=delivery.team_id,
            review_id=delivery.subject_id,
            owner_id=owner,
            action_ids=[a.id for a in listing.actions],
            dm_conversation=target.conversation_id,
            dm_ref=posted,
        )

    def follow_up(self, delivery: DeliveryView) -> None:
        assert delivery.subject_id is not None
        owner = delivery.recipient_id
        listing = self._services.meetings.followup(
            team_id=delivery.team_id, review_id=delivery.subject_id, owner_id=owner
        )
        if listing is None:  # updated everything since the follow-up was planned
            return
        self._courier.connector.send(
            self._courier.personal(delivery.team_id, owner, via=_channel_of(listing)),
            cards.action_list(listing, intro=cards.FOLLOWUP),
        )

    def nudge_overdue(self, delivery: DeliveryView) -> None:
        owner, team_id = delivery.recipient_id, delivery.team_id
        _, tz = self._services.people.known_zone(team_id=team_id, user_id=owner)
        # The zone Teams last reported for the person (an activity's localTimezone), else
        # their workspace's: nudged in working hours.
        zone = zone_or_utc(
            tz
            or self._services.workspaces.for_platform(Platform.TEAMS)
            .settings(team_id=team_id)
            .timezone
        )
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
        self._courier.connector.send(
            self._courier.personal(team_id, owner, via=_channel_of(listing)),
            cards.action_list(listing, intro=cards.OVERDUE),
        )
        updates.record_nudges(team_id=team_id, action_ids=[a.id for a in listing.actions])


def _channel_of(listing: ListingView) -> str | None:
    """Where to reach an owner who has never written to the app: the Teams service of the
    channel whose review, or action, this is about."""
    if listing.review is not None:
        return listing.review.channel_id
    return listing.actions[0].channel_id if listing.actions else None
