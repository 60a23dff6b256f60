"""A workspace stopped, kept for the retention period, deleted or exported: its rows and
never another workspace's."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import Table, func, insert, select

from handlers.slack.messages import time_of
from models.core.base import Base
from models.core.clock import FrozenClock
from models.core.installations import SECRET_COLUMNS, slack_bots, slack_installations
from models.core.lifecycle import is_shared, workspace_condition
from models.core.outbox import HOME_DELIVERY, enqueue
from models.core.tables import Delivery, DeliveryStatus
from models.lessons.tables import LessonKind
from models.postmortems.phases import Phase
from models.postmortems.service import Move
from models.services import Services
from tests.references import as_stored

KEPT, GONE = "T0KEPT", "T0GONE"


def fill(services: Services, team_id: str) -> None:
    """Rows in most tables: a review moved on (steps), a lesson, an owed message, a token."""
    pm = services.postmortems.start(
        team_id=team_id,
        channel_id="C0INC",
        thread_ref="1795168800.000100",
        posted_at=time_of("1795168800.000100"),
        title="Checkout outage",
        facilitator_id="U0FACIL",
    )
    services.postmortems.move(
        team_id=team_id,
        postmortem_id=pm.id,
        from_phase=Phase.IMPACT,
        move=Move.NEXT,
        by_user="U0FACIL",
    )
    services.lessons.capture(
        team_id=team_id,
        channel_id="C0INC",
        author_id="U0BEA",
        text="Canary every config change",
        kind=LessonKind.IMPROVE,
    )
    services.workspaces.change(team_id=team_id, by_user="U0ADMIN", timezone="Europe/Paris")
    now, stored = services.clock.now(), as_stored(services, team_id)
    with services.sessions.begin() as session:
        enqueue(
            session,
            team_id=stored,
            kind=HOME_DELIVERY,
            recipient_id=as_stored(services, "U0BEA"),
            dedupe_key=f"home:{stored}",
            due_at=now + timedelta(hours=1),
            now=now,
        )
        if stored != team_id:
            return  # the token tables are Slack's; a Teams-shaped run has none
        for table in (slack_installations, slack_bots):
            values = {
                "client_id": "111.222",
                "app_id": "A0APP",
                "team_id": team_id,
                "bot_token": f"xoxb-{team_id}",
                "is_enterprise_install": False,
                "installed_at": now.replace(tzinfo=None),
            }
            if table is slack_installations:
                values["user_id"] = "U0ADMIN"
            session.execute(insert(table).values(**values))


def rows_of(services: Services, team_id: str) -> dict[str, int]:
    return dict(services.lifecycle.count(team_id=team_id))


def test_every_table_is_scoped_to_a_workspace_or_shared() -> None:
    for table in Base.metadata.sorted_tables:
        assert isinstance(table, Table)
        scoped = workspace_condition(table, "T0ANY") is not None
        assert scoped or is_shared(table), table.name


def test_delete_removes_every_row_of_the_workspace_and_none_of_another(
    services: Services,
) -> None:
    fill(services, KEPT)
    fill(services, GONE)
    before = rows_of(services, KEPT)
    assert {"postmortems", "postmortem_steps", "lessons", "deliveries", "workspaces"} <= set(before)
    if as_stored(services, KEPT) == KEPT:
        assert {"slack_bots", "slack_installations"} <= set(before)

    deleted = services.lifecycle.delete(team_id=GONE)

    assert deleted.rows == rows_of(services, KEPT)  # the same shape of data, all of it gone
    assert rows_of(services, GONE) == {}
    assert rows_of(services, KEPT) == before
    with services.sessions() as session:
        steps = session.scalar(
            select(func.count()).select_from(Base.metadata.tables["postmortem_steps"])
        )
    assert steps == before["postmortem_steps"]


def test_stopping_cancels_pending_deliveries_of_that_workspace_only(
    services: Services, clock: FrozenClock
) -> None:
    fill(services, KEPT)
    fill(services, GONE)

    stopped = services.lifecycle.stopped(team_id=GONE, reason="app_uninstalled")

    assert stopped.cancelled_deliveries >= 1
    with services.sessions() as session:
        pending = dict(
            session.execute(
                select(Delivery.team_id, func.count())
                .where(Delivery.status == DeliveryStatus.PENDING)
                .group_by(Delivery.team_id)
            ).all()
        )
    assert as_stored(services, GONE) not in pending
    assert pending[as_stored(services, KEPT)] >= 1
    assert services.lifecycle.stopped_since(team_id=GONE) == clock.now()
    assert services.lifecycle.stopped_since(team_id=KEPT) is None


def test_purge_waits_for_the_retention_period(services: Services, clock: FrozenClock) -> None:
    fill(services, KEPT)
    fill(services, GONE)
    services.lifecycle.stopped(team_id=GONE, reason="app_uninstalled")
    clock.advance(timedelta(days=29, hours=23))
    services.lifecycle.stopped(team_id=GONE, reason="tokens_revoked")  # the first stop counts

    assert services.lifecycle.purge_expired() == []
    clock.advance(timedelta(hours=1))
    purged = services.lifecycle.purge_expired()

    assert [d.team_id for d in purged] == [GONE] and purged[0].total > 0
    assert rows_of(services, GONE) == {}
    assert rows_of(services, KEPT) != {}
    assert services.lifecycle.purge_expired() == []


def test_reinstall_within_retention_keeps_everything(
    services: Services, clock: FrozenClock
) -> None:
    fill(services, GONE)
    services.lifecycle.stopped(team_id=GONE, reason="app_uninstalled")
    clock.advance(timedelta(days=10))
    services.lifecycle.installed(team_id=GONE)
    clock.advance(timedelta(days=40))

    assert services.lifecycle.purge_expired() == []
    assert services.lifecycle.stopped_since(team_id=GONE) is None
    assert services.workspaces.settings(team_id=GONE).timezone == "Europe/Paris"


def test_export_has_every_row_of_the_workspace_and_no_token(services: Services) -> None:
    fill(services, KEPT)
    fill(services, GONE)

    exported = services.lifecycle.export(team_id=GONE)

    text = json.dumps(exported)  # JSON-ready as it is
    assert "xoxb-" not in text and KEPT not in text
    counts = {name: len(rows) for name, rows in exported["tables"].items() if rows}
    assert counts == rows_of(services, GONE)
    if as_stored(services, GONE) == GONE:
        bots = exported["tables"]["slack_bots"]
        assert bots and not SECRET_COLUMNS & set(bots[0])
    assert exported["tables"]["lessons"][0]["text"] == "Canary every config change"
