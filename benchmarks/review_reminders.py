"""Planning one review's reminders over many open actions, and sending them under rate limits.

Run from the repository root:

    python benchmarks/review_reminders.py [--database-url URL] [--actions N] [--owners N]
                                          [--send N] [--rate-limits N] [--retry-after S]

Planning: for two sizes (a tenth of --actions/--owners, then the full size) a fresh
database gets one channel with a monthly review schedule and that many open actions,
spread over that many owners; the frozen clock is set to seven days before the review
and `ReviewMeetings.plan()` (what each scheduler tick runs) is timed, with every SQL statement
counted by a `before_cursor_execute` listener. The target is under one second for
10,000 actions owned by 2,000 people, and the same number of statements for both sizes.

Sending: the real app (its WebClient with slack-sdk's RateLimitErrorRetryHandler) sends
the first --send reminders through the Courier to the fake Slack Web API of
tests/fakeslack.py, which answers --rate-limits of the chat.postMessage calls with HTTP
429 and Retry-After. The script prints how long each rate-limited call waited before
its retry: at least Retry-After when the header is honoured.

`--database-url` takes a PostgreSQL URL (postgresql+psycopg://...); each size gets a
schema of its own there, dropped afterwards. Without it, SQLite files in a temporary
directory are used.
"""

from __future__ import annotations

import argparse
import itertools
import logging
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, insert, text
from sqlalchemy.engine import make_url

# Run as a script, so put the repository root on the path for the app's packages.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.app import create_app
from bot.config import load_settings
from handlers.slack.messages import time_of
from models.actions.tables import Action, ActionStatus
from models.core.clock import FrozenClock
from models.core.db import make_engine, upgrade_schema
from models.followup.cadence import parse_cadence
from models.services import Services
from tests.fakeslack import TEAM_ID, FakeSlack
from tests.statements import statements

CHANNEL = "C0BENCH01"
FACILITATOR = "U0FACIL01"
NOW = datetime(2026, 11, 20, 10, tzinfo=UTC)
REVIEW_AT = datetime(2026, 12, 1, 10, tzinfo=UTC)  # first Tuesday of December
TARGET_SECONDS = 1.0


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


def seed(services: Services, *, actions: int, owners: int, schedule: bool = True) -> None:
    cadence = parse_cadence(
        "monthly first tuesday 10:00 Europe/London", default_timezone="UTC", today=NOW.date()
    )
    if schedule:
        services.meetings.set_schedule(
            team_id=TEAM_ID, channel_id=CHANNEL, cadence=cadence, by_user=FACILITATOR
        )
    pm = services.postmortems.start(
        team_id=TEAM_ID,
        channel_id=CHANNEL,
        thread_ref="1700000000.000001",
        posted_at=time_of("1700000000.000001"),
        title="Release 4.2 retro",
        facilitator_id=FACILITATOR,
    )
    rows = [
        {
            "team_id": TEAM_ID,
            "channel_id": CHANNEL,
            "postmortem_id": pm.id,
            "description": f"Action {i}",
            "owner_id": f"U{i % owners:08d}",
            "target_on": date(2026, 11, 15) + timedelta(days=i % 40),
            "status": ActionStatus.OPEN,
            "created_by": FACILITATOR,
            "created_at": NOW,
            "updated_at": NOW,
        }
        for i in range(actions)
    ]
    with services.sessions.begin() as session:
        session.execute(insert(Action), rows)


def plan_once(
    base_url: str | None, workdir: Path, *, actions: int, owners: int, schedule: bool = True
) -> tuple[float, int, int]:
    with database(base_url, workdir, f"plan_{actions}_{schedule}") as engine:
        clock = FrozenClock(NOW)
        services = Services.build(engine, clock)
        seed(services, actions=actions, owners=owners, schedule=schedule)
        clock.set(REVIEW_AT - timedelta(days=7))
        with statements(engine) as executed:
            started = time.perf_counter()
            report = services.meetings.plan()
            elapsed = time.perf_counter() - started
        return elapsed, len(executed), report.reminders if schedule else report.overdue


def send(base_url: str | None, workdir: Path, args: argparse.Namespace) -> None:
    with database(base_url, workdir, "send") as engine, FakeSlack() as fake:
        clock = FrozenClock(NOW)
        settings = load_settings(
            {
                "SLACK_BOT_TOKEN": "xoxb-benchmark-token",
                "SLACK_SIGNING_SECRET": "benchmark-signing-secret",
                "SLACK_API_URL": fake.api_url,
                "DATABASE_URL": "sqlite://",
            },
            env_file=None,
        )
        lessonloop = create_app(settings, clock=clock, engine=engine)
        services = lessonloop.services
        seed(services, actions=args.send * 5, owners=args.send)
        clock.set(REVIEW_AT - timedelta(days=7))
        services.meetings.plan()
        fake.fail_next(
            "chat.postMessage", times=args.rate_limits, status=429, retry_after=args.retry_after
        )
        started = time.perf_counter()
        sent = lessonloop.courier.deliver_due()
        elapsed = time.perf_counter() - started

        calls = [c for c in fake.calls if c.method == "chat.postMessage"]
        waits = [
            later.at - earlier.at
            for earlier, later in itertools.pairwise(calls[: args.rate_limits + 1])
        ]
        print(
            f"\nSending {args.send} reminders ({args.send * 5} actions), "
            f"{args.rate_limits} answered 429 Retry-After: {args.retry_after}"
        )
        print(f"  sent {sent} DMs in {elapsed:.2f} s; chat.postMessage calls: {len(calls)}")
        print(
            "  waits after each 429 before the retry (s): " + ", ".join(f"{w:.2f}" for w in waits)
        )
        honoured = all(w >= args.retry_after for w in waits)
        print(f"  Retry-After honoured: {'yes' if honoured else 'NO'}")
        pending = services.deliveries.pending_count()
        owed = services.meetings.plan().reminders
        print(f"  pending after the run: {pending}; planning again owes {owed} more")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--actions", type=int, default=10_000)
    parser.add_argument("--owners", type=int, default=2_000)
    parser.add_argument("--send", type=int, default=200, help="reminders to send (owners)")
    parser.add_argument("--rate-limits", type=int, default=3)
    parser.add_argument("--retry-after", type=int, default=1)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    backend = make_url(args.database_url).get_backend_name() if args.database_url else "sqlite"

    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        print(f"Planning one review's reminders on {backend}")
        print(f"{'actions':>8} {'owners':>7} {'plan ms':>9} {'SQL statements':>15} {'owed':>6}")
        figures = []
        for scale in (10, 1):
            actions, owners = args.actions // scale, args.owners // scale
            elapsed, sql, owed = plan_once(
                args.database_url, workdir, actions=actions, owners=owners
            )
            figures.append((elapsed, sql))
            print(f"{actions:>8} {owners:>7} {elapsed * 1000:>9.1f} {sql:>15} {owed:>6}")
        (_, small), (big_time, big) = figures
        print(
            f"Target: under {TARGET_SECONDS:.0f} s at full size: "
            f"{'PASS' if big_time < TARGET_SECONDS else 'FAIL'}; statements constant: "
            f"{'PASS' if small == big else 'FAIL'}"
        )
        # Without a review schedule the same actions, most past their date, are overdue
        # nudges instead: the other set-based query a tick runs.
        elapsed, sql, owed = plan_once(
            args.database_url, workdir, actions=args.actions, owners=args.owners, schedule=False
        )
        print(
            f"Overdue nudges, no review: {args.actions} actions, {elapsed * 1000:.1f} ms, "
            f"{sql} statements, {owed} owners owed a nudge"
        )
        send(args.database_url, workdir, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
