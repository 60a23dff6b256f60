"""The real app on a loopback port, its WebClient pointed at a fake Slack."""

from __future__ import annotations

import threading
from typing import Any

from waitress import wasyncore
from waitress.server import create_server

from bot.app import Lessonloop, create_app
from bot.config import load_settings
from bot.server import SERVER_OPTIONS, make_wsgi_app
from models.core.clock import Clock
from models.core.db import make_engine
from tests.fakeslack import FakeSlack
from tests.slackdriver import SlackDriver

SIGNING_SECRET = "test-signing-secret"


class AppHarness:
    """Starts fake Slack and the app; `restart()` builds a new app on the same database,
    as a new process would."""

    def __init__(
        self, database_url: str, clock: Clock, env: dict[str, str | None] | None = None
    ) -> None:
        """`env`: settings to add to the defaults below, or (None) to leave out."""
        self.database_url, self.clock = database_url, clock
        self.env = env or {}
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
        values = {
            "SLACK_BOT_TOKEN": "xoxb-test-token",
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": self.fake.api_url,
            "DATABASE_URL": self.database_url,
            "LESSONLOOP_TIMEZONE": "Europe/London",
        }
        for name, value in self.env.items():
            if value is None:
                values.pop(name, None)
            else:
                values[name] = value
        settings = load_settings(values, env_file=None)
        engine = make_engine(self.database_url)
        self.lessonloop = create_app(settings, clock=self.clock, engine=engine)
        self._server = create_server(
            make_wsgi_app(
                self.lessonloop.bolt,
                engine,
                signing_secret=SIGNING_SECRET,
                jira=self.lessonloop.jira.webhook if self.lessonloop.jira else None,
                keep=self.lessonloop.intake.keep,
            ),
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
        assert thread is not None
        # waitress's map belongs to its loop thread, so the loop itself closes the sockets
        # (connections drop, as when a process dies) and then leaves the trigger out of
        # the map, which ends the loop. It must not close the trigger: it can run this
        # thunk on an earlier wake-up before pull_trigger has written to the pipe, which
        # then raised EBADF here; and worker threads still finishing requests pull it too.
        server.trigger.pull_trigger(lambda: _drop_connections(server))
        thread.join(timeout=60)
        assert not thread.is_alive(), "waitress's loop did not end"
        server.task_dispatcher.shutdown(cancel_pending=True, timeout=60)
        # Only now that no thread can pull it is the trigger closed: a write to a closed
        # pipe would raise, and one to its reused descriptor would land in another file.
        server.trigger.close()
        assert self.lessonloop is not None
        self.lessonloop.inbox.stop()
        self.lessonloop.bolt.listener_runner.listener_executor.shutdown(wait=True)
        self.lessonloop.services.engine.dispose()
        self._server = None

    def restart(self) -> None:
        self.stop()
        self.start()


def _drop_connections(server: Any) -> None:
    for dispatcher in list(server._map.values()):
        if dispatcher is server.trigger:
            dispatcher.del_channel()
        elif dispatcher is server:
            # The listening socket; the server's own close() would close the trigger too.
            wasyncore.dispatcher.close(server)
        else:
            # handle_close, unlike close, also wakes a worker waiting to write to it.
            dispatcher.handle_close()
