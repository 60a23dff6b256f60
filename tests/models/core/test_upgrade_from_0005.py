"""A database at revision 0005, full of what people made, brought to the newest schema by
the app's own upgrade: every row is still there, read back through the services, with
Slack message times turned into the exact datetimes they stood for."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy import Connection, Engine, select

from models.actions.tables import ActionEvent, ActionStatus
from models.core.clock import FrozenClock
from models.core.db import alembic_config, make_engine, upgrade_schema
from models.core.references import Platform
from models.core.tables import HandledEvent
from models.core.text import Said
from models.followup.meetings import REMIND_DELIVERY
from models.followup.tables import MeetingReminder
from models.followup.views import TrendPoint, Unreachable
from models.lessons.library import parse_query
from models.lessons.tables import Lesson, LessonKind
from models.postmortems.phases import Phase
from models.postmortems.service import STEP_DONE_DELIVERY
from models.postmortems.tables import PostmortemStatus
from models.services import Services
from tests.conftest import BACKENDS, PG_URL
from tests.databases import alembic_versions, empty_postgresql_schema

NOW = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
TODAY = NOW.date()
TEAM = "T0LEGACY1"
PAYMENTS, SECRET = "C0PAYMENTS", "C0SECRET1"
FACIL, BEA, CAI, GONE = "U0FACIL01", "U0BEA0002", "U0CAI0003", "U0GONE009"


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


# Slack times as stored at 0005, and the instants they stand for (worked out by hand).
PM1_THREAD = "1794992400.000100"  # 2026-11-18 09:00:00.000100
PM2_THREAD = "1795096800.000200"  # 2026-11-19 14:00:00.000200
PM2_THREAD_AT = at(2026, 11, 19, 14, 0, 0, 200)
PM3_THREAD = "1794297600.000001"  # 2026-11-10 08:00:00.000001
PM2_PROMPT = "1795097100.000300"
PM1_CLOSED_AT = at(2026, 11, 18, 10, 30)
ANSWERS = {
    # id: (postmortem, phase, author, text, message_ts, said_at)
    10: (1, "impact", BEA, "checkout failed for 40 minutes", "1794992460.123456",
         at(2026, 11, 18, 9, 1, 0, 123456)),
    11: (1, "impact", CAI, "p99 doubled first", "1794992430.000001",
         at(2026, 11, 18, 9, 0, 30, 1)),
    12: (1, "went_well", BEA, "the rollback runbook worked", "1794992700.500000",
         at(2026, 11, 18, 9, 5, 0, 500000)),
    13: (1, "improve", CAI, "no canary for config changes #deploys", "1794992760.999999",
         at(2026, 11, 18, 9, 6, 0, 999999)),
    14: (1, "actions", FACIL, "action: add a config canary @U0CAI0003 by 2026-12-01",
         "1794992820.000000", at(2026, 11, 18, 9, 7)),
    15: (2, "impact", BEA, "the release went out a day late", "1795096900.000001",
         at(2026, 11, 19, 14, 1, 40, 1)),
    16: (3, "improve", CAI, "rotate the vault token before it expires", "1794297700.250000",
         at(2026, 11, 10, 8, 1, 40, 250000)),
}  # fmt: skip
REVIEW1_AT, REVIEW2_AT = at(2026, 11, 17, 10), at(2026, 11, 24, 10)
LISTED_AT = at(2026, 11, 17, 10)


def rows_at_0005() -> dict[str, list[dict[str, Any]]]:
    """Every table that exists at 0005, with rows shaped as 0005 had them."""
    created = at(2026, 11, 18, 8, 55)
    postmortem = {
        "team_id": TEAM,
        "kind": "incident",
        "facilitator_id": FACIL,
        "status": "closed",
        "phase": "wrap_up",
        "prompt_ts": None,
        "skipped_phases": [],
        "closed_at": None,
    }
    return {
        "postmortems": [
            postmortem
            | {
                "id": 1,
                "channel_id": PAYMENTS,
                "thread_ts": PM1_THREAD,
                "permalink": "https://legacy.slack.test/archives/C0PAYMENTS/p1794992400000100",
                "title": "Checkout outage",
                "skipped_phases": ["timeline"],
                "created_at": created,
                "updated_at": PM1_CLOSED_AT,
                "closed_at": PM1_CLOSED_AT,
            },
            postmortem
            | {
                "id": 2,
                "channel_id": PAYMENTS,
                "thread_ts": PM2_THREAD,
                "permalink": None,
                "title": "Release 4.2 retro",
                "kind": "release",
                "status": "open",
                "phase": "went_well",
                "prompt_ts": PM2_PROMPT,
                "created_at": at(2026, 11, 19, 13, 59),
                "updated_at": at(2026, 11, 19, 14, 5),
            },
            postmortem
            | {
                "id": 3,
                "channel_id": SECRET,
                "thread_ts": PM3_THREAD,
                "permalink": None,
                "title": "Vault token expiry",
                "created_at": at(2026, 11, 10, 7, 59),
                "updated_at": at(2026, 11, 10, 9),
                "closed_at": at(2026, 11, 10, 9),
            },
        ],
        "answers": [
            {
                "id": answer_id,
                "team_id": TEAM,
                "postmortem_id": pm,
                "phase": phase,
                "author_id": author,
                "text": text,
                "message_ts": ts,
                "event_id": f"Ev0ANSWER{answer_id}",
                # Processed in id order, not in the order they were written.
                "created_at": created + timedelta(minutes=answer_id),
                "updated_at": created + timedelta(minutes=answer_id),
            }
            for answer_id, (pm, phase, author, text, ts, _) in ANSWERS.items()
        ],
        "lessons": [
            lesson(1, PAYMENTS, 1, 12, "keep", ANSWERS[12][3], BEA, []),
            lesson(2, PAYMENTS, 1, 13, "improve", ANSWERS[13][3], CAI, ["deploys"]),
            lesson(3, SECRET, 3, 16, "improve", ANSWERS[16][3], CAI, []),
            lesson(4, PAYMENTS, None, None, "keep", "pairing on the hotfix kept it calm", BEA, [])
            | {
                "source_ts": "1795150000.000400",
                "source_permalink": "https://legacy.slack.test/archives/C0PAYMENTS/p1",
            },
        ],
        "lesson_drafts": [
            {
                "id": 1,
                "team_id": TEAM,
                "channel_id": PAYMENTS,
                "author_id": BEA,
                "text": "read the runbook before paging",
                "created_at": NOW - timedelta(hours=1),
            }
        ],
        "actions": [
            action(1, 1, 14, "add a config canary", CAI, date(2026, 12, 1), "open", None),
            action(2, 1, None, "write the rollback runbook", BEA, None, "done", at(2026, 11, 19)),
            action(3, 1, None, "alert on p99", BEA, date(2026, 11, 15), "in_progress", None),
        ],
        "action_events": [
            history(1, 1, FACIL, at(2026, 11, 18, 9, 7), "created", None, None),
            history(2, 2, BEA, at(2026, 11, 18, 10, 0), "created", None, None),
            history(3, 2, BEA, at(2026, 11, 19), "status", "open", "done"),
            history(4, 3, BEA, at(2026, 11, 16), "status", "open", "in_progress"),
        ],
        "timeline_entries": [
            {
                "id": 1,
                "team_id": TEAM,
                "channel_id": PAYMENTS,
                "postmortem_id": 1,
                "text": "08:12 deploy of the new ranking model",
                "occurred_at": at(2026, 11, 18, 8, 12),
                "author_id": CAI,
                "added_by": BEA,
                "source_ts": "1794989520.000200",
                "source_permalink": "https://legacy.slack.test/archives/C0PAYMENTS/p2",
                "created_at": at(2026, 11, 18, 9, 3),
            }
        ],
        "coach_nudges": [
            {
                "id": 1,
                "team_id": TEAM,
                "postmortem_id": 1,
                "phase": "impact",
                "user_id": CAI,
                "created_at": at(2026, 11, 18, 9, 2),
            }
        ],
        "slack_channels": [
            channel(PAYMENTS, "payments", False, NOW - timedelta(hours=1)),
            channel(SECRET, "secret-ops", True, NOW - timedelta(hours=2)),
        ],
        "slack_events": [
            {"event_id": "Ev0LEGACY01", "team_id": TEAM, "received_at": NOW - timedelta(minutes=9)}
        ],
        "people": [{"team_id": TEAM, "user_id": BEA, "tz": "Europe/Paris", "fetched_at": NOW}],
        "channel_settings": [
            {
                "team_id": TEAM,
                "channel_id": SECRET,
                "coach_enabled": False,
                "updated_by": FACIL,
                "updated_at": at(2026, 11, 15),
            }
        ],
        "review_schedules": [
            {
                "team_id": TEAM,
                "channel_id": PAYMENTS,
                "cadence": "weekly",
                "weekday": 1,
                "week_of_month": None,
                "day_of_month": None,
                "local_time": "10:00",
                "timezone": "Europe/London",
                "lead_days": 7,
                "followup_days": 1,
                "anchor_on": None,
                "updated_by": FACIL,
                "updated_at": at(2026, 11, 1),
            }
        ],
        "reviews": [
            review(1, REVIEW1_AT)
            | {"snapshot_at": REVIEW1_AT, "open_actions": 5, "open_lessons": 3},
            review(2, REVIEW2_AT) | {"reminders_planned_at": LISTED_AT},
        ],
        "review_reminders": [
            {
                "review_id": 2,
                "owner_id": BEA,
                "team_id": TEAM,
                "dm_channel": "D0BEA0002",
                "dm_ts": "1795428000.000900",
                "sent_at": LISTED_AT,
            }
        ],
        "review_items": [
            {
                "id": 1,
                "team_id": TEAM,
                "review_id": 2,
                "owner_id": BEA,
                "action_id": 3,
                "listed_at": LISTED_AT,
            }
        ],
        "deliveries": [
            delivery(1, STEP_DONE_DELIVERY, PAYMENTS, 2, "pending", None)
            | {
                "payload": {
                    "prompt_ts": PM2_PROMPT,
                    "phase": "impact",
                    "skipped": False,
                    "by": FACIL,
                }
            },
            delivery(2, REMIND_DELIVERY, GONE, 2, "failed", "user_not_found"),
        ],
        "board_summaries": [
            {
                "id": 1,
                "team_id": TEAM,
                "channel_id": PAYMENTS,
                "posted_in": PAYMENTS,
                "posted_by": FACIL,
                "period": "since 1 November",
                "posted_at": at(2026, 11, 15, 12),
            }
        ],
    }


def lesson(
    lesson_id: int,
    channel_id: str,
    postmortem_id: int | None,
    answer_id: int | None,
    kind: str,
    text: str,
    author: str,
    tags: list[str],
) -> dict[str, Any]:
    created = at(2026, 11, 18, 9, 30) + timedelta(minutes=lesson_id)
    return {
        "id": lesson_id,
        "team_id": TEAM,
        "channel_id": channel_id,
        "postmortem_id": postmortem_id,
        "answer_id": answer_id,
        "kind": kind,
        "text": text,
        "author_id": author,
        "tags": tags,
        "created_at": created,
        "updated_at": created,
        "source_ts": None,
        "source_permalink": None,
    }


def action(
    action_id: int,
    postmortem_id: int,
    answer_id: int | None,
    description: str,
    owner: str,
    target_on: date | None,
    status: str,
    closed_at: datetime | None,
) -> dict[str, Any]:
    return {
        "id": action_id,
        "team_id": TEAM,
        "channel_id": PAYMENTS,
        "postmortem_id": postmortem_id,
        "lesson_id": None,
        "answer_id": answer_id,
        "description": description,
        "owner_id": owner,
        "target_on": target_on,
        "status": status,
        "created_by": FACIL,
        "created_at": at(2026, 11, 18, 9, 7),
        "updated_at": closed_at or at(2026, 11, 16),
        "closed_at": closed_at,
    }


def history(
    event_id: int,
    action_id: int,
    actor: str,
    when: datetime,
    what: str,
    old: str | None,
    new: str | None,
) -> dict[str, Any]:
    return {
        "id": event_id,
        "team_id": TEAM,
        "action_id": action_id,
        "actor_id": actor,
        "at": when,
        "what": what,
        "old_value": old,
        "new_value": new,
        "note": None,
    }


def channel(channel_id: str, name: str, is_private: bool, checked_at: datetime) -> dict[str, Any]:
    return {
        "team_id": TEAM,
        "channel_id": channel_id,
        "name": name,
        "is_private": is_private,
        "checked_at": checked_at,
    }


def review(review_id: int, scheduled_at: datetime) -> dict[str, Any]:
    return {
        "id": review_id,
        "team_id": TEAM,
        "channel_id": PAYMENTS,
        "scheduled_at": scheduled_at,
        "reminders_planned_at": None,
        "followups_planned_at": None,
        "agenda_planned_at": None,
        "snapshot_at": None,
        "open_actions": None,
        "open_lessons": None,
        "created_at": scheduled_at - timedelta(days=8),
    }


def delivery(
    delivery_id: int, kind: str, recipient: str, subject: int, status: str, error: str | None
) -> dict[str, Any]:
    return {
        "id": delivery_id,
        "team_id": TEAM,
        "kind": kind,
        "recipient_id": recipient,
        "subject_id": subject,
        "payload": {},
        "dedupe_key": f"legacy:{delivery_id}",
        "status": status,
        "due_at": NOW - timedelta(minutes=1),
        "claimed_until": None,
        "attempts": 0 if error is None else 1,
        "last_error": error,
        "created_at": NOW - timedelta(minutes=1),
        "sent_at": None,
    }


def _type_of(value: object) -> sa.types.TypeEngine[Any] | None:
    if isinstance(value, datetime):
        return sa.DateTime(timezone=True)
    if isinstance(value, date):
        return sa.Date()
    if isinstance(value, bool):
        return sa.Boolean()
    if isinstance(value, dict | list):
        return sa.JSON()
    return None


def insert_rows(connection: Connection, table: str, rows: list[dict[str, Any]]) -> None:
    """Plain INSERTs into the table as it is at 0005, typed from the values given."""
    types: dict[str, sa.types.TypeEngine[Any] | None] = {}
    for row in rows:
        for name, value in row.items():
            if types.get(name) is None:
                types[name] = _type_of(value)
    target = sa.table(table, *(sa.column(name, kind) for name, kind in types.items()))
    connection.execute(sa.insert(target), rows)


@pytest.fixture(params=BACKENDS)
def url_at_0005(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'legacy.db'}"
        fill_at_0005(url)
        yield url
        return
    with empty_postgresql_schema(PG_URL) as url:
        fill_at_0005(url)
        yield url


def fill_at_0005(url: str) -> None:
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            config = alembic_config(url)
            config.attributes["connection"] = connection
            command.upgrade(config, "0005")
        with engine.begin() as connection:
            for table, rows in rows_at_0005().items():
                insert_rows(connection, table, rows)
            if connection.dialect.name == "postgresql":
                # Rows inserted with explicit ids leave the sequences behind them.
                for table in (t for t, rows in rows_at_0005().items() if "id" in rows[0]):
                    connection.execute(
                        sa.text(
                            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                            f"(SELECT max(id) FROM {table}))"
                        )
                    )
        assert alembic_versions(url) == ["0005"]
    finally:
        engine.dispose()


@pytest.fixture
def upgraded(url_at_0005: str) -> Iterator[tuple[Engine, Services]]:
    engine = make_engine(url_at_0005)
    assert upgrade_schema(engine) is True
    try:
        yield engine, Services.build(engine, FrozenClock(NOW))
    finally:
        engine.dispose()


def test_every_row_is_kept(upgraded: tuple[Engine, Services]) -> None:
    engine, _ = upgraded
    renamed = {"slack_channels": "conversations", "slack_events": "handled_events"}
    with engine.connect() as connection:
        counts = {
            table: connection.scalar(
                select(sa.func.count()).select_from(sa.table(renamed.get(table, table)))
            )
            for table in rows_at_0005()
        }
    assert counts == {table: len(rows) for table, rows in rows_at_0005().items()}


def test_postmortems_and_their_answers_read_back_in_the_order_people_wrote(
    upgraded: tuple[Engine, Services],
) -> None:
    _, services = upgraded
    closed = services.postmortems.get(team_id=TEAM, postmortem_id=1)
    assert (closed.title, closed.status, closed.thread_ref, closed.prompt_ref) == (
        "Checkout outage",
        PostmortemStatus.CLOSED,
        PM1_THREAD,
        None,
    )
    assert closed.closed_at == PM1_CLOSED_AT
    assert closed.skipped == (Phase.TIMELINE,)
    assert closed.permalink == "https://legacy.slack.test/archives/C0PAYMENTS/p1794992400000100"

    summary = services.postmortems.summary(team_id=TEAM, postmortem_id=1)
    read = {
        phase: [(a.id, a.author_id, a.text, a.message_ref, a.said_at) for a in answers]
        for phase, answers in summary.answers.items()
    }
    expected: dict[Phase, list[tuple[int, str, str, str, datetime]]] = {}
    for answer_id, (pm, phase, author, text, ts, said_at) in sorted(
        ANSWERS.items(), key=lambda item: item[1][5]
    ):
        if pm == 1:
            expected.setdefault(Phase(phase), []).append((answer_id, author, text, ts, said_at))
    assert read == expected
    assert [a.id for a in summary.answers[Phase.IMPACT]] == [11, 10]  # by time, not by id
    assert [(lesson.kind, lesson.text) for lesson in summary.lessons] == [
        (LessonKind.KEEP, "the rollback runbook worked"),
        (LessonKind.IMPROVE, "no canary for config changes #deploys"),
    ]
    assert [a.description for a in summary.actions] == [
        "add a config canary",
        "write the rollback runbook",
        "alert on p99",
    ]
    assert summary.nudges == 1
    assert [(t.text, t.occurred_at, t.author_id, t.link) for t in summary.timeline] == [
        (
            "08:12 deploy of the new ranking model",
            at(2026, 11, 18, 8, 12),
            CAI,
            "https://legacy.slack.test/archives/C0PAYMENTS/p2",
        )
    ]

    open_review = services.postmortems.in_thread(
        team_id=TEAM, channel_id=PAYMENTS, thread_ref=PM2_THREAD
    )
    assert open_review is not None
    assert (open_review.id, open_review.phase, open_review.prompt_ref) == (
        2,
        Phase.WENT_WELL,
        PM2_PROMPT,
    )
    assert [
        p.id for p in services.postmortems.open_in_channel(team_id=TEAM, channel_id=PAYMENTS)
    ] == [2]


def test_the_open_step_keeps_its_exact_opening_time(upgraded: tuple[Engine, Services]) -> None:
    """Revision 0006 opened each review's current step at its root message; a reply
    written a hundred microseconds before that belongs to the first step, one a hundred
    after to the current one."""
    _, services = upgraded

    def reply(ref: str, said_at: datetime, text: str) -> Phase:
        outcome = services.postmortems.record_reply(
            team_id=TEAM,
            channel_id=PAYMENTS,
            thread_ref=PM2_THREAD,
            message_ref=ref,
            said_at=said_at,
            author_id=CAI,
            said=Said(text),
            platform=Platform.SLACK,
            event_id=f"Ev{ref}",
            today=TODAY,
        )
        assert outcome is not None
        return outcome.answer.phase

    assert reply("1795096800.000100", PM2_THREAD_AT - timedelta(microseconds=100), "early") is (
        Phase.IMPACT
    )
    assert reply("1795096800.000300", PM2_THREAD_AT + timedelta(microseconds=100), "runbook") is (
        Phase.WENT_WELL
    )
    answers = services.postmortems.summary(team_id=TEAM, postmortem_id=2).answers
    assert [(a.text, a.said_at) for a in answers[Phase.IMPACT]] == [
        ("early", PM2_THREAD_AT - timedelta(microseconds=100)),
        ("the release went out a day late", at(2026, 11, 19, 14, 1, 40, 1)),
    ]


def test_handled_events_and_the_close_still_hold(upgraded: tuple[Engine, Services]) -> None:
    _, services = upgraded
    common = {
        "team_id": TEAM,
        "channel_id": PAYMENTS,
        "author_id": BEA,
        "said": Said("late words"),
        "platform": Platform.SLACK,
        "today": TODAY,
    }
    # The event id handled before the upgrade is still recognised as a repeat.
    assert (
        services.postmortems.record_reply(
            **common,
            thread_ref=PM2_THREAD,
            message_ref="1795100000.000001",
            said_at=at(2026, 11, 19, 15),
            event_id="Ev0LEGACY01",
        )
        is None
    )
    # A reply written after the review closed is not part of it.
    assert (
        services.postmortems.record_reply(
            **common,
            thread_ref=PM1_THREAD,
            message_ref="1794996100.000001",
            said_at=PM1_CLOSED_AT + timedelta(seconds=1),
            event_id="Ev0AFTERCLOSE",
        )
        is None
    )
    with services.sessions() as session:
        kept = session.scalars(select(HandledEvent)).all()
        assert [(e.platform, e.event_id, e.team_id) for e in kept] == [
            (Platform.SLACK, "Ev0LEGACY01", TEAM)
        ]


def test_the_library_finds_lessons_and_keeps_private_channels_private(
    upgraded: tuple[Engine, Services],
) -> None:
    _, services = upgraded

    def search(text: str, member_of: tuple[str, ...] = ()) -> list[tuple[str, str | None]]:
        page = services.lessons.search(
            team_id=TEAM, member_of=member_of, query=parse_query(text, today=TODAY)
        )
        return [(hit.lesson.text, hit.channel_name) for hit in page.hits]

    assert search("canary") == [("no canary for config changes #deploys", "payments")]
    assert search("vault") == []
    assert search("vault", (SECRET,)) == [
        ("rotate the vault token before it expires", "secret-ops")
    ]
    assert search("tag:deploys") == [("no canary for config changes #deploys", "payments")]
    assert search("hotfix") == [("pairing on the hotfix kept it calm", "payments")]

    secret = services.lessons.channel(team_id=TEAM, channel_id=SECRET)
    assert secret is not None and (secret.name, secret.is_private) == ("secret-ops", True)
    with services.sessions() as session:
        captured = session.get_one(Lesson, 4)
        assert (captured.source_ref, captured.source_permalink) == (
            "1795150000.000400",
            "https://legacy.slack.test/archives/C0PAYMENTS/p1",
        )

    # New lessons reach the search index too (SQLite's triggers came back with the table).
    capture = services.lessons.capture_draft(
        team_id=TEAM, draft_id=1, kind=LessonKind.KEEP, by_user=BEA
    )
    assert capture.lesson.text == "read the runbook before paging"
    assert search("paging") == [("read the runbook before paging", "payments")]


def test_actions_reviews_and_settings_read_back(upgraded: tuple[Engine, Services]) -> None:
    _, services = upgraded
    actions = services.actions
    assert [
        (a.id, a.description, a.target_on, a.status)
        for a in actions.open_for_owner(team_id=TEAM, owner_id=BEA)
    ] == [(3, "alert on p99", date(2026, 11, 15), ActionStatus.IN_PROGRESS)]
    assert [(a.id, a.target_on) for a in actions.open_for_owner(team_id=TEAM, owner_id=CAI)] == [
        (1, date(2026, 12, 1))
    ]
    done = actions.get(team_id=TEAM, action_id=2)
    assert done is not None and done.status is ActionStatus.DONE
    with services.sessions() as session:
        history = session.scalars(select(ActionEvent).order_by(ActionEvent.id)).all()
        assert [
            (e.action_id, e.actor_id, e.at, e.what, e.old_value, e.new_value) for e in history
        ] == [
            (1, FACIL, at(2026, 11, 18, 9, 7), "created", None, None),
            (2, BEA, at(2026, 11, 18, 10), "created", None, None),
            (2, BEA, at(2026, 11, 19), "status", "open", "done"),
            (3, BEA, at(2026, 11, 16), "status", "open", "in_progress"),
        ]
        reminder = session.get_one(MeetingReminder, (2, BEA))
        assert (reminder.dm_conversation, reminder.dm_ref, reminder.sent_at) == (
            "D0BEA0002",
            "1795428000.000900",
            LISTED_AT,
        )

    schedule = services.meetings.schedule(team_id=TEAM, channel_id=PAYMENTS)
    assert schedule is not None and schedule.updated_by == FACIL
    assert schedule.next_reviews[0] == REVIEW2_AT  # Tuesday 10:00 in London, UTC in November

    listed = services.meetings.listed(team_id=TEAM, review_id=2, owner_id=BEA)
    assert [a.id for a in listed.actions] == [3]
    agenda = services.meetings.agenda(team_id=TEAM, review_id=2)
    assert agenda.before == (TrendPoint(REVIEW1_AT, 5, 3),)
    assert agenda.not_responded == (BEA,)
    assert agenda.unreachable == (Unreachable(GONE, "user_not_found"),)
    assert [(owner, [a.id for a in items]) for owner, items in agenda.by_owner] == [
        (BEA, [3]),
        (CAI, [1]),
    ]
    assert [a.id for a in agenda.done_since] == [2]

    assert services.people.known_zone(team_id=TEAM, user_id=BEA) == (True, "Europe/Paris")
    assert services.channels.coach_enabled(team_id=TEAM, channel_id=SECRET) is False
    assert services.channels.coach_enabled(team_id=TEAM, channel_id=PAYMENTS) is True
    board = services.reports.board(team_id=TEAM, channel_id=PAYMENTS, today=TODAY)
    assert board.last_summary_at == at(2026, 11, 15, 12)

    owed = services.deliveries.claim_due()
    assert [(d.kind, d.payload) for d in owed] == [
        (
            STEP_DONE_DELIVERY,
            {"prompt_ref": PM2_PROMPT, "phase": "impact", "skipped": False, "by": FACIL},
        )
    ]


def test_the_upgraded_database_takes_other_platforms_ids(upgraded: tuple[Engine, Services]) -> None:
    _, services = upgraded
    user = "29:1" + "a" * 79
    conversation = "19:" + "b" * 32 + "@thread.tacv2"
    message = "1:" + "c" * 60
    started = services.postmortems.start(
        team_id="f" * 36,
        channel_id=conversation,
        title="Teams incident",
        facilitator_id=user,
        thread_ref=message,
        posted_at=NOW,
    )
    found = services.postmortems.in_thread(
        team_id="f" * 36, channel_id=conversation, thread_ref=message
    )
    assert found == started and found.facilitator_id == user

    inbox = services.inbox
    assert inbox.store(platform=Platform.SLACK, event_id="Ev1", team_id=TEAM, body={}) is True
    assert inbox.store(platform=Platform.TEAMS, event_id="Ev1", team_id=TEAM, body={}) is True
    assert inbox.store(platform=Platform.SLACK, event_id="Ev1", team_id=TEAM, body={}) is False


def test_a_downgrade_to_0007_and_back_keeps_every_row(upgraded: tuple[Engine, Services]) -> None:
    engine, _ = upgraded
    with engine.connect() as connection:
        if connection.dialect.name == "sqlite":  # as upgrade_schema does, for the rebuilds
            driver = connection.connection.driver_connection
            assert driver is not None
            driver.execute("PRAGMA foreign_keys = OFF")
        with connection.begin():
            config = alembic_config(engine.url.render_as_string(hide_password=False))
            config.attributes["connection"] = connection
            command.downgrade(config, "0007")
            steps = connection.execute(
                sa.text("SELECT opened_ts FROM postmortem_steps WHERE postmortem_id = 2")
            ).scalars()
            # The earlier revisions compared zero-padded strings.
            assert list(steps) == ["00" + PM2_THREAD]
        if connection.dialect.name == "sqlite":
            driver.execute("PRAGMA foreign_keys = ON")
    assert upgrade_schema(engine) is True
    test_every_row_is_kept(upgraded)
    test_postmortems_and_their_answers_read_back_in_the_order_people_wrote(upgraded)
