"""Time to build the programme-board summary over a large channel.

Run from the repository root:

    python benchmarks/board_summary.py [--database-url URL] [--runs N]

Seeds one channel with 500 post-mortems (one in ten a release retro), 5,000 lessons and
5,000 actions over two years, then builds the summary the way `/postmortem summary` does
and prints each part: the data (models.reports.service.Reports.board), the Slack message, the
Markdown and HTML documents, and the PNG trend chart. Figures are the median of --runs
runs after one warm-up; matplotlib's one-off import is printed apart. Target: total < 1 s.

Without --database-url a temporary SQLite file is used. A PostgreSQL URL gets a schema of
its own, dropped afterwards.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.programme import seed_programme
from handlers.slack.blocks import Blocks
from handlers.slack.reports import Documents
from models.core.clock import FrozenClock
from models.core.db import make_engine, upgrade_schema
from models.services import Services
from templates import Templates

NOW = datetime(2026, 11, 20, 10, tzinfo=UTC)
TEAM, CHANNEL = "T0BENCH", "C0BENCH"
TARGET_SECONDS = 1.0


@contextmanager
def database(url: str | None) -> Iterator[str]:
    if url is None:
        with tempfile.TemporaryDirectory() as directory:
            yield f"sqlite:///{directory}/bench.db"
        return
    if make_url(url).get_backend_name() != "postgresql":
        yield url
        return
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = make_engine(url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    scoped = make_url(url).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield scoped.render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def timed(work: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = work()
    return time.perf_counter() - start, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--postmortems", type=int, default=500)
    parser.add_argument("--lessons", type=int, default=5000)
    parser.add_argument("--actions", type=int, default=5000)
    args = parser.parse_args()

    with database(args.database_url) as url:
        engine = make_engine(url)
        upgrade_schema(engine)
        services = Services.build(engine, FrozenClock(NOW))
        seed_time, seeded = timed(
            lambda: seed_programme(
                services.sessions,
                team_id=TEAM,
                channel_id=CHANNEL,
                end=NOW,
                postmortems=args.postmortems,
                lessons=args.lessons,
                actions=args.actions,
            )
        )
        templates = Templates()
        blocks, documents = Blocks(templates), Documents(templates)
        import_time, _ = timed(lambda: __import__("matplotlib.backends.backend_agg"))

        parts: dict[str, list[float]] = {}

        def run() -> dict[str, float]:
            data_s, board = timed(
                lambda: services.reports.board(team_id=TEAM, channel_id=CHANNEL, today=NOW.date())
            )
            slack_s, _ = timed(lambda: blocks.board_summary(board))
            files_s, files = timed(lambda: documents.board(board, "#bench"))
            # documents.board draws the chart and renders both documents; split the two.
            chart_s, _ = timed(
                lambda: __import__("templates.charts", fromlist=["trend_chart"]).trend_chart(
                    labels=[p.label for p in board.trend],
                    open_actions=[p.open_actions for p in board.trend],
                    open_lessons=[p.open_lessons for p in board.trend],
                    title="bench",
                )
            )
            assert board.actions_identified == args.actions, board.actions_identified
            assert len(files) == 3
            return {
                "data (queries + counting)": data_s,
                "Slack message": slack_s,
                "Markdown + HTML": max(files_s - chart_s, 0.0),
                "PNG chart": chart_s,
                "total": data_s + slack_s + files_s,
            }

        run()  # warm-up: caches, first chart
        for _ in range(args.runs):
            for name, seconds in run().items():
                parts.setdefault(name, []).append(seconds)
        engine.dispose()

    backend = make_url(url).get_backend_name()
    print(
        f"board summary over {seeded.postmortems} post-mortems ({seeded.releases} releases), "
        f"{seeded.lessons} lessons, {seeded.actions} actions on {backend}"
    )
    print(
        f"  seeding: {seed_time:.2f} s; "
        f"matplotlib import (once per process): {import_time * 1000:.0f} ms"
    )
    for name, values in parts.items():
        print(
            f"  {name:<28} median {statistics.median(values) * 1000:7.1f} ms   "
            f"max {max(values) * 1000:7.1f} ms   ({len(values)} runs)"
        )
    total = statistics.median(parts["total"])
    verdict = "meets" if total < TARGET_SECONDS else "MISSES"
    print(f"  {verdict} the target of {TARGET_SECONDS:.0f} s (median total {total * 1000:.0f} ms)")


if __name__ == "__main__":
    main()
