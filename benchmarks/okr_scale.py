"""OKRs at scale: planning one cadence's check-in DMs, and rendering one team's review.

Run from the repository root:

    python benchmarks/okr_scale.py [--database-url URL] [--teams N]

For two sizes (a tenth of --teams, then the full size) a fresh database gets, per team (a
channel), 5 objectives of 4 key results each, owned by 4 people per team, and a year of
weekly check-ins for every key result (52 each): with the default 200 teams that is 1,000
objectives, 4,000 key results and 208,000 check-ins. The frozen clock is set to a Monday
and timed, with every SQL statement counted (a `before_cursor_execute` listener):

- planning: `OkrCheckIns.plan()`, what each scheduler tick runs (one request and one
  delivery per owner for the week);
- review: `OkrReviews.review()` for one team's channel (its objectives, key results,
  actions and check-ins), then rendering its Slack messages, chart (PNG) and Markdown and
  HTML documents.

The statement counts must be the same for both sizes: nothing is read once per row.
`--database-url` takes a PostgreSQL URL (postgresql+psycopg://...); each size gets a
schema of its own there, dropped afterwards. Without it, SQLite files are used.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, func, insert, select, text
from sqlalchemy.engine import make_url

# Run as a script, so put the repository root on the path for the app's packages.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from handlers.slack.okr_blocks import OkrBlocks
from models.core.clock import FrozenClock
from models.core.db import make_engine, upgrade_schema
from models.core.privacy import Viewer
from models.core.tables import Conversation
from models.okrs.tables import (
    CheckIn,
    Confidence,
    KeyResult,
    KeyResultKind,
    Objective,
    OkrReviewPost,
)
from models.services import Services
from templates import Templates
from tests.fakeslack import TEAM_ID
from tests.statements import statements

YEAR_START = date(2026, 1, 5)  # a Monday
NOW = datetime(2026, 12, 7, 9, tzinfo=UTC)  # the Monday after 48 weeks of check-ins
OBJECTIVES_PER_TEAM = 5
KRS_PER_OBJECTIVE = 4
OWNERS_PER_TEAM = 4
WEEKS = 52


@contextmanager
def database(base_url: str | None, workdir: Path, name: str) -> Iterator[Engine]:
    if base_url is None or make_url(base_url).get_backend_name() == "sqlite":
        engine = make_engine(base_url or f"sqlite:///{workdir / f'{name}.db'}")
        upgrade_schema(engine)
        try:
            yield engine
        finally:
            engine.dispose()
        return
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = make_engine(base_url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(base_url).update_query_dict({"options": f"-csearch_path={schema}"})
    engine = make_engine(url.render_as_string(hide_password=False))
    try:
        upgrade_schema(engine)
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def channel(team: int) -> str:
    return f"C{team:08d}"


def seed(services: Services, teams: int) -> tuple[int, int, int]:
    """Bulk rows, as years of use would leave them; returns (objectives, KRs, check-ins)."""
    at = datetime.combine(YEAR_START, datetime.min.time(), UTC)
    with services.sessions.begin() as session:
        session.execute(
            insert(Conversation),
            [
                {
                    "team_id": TEAM_ID,
                    "channel_id": channel(t),
                    "name": f"team-{t}",
                    "is_private": False,
                    "checked_at": NOW,
                }
                for t in range(teams)
            ],
        )
        session.execute(
            insert(Objective),
            [
                {
                    "team_id": TEAM_ID,
                    "channel_id": channel(t),
                    "title": f"Objective {o} of team {t}",
                    "owner_id": f"U{t:05d}{0:03d}",
                    "starts_on": YEAR_START,
                    "ends_on": date(2026, 12, 31),
                    "created_by": f"U{t:05d}{0:03d}",
                    "created_at": at,
                    "updated_at": at,
                }
                for t in range(teams)
                for o in range(OBJECTIVES_PER_TEAM)
            ],
        )
        objectives = session.execute(select(Objective.id, Objective.channel_id)).all()
        session.execute(
            insert(KeyResult),
            [
                {
                    "team_id": TEAM_ID,
                    "objective_id": objective_id,
                    "title": f"Key result {k}",
                    "owner_id": f"U{int(channel_id[1:]):05d}{k % OWNERS_PER_TEAM:03d}",
                    "kind": KeyResultKind.NUMBER,
                    "unit": "deploys",
                    "start_value": 0.0,
                    "target_value": 100.0,
                    "current_value": float(WEEKS),
                    "confidence": Confidence.ON_TRACK,
                    "implausible": False,
                    "created_at": at,
                    "updated_at": at,
                    "checked_in_at": at + timedelta(weeks=WEEKS - 1),
                }
                for objective_id, channel_id in objectives
                for k in range(KRS_PER_OBJECTIVE)
            ],
        )
        krs = session.execute(select(KeyResult.id, KeyResult.owner_id)).all()
        rows = [
            {
                "team_id": TEAM_ID,
                "key_result_id": kr_id,
                "value": float(week),
                "confidence": Confidence.ON_TRACK if week % 5 else Confidence.AT_RISK,
                "note": None,
                "by_id": owner_id,
                "at": at + timedelta(weeks=week),
            }
            for kr_id, owner_id in krs
            for week in range(WEEKS)
        ]
        for start in range(0, len(rows), 20_000):
            session.execute(insert(CheckIn), rows[start : start + 20_000])
    return len(objectives), len(krs), len(rows)


def measure(base_url: str | None, workdir: Path, teams: int) -> dict[str, float]:
    with database(base_url, workdir, f"okrs_{teams}") as engine:
        clock = FrozenClock(NOW)
        services = Services.build(engine, clock)
        started = time.perf_counter()
        objectives, krs, check_ins = seed(services, teams)
        seeded = time.perf_counter() - started

        with statements(engine) as planned:
            started = time.perf_counter()
            report = services.okr_checkins.plan()
            plan_s = time.perf_counter() - started

        viewer = Viewer(TEAM_ID, "U00000000", frozenset())
        services.okr_reviews.request(viewer=viewer, channel_id=channel(0))
        with services.sessions() as session:
            review_id = session.scalar(select(func.max(OkrReviewPost.id)))
        blocks = OkrBlocks(Templates())
        with statements(engine) as read:
            started = time.perf_counter()
            review = services.okr_reviews.review(review_id=int(review_id or 0))
            read_s = time.perf_counter() - started
        assert review is not None
        started = time.perf_counter()
        messages = blocks.review(review)
        files = blocks.review_files(review, "#team-0")
        render_s = time.perf_counter() - started
        return {
            "teams": teams,
            "objectives": objectives,
            "krs": krs,
            "check_ins": check_ins,
            "seed_s": seeded,
            "plan_ms": plan_s * 1000,
            "plan_sql": len(planned),
            "owed": report.asks,
            "review_ms": read_s * 1000,
            "review_sql": len(read),
            "render_ms": render_s * 1000,
            "parts": len(messages) + len(files),
        }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--teams", type=int, default=200)
    args = parser.parse_args(argv)
    backend = make_url(args.database_url).get_backend_name() if args.database_url else "sqlite"
    sizes = [max(args.teams // 10, 1), args.teams]
    with tempfile.TemporaryDirectory() as tmp:
        figures = [measure(args.database_url, Path(tmp), teams) for teams in sizes]
    print(f"OKRs at scale on {backend}")
    print(
        f"{'teams':>6} {'objectives':>10} {'KRs':>6} {'check-ins':>10} | "
        f"{'plan ms':>8} {'SQL':>4} {'DMs owed':>8} | "
        f"{'review ms':>9} {'SQL':>4} {'render ms':>9} {'parts':>5}"
    )
    for f in figures:
        print(
            f"{f['teams']:>6} {f['objectives']:>10} {f['krs']:>6} {f['check_ins']:>10} | "
            f"{f['plan_ms']:>8.1f} {f['plan_sql']:>4} {f['owed']:>8} | "
            f"{f['review_ms']:>9.1f} {f['review_sql']:>4} {f['render_ms']:>9.1f} {f['parts']:>5}"
        )
    same = all(figures[0][key] == figures[1][key] for key in ("plan_sql", "review_sql"))
    print(f"Statement counts the same at both sizes: {'yes' if same else 'NO'}")
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
