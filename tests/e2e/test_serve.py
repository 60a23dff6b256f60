"""`lessonloop serve` as a real process: configuration errors, first start, SIGKILL."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from handlers.slack.ids import ActionId
from handlers.slack.messages import time_of
from models.core.clock import SystemClock
from models.core.db import make_engine, upgrade_schema
from models.postmortems.phases import Phase
from models.postmortems.tables import Answer
from models.services import Services
from tests.e2e.review import BEA, CAI, CHANNEL, FACILITATOR
from tests.fakeslack import TEAM_ID, FakeSlack
from tests.harness import SIGNING_SECRET
from tests.slackdriver import SlackDriver

pytestmark = pytest.mark.slow
REPO = Path(__file__).parents[2]


def lessonloop(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    environment = {
        "PATH": os.environ["PATH"],
        "PYTHONPATH": str(REPO),
        "HOME": str(cwd),
        **env,
    }
    return subprocess.Popen(
        [sys.executable, "-m", "bot.cli", *args],
        cwd=cwd,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_missing_configuration_is_one_clear_message_and_exit_2(tmp_path: Path) -> None:
    process = lessonloop("serve", cwd=tmp_path, env={"SLACK_API_URL": "not a url"})
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == 2
    assert "SLACK_BOT_TOKEN is not set" in stderr
    assert "SLACK_SIGNING_SECRET is not set" in stderr
    assert "SLACK_API_URL must be an http(s) URL" in stderr
    assert "manifest.json" in stderr and ".env.example" in stderr
    assert "Traceback" not in stderr


def test_configuration_is_read_from_a_dotenv_file(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("SLACK_BOT_TOKEN=xoxp-wrong-kind\nSLACK_SIGNING_SECRET=s\n")
    process = lessonloop("serve", cwd=tmp_path, env={})
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == 2
    assert "SLACK_BOT_TOKEN should start with `xoxb-`" in stderr


@pytest.mark.parametrize("command", ["serve", "scheduler"])
def test_slack_unreachable_at_start_is_one_clear_message_and_exit_2(
    tmp_path: Path, command: str
) -> None:
    api_url = f"http://127.0.0.1:{_free_port()}/api/"  # nothing listens there
    process = lessonloop(
        command,
        cwd=tmp_path,
        env={
            "SLACK_BOT_TOKEN": "xoxb-test-token",
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": api_url,
        },
    )
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 2, stderr
    assert f"could not reach the Slack Web API at {api_url} (" in stderr
    assert "SLACK_API_URL is right" in stderr
    assert "Traceback" not in stderr


class Server:
    """`lessonloop serve` (or `args`) as a real process, against `fake`, with `env` added to
    the settings a test Slack app needs."""

    def __init__(
        self,
        cwd: Path,
        fake: FakeSlack,
        *,
        args: tuple[str, ...] = ("serve",),
        env: dict[str, str] | None = None,
    ) -> None:
        self.cwd, self.fake, self.args, self.env = cwd, fake, args, env or {}
        self.port = _free_port()
        self.process: subprocess.Popen[str] | None = None
        self.driver = SlackDriver(f"http://127.0.0.1:{self.port}", SIGNING_SECRET, fake)

    def start(self) -> None:
        self.process = lessonloop(
            *self.args,
            cwd=self.cwd,
            env={
                "SLACK_BOT_TOKEN": "xoxb-test-token",
                "SLACK_SIGNING_SECRET": SIGNING_SECRET,
                "SLACK_API_URL": self.fake.api_url,
                "PORT": str(self.port),
                "HOST": "127.0.0.1",
                **self.env,
            },
        )
        self.fake.wait_for(self.healthy, timeout=60, what="/healthz")

    def healthy(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            raise AssertionError(self.process.communicate()[1])
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=1) as r:
                return r.status == 200
        except OSError:
            return False

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.communicate(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.communicate(timeout=10)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    with FakeSlack() as fake:
        server = Server(tmp_path, fake)
        try:
            yield server
        finally:
            server.stop()


def test_first_start_creates_the_sqlite_database_and_is_healthy(server: Server) -> None:
    server.start()
    assert (server.cwd / "lessonloop.db").is_file()
    assert server.fake.calls_to("auth.test"), "the token is checked at start"


def test_killed_mid_review_the_next_reply_lands_in_the_right_phase(server: Server) -> None:
    server.start()
    fake, driver = server.fake, server.driver
    # Next acts only for people who may read the review's channel (issue 10).
    fake.add_channel(CHANNEL, "incidents", members=(FACILITATOR, BEA, CAI))
    engine = make_engine(f"sqlite:///{server.cwd / 'lessonloop.db'}")

    def answers() -> list[tuple[str, Phase]]:
        with engine.connect() as connection:
            return [
                tuple(row)
                for row in connection.execute(
                    select(Answer.author_id, Answer.phase).order_by(Answer.id)
                )
            ]

    driver.command("start Search latency regression", user=FACILITATOR, channel=CHANNEL)
    root = fake.wait_for(
        lambda: [p for p in fake.calls_to("chat.postMessage") if "thread_ts" not in p]
    )[0]
    prompt = fake.wait_for(lambda: fake.posts_in_thread(CHANNEL, root["ts"]))[0]
    driver.reply("p99 doubled for 40 minutes", user=BEA, channel=CHANNEL, thread_ts=root["ts"])
    # The reply is recorded after its ack, on a listener thread: clicking Next before it
    # is stored races it (on a busy machine the click won and the reply became timeline).
    fake.wait_for(lambda: answers() == [(BEA, Phase.IMPACT)], what="first answer")
    next_button = prompt["blocks"][-1]["elements"][-1]
    assert next_button["action_id"] == ActionId.PHASE_NEXT
    driver.click(
        ActionId.PHASE_NEXT,
        next_button["value"],
        user=FACILITATOR,
        channel=CHANNEL,
        message_ts=prompt["ts"],
        thread_ts=root["ts"],
    )
    fake.wait_for(lambda: len(fake.posts_in_thread(CHANNEL, root["ts"])) == 2, what="step 2")

    server.kill()
    server.start()
    driver.reply(
        "09:12 deploy of the new ranking model", user=CAI, channel=CHANNEL, thread_ts=root["ts"]
    )

    fake.wait_for(lambda: len(answers()) == 2, timeout=30, what="second answer")
    assert answers() == [(BEA, Phase.IMPACT), (CAI, Phase.TIMELINE)]
    engine.dispose()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_scheduler_process_sends_what_is_owed(tmp_path: Path) -> None:
    database = tmp_path / "lessonloop.db"
    engine = make_engine(f"sqlite:///{database}")
    upgrade_schema(engine)
    services = Services.build(engine, SystemClock())
    postmortem = services.postmortems.start(
        team_id=TEAM_ID,
        channel_id=CHANNEL,
        thread_ref="1700000000.000001",
        posted_at=time_of("1700000000.000001"),
        title="Owed",
        facilitator_id=FACILITATOR,
    )
    services.actions.add(
        team_id=TEAM_ID,
        postmortem_id=postmortem.id,
        description="add an alert",
        owner_id=BEA,
        target_on=None,
        lesson_id=None,
        created_by=FACILITATOR,
        today=SystemClock().now().date(),
    )
    services.postmortems.close(team_id=TEAM_ID, postmortem_id=postmortem.id, by_user=FACILITATOR)
    engine.dispose()

    with FakeSlack() as fake:
        process = lessonloop(
            "scheduler",
            cwd=tmp_path,
            env={
                "SLACK_BOT_TOKEN": "xoxb-test-token",
                "SLACK_SIGNING_SECRET": SIGNING_SECRET,
                "SLACK_API_URL": fake.api_url,
            },
        )
        try:
            dm = fake.wait_for(
                lambda: [
                    p for p in fake.calls_to("chat.postMessage") if p["channel"] == "D0BEA0002"
                ],
                timeout=30,
                what="owner DM from the scheduler",
            )
            assert "add an alert" in dm[0]["text"]
            assert fake.posts_in_thread(CHANNEL, "1700000000.000001"), "summary posted"
        finally:
            process.terminate()
            process.communicate(timeout=10)
        assert process.returncode == 0
