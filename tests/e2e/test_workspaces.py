"""Installed in two workspaces through OAuth, over HTTP against the fake Slack: each
workspace's calls carry its own token; a bad install is refused with a page and nothing
stored; uninstalling stops that workspace's sends and, after the retention period, its
data, and never the other's."""

from __future__ import annotations

import html
import re
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from email.message import Message
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from sqlalchemy import func, select

from bot.scheduler import tick
from handlers.slack.clients import NOT_INSTALLED, NotInstalled
from handlers.slack.ids import ActionId
from handlers.slack.install import BOT_SCOPES
from handlers.slack.messages import time_of
from models.core.clock import FrozenClock
from models.core.installations import slack_bots, slack_installations, slack_oauth_states
from models.core.tables import Delivery, DeliveryStatus
from models.followup.meetings import REMIND_DELIVERY
from models.lessons.tables import LessonKind
from tests.e2e.review import Review
from tests.fakeslack import TEAM_ID, Grant
from tests.harness import AppHarness
from tests.slackdriver import SlackDriver

ALPHA, BETA = TEAM_ID, "T0BETA002"
ALPHA_TOKEN, BETA_TOKEN = "xoxb-alpha-1", "xoxb-beta-1"
OAUTH_ENV: dict[str, str | None] = {
    "SLACK_BOT_TOKEN": None,
    "SLACK_CLIENT_ID": "111.222",
    "SLACK_CLIENT_SECRET": "test-client-secret",
}
FACILITATOR = "U0FACIL01"
REVIEW_AT = datetime(2026, 12, 1, 10, tzinfo=UTC)  # first Tuesday of December, 10:00 London
TODAY = date(2026, 11, 20)


@dataclass
class Page:
    status: int
    headers: Message
    body: str


@pytest.fixture
def multi(database_url: str, clock: FrozenClock) -> Iterator[AppHarness]:
    with AppHarness(database_url, clock, env=OAUTH_ENV) as harness:
        yield harness


def get(app: AppHarness, path: str, *, cookie: str | None = None) -> Page:
    headers = {"Cookie": cookie} if cookie else {}
    request = urllib.request.Request(f"{app.driver.app_url}{path}", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return Page(response.status, response.headers, response.read().decode())
    except urllib.error.HTTPError as error:
        return Page(error.code, error.headers, error.read().decode())


def begin_install(app: AppHarness) -> tuple[str, str]:
    """Open the install page as a browser: the state in its Add to Slack link, and the
    cookie that ties the state to this browser."""
    page = get(app, "/slack/install")
    assert page.status == 200 and "Add to Slack" in page.body
    link = html.unescape(re.search(r'href="([^"]+)"', page.body)[1])  # type: ignore[index]
    query = parse_qs(urlsplit(link).query)
    assert set(query["scope"][0].split(",")) == set(BOT_SCOPES)
    cookie = page.headers["Set-Cookie"].split(";")[0]
    return query["state"][0], cookie


def install(app: AppHarness, grant: Grant, *, code: str) -> Page:
    app.fake.grant(code, grant)
    state, cookie = begin_install(app)
    return get(
        app, "/slack/oauth_redirect?" + urlencode({"code": code, "state": state}), cookie=cookie
    )


def install_both(app: AppHarness) -> tuple[SlackDriver, SlackDriver]:
    for team, token, name in ((ALPHA, ALPHA_TOKEN, "Alpha"), (BETA, BETA_TOKEN, "Beta")):
        page = install(app, Grant(team, name, token), code=f"code-{team}")
        assert page.status == 200, page.body
        assert f"Lessonloop is now in {name}" in page.body
    return app.driver.in_workspace(ALPHA), app.driver.in_workspace(BETA)


def stored_rows(app: AppHarness, table: Any) -> int:
    with app.services.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(table)) or 0)


def test_two_workspaces_run_reviews_at_once_each_call_with_its_own_token(
    multi: AppHarness,
) -> None:
    alpha, beta = install_both(multi)
    installed_at = len(multi.fake.calls_with_tokens())
    reviews = [
        Review(multi, channel="C0ALPHA01", driver=alpha),
        Review(multi, channel="C0BETA001", driver=beta),
    ]
    for review in reviews:
        review.start("Checkout outage")
    for review in reviews:
        review.reply("Checkout failed for 20 minutes", user="U0BEA0002")
    for review in reviews:
        review.next_step(1)
    for review in reviews:
        review.press("Step 2 of 6", ActionId.PHASE_BACK)
        review.wait_for_prompt("Step 1 of 6")

    calls = multi.fake.calls_with_tokens()[installed_at:]
    expected = {"C0ALPHA01": ALPHA_TOKEN, "C0BETA001": BETA_TOKEN}
    in_channels = [c for c in calls if c.params.get("channel") in expected]
    assert {c.params["channel"] for c in in_channels} == set(expected)
    for call in in_channels:
        assert call.token == expected[call.params["channel"]], (call.method, call.params)
    assert {c.token for c in calls if c.method != "response_url"} <= {ALPHA_TOKEN, BETA_TOKEN}
    with multi.services.sessions() as session:
        from models.postmortems.tables import Postmortem

        teams = dict(session.execute(select(Postmortem.channel_id, Postmortem.team_id)).all())
    assert teams == {"C0ALPHA01": ALPHA, "C0BETA001": BETA}


def test_forged_replayed_denied_and_refused_installs_get_a_page_and_store_nothing(
    multi: AppHarness,
) -> None:
    fake = multi.fake
    # A state nobody issued, with a cookie that matches it: unknown to the state store.
    forged = get(
        multi,
        "/slack/oauth_redirect?code=code-x&state=made-up",
        cookie="slack-app-oauth-state=made-up",
    )
    # A real state without the browser's cookie (another browser).
    state, _cookie = begin_install(multi)
    other_browser = get(multi, f"/slack/oauth_redirect?code=code-x&state={state}")
    denied = get(multi, f"/slack/oauth_redirect?error=access_denied&state={state}")
    assert (forged.status, other_browser.status, denied.status) == (400, 400, 400)
    assert "expired or was already used" in forged.body
    assert "not for this browser" in other_browser.body
    assert "chose not to allow" in denied.body
    assert fake.calls_to("oauth.v2.access") == []

    # Slack refuses the code at oauth.v2.access.
    state, cookie = begin_install(multi)
    refused = get(multi, f"/slack/oauth_redirect?code=never-granted&state={state}", cookie=cookie)
    assert refused.status == 400 and "Slack refused the install" in refused.body

    # An org-wide install on Enterprise Grid: refused, its token given back.
    org = Grant("", "Org", "xoxb-org", enterprise_id="E0ORG0001", org_wide=True)
    org_page = install(multi, org, code="code-org")
    assert org_page.status == 400 and "Install Lessonloop in each workspace" in org_page.body
    assert [c.token for c in fake.calls_with_tokens() if c.method == "auth.revoke"] == ["xoxb-org"]
    assert stored_rows(multi, slack_bots) == stored_rows(multi, slack_installations) == 0

    # A good install, then the same redirect again (replayed): the second is refused.
    fake.grant("code-good", Grant(BETA, "Beta", BETA_TOKEN))
    state, cookie = begin_install(multi)
    redirect = "/slack/oauth_redirect?" + urlencode({"code": "code-good", "state": state})
    assert get(multi, redirect, cookie=cookie).status == 200
    fake.grant("code-good", Grant(BETA, "Beta", "xoxb-beta-replayed"))
    replayed = get(multi, redirect, cookie=cookie)
    assert replayed.status == 400 and "expired or was already used" in replayed.body
    assert stored_rows(multi, slack_bots) == 1
    assert "code-good" in fake.grants  # the replay never reached oauth.v2.access
    # Each state that reached the store was used once and is gone; only the one the other
    # browser held (refused before the store was asked) waits to expire.
    assert stored_rows(multi, slack_oauth_states) == 1


def seed_reminders(app: AppHarness, driver: SlackDriver, team_id: str, channel: str) -> None:
    app.fake.add_channel(channel, "ops", members=(FACILITATOR,))
    command = "review set monthly first tuesday 10:00 Europe/London lead 7"
    assert driver.command(command, user=FACILITATOR, channel=channel).status == 200
    app.fake.wait_for(
        lambda: app.services.meetings.schedules_of(team_id=team_id, channel_ids={channel}),
        what=f"schedule of {team_id}",
    )
    services = app.services
    pm = services.postmortems.start(
        team_id=team_id,
        channel_id=channel,
        thread_ref=f"{time.time():.6f}",
        posted_at=time_of(f"{time.time():.6f}"),
        title="Release 4.2 retro",
        facilitator_id=FACILITATOR,
    )
    services.actions.add(
        team_id=team_id,
        postmortem_id=pm.id,
        description=f"Canary for {team_id}",
        owner_id=f"U0OWN{team_id[-3:]}",
        target_on=TODAY + timedelta(days=20),
        lesson_id=None,
        created_by=FACILITATOR,
        today=TODAY,
    )


def pending_reminders(app: AppHarness) -> dict[str, int]:
    with app.services.sessions() as session:
        return dict(
            session.execute(
                select(Delivery.team_id, func.count())
                .where(Delivery.kind == REMIND_DELIVERY, Delivery.status == DeliveryStatus.PENDING)
                .group_by(Delivery.team_id)
            ).all()
        )


def test_uninstall_stops_that_workspaces_reminder_and_its_data_goes_after_retention(
    multi: AppHarness, clock: FrozenClock
) -> None:
    alpha, beta = install_both(multi)
    seed_reminders(multi, alpha, ALPHA, "C0OPSALPH")
    seed_reminders(multi, beta, BETA, "C0OPSBETA")
    clock.set(REVIEW_AT - timedelta(days=7))
    multi.services.meetings.plan()
    assert pending_reminders(multi) == {ALPHA: 1, BETA: 1}

    assert beta.event({"type": "app_uninstalled"}).status == 200
    multi.fake.wait_for(
        lambda: multi.services.lifecycle.stopped_since(team_id=BETA), what="beta stopped"
    )
    assert pending_reminders(multi) == {ALPHA: 1}
    assert multi.lessonloop is not None
    with pytest.raises(NotInstalled):
        multi.lessonloop.courier._clients.for_workspace(BETA)

    sent_from = len(multi.fake.calls_with_tokens())
    tick(multi.lessonloop.courier, multi.services.meetings.plan)
    calls = multi.fake.calls_with_tokens()[sent_from:]
    reminders = [c for c in calls if c.method == "chat.postMessage"]
    assert reminders and all(c.token == ALPHA_TOKEN for c in calls)
    assert any("Canary for " + ALPHA in str(c.params) for c in reminders)
    assert not any(BETA in str(c.params) for c in calls)
    # Planning again owes Beta nothing that could be sent: recorded, never retried.
    with multi.services.sessions() as session:
        beta_errors = set(
            session.scalars(select(Delivery.last_error).where(Delivery.team_id == BETA))
        )
    assert beta_errors <= {None, "workspace stopped: app_uninstalled", NOT_INSTALLED}

    lifecycle = multi.services.lifecycle
    alpha_rows = lifecycle.count(team_id=ALPHA)
    assert lifecycle.count(team_id=BETA)  # kept during the retention period
    clock.advance(timedelta(days=29))
    tick(multi.lessonloop.courier, multi.services.meetings.plan, purge=lifecycle.purge_expired)
    assert lifecycle.count(team_id=BETA)
    clock.advance(timedelta(days=1, seconds=1))
    tick(multi.lessonloop.courier, multi.services.meetings.plan, purge=lifecycle.purge_expired)
    assert lifecycle.count(team_id=BETA) == {}
    after = lifecycle.count(team_id=ALPHA)
    # Alpha lost nothing (ticks may have added to it: people's time zones, sent messages).
    assert all(after.get(table, 0) >= rows for table, rows in alpha_rows.items()), after
    assert after.keys() >= {"slack_bots", "slack_installations", "postmortems", "actions"}


def test_reinstall_within_retention_finds_everything_and_uses_the_new_token(
    multi: AppHarness, clock: FrozenClock
) -> None:
    _alpha, beta = install_both(multi)
    review = Review(multi, channel="C0BETA001", driver=beta)
    review.start("Checkout outage")
    assert beta.event({"type": "tokens_revoked", "tokens": {"bot": ["UBOT0001"]}}).status == 200
    lifecycle = multi.services.lifecycle
    multi.fake.wait_for(lambda: lifecycle.stopped_since(team_id=BETA), what="beta stopped")
    before = lifecycle.count(team_id=BETA)
    assert "slack_bots" not in before  # its tokens are gone at once

    clock.advance(timedelta(days=20))
    page = install(multi, Grant(BETA, "Beta", "xoxb-beta-2"), code="code-again")
    assert page.status == 200
    assert lifecycle.stopped_since(team_id=BETA) is None
    clock.advance(timedelta(days=20))
    assert lifecycle.purge_expired() == []
    after = lifecycle.count(team_id=BETA)
    assert after["postmortems"] == before["postmortems"]

    sent_from = len(multi.fake.calls_with_tokens())
    review.press("Step 1 of 6", ActionId.PHASE_NEXT)
    review.wait_for_prompt("Step 2 of 6")
    tokens = {c.token for c in multi.fake.calls_with_tokens()[sent_from:] if c.token}
    assert tokens == {"xoxb-beta-2"}


def test_a_revoked_token_stops_that_workspace_once_and_never_loops(multi: AppHarness) -> None:
    alpha, beta = install_both(multi)
    multi.fake.revoked_tokens.add(BETA_TOKEN)
    multi.fake.add_channel("C0BETA001", "incidents", members=(FACILITATOR,))
    assert beta.command("start Outage", user=FACILITATOR, channel="C0BETA001").status == 200
    lifecycle = multi.services.lifecycle
    multi.fake.wait_for(lambda: lifecycle.stopped_since(team_id=BETA), what="beta stopped")
    with multi.services.sessions() as session:
        failed = session.execute(
            select(Delivery.status, Delivery.last_error).where(Delivery.team_id == BETA)
        ).all()
    assert failed and all(status is DeliveryStatus.FAILED for status, _ in failed)
    assert "token_revoked" in {error for _, error in failed}

    assert multi.lessonloop is not None
    beta_calls = len([c for c in multi.fake.calls_with_tokens() if c.token == BETA_TOKEN])
    for _ in range(3):
        multi.lessonloop.courier.deliver_due()
    assert len([c for c in multi.fake.calls_with_tokens() if c.token == BETA_TOKEN]) == beta_calls

    Review(multi, channel="C0ALPHA01", driver=alpha).start("Still fine here")
    assert lifecycle.stopped_since(team_id=ALPHA) is None


def ephemeral_texts(app: AppHarness) -> list[str]:
    return [str(p.get("text", "")) for p in app.fake.calls_to("response_url")]


@pytest.mark.parametrize("mode", ["single", "multi"])
def test_forget_workspace_is_for_admins_and_asks_to_confirm(
    database_url: str, clock: FrozenClock, mode: str
) -> None:
    env = OAUTH_ENV if mode == "multi" else {}
    with AppHarness(database_url, clock, env=env) as app:
        driver = install_both(app)[0] if mode == "multi" else app.driver
        Review(app, channel="C0ALPHA01", driver=driver).start("Checkout outage")
        lifecycle = app.services.lifecycle

        def kept() -> dict[str, int]:
            """The workspace's records, but for the inbox: each command is stored there
            (on PostgreSQL in the database itself), so its count grows with them."""
            counts = lifecycle.count(team_id=ALPHA)
            counts.pop("inbound_events", None)
            return counts

        before = kept()
        other = app.services.postmortems.start(
            team_id=BETA, channel_id="C0BETA001", title="Elsewhere", facilitator_id="U0X01"
        )
        forget = f"forget-workspace confirm {ALPHA}"

        driver.command(forget, user="U0BEA0002", channel="C0ALPHA01")
        app.fake.wait_for(lambda: any("Only workspace admins" in t for t in ephemeral_texts(app)))
        app.fake.admins.add("U0ADMIN01")
        driver.command("forget-workspace", user="U0ADMIN01", channel="C0ALPHA01")
        asked = app.fake.wait_for(
            lambda: [t for t in ephemeral_texts(app) if "cannot be undone" in t]
        )[0]
        assert f"`/postmortem forget-workspace confirm {ALPHA}`" in asked
        # Another workspace's id does not confirm this one.
        driver.command(f"forget-workspace confirm {BETA}", user="U0ADMIN01", channel="C0ALPHA01")
        app.fake.wait_for(
            lambda: len([t for t in ephemeral_texts(app) if "cannot be undone" in t]) == 2
        )
        assert kept() == before

        driver.command(forget, user="U0ADMIN01", channel="C0ALPHA01")
        app.fake.wait_for(lambda: any("Deleted all" in t for t in ephemeral_texts(app)))
        assert lifecycle.count(team_id=ALPHA) == {}
        assert app.services.postmortems.get(team_id=BETA, postmortem_id=other.id).title == (
            "Elsewhere"
        )


SAME_CHANNEL, SAME_USER = "C0SAME001", "U0SAME001"


def seed_workspace(app: AppHarness, team_id: str, word: str) -> None:
    """A review with a lesson and an action, in a channel and by a person whose ids are
    the same in both workspaces: only the workspace tells them apart."""
    services = app.services
    services.lessons.remember_channel(
        team_id=team_id, channel_id=SAME_CHANNEL, name="incidents", is_private=False
    )
    pm = services.postmortems.start(
        team_id=team_id,
        channel_id=SAME_CHANNEL,
        thread_ref=f"{time.time():.6f}",
        posted_at=time_of(f"{time.time():.6f}"),
        title=f"Release {word} retro",
        facilitator_id=SAME_USER,
    )
    services.lessons.capture(
        team_id=team_id,
        channel_id=SAME_CHANNEL,
        author_id=SAME_USER,
        text=f"Canary the {word} rollout",
        kind=LessonKind.IMPROVE,
    )
    services.actions.add(
        team_id=team_id,
        postmortem_id=pm.id,
        description=f"Add the {word} canary stage",
        owner_id=SAME_USER,
        target_on=TODAY + timedelta(days=3),
        lesson_id=None,
        created_by=SAME_USER,
        today=TODAY,
    )


def test_nothing_crosses_workspaces_on_any_surface(multi: AppHarness) -> None:
    alpha, _beta = install_both(multi)
    fake = multi.fake
    fake.add_channel(SAME_CHANNEL, "incidents", members=(SAME_USER,))
    seed_workspace(multi, ALPHA, "alphaword")
    seed_workspace(multi, BETA, "betaword")
    start = len(fake.calls_with_tokens())

    def seen(method: str, word: str = "alphaword") -> list[Any]:
        return [
            c for c in fake.calls_with_tokens()[start:] if c.method == method and word in str(c)
        ]

    # Search, /actions, a report, the programme-board summary, the CSV export, Home.
    alpha.command("canary", user=SAME_USER, channel=SAME_CHANNEL, command="/lessons")
    fake.wait_for(lambda: seen("response_url", "Canary the alphaword"), what="search")
    alpha.command("all", user=SAME_USER, channel=SAME_CHANNEL, command="/actions")
    fake.wait_for(lambda: seen("response_url", "Add the alphaword canary"), what="/actions")
    alpha.command("report", user=SAME_USER, channel=SAME_CHANNEL)
    alpha.command("summary", user=SAME_USER, channel=SAME_CHANNEL)
    fake.wait_for(lambda: seen("chat.postMessage", "summary"), what="board summary")
    alpha.command("export actions", user=SAME_USER, channel=SAME_CHANNEL)
    alpha.event({"type": "app_home_opened", "user": SAME_USER, "tab": "home"})
    fake.wait_for(lambda: seen("views.publish", "alphaword"), what="Home tab")
    files = fake.wait_for(
        lambda: [f for f in fake.files.values() if f.content and f.filename.endswith(".csv")],
        what="CSV export",
    )
    fake.wait_for(
        lambda: len([f for f in fake.files.values() if f.content]) >= 5,  # report, board, CSV
        what="report, board and CSV files",
    )

    calls = fake.calls_with_tokens()[start:]
    assert calls and all(c.token in (ALPHA_TOKEN, None) for c in calls)
    assert not [c.method for c in calls if "betaword" in str(c.params)]
    uploaded = [f.content or b"" for f in fake.files.values()]
    assert any(b"alphaword" in content for content in uploaded)
    assert not any(b"betaword" in content for content in uploaded)
    assert b"alphaword" in (files[0].content or b"")
