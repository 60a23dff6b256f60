"""Acknowledgement latency of POST /api/messages (Teams), where every request's JWT is
verified (RS256 signature, claims, serviceurl) and the activity stored before the 200.

Run from the repository root:

    python benchmarks/teams_ack_latency.py [--requests N] [--warmup N]

The app runs in this process behind waitress on 127.0.0.1 with a migrated SQLite database
in a temporary directory and the fake Bot Connector of tests/fakeconnector.py (its key set
and token endpoint on loopback), its workers processing the stored activities in the
background: replies in a review's reply chain, each with its own id. Latency is the wall
time from sending a signed activity to having read the whole response, one sender. Two
figures are printed beside it: verifying a token alone (the SDK's validator with the key
cached), and the same request refused for a forged signature (nothing is stored). The
Bot Connector allows a bot 15 seconds to answer; the script is a report and exits 0.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cryptography.hazmat.primitives.asymmetric import rsa

from models.core.clock import SystemClock
from models.core.db import make_engine, upgrade_schema
from tests.e2e.teamsreview import BEA, Review
from tests.teamsdriver import TeamsHarness


def _percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p50 = statistics.median(ordered)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return f"p50 {p50 * 1000:.2f} ms, p99 {p99 * 1000:.2f} ms, max {ordered[-1] * 1000:.2f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--warmup", type=int, default=50)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="teams-ack-"))
    try:
        database = f"sqlite:///{workdir / 'bench.db'}"
        engine = make_engine(database)
        upgrade_schema(engine)
        engine.dispose()
        with TeamsHarness(database, SystemClock()) as teams:
            review = Review(teams)
            review.start("Benchmark outage")
            token = teams.fake.sign()
            acks: list[float] = []
            for number in range(args.warmup + args.requests):
                activity = teams.message(f"reply {number}", by=BEA, root=review.root)
                started = time.perf_counter()
                status = teams.post(activity, token=token)
                elapsed = time.perf_counter() - started
                assert status == 200, status
                if number >= args.warmup:
                    acks.append(elapsed)
            teams.wait_until_processed(timeout=120)

            assert teams.teams is not None
            verifier = teams.teams.endpoint._verifier
            checks: list[float] = []
            for _ in range(args.requests):
                started = time.perf_counter()
                verifier.verify(f"Bearer {token}", service_url=teams.fake.service_url)
                checks.append(time.perf_counter() - started)

            forged = teams.fake.sign(
                key=rsa.generate_private_key(public_exponent=65537, key_size=2048)
            )
            refusals: list[float] = []
            for number in range(min(args.requests, 200)):
                activity = teams.message(f"forged {number}", by=BEA, root=review.root)
                started = time.perf_counter()
                status = teams.post(activity, token=forged)
                refusals.append(time.perf_counter() - started)
                assert status == 401, status
        load = os.getloadavg()[0]
        print(f"POST /api/messages, verified and stored ({args.requests}): {_percentiles(acks)}")
        print(f"token verification alone ({args.requests}): {_percentiles(checks)}")
        print(f"forged token refused ({len(refusals)}): {_percentiles(refusals)}")
        print(f"load average {load:.1f} on {os.cpu_count()} CPUs")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
