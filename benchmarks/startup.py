"""Start-up time and memory of the real `lessonloop serve`.

Run from the repository root:

    python benchmarks/startup.py [--starts N] [--replies N] [--database-url URL]

`lessonloop serve` runs as its own process (`python -m bot.cli serve`, as
tests/e2e/test_serve.py starts it) against the fake Slack Web API of tests/fakeslack.py,
on a database this script has already brought up to date: a temporary SQLite file, then,
when LESSONLOOP_TEST_DATABASE_URL (or --database-url) names PostgreSQL, a schema of its
own there, dropped at the end.

Start-up: the app is started --starts times (10) and stopped with SIGTERM after each;
the figure is the wall time from spawning the process to the first 200 from `/healthz`,
polled every 5 ms, with the CPU time the process had used by then (from /proc/<pid>/stat;
it moves much less with the machine's load). Target: median under 1 s at rest.

Memory: one more start, then VmRSS of the server process and the processes it starts
(from /proc/<pid>/status) once healthy, and again after --replies (10,000) signed thread
replies to an open review.
Replies are Events API deliveries: the app stores them and background workers record
them, so RSS is read only once the review has that many answers in the database.

Every figure is printed with the load average: other work on the machine moves them.
"""

from __future__ import annotations

import argparse
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

# Run as a script, so put the repository root on the path for the app's packages.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from models.core.db import make_engine, upgrade_schema
from models.postmortems.tables import Answer, Postmortem
from tests.fakeslack import FakeSlack
from tests.slackdriver import SlackDriver

REPO = Path(__file__).resolve().parents[1]
SIGNING_SECRET = "startup-benchmark-secret"
CHANNEL = "C0STARTUP"
FACILITATOR, BEA, CAI = "U0FACIL01", "U0BEA0002", "U0CAI0003"
TARGET_MEDIAN_S = 1.0
HEALTH_POLL_S = 0.005
START_TIMEOUT_S = 60.0
SENDERS = 4  # concurrent connections sending replies, as Slack's delivery does


def _load() -> str:
    return " ".join(f"{a:.2f}" for a in os.getloadavg())


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Serve:
    """One `lessonloop serve` process; its output goes to a file (a pipe nobody reads
    would fill and block the server during the reply burst)."""

    def __init__(self, workdir: Path, fake: FakeSlack, database_url: str) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = (workdir / f"serve-{self.port}.log").open("w")
        environment = {
            "PATH": os.environ["PATH"],
            "PYTHONPATH": str(REPO),
            "HOME": str(workdir),
            "SLACK_BOT_TOKEN": "xoxb-startup-benchmark",
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": fake.api_url,
            "DATABASE_URL": database_url,
            "HOST": "127.0.0.1",
            "PORT": str(self.port),
            "LOG_LEVEL": "WARNING",
        }
        self.started = time.perf_counter()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "serve"],
            cwd=workdir,
            env=environment,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    def wait_healthy(self) -> float:
        """Seconds from spawning the process to the first healthy answer."""
        deadline = self.started + START_TIMEOUT_S
        while time.perf_counter() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"lessonloop serve exited {self.process.returncode}")
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=1) as response:
                    if response.status == 200:
                        return time.perf_counter() - self.started
            except OSError:
                pass
            time.sleep(HEALTH_POLL_S)
        raise SystemExit("lessonloop serve was not healthy within a minute")

    def cpu_seconds(self) -> float:
        """User and system CPU time the process has used: unlike wall time, barely moved
        by other work on the machine."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def rss_mib(self) -> float:
        """VmRSS of the server process and every process it started (the inbox worker
        process, and multiprocessing's resource tracker)."""
        return sum(_rss_kib(pid) for pid in _family(self.process.pid)) / 1024

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


def wait_for(predicate: Callable[[], object], *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise SystemExit(f"timed out waiting for {what}")


@contextmanager
def databases(workdir: Path, postgresql_url: str | None) -> Iterator[list[tuple[str, str]]]:
    """(name, URL) of each database to start on, brought up to date here first."""
    found = [("sqlite", f"sqlite:///{workdir / 'lessonloop.db'}")]
    schema = f"startup_{uuid.uuid4().hex[:10]}"
    admin = make_engine(postgresql_url) if postgresql_url else None
    if admin is not None:
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        url = make_url(postgresql_url or "").update_query_dict(
            {"options": f"-csearch_path={schema}"}
        )
        found.append(("postgresql", url.render_as_string(hide_password=False)))
    try:
        for _, url in found:
            engine = make_engine(url)
            upgrade_schema(engine)
            engine.dispose()
        yield found
    finally:
        if admin is not None:
            with admin.begin() as connection:
                connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()


def time_starts(
    workdir: Path, fake: FakeSlack, url: str, starts: int
) -> tuple[list[float], list[float]]:
    """Wall seconds to healthy, and the CPU seconds the process used to get there."""
    times, cpu = [], []
    for _ in range(starts):
        server = Serve(workdir, fake, url)
        try:
            times.append(server.wait_healthy())
            cpu.append(server.cpu_seconds())
        finally:
            server.stop()
    return times, cpu


def memory_under_replies(
    workdir: Path, fake: FakeSlack, url: str, replies: int
) -> tuple[float, float, float]:
    """RSS (MiB) once healthy and after `replies` answers are recorded; and the seconds
    the replies took from the first sent to the last recorded."""
    server = Serve(workdir, fake, url)
    engine = make_engine(url)
    try:
        server.wait_healthy()
        time.sleep(1)  # let the inbox workers and scheduler finish starting
        at_start = server.rss_mib()
        driver = SlackDriver(server.url, SIGNING_SECRET, fake)
        title = f"Start-up benchmark {uuid.uuid4().hex[:6]}"
        fake.add_channel(CHANNEL, "incidents", members=(FACILITATOR, BEA, CAI))
        response = driver.command(f"start {title}", user=FACILITATOR, channel=CHANNEL)
        if response.status != 200:
            raise SystemExit(f"/postmortem start answered {response.status}")

        def roots() -> list[str]:
            return [
                str(p["ts"])
                for p in fake.calls_to("chat.postMessage")
                if p["channel"] == CHANNEL and "thread_ts" not in p and title in p["text"]
            ]

        # The review is stored first; its root message (the thread) is sent after.
        wait_for(roots, timeout=30, what="the review's root message")
        thread_ts = roots()[0]
        with engine.connect() as connection:
            postmortem_id = connection.scalar(
                select(Postmortem.id).where(Postmortem.title == title)
            )

        def answers() -> int:
            with engine.connect() as connection:
                return int(
                    connection.scalar(
                        select(func.count())
                        .select_from(Answer)
                        .where(Answer.postmortem_id == postmortem_id)
                    )
                    or 0
                )

        failures: list[int] = []
        lock = threading.Lock()

        def send(i: int) -> None:
            author = BEA if i % 2 else CAI
            answer = f"Reply {i}: the alert for queue depth fired {i % 97} minutes late"
            status = driver.reply(answer, user=author, channel=CHANNEL, thread_ts=thread_ts)[
                2
            ].status
            if status != 200:
                with lock:
                    failures.append(status)

        started = time.perf_counter()
        with ThreadPoolExecutor(SENDERS) as pool:
            list(pool.map(send, range(replies)))
        if failures:
            raise SystemExit(f"{len(failures)} replies were refused: {failures[:5]}")
        wait_for(lambda: answers() >= replies, timeout=600, what=f"{replies:,} answers")
        took = time.perf_counter() - started
        return at_start, server.rss_mib(), took
    finally:
        engine.dispose()
        server.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Start-up time and memory of lessonloop serve.")
    parser.add_argument("--starts", type=int, default=10)
    parser.add_argument("--replies", type=int, default=10_000)
    parser.add_argument(
        "--database-url",
        default=os.environ.get("LESSONLOOP_TEST_DATABASE_URL") or None,
        help="PostgreSQL to start on too (default: LESSONLOOP_TEST_DATABASE_URL)",
    )
    args = parser.parse_args(argv)

    print(
        f"lessonloop serve start-up, Python {platform.python_version()}, "
        f"{os.cpu_count()} CPUs; load average (1, 5, 15 min) shown beside each figure"
    )
    with (
        tempfile.TemporaryDirectory() as directory,
        FakeSlack() as fake,
        databases(Path(directory), args.database_url) as found,
    ):
        for name, url in found:
            load_before = _load()
            times, cpu = time_starts(Path(directory), fake, url, args.starts)
            median = statistics.median(times)
            print(
                f"{name}: time to healthy over {len(times)} starts: median {median:.3f} s, "
                f"max {max(times):.3f} s, min {min(times):.3f} s; "
                f"CPU to healthy median {statistics.median(cpu):.2f} s "
                f"(load {load_before} before, {_load()} after); "
                f"target median < {TARGET_MEDIAN_S:.0f} s: "
                f"{'PASS' if median < TARGET_MEDIAN_S else 'FAIL'}"
            )
            if args.replies:
                load_before = _load()
                at_start, after, took = memory_under_replies(
                    Path(directory), fake, url, args.replies
                )
                print(
                    f"{name}: RSS {at_start:.1f} MiB after start, {after:.1f} MiB after "
                    f"{args.replies:,} replies recorded ({took:.0f} s; "
                    f"load {load_before} before, {_load()} after)"
                )
    return 0


def _family(pid: int) -> list[int]:
    """`pid` and its descendants, from /proc/<pid>/task/<tid>/children."""
    found, pending = [], [pid]
    while pending:
        current = pending.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*"):
            try:
                pending.extend(int(child) for child in (task / "children").read_text().split())
            except OSError:  # the task ended meanwhile
                continue
    return found


def _rss_kib(pid: int) -> int:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:  # the process ended meanwhile
        return 0
    return int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS:")))


if __name__ == "__main__":
    sys.exit(main())
