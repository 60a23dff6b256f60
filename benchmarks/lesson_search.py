"""Lesson-library search latency on 100,000 lessons, SQLite and PostgreSQL.

Run from the repository root:

    python benchmarks/lesson_search.py [--database-url URL ...] [--lessons N] [--runs N]
                                       [--busy-loops N] [--check]

Without --database-url a temporary SQLite file is used, then PostgreSQL too when
LESSONLOOP_TEST_DATABASE_URL is set. A PostgreSQL URL gets a schema of its own, dropped
at the end. The database is migrated (the FTS5 table or the tsvector
column come from migration 0004), then N lessons of varied incident and release text are
bulk-inserted across 40 channels (a quarter of them private) and 2,000 post-mortems.

Each query type runs --runs times through the real service (LessonLibrary.search: the
one statement with privacy, filters, ranking, the total and the first page), as a viewer
who is a member of three private channels. Latency is wall time per call in this process.
Target: p99 under 30 ms for every query type on each database, with the machine busy
(a load average of about 2 on 2 cores): --busy-loops N runs N processes that only spin
beside the queries, so the busy part is reproducible and the report says what it was.
The load average is printed with the figures, and so is the load the queries met: the mean
number of tasks running or ready to run, sampled every 50 ms while they ran (the 1-minute
average lags behind a run this short). Exits 0 (a report) unless --check is given
and the target is missed.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import platform
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, insert, text
from sqlalchemy.engine import make_url

from models.core.clock import FrozenClock
from models.core.db import make_engine, upgrade_schema
from models.core.tables import Conversation
from models.lessons.library import parse_query
from models.lessons.tables import Lesson, LessonKind
from models.postmortems.phases import Phase
from models.postmortems.tables import Postmortem, PostmortemKind, PostmortemStatus
from models.services import Services

TARGET_P99_MS = 30.0
TEAM = "T0BENCH"
NOW = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
QUERIES = {
    "one word": "canary",
    "two words": "database failover",
    "phrase-ish": '"feature flag" rollout',
    "common word": "deploy",
    "words + kind/since": "alert noise kind:improve since:90d",
    "word + tag": "timeout tag:database",
    "filters only": "kind:keep tag:release",
}

SUBJECTS = [
    "the canary stage",
    "config changes",
    "the database failover",
    "feature flag rollout",
    "the on-call rota",
    "alert noise",
    "the deploy pipeline",
    "the rollback runbook",
    "DNS records",
    "TLS certificate renewal",
    "the status page",
    "load balancer health checks",
    "the queue backlog",
    "cache invalidation",
    "schema migrations",
    "the release checklist",
    "customer comms",
    "the incident channel",
    "capacity planning",
    "dependency upgrades",
    "secrets rotation",
    "log retention",
    "the staging environment",
    "synthetic monitoring",
    "retry storms",
    "connection pool limits",
    "disk space alerts",
    "the vendor escalation",
    "kubernetes node pressure",
    "the payment gateway timeout",
]
KEEP = [
    "{s} worked well and caught the problem early",
    "pairing on {s} made the fix quick",
    "keep writing down decisions about {s} in the channel",
    "the runbook for {s} was accurate and saved time",
    "clear ownership of {s} meant nobody waited",
]
IMPROVE = [
    "{s} had no owner, so the alert sat for an hour",
    "we found out about {s} from customers, not monitoring",
    "{s} was changed without review during the freeze",
    "nobody knew how to roll back {s} quickly",
    "the timeout on {s} was too long and hid the failure",
    "{s} depends on {t} in a way nobody documented",
    "testing {s} in staging did not match production",
]
TAGS = ["database", "release", "alerts", "deploys", "network", "security", "comms", "capacity"]


def load(engine: Engine, count: int, seed: int = 4) -> list[str]:
    """Bulk-insert `count` lessons; returns the private channel ids."""
    rng = random.Random(seed)
    channels = [f"C0BENCH{i:03d}" for i in range(40)]
    private = channels[::4]
    postmortem_rows = [
        {
            "team_id": TEAM,
            "channel_id": rng.choice(channels),
            "thread_ts": f"17000000{i:02d}.{i:06d}",
            "permalink": f"https://example.invalid/archives/p{i}",
            "title": f"{rng.choice(SUBJECTS).capitalize()} incident {i}",
            "kind": PostmortemKind.INCIDENT,
            "facilitator_id": "U0FACIL",
            "status": PostmortemStatus.CLOSED,
            "phase": Phase.WRAP_UP,
            "skipped_phases": [],
            "created_at": NOW - timedelta(days=i % 700),
            "updated_at": NOW,
        }
        for i in range(2000)
    ]
    with engine.begin() as connection:
        connection.execute(
            insert(Conversation),
            [
                {
                    "team_id": TEAM,
                    "channel_id": c,
                    "name": f"team-{i}",
                    "is_private": c in private,
                    "checked_at": NOW,
                }
                for i, c in enumerate(channels)
            ],
        )
        connection.execute(insert(Postmortem), postmortem_rows)
    batch: list[dict[str, object]] = []
    for _ in range(count):
        kind = LessonKind.KEEP if rng.random() < 0.35 else LessonKind.IMPROVE
        pattern = rng.choice(KEEP if kind is LessonKind.KEEP else IMPROVE)
        words = pattern.format(s=rng.choice(SUBJECTS), t=rng.choice(SUBJECTS))
        if rng.random() < 0.5:
            words += f"; {rng.choice(IMPROVE).format(s=rng.choice(SUBJECTS), t='it')}"
        at = NOW - timedelta(minutes=rng.randrange(0, 60 * 24 * 730))
        batch.append(
            {
                "team_id": TEAM,
                "channel_id": rng.choice(channels),
                "postmortem_id": rng.randrange(1, 2001) if rng.random() < 0.8 else None,
                "kind": kind,
                "text": words[0].upper() + words[1:],
                "author_id": f"U0{rng.randrange(200):04d}",
                "tags": sorted(rng.sample(TAGS, rng.randrange(0, 3))),
                "created_at": at,
                "updated_at": at,
            }
        )
        if len(batch) == 10_000:
            _insert(engine, batch)
            batch = []
    if batch:
        _insert(engine, batch)
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text("ANALYZE"))
        else:
            connection.execute(text("ANALYZE"))
    return private


def _insert(engine: Engine, rows: list[dict[str, object]]) -> None:
    with engine.begin() as connection:
        connection.execute(insert(Lesson), rows)


def measure(services: Services, member_of: list[str], runs: int) -> dict[str, list[float]]:
    today = date(2026, 11, 20)
    results: dict[str, list[float]] = {}
    for name, query_text in QUERIES.items():
        query = parse_query(query_text, today=today)
        for _ in range(5):  # warm the caches and the statement cache
            services.lessons.search(team_id=TEAM, member_of=member_of, query=query)
        samples = []
        for i in range(runs):
            started = time.perf_counter()
            page = services.lessons.search(
                team_id=TEAM, member_of=member_of, query=query, offset=(i % 3) * 5
            )
            samples.append((time.perf_counter() - started) * 1000)
        results[name] = samples
        results[name + "\0total"] = [float(page.total)]
    return results


def _spin() -> None:
    while True:
        pass


def _sample_runnable(stop: Any, out: Any) -> None:
    """Every 50 ms, the number of tasks running or ready to run (the instantaneous load
    that the load average smooths over minutes), until `stop` is set; their mean goes to
    `out`. Linux only (/proc/loadavg); elsewhere nothing is sent."""
    samples: list[int] = []
    try:
        while not stop.wait(0.05):
            with open("/proc/loadavg") as file:
                running = int(file.read().split()[3].split("/")[0])
            samples.append(running - 1)  # not counting this sampler, awake to read
    except OSError:
        return
    if samples:
        out.put(statistics.fmean(samples))


def percentile(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


def _load(averages: tuple[float, float, float]) -> str:
    return " ".join(f"{a:.2f}" for a in averages)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Lesson search latency on a big library.")
    parser.add_argument(
        "--database-url",
        action="append",
        default=None,
        help="repeatable; default: a temporary SQLite file, and LESSONLOOP_TEST_DATABASE_URL",
    )
    parser.add_argument("--lessons", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument(
        "--busy-loops", type=int, default=0, help="processes spinning beside the queries"
    )
    parser.add_argument("--check", action="store_true", help="exit 1 if the target is missed")
    args = parser.parse_args(argv)

    urls = args.database_url or [
        None,
        *filter(None, [os.environ.get("LESSONLOOP_TEST_DATABASE_URL")]),
    ]
    passed = True
    for url in urls:
        passed &= run(url, args.lessons, args.runs, args.busy_loops)
    return 1 if args.check and not passed else 0


def run(database_url: str | None, lessons: int, runs: int, busy_loops: int) -> bool:
    cleanup = None
    if database_url is None:
        url = f"sqlite:///{Path(tempfile.mkdtemp()) / 'bench.db'}"
    elif make_url(database_url).get_backend_name() == "postgresql":
        schema = f"bench_{uuid.uuid4().hex[:10]}"
        admin = make_engine(database_url)
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        url = (
            make_url(database_url)
            .update_query_dict({"options": f"-csearch_path={schema}"})
            .render_as_string(hide_password=False)
        )

        def cleanup() -> None:
            with admin.begin() as connection:
                connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()
    else:
        url = database_url

    engine = make_engine(url)
    spinners = [multiprocessing.Process(target=_spin, daemon=True) for _ in range(busy_loops)]
    try:
        upgrade_schema(engine)
        started = time.perf_counter()
        private = load(engine, lessons)
        loaded = time.perf_counter() - started
        services = Services.build(engine, FrozenClock(NOW))
        for spinner in spinners:
            spinner.start()
        time.sleep(5 if spinners else 0)  # let the spinners show in the 1-minute average
        load_before = os.getloadavg()
        stop, out = multiprocessing.Event(), multiprocessing.SimpleQueue()
        sampler = multiprocessing.Process(target=_sample_runnable, args=(stop, out), daemon=True)
        sampler.start()
        results = measure(services, private[:3], runs)
        stop.set()
        sampler.join()
        runnable = None if out.empty() else float(out.get())
        load_after = os.getloadavg()
    finally:
        for spinner in spinners:
            spinner.kill()
            spinner.join()
        engine.dispose()
        if cleanup is not None:
            cleanup()

    backend = make_url(url).get_backend_name()
    print(
        f"Lesson search on {backend}, {lessons:,} lessons (loaded in {loaded:.1f} s), "
        f"{runs} runs per query, Python {platform.python_version()}"
    )
    # Other work on the machine moves the tail: say how busy it was, and with what.
    print(
        f"Beside it: {busy_loops} busy loop(s) started by this script, and whatever else "
        f"ran. Load average (1, 5, 15 min): {_load(load_before)} before the queries, "
        f"{_load(load_after)} after; {os.cpu_count()} CPUs"
    )
    if runnable is not None:
        # The load the queries met: tasks running or waiting for a CPU, this one included.
        print(f"Load during the queries (mean tasks running or runnable): {runnable:.2f}")
    print(f"{'query':<22} {'matches':>8} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    passed = True
    for name in QUERIES:
        samples = results[name]
        p99 = percentile(samples, 99)
        passed &= p99 < TARGET_P99_MS
        print(
            f"{name:<22} {int(results[name + chr(0) + 'total'][0]):>8} "
            f"{statistics.median(samples):>8.2f} {p99:>8.2f} {max(samples):>8.2f}"
        )
    print(
        f"Target on {backend}: p99 < {TARGET_P99_MS:.0f} ms for every query: "
        f"{'PASS' if passed else 'FAIL'}",
        flush=True,
    )
    return passed


if __name__ == "__main__":
    sys.exit(main())
