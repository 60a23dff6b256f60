"""`/postmortem settings` over signed HTTP, and what a workspace's time zone changes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from slack_sdk import WebClient
from sqlalchemy import func, select

from handlers.slack.blocks import Blocks
from handlers.slack.clients import SlackClients
from handlers.slack.deliveries import Courier
from models.coach.tables import CoachNudge
from models.core.clock import FrozenClock
from models.core.tables import Delivery
from models.followup import tables as followup
from models.followup.meetings import REMIND_DELIVERY
from models.postmortems.tables import Answer
from models.services import Services
from templates import Templates
from tests.e2e.followthrough import run_tick, seed_actions
from tests.e2e.review import BEA, Review
from tests.fakeslack import TEAM_ID, FakeSlack
from tests.harness import AppHarness

ADMIN, MEMBER, OWNER = "U0ADMIN01", "U0MEMBER2", "U0OWNER03"
CHANNEL = "C0OPS0001"


def answers(app: AppHarness) -> list[dict[str, Any]]:
    return app.fake.calls_to("response_url")


def command(app: AppHarness, text: str, *, user: str, channel: str = CHANNEL) -> dict[str, Any]:
    """The answer to `/postmortem <text>`, once the listener has given it."""
    before = len(answers(app))
    response = app.driver.command(text, user=user, channel=channel)
    assert response.status == 200, response.body
    return app.fake.wait_for(lambda: answers(app)[before:], what="the answer")[0]


def settings_command(app: AppHarness, text: str, *, user: str) -> dict[str, Any]:
    return command(app, f"settings {text}".strip(), user=user)


def test_anyone_sees_the_settings_starting_from_the_process_time_zone(app: AppHarness) -> None:
    shown = settings_command(app, "", user=MEMBER)

    assert shown["response_type"] == "ephemeral"
    assert "*Time zone:* Europe/London" in shown["text"]  # LESSONLOOP_TIMEZONE of the harness
    assert "*Blameless coach:* on" in shown["text"]
    assert app.fake.calls_to("users.info") == []  # looking needs no admin check


def test_an_admin_changes_the_time_zone(app: AppHarness) -> None:
    app.fake.admins.add(ADMIN)

    changed = settings_command(app, "timezone america/new_york", user=ADMIN)

    assert "*Time zone:* America/New_York" in changed["text"]
    assert f"<@{ADMIN}> changed" in changed["text"]
    settings = app.services.workspaces.settings(team_id=TEAM_ID)
    assert (settings.timezone, settings.updated_by) == ("America/New_York", ADMIN)
    assert [c["user"] for c in app.fake.calls_to("users.info")] == [ADMIN]


def test_someone_who_is_not_an_admin_is_refused_and_nothing_changes(app: AppHarness) -> None:
    refused = settings_command(app, "timezone Asia/Tokyo", user=MEMBER)

    assert "Only workspace admins and owners" in refused["text"]
    assert app.services.workspaces.settings(team_id=TEAM_ID).timezone == "Europe/London"


def test_an_unknown_zone_gets_a_clear_answer(app: AppHarness) -> None:
    app.fake.admins.add(ADMIN)

    refused = settings_command(app, "timezone Mars/Olympus_Mons", user=ADMIN)

    assert "`Mars/Olympus_Mons` is not a time zone I know" in refused["text"]
    assert app.services.workspaces.settings(team_id=TEAM_ID).timezone == "Europe/London"


def test_an_unknown_setting_says_what_there_is(app: AppHarness) -> None:
    refused = settings_command(app, "colour blue", user=ADMIN)

    assert "I don't know the setting `colour`" in refused["text"]
    assert "/postmortem settings timezone" in refused["text"]


def test_the_coach_default_applies_to_channels_that_did_not_choose(app: AppHarness) -> None:
    app.fake.admins.add(ADMIN)
    command(app, "coach on", user=MEMBER, channel="C0CHOSE01")

    settings_command(app, "coach off", user=ADMIN)

    channels = app.services.channels
    assert channels.coach_enabled(team_id=TEAM_ID, channel_id="C0CHOSE01") is True
    assert channels.coach_enabled(team_id=TEAM_ID, channel_id="C0OTHER01") is False


def test_with_the_coach_off_for_the_workspace_a_blaming_reply_gets_no_nudge(
    app: AppHarness,
) -> None:
    app.fake.admins.add(ADMIN)
    settings_command(app, "coach off", user=ADMIN)
    review = Review(app)
    review.start("Expired certificate")
    review.reply("Honestly Dave just forgot to renew the certificate, that's on him.", user=BEA)

    with app.services.sessions() as session:
        # The nudge would be owed in the transaction that records the answer.
        assert session.scalar(select(func.count()).select_from(Answer)) == 1
        assert session.scalar(select(func.count()).select_from(CoachNudge)) == 0


def test_review_defaults_fill_in_what_review_set_leaves_out(app: AppHarness) -> None:
    app.fake.admins.add(ADMIN)
    settings_command(app, "review weekly thursday 09:30 lead 3", user=ADMIN)

    answer = command(app, "review set", user=MEMBER)
    assert "every Thursday at 09:30 (Europe/London)" in answer["text"]

    schedule = app.services.meetings.schedule(team_id=TEAM_ID, channel_id=CHANNEL)
    assert schedule is not None
    cadence = schedule.cadence
    assert (cadence.weekday, cadence.local_time, cadence.lead_days) == (3, "09:30", 3)
    assert cadence.timezone == "Europe/London"


def test_a_review_set_without_a_zone_is_planned_in_the_workspaces_zone(
    app: AppHarness, clock: FrozenClock
) -> None:
    # Friday 20 November 2026, 10:00 UTC. New York is UTC-5 then, London UTC+0.
    app.fake.admins.add(ADMIN)
    settings_command(app, "timezone America/New_York", user=ADMIN)
    answer = command(app, "review set weekly tuesday 10:00 lead 2", user=MEMBER)
    assert "(America/New_York)" in answer["text"]
    seed_actions(app.services, [OWNER], today=clock.now().date(), channel=CHANNEL)

    # Two days before Tuesday 10:00 in New York is Sunday 15:00 UTC; in London (the
    # process default) it would have been 10:00 UTC.
    clock.set(datetime(2026, 11, 22, 14, 59, tzinfo=UTC))
    run_tick(app)
    assert reminders(app.services) == []

    clock.set(datetime(2026, 11, 22, 15, 0, tzinfo=UTC))
    run_tick(app)
    assert [d.recipient_id for d in reminders(app.services)] == [OWNER]
    with app.services.sessions() as session:
        scheduled = session.scalars(select(followup.ReviewMeeting.scheduled_at)).all()
    assert scheduled == [datetime(2026, 11, 24, 15, 0, tzinfo=UTC)]


def reminders(services: Services) -> list[Delivery]:
    with services.sessions() as session:
        return list(session.scalars(select(Delivery).where(Delivery.kind == REMIND_DELIVERY)))


class RecordingClients(SlackClients):
    def __init__(self, client: WebClient) -> None:
        super().__init__(client)
        self.asked: list[str] = []

    def for_workspace(self, team_id: str) -> WebClient:
        self.asked.append(team_id)
        return super().for_workspace(team_id)


def test_the_sender_asks_for_the_client_of_each_deliverys_workspace(services: Services) -> None:
    with FakeSlack() as fake:
        clients = RecordingClients(WebClient(token="xoxb-test", base_url=fake.api_url))
        courier = Courier(clients, services, Blocks(Templates()))
        for team in ("T0FIRST01", "T0SECOND2"):
            services.postmortems.start(
                team_id=team, channel_id="C0INC0001", title="Outage", facilitator_id="U0F"
            )

        assert courier.deliver_due() >= 2

        roots = [p for p in fake.calls_to("chat.postMessage") if "thread_ts" not in p]
        assert len(roots) == 2
    assert set(clients.asked) == {"T0FIRST01", "T0SECOND2"}
