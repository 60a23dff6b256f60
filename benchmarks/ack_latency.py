"""Acknowledgement latency of Lessonloop next to a bare Bolt app that only acks.

Run from the repository root:

    python benchmarks/ack_latency.py [--requests N] [--warmup N] [--pause-ms MS]
                                     [--concurrency 1,8] [--check]

Four surfaces are measured: `/postmortem start <title>` (every request starts a new
post-mortem), a button (the coach note's "Dismiss", whose work is a call to the
message's response_url), replies in the thread of one open post-mortem in its first step
(signed `event_callback` message events, each with its own event_id), and "lesson replies": replies
in the "improve" step of another review, each of which becomes a lesson that is compared
with a library of earlier lessons (a similarity note is posted when it recurs). Latency
is the wall time from sending a signed request over a kept-alive connection to having
read the whole response: what Slack's 3-second budget counts. Each surface is measured
with 1 sender and with 8 concurrent senders (each a process of its own, on connections of
its own); every sender alternates bare and Lessonloop so that noise on the machine hits
both alike.

The layout is Slack's: this process serves the fake Web API of tests/fakeslack.py, the
senders play Slack's event senders, and each app runs in a process of its own behind waitress on
127.0.0.1, as it would in production. Lessonloop runs for real: a migrated SQLite database
in a temporary directory, the system clock, and what it stores before the ack (events, and
the commands and clicks whose work opens no form: all four surfaces here) processed by
the inbox worker process that `lessonloop serve` starts beside the web process
(bot/inbox_process.py). The bare app answers after Bolt's own dispatch: its listener acks
on Bolt's pool while the request thread polls for the ack every 10 ms. Keeping the client out of the
apps' processes matters: in CPython, a client thread in the same process competes for the
GIL with those background threads, which adds latency that Slack would never see. So does
keeping the senders apart from each other and from the fake Web API: as threads of this
process, at 8 senders, a sender whose response had arrived waited milliseconds for the
lock held by another sender, or by the fake answering Lessonloop's own calls, and that wait
was counted against whichever app it had been talking to (timed inside the apps: 0.5 to
1.9 ms of handling in a p50 of 5 to 19 ms).

The target, for each surface at each concurrency: Lessonloop's p50 within 1.2x of the bare
app's and its p99 within 2x. The script exits 0 (it is a report) unless `--check` is given
and the target is missed.
"""

from __future__ import annotations

import argparse
import gc
import logging
import math
import multiprocessing
import os
import platform
import re
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from http.client import HTTPConnection
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from sqlalchemy import Engine, func, insert, select
from sqlalchemy.orm import Session, sessionmaker
from waitress.server import create_server

# Run as a script, so put the repository root on the path for the app's packages.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.app import create_app
from bot.config import load_settings
from bot.inbox_process import InboxProcess
from bot.server import SERVER_OPTIONS, SLACK_PATH, make_wsgi_app
from handlers.slack.blocks import phase_value
from handlers.slack.ids import ActionId
from models.core.db import make_engine, make_sessions, upgrade_schema
from models.core.tables import Conversation, Delivery, DeliveryStatus
from models.lessons.tables import Lesson, LessonKind
from models.postmortems.phases import Phase
from models.postmortems.tables import Answer, Postmortem, PostmortemKind, PostmortemStatus
from tests.fakeslack import TEAM_ID, FakeSlack
from tests.slackdriver import Response, SlackDriver

HOST = "127.0.0.1"
BOT_TOKEN = "xoxb-benchmark-token"
SIGNING_SECRET = "benchmark-signing-secret"
CHANNEL = "C0BENCH01"
USERS = ("U0FACIL01", "U0BEA0002", "U0CAI0003")
WAITRESS_THREADS = 4
DEFAULT_REQUESTS = 300
DEFAULT_WARMUP = 30
TARGET_P50_RATIO = 1.2
TARGET_P99_RATIO = 2.0
STARTUP_TIMEOUT_S = 60.0
SETTLE_TIMEOUT_S = 60.0
REQUEST_TIMEOUT_S = 10.0
BARE, LESSONLOOP = "bare", "lessonloop"
START, BUTTON, REPLY, LESSON_REPLY = (
    "/postmortem start",
    "button",
    "thread reply",
    "lesson reply",
)
OLD_CHANNEL = "C0BENCHOLD"
SEEN = re.compile(r"seen \d+ times? before")
LIBRARY_SIZE = 2000
SUBJECTS = (
    "the canary stage",
    "config changes",
    "the database failover",
    "the deploy pipeline",
    "the rollback runbook",
    "alert routing",
    "TLS certificate renewal",
    "connection pool limits",
    "the status page",
    "schema migrations",
)
IMPROVE = (
    "{s} had no owner, so the alert sat for an hour",
    "we found out about {s} from customers, not monitoring",
    "nobody knew how to roll back {s} quickly",
    "the timeout on {s} was too long and hid the failure",
    "testing {s} in staging did not match production",
)
STOP = "stop"

Samples = dict[str, list[float]]
Keep = Callable[[dict[str, Any]], bool]


# --- The apps, each in a process of its own ------------------------------------------------


@dataclass(frozen=True, slots=True)
class AppSpec:
    """What an app process needs; sent to it, so plain data only."""

    name: str
    api_url: str
    database_url: str


def quiet_logging() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    for name in ("slack_bolt", "slack_sdk", "lessonloop", "waitress"):
        logging.getLogger(name).setLevel(logging.WARNING)


def bare_bolt(api_url: str) -> App:
    """A Bolt app that acknowledges and does nothing else."""
    app = App(client=WebClient(token=BOT_TOKEN, base_url=api_url), signing_secret=SIGNING_SECRET)

    @app.command("/postmortem")
    def on_command(ack: Ack) -> None:
        ack()

    @app.action(ActionId.COACH_DISMISS)
    def on_button(ack: Ack) -> None:
        ack()

    @app.event("message")
    def on_message() -> None:
        pass

    return app


def build(spec: AppSpec) -> tuple[App, Engine, InboxProcess | None, Keep | None]:
    """The app as `lessonloop serve` runs it: for Lessonloop, with its inbox worker process."""
    if spec.name == BARE:
        # The bare app's engine only backs /healthz, which is never called here.
        return bare_bolt(spec.api_url), make_engine("sqlite://"), None, None
    settings = load_settings(
        {
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": spec.api_url,
            "DATABASE_URL": spec.database_url,
        },
        env_file=None,
    )
    engine = make_engine(spec.database_url)
    lessonloop = create_app(settings, engine=engine)
    workers = InboxProcess(settings, with_scheduler=False)
    lessonloop.inbox.forward_wakes(workers.wake)
    return lessonloop.bolt, engine, workers, lessonloop.intake.keep


def serve_app(spec: AppSpec, conn: Connection) -> None:
    """An app process: serve on a loopback port, send the port, stop when told to, letting
    the listeners still running finish."""
    quiet_logging()
    bolt, engine, inbox, keep = build(spec)
    # As `lessonloop serve` does once started (bot/cli.py: _started): what start-up built
    # lives as long as the process, and no later collection walks it again.
    gc.freeze()
    if inbox is not None:
        inbox.start()  # thread replies are stored at the ack and processed in this process
    # Any: waitress's stubs describe neither effective_port, nor the trigger taking a
    # callable, nor the socket map used below to stop the server.
    server: Any = create_server(
        make_wsgi_app(bolt, engine, signing_secret=SIGNING_SECRET, keep=keep),
        host=HOST,
        port=0,
        threads=WAITRESS_THREADS,
        **SERVER_OPTIONS,
    )
    thread = threading.Thread(target=server.run, name="waitress", daemon=True)
    thread.start()
    conn.send(server.effective_port)
    conn.recv()
    # Close every socket from inside waitress's own loop, which then ends.
    server.trigger.pull_trigger(lambda: [channel.close() for channel in list(server._map.values())])
    thread.join(timeout=5)
    server.task_dispatcher.shutdown(timeout=5)
    bolt.listener_runner.listener_executor.shutdown(wait=True)
    if inbox is not None:
        inbox.stop()
    engine.dispose()


@contextmanager
def app_process(spec: AppSpec) -> Iterator[int]:
    """Start an app in a fresh process; yield its port; stop it on exit."""
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe()
    process = context.Process(target=serve_app, args=(spec, theirs), name=f"app-{spec.name}")
    process.start()
    theirs.close()  # so that ours sees EOF if the app process dies
    try:
        if not ours.poll(STARTUP_TIMEOUT_S):
            raise RuntimeError(f"the {spec.name} app did not start in {STARTUP_TIMEOUT_S:.0f} s")
        port: int = ours.recv()
        yield port
    finally:
        if process.is_alive():
            ours.send(STOP)
            process.join(timeout=SETTLE_TIMEOUT_S)
        if process.is_alive():
            process.terminate()
            process.join()


# --- Slack's side: signed requests, timed --------------------------------------------------


@dataclass
class TimedResponse(Response):
    seconds: float


class KeepAliveDriver(SlackDriver):
    """SlackDriver's payloads, signed afresh per request, sent over one kept-alive
    connection and timed from the first byte sent to the last byte read."""

    def __init__(self, name: str, port: int, fake: FakeSlack) -> None:
        super().__init__(f"http://{HOST}:{port}", SIGNING_SECRET, fake)
        self.name = name
        self._connection = HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT_S)
        self._connection.connect()

    def post(self, body: str, *, content_type: str, **signing: Any) -> Response:
        payload = body.encode()
        all_headers = self.signed_headers(body, content_type=content_type, **signing)
        started = time.perf_counter()
        self._connection.request("POST", SLACK_PATH, body=payload, headers=all_headers)
        response = self._connection.getresponse()
        content = response.read()
        seconds = time.perf_counter() - started
        if response.will_close:
            # A reconnect would put connection setup into the next measurement.
            raise RuntimeError(f"the {self.name} app closed the kept-alive connection")
        return TimedResponse(response.status, content, seconds)

    def close(self) -> None:
        self._connection.close()


def seconds_of(response: Response) -> float:
    if not isinstance(response, TimedResponse):
        raise TypeError("expected a TimedResponse from KeepAliveDriver")
    if response.status != 200:
        raise RuntimeError(f"HTTP {response.status}: {response.body[:200]!r}")
    return response.seconds


Send = Callable[[KeepAliveDriver, int], float]


def send_start(driver: KeepAliveDriver, i: int) -> float:
    response = driver.command(
        f"start Benchmark incident {i}", user=USERS[i % len(USERS)], channel=CHANNEL
    )
    return seconds_of(response)


def send_button(driver: KeepAliveDriver, i: int) -> float:
    response = driver.click(
        ActionId.COACH_DISMISS,
        "dismiss",
        user=USERS[i % len(USERS)],
        channel=CHANNEL,
        message_ts=f"1700000000.{i:06d}",
        ephemeral=True,
    )
    return seconds_of(response)


def unique_message(series: int, i: int) -> tuple[str, str]:
    """A message time and an event id of their own for request `i` of a series (one
    surface at one concurrency): the sender processes share no counter, and the app drops a
    repeated event id, as it should a redelivery."""
    return f"{int(time.time())}.{series:02d}{i:04d}", f"EvBench{series:02d}{i:04d}"


def send_reply_to(thread_ts: str, series: int) -> Send:
    def send(driver: KeepAliveDriver, i: int) -> float:
        ts, event_id = unique_message(series, i)
        _ts, _event_id, response = driver.reply(
            f"Impact note {i}: checkout errors rose for some users",
            user=USERS[i % len(USERS)],
            channel=CHANNEL,
            thread_ts=thread_ts,
            ts=ts,
            event_id=event_id,
        )
        return seconds_of(response)

    return send


class FakeAt(FakeSlack):
    """The fake Web API's addresses, for a sender in another process: the requests carry
    response URLs that point at the one fake, which runs (and answers) in the main
    process. Nothing is served from here."""

    def __init__(self, root: str) -> None:  # no server of its own: FakeSlack's binds one
        self._root = root

    @property
    def root(self) -> str:
        return self._root


@dataclass(frozen=True, slots=True)
class Job:
    """One surface for one sender process: which requests it sends, and how."""

    surface: str
    thread_ts: str
    series: int  # which surface and concurrency, for unique event ids
    numbers: tuple[int, ...]
    warmup: int
    pause: float


def sender_for(job: Job) -> Send:
    if job.surface == START:
        return send_start
    if job.surface == BUTTON:
        return send_button
    if job.surface == REPLY:
        return send_reply_to(job.thread_ts, job.series)
    return send_lesson_reply_to(job.thread_ts, job.series)


def run_sender(ports: dict[str, int], fake_root: str, conn: Connection) -> None:
    """A sender process: one kept-alive connection to each app, then jobs until told to
    stop. For each job it says it is ready, waits for "go", sends its requests (bare and
    Lessonloop in turn, alternating which goes first) and sends back the timings."""
    fake = FakeAt(fake_root)
    pair = (
        KeepAliveDriver(BARE, ports[BARE], fake),
        KeepAliveDriver(LESSONLOOP, ports[LESSONLOOP], fake),
    )
    try:
        while (job := conn.recv()) != STOP:
            send = sender_for(job)
            conn.send("ready")
            conn.recv()  # go
            samples: Samples = {BARE: [], LESSONLOOP: []}
            try:
                for i in job.numbers:
                    if job.pause:
                        time.sleep(job.pause)
                    for driver in pair if i % 2 == 0 else pair[::-1]:
                        seconds = send(driver, i)
                        if i >= job.warmup:
                            samples[driver.name].append(seconds)
            except Exception as error:  # reported by the main process
                conn.send(f"{type(error).__name__}: {error}")
                continue
            conn.send(samples)
    finally:
        for driver in pair:
            driver.close()


class Senders:
    """Sender processes, started once and kept for every surface. Each sender is a process
    of its own, as Slack's senders are: threads of one process would wait for each other's
    interpreter lock, and for that of the fake Web API answering the app's calls in the
    same process, and that wait (milliseconds at 8 senders, measured inside the apps)
    would be counted against whichever app's response had just arrived."""

    def __init__(self, count: int, ports: dict[str, int], fake: FakeSlack) -> None:
        context = multiprocessing.get_context("spawn")
        self._conns: list[Connection] = []
        self._series = 0
        self._processes: list[multiprocessing.process.BaseProcess] = []
        for number in range(count):
            ours, theirs = context.Pipe()
            process = context.Process(
                target=run_sender, args=(ports, fake.root, theirs), name=f"sender-{number}"
            )
            process.start()
            theirs.close()
            self._conns.append(ours)
            self._processes.append(process)

    def measure(
        self, surface: str, thread_ts: str, *, level: int, warmup: int, requests: int, pause: float
    ) -> Samples:
        """Warm up, then measure, with `level` senders at once; `requests` and `warmup`
        are per app, shared out among the senders in turn."""
        conns = self._conns[:level]
        self._series += 1
        for k, conn in enumerate(conns):
            numbers = tuple(range(k, warmup + requests, level))
            conn.send(Job(surface, thread_ts, self._series, numbers, warmup, pause))
        for conn in conns:
            if conn.recv() != "ready":
                raise RuntimeError("a sender process did not get ready")
        for conn in conns:
            conn.send("go")
        samples: Samples = {BARE: [], LESSONLOOP: []}
        for conn in conns:
            result = conn.recv()
            if isinstance(result, str):
                raise RuntimeError(f"a sender failed: {result}")
            for name in (BARE, LESSONLOOP):
                samples[name].extend(result[name])
        return samples

    def close(self) -> None:
        for conn in self._conns:
            with suppress(OSError):
                conn.send(STOP)
        for process in self._processes:
            process.join(timeout=SETTLE_TIMEOUT_S)
            if process.is_alive():
                process.terminate()


def improve_lesson(i: int) -> str:
    """Realistic lessons, most of which the seeded library has seen before."""
    pattern = IMPROVE[i % len(IMPROVE)]
    return pattern.format(s=SUBJECTS[(i // len(IMPROVE)) % len(SUBJECTS)]).capitalize()


def send_lesson_reply_to(thread_ts: str, series: int) -> Send:
    def send(driver: KeepAliveDriver, i: int) -> float:
        ts, event_id = unique_message(series, i)
        _ts, _event_id, response = driver.reply(
            f"{improve_lesson(i)} (seen in run {i})",
            user=USERS[i % len(USERS)],
            channel=CHANNEL,
            thread_ts=thread_ts,
            ts=ts,
            event_id=event_id,
        )
        return seconds_of(response)

    return send


# --- What the real app stored --------------------------------------------------------------


def wait_until(predicate: Callable[[], bool], *, timeout: float = SETTLE_TIMEOUT_S) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


def count(
    sessions: sessionmaker[Session], entity: type[Postmortem] | type[Answer] | type[Lesson]
) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(entity)) or 0


def prompted_postmortems(sessions: sessionmaker[Session]) -> int:
    """Post-mortems whose start finished: the first step's prompt is posted and noted."""
    with sessions() as session:
        query = (
            select(func.count()).select_from(Postmortem).where(Postmortem.prompt_ref.is_not(None))
        )
        return session.scalar(query) or 0


def start_review(
    driver: KeepAliveDriver,
    fake: FakeSlack,
    sessions: sessionmaker[Session],
    *,
    title: str = "Benchmark reply thread",
) -> str:
    """Start one post-mortem through the app and return its thread ts, found in the fake."""
    seconds_of(driver.command(f"start {title}", user=USERS[0], channel=CHANNEL))

    def root_ts() -> str | None:
        for (channel, ts), message in list(fake.messages.items()):
            if channel == CHANNEL and "thread_ts" not in message and title in message["text"]:
                return ts
        return None

    thread_ts: str = fake.wait_for(root_ts, what="root message of the reply thread")

    def prompted() -> bool:
        with sessions() as session:
            query = select(Postmortem.prompt_ref).where(
                Postmortem.team_id == TEAM_ID, Postmortem.thread_ref == thread_ts
            )
            return session.scalar(query) is not None

    fake.wait_for(prompted, what="first prompt of the reply thread")
    return thread_ts


def seed_library(engine: Engine) -> None:
    """Earlier lessons from a closed review in another public channel: what a lesson reply
    is compared with."""
    now = datetime.now(UTC)
    with engine.begin() as connection:
        connection.execute(
            insert(Conversation),
            [
                {"team_id": TEAM_ID, "channel_id": c, "name": c.lower(), "is_private": False}
                | {"checked_at": now}
                for c in (CHANNEL, OLD_CHANNEL)
            ],
        )
        old = connection.execute(
            insert(Postmortem).returning(Postmortem.id),
            {
                "team_id": TEAM_ID,
                "channel_id": OLD_CHANNEL,
                "thread_ref": "1700000000.000001",
                "permalink": "https://example.invalid/archives/old",
                "title": "Last quarter's outage",
                "kind": PostmortemKind.INCIDENT,
                "facilitator_id": USERS[0],
                "status": PostmortemStatus.CLOSED,
                "phase": Phase.WRAP_UP,
                "skipped_phases": [],
                "created_at": now,
                "updated_at": now,
            },
        ).scalar_one()
        connection.execute(
            insert(Lesson),
            [
                {
                    "team_id": TEAM_ID,
                    "channel_id": OLD_CHANNEL,
                    "postmortem_id": old,
                    "kind": LessonKind.IMPROVE,
                    "text": f"{improve_lesson(i)}, again, in week {i % 52}",
                    "author_id": USERS[i % len(USERS)],
                    "tags": [],
                    "created_at": now,
                    "updated_at": now,
                }
                for i in range(LIBRARY_SIZE)
            ],
        )


def review_in_improve_step(
    driver: KeepAliveDriver, fake: FakeSlack, sessions: sessionmaker[Session]
) -> str:
    """Start a review through the app and press Next until it asks what to improve."""
    thread_ts = start_review(driver, fake, sessions, title="Benchmark lesson thread")
    with sessions() as session:
        postmortem_id = session.scalars(
            select(Postmortem.id).where(Postmortem.thread_ref == thread_ts)
        ).one()
    for phase in (Phase.IMPACT, Phase.TIMELINE, Phase.WENT_WELL):
        seconds_of(
            driver.click(
                ActionId.PHASE_NEXT,
                phase_value(postmortem_id, phase),
                user=USERS[0],
                channel=CHANNEL,
                message_ts=thread_ts,
                thread_ts=thread_ts,
            )
        )

        def prompted(after: Phase = phase) -> bool:
            with sessions() as session:
                row = session.get_one(Postmortem, postmortem_id)
                return row.phase is after.next() and row.prompt_ref is not None

        fake.wait_for(prompted, what=f"prompt after {phase}")
    return thread_ts


def at_least(current: Callable[[], int], expected: int) -> bool:
    return current() >= expected


def settle(label: str, current: Callable[[], int], expected: int, *, verb: str = "Stored") -> None:
    """Wait for the app's background work to store (or send) `expected`; warn if it does
    not."""
    wait_until(lambda: current() >= expected)
    stored = current()
    print(f"{verb} {label}: {stored} of {expected} sent")
    if stored != expected:
        print(f"WARNING: expected {expected} {label}, found {stored}", file=sys.stderr)


# --- Report --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Stats:
    p50: float
    p99: float
    mean: float
    max: float

    @classmethod
    def of(cls, seconds: list[float]) -> Stats:
        """Milliseconds; p99 by nearest rank."""
        ordered = sorted(s * 1000 for s in seconds)
        return cls(
            p50=statistics.median(ordered),
            p99=ordered[math.ceil(0.99 * len(ordered)) - 1],
            mean=statistics.fmean(ordered),
            max=ordered[-1],
        )


def report(results: dict[str, Samples], args: argparse.Namespace) -> bool:
    """Print the table and the verdict; True when every surface meets the target."""
    print(
        f"Python {platform.python_version()} ({platform.python_implementation()}), "
        f"{os.cpu_count()} CPUs, {platform.platform()}, load average "
        + " ".join(f"{x:.2f}" for x in os.getloadavg())
    )
    pace = f"{args.pause_ms:g} ms pause between rounds" if args.pause_ms else "back to back"
    print(
        f"N = {args.requests} measured requests per surface, concurrency and app, after "
        f"{args.warmup} warm-up; bare and lessonloop alternating, {pace}"
    )
    print()
    print(f"{'surface':<26} {'app':<11} {'p50 ms':>8} {'p99 ms':>8} {'mean ms':>8} {'max ms':>8}")
    for surface, samples in results.items():
        for app in (BARE, LESSONLOOP):
            stats = Stats.of(samples[app])
            print(
                f"{surface:<26} {app:<11} {stats.p50:>8.2f} {stats.p99:>8.2f} "
                f"{stats.mean:>8.2f} {stats.max:>8.2f}"
            )
    print()
    print(
        f"Target: lessonloop p50 within {TARGET_P50_RATIO}x and p99 within "
        f"{TARGET_P99_RATIO}x of the bare app's"
    )
    passed = True
    for surface, samples in results.items():
        ours, bare = Stats.of(samples[LESSONLOOP]), Stats.of(samples[BARE])
        p50, p99 = ours.p50 / bare.p50, ours.p99 / bare.p99
        ok = p50 <= TARGET_P50_RATIO and p99 <= TARGET_P99_RATIO
        passed = passed and ok
        print(f"{surface:<26} p50 {p50:.2f}x  p99 {p99:.2f}x  {'PASS' if ok else 'FAIL'}")
    print(f"Overall: {'PASS' if passed else 'FAIL'}")
    return passed


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Ack latency of Lessonloop vs a bare Bolt app.")
    parser.add_argument(
        "--requests", type=int, default=DEFAULT_REQUESTS, metavar="N", help="per surface and app"
    )
    parser.add_argument(
        "--warmup", type=int, default=DEFAULT_WARMUP, metavar="N", help="per surface and app"
    )
    parser.add_argument(
        "--pause-ms",
        type=float,
        default=0.0,
        metavar="MS",
        help="unmeasured pause before each bare+lessonloop round (default 0: back to back)",
    )
    parser.add_argument(
        "--concurrency",
        default="1,8",
        metavar="N[,N...]",
        help="how many senders at once; each level is measured (default 1,8)",
    )
    parser.add_argument("--check", action="store_true", help="exit 1 if the target is missed")
    args = parser.parse_args(argv)
    try:
        args.levels = [int(level) for level in args.concurrency.split(",")]
    except ValueError:
        parser.error("--concurrency takes whole numbers separated by commas, e.g. 1,8")
    if not args.levels or min(args.levels) < 1:
        parser.error("--concurrency levels must be at least 1")
    if args.requests < 1 or args.warmup < 0 or args.pause_ms < 0:
        parser.error("--requests must be at least 1; --warmup and --pause-ms at least 0")
    if args.requests + args.warmup > 9999 or len(args.levels) > 20:
        parser.error("at most 9,999 requests and warm-ups, and 20 levels (event ids are numbered)")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    quiet_logging()
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="lessonloop-bench-")))
        fake = stack.enter_context(FakeSlack())
        database_url = f"sqlite:///{tmp / 'lessonloop.db'}"
        engine = make_engine(database_url)
        stack.callback(engine.dispose)
        upgrade_schema(engine)
        seed_library(engine)
        fake.add_channel(CHANNEL, "bench")
        sessions = make_sessions(engine)

        ports = {
            name: stack.enter_context(app_process(AppSpec(name, fake.api_url, database_url)))
            for name in (BARE, LESSONLOOP)
        }
        lessonloop = KeepAliveDriver(LESSONLOOP, ports[LESSONLOOP], fake)  # to set up
        stack.callback(lessonloop.close)
        thread_ts = start_review(lessonloop, fake, sessions)
        lesson_thread_ts = review_in_improve_step(lessonloop, fake, sessions)
        senders = Senders(max(args.levels), ports, fake)
        stack.callback(senders.close)
        sent = args.warmup + args.requests
        results: dict[str, Samples] = {}
        starts = replies = 0
        behind: dict[int, float] = {}
        for level in args.levels:

            def run(surface: str, thread: str = "", level: int = level) -> Samples:
                return senders.measure(
                    surface,
                    thread,
                    level=level,
                    warmup=args.warmup,
                    requests=args.requests,
                    pause=args.pause_ms / 1000,
                )

            label = f" x{level}"
            results[START + label] = run(START)
            starts += sent
            # Let the starts finish, so that what follows is measured on its own; how long
            # that takes is how far the inbox workers are behind the last acknowledgement.
            acked = time.perf_counter()
            wait_until(partial(at_least, partial(prompted_postmortems, sessions), 2 + starts))
            behind[level] = time.perf_counter() - acked
            results[BUTTON + label] = run(BUTTON)
            results[REPLY + label] = run(REPLY, thread_ts)
            results[LESSON_REPLY + label] = run(LESSON_REPLY, lesson_thread_ts)
            replies += 2 * sent
            wait_until(partial(at_least, partial(count, sessions, Answer), replies))

        passed = report(results, args)
        print()
        for level, seconds in behind.items():
            print(
                f"{sent} /postmortem start x{level}: the last first prompt posted {seconds:.2f} s"
                " after the last acknowledgement"
            )
        # The two reply threads' reviews, the seeded closed one, and one per start.
        settle("post-mortems", lambda: count(sessions, Postmortem), 3 + starts)
        settle(
            "post-mortems with their first prompt",
            lambda: prompted_postmortems(sessions),
            2 + starts,
        )
        settle("answers", lambda: count(sessions, Answer), replies)
        # Each Dismiss click's work (run by the inbox workers) deletes the note through
        # the click's response_url; the bare app calls none.
        settle(
            "Dismiss clicks",
            lambda: sum(path.startswith("/response/action-") for path in fake.response_paths),
            sent * len(args.levels),
            verb="Answered",
        )
        lesson_replies = replies // 2
        settle(
            "lessons from replies", lambda: count(sessions, Lesson), LIBRARY_SIZE + lesson_replies
        )

        def notes() -> int:
            posts = fake.posts_in_thread(CHANNEL, lesson_thread_ts)
            return sum(bool(SEEN.search(p.get("text", ""))) for p in posts)

        def owed() -> int:
            with sessions() as session:
                pending = Delivery.status == DeliveryStatus.PENDING
                return session.scalar(select(func.count()).where(pending)) or 0

        # The notes go out through the outbox, in the background, after the replies.
        noted = time.perf_counter()
        wait_until(lambda: owed() == 0, timeout=120)
        print(
            f"Similarity notes posted in the lesson thread: {notes()} for {lesson_replies} "
            f"lesson replies, all owed messages sent {time.perf_counter() - noted:.1f} s after "
            f"the last reply was recorded ({owed()} still owed). Each word of a new lesson "
            "brings only the latest lessons using it, so once hundreds of this one review's "
            "own replies are the latest, the seeded library's lessons drop out of the check "
            "and later replies get no note."
        )
    return 1 if args.check and not passed else 0


if __name__ == "__main__":
    sys.exit(main())
