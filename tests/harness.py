"""The real app on a loopback port, its WebClient pointed at a fake Slack."""

from __future__ import annotations

import threading
from typing import Any

from waitress.server import create_server

from bot.app import Lessonloop, create_app
from bot.config import load_settings
from bot.server import SERVER_OPTIONS, make_wsgi_app
from models.clock import Clock
from models.db import make_engine
from tests.fakeslack import FakeSlack
from tests.slackdriver import SlackDriver

SIGNING_SECRET = "test-signing-secret"


class AppHarness:
    """Starts fake Slack and the app; `restart()` builds a new app on the same database,
    as a new process would."""

    def __init__(self, database_url: str, clock: Clock) -> None:
        self.database_url, self.clock = database_url, clock
        self.fake = FakeSlack()
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self.lessonloop: Lessonloop | None = None

    def __enter__(self) -> AppHarness:
        self.fake.__enter__()
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
        self.fake.__exit__()

    @property
    def services(self) -> Any:
        assert self.lessonloop is not None
        return self.lessonloop.services

    def start(self) -> None:
        settings = load_settings(
            {
                "SLACK_BOT_TOKEN": "xoxb-test-token",
                "SLACK_SIGNING_SECRET": SIGNING_SECRET,
                "SLACK_API_URL": self.fake.api_url,
                "DATABASE_URL": self.database_url,
                "LESSONLOOP_TIMEZONE": "Europe/London",
            },
            env_file=None,
        )
        engine = make_engine(self.database_url)
        self.lessonloop = create_app(settings, clock=self.clock, engine=engine)
        self._server = create_server(
            make_wsgi_app(self.lessonloop.bolt, engine, signing_secret=SIGNING_SECRET),
            host="127.0.0.1",
            port=0,
            threads=4,
            **SERVER_OPTIONS,
        )
        self.lessonloop.inbox.start()
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        self.driver = SlackDriver(
            f"http://127.0.0.1:{self._server.effective_port}", SIGNING_SECRET, self.fake
        )

    def stop(self) -> None:
        """Stop like a killed process: no draining, listeners in flight are abandoned."""
        if self._server is None:
            return
        server, thread = self._server, self._thread
        # Close every socket from inside waitress's own loop, which then ends.
        server.trigger.pull_trigger(
            lambda: [channel.close() for channel in list(server._map.values())]
        )
        assert thread is not None
        thread.join(timeout=5)
        server.task_dispatcher.shutdown(cancel_pending=True, timeout=1)
        assert self.lessonloop is not None
        self.lessonloop.inbox.stop()
        self.lessonloop.bolt.listener_runner.listener_executor.shutdown(wait=True)
        self.lessonloop.services.engine.dispose()
        self._server = None

    def restart(self) -> None:
        self.stop()
        self.start()
