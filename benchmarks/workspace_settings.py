"""What reading a workspace's settings costs, with and without the cache.

Run from the repository root:

    python benchmarks/workspace_settings.py [--reads N]

Every listener and sender asks for its workspace's time zone (Deps.today, the timeline
in a prompt, a reminder's zone), so models.core.workspaces caches the settings for a few
seconds. This prints the median time of one read from the cache and of one read from a
SQLite database (the cache turned off), over --reads reads after a warm-up.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from models.core.clock import FrozenClock
from models.core.db import make_engine, make_sessions, upgrade_schema
from models.core.workspaces import WorkspaceDefaults, Workspaces

TEAM = "T0BENCH01"


def median_microseconds(service: Workspaces, reads: int) -> float:
    service.settings(team_id=TEAM)  # warm-up, and the row exists
    timings = []
    for _ in range(reads):
        started = time.perf_counter()
        service.settings(team_id=TEAM)
        timings.append(time.perf_counter() - started)
    return statistics.median(timings) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reads", type=int, default=2000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{folder}/bench.db")
        upgrade_schema(engine)
        sessions, clock = make_sessions(engine), FrozenClock(datetime(2026, 12, 1, tzinfo=UTC))
        defaults = WorkspaceDefaults(timezone="Europe/Paris")
        cached = Workspaces(sessions, clock, defaults)
        uncached = Workspaces(sessions, clock, defaults, cache_seconds=0)
        print(f"cached read:   {median_microseconds(cached, args.reads):8.1f} µs (median)")
        print(f"database read: {median_microseconds(uncached, args.reads):8.1f} µs (median)")
        engine.dispose()


if __name__ == "__main__":
    main()
