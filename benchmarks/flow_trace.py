"""The path of a thread reply and of a Done click through the app: which of the app's files
the request passes through and how many database transactions it opens.

Run from the repository root:

    python benchmarks/flow_trace.py

The real app serves signed requests over HTTP with its WebClient pointed at the fake Slack
of tests/fakeslack.py, on a migrated SQLite database in a temporary directory. A review is
driven to its timeline step (the reply) and to an action owned by Bea (the Done click on her
reminder DM); only the measured request is traced. Transactions are counted with
SQLAlchemy's `begin` engine event (one per connection-level BEGIN, from the request thread,
Bolt's listener pool and the inbox workers alike); files with a profiler set on every
thread, keeping the repository's own modules under bot/, handlers/, models/ and templates/.
"""

from __future__ import annotations

import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from types import FrameType
from typing import Any

from sqlalchemy import event

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from handlers.slack.ids import ActionId  # noqa: E402
from models.core.clock import FrozenClock  # noqa: E402
from models.core.db import make_engine, upgrade_schema  # noqa: E402
from tests.e2e.followthrough import CHANNEL, buttons, seed_actions  # noqa: E402
from tests.e2e.review import BEA, Review  # noqa: E402
from tests.harness import AppHarness  # noqa: E402

LAYERS = ("bot", "handlers", "models", "templates")
SETTLE = 1.0  # seconds of quiet after the effect, for work still running after it


@dataclass(frozen=True, slots=True)
class Trace:
    files: tuple[str, ...]
    transactions: int
    openers: tuple[str, ...]  # the app's function that opened each transaction


def _opener() -> str:
    """The innermost function of the app's own code on the stack (file:function)."""
    frame: FrameType | None = sys._getframe(1)
    while frame is not None:
        name = frame.f_code.co_filename
        if name.startswith(str(ROOT)):
            relative = Path(name).relative_to(ROOT).as_posix()
            # models/core/db.py only opens sessions; name the use case that asked for one.
            if relative.split("/", 1)[0] in LAYERS and relative != "models/core/db.py":
                return f"{relative}:{frame.f_code.co_name}"
        frame = frame.f_back
    return "?"


class Tracer:
    """Installed before the app starts, so every thread it makes (waitress's, Bolt's
    pool, the inbox workers) carries the profiler; it records only while `measuring`."""

    def __init__(self) -> None:
        self.files: set[str] = set()
        self.begins = 0
        self.openers: list[str] = []
        self.measuring = False
        self._lock = threading.Lock()

    def install(self) -> None:
        threading.setprofile(self._profile)
        sys.setprofile(self._profile)

    def uninstall(self) -> None:
        sys.setprofile(None)
        threading.setprofile(None)  # type: ignore[arg-type]

    def on_begin(self, _connection: Any) -> None:
        # The benchmark's own reads (waiting for an effect) run on the main thread.
        if self.measuring and threading.current_thread() is not threading.main_thread():
            with self._lock:
                self.begins += 1
                self.openers.append(_opener())

    def _profile(self, frame: FrameType, what: str, _arg: Any) -> None:
        if not self.measuring or what != "call":
            return
        if threading.current_thread() is threading.main_thread():
            return
        name = frame.f_code.co_filename
        if name.startswith(str(ROOT)):
            relative = Path(name).relative_to(ROOT).as_posix()
            if relative.split("/", 1)[0] in LAYERS:
                self.files.add(relative)

    def measure(
        self, app: AppHarness, request: Callable[[], None], done: Callable[[], Any]
    ) -> Trace:
        time.sleep(SETTLE)  # what set the scene (a prompt still being sent) is not counted
        engine = app.services.engine
        event.listen(engine, "begin", self.on_begin)
        self.files, self.begins, self.openers, self.measuring = set(), 0, [], True
        try:
            request()
            app.fake.wait_for(done, what="the request's effect")
            time.sleep(SETTLE)
        finally:
            self.measuring = False
            event.remove(engine, "begin", self.on_begin)
        return Trace(tuple(sorted(self.files)), self.begins, tuple(self.openers))


def thread_reply(app: AppHarness, tracer: Tracer) -> Trace:
    review = Review(app)
    review.start("Checkout outage")

    def reply() -> None:
        review.reply("10:02 the deploy started and checkout errors rose", user=BEA)

    return tracer.measure(app, reply, lambda: True)


def done_click(app: AppHarness, tracer: Tracer, today: date) -> Trace:
    """Done on the Home tab: the update, then the tab published again."""
    seed_actions(app.services, [BEA], today=today)
    app.driver.command("", user=BEA, channel=CHANNEL, command="/actions")
    listing = app.fake.wait_for(
        lambda: [p for p in app.fake.calls_to("response_url") if p.get("blocks")],
        what="the /actions listing",
    )[-1]
    done = buttons(listing, ActionId.UPDATE_DONE)[0]
    published = len(app.fake.calls_to("views.publish"))

    def click() -> None:
        app.driver.block_actions(
            {key: done[key] for key in ("action_id", "block_id", "value")} | {"type": "button"},
            user=BEA,
            container={"type": "view", "view_id": "V0HOME0001"},
            view={"id": "V0HOME0001", "type": "home", "blocks": []},
        )

    return tracer.measure(app, click, lambda: app.fake.calls_to("views.publish")[published:])


def main() -> None:
    now = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    scenarios: dict[str, Callable[[AppHarness, Tracer], Trace]] = {
        "thread reply": thread_reply,
        "Done click on the Home tab": lambda app, tracer: done_click(app, tracer, now.date()),
    }
    with tempfile.TemporaryDirectory() as directory:
        template = Path(directory) / "template.db"
        engine = make_engine(f"sqlite:///{template}")
        upgrade_schema(engine)
        engine.dispose()
        for number, (name, run) in enumerate(scenarios.items()):
            path = Path(directory) / f"scenario{number}.db"
            path.write_bytes(template.read_bytes())
            tracer = Tracer()
            tracer.install()
            try:
                with AppHarness(f"sqlite:///{path}", FrozenClock(now)) as app:
                    trace = run(app, tracer)
            finally:
                tracer.uninstall()
            print(f"{name}: {trace.transactions} transactions, {len(trace.files)} files")
            print(" transactions opened by:")
            for opener in trace.openers:
                print(f"  {opener}")
            print(" files:")
            for file in trace.files:
                print(f"  {file}")


if __name__ == "__main__":
    main()
