"""Workers that process stored Teams activities (see handlers/slack/inbox.py for Slack's)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from models.core.inbox import Inbox
from models.core.references import Platform

log = logging.getLogger(__name__)

BATCH = 20
POLL_SECONDS = 2.0


class TeamsInboxWorkers:
    def __init__(
        self, inbox: Inbox, handle: Callable[[dict[str, Any]], None], *, threads: int
    ) -> None:
        self._inbox, self._handle, self._count = inbox, handle, threads
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []

    def wake(self) -> None:
        self._wake.set()

    def start(self) -> None:
        for number in range(self._count):
            thread = threading.Thread(target=self._run, name=f"teams-inbox-{number}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self, *, timeout: float = 5.0) -> None:
        self._stopping.set()
        self._wake.set()
        for thread in self._threads:
            thread.join(timeout)
        self._threads.clear()

    def drain(self) -> int:
        taken = 0
        while not self._stopping.is_set() and (
            batch := self._inbox.claim(limit=BATCH, platform=Platform.TEAMS)
        ):
            taken += len(batch)
            # Marked done together: a repeat after a crash is dropped where it takes effect.
            done = [i for i, activity in batch if self._process(i, activity)]
            self._inbox.mark_processed(*done)
        return taken

    def purge(self) -> None:
        """Forget activities processed long ago (and the ids kept to drop their repeats)."""
        self._inbox.purge()

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                taken = self.drain()
            except Exception:  # the database went away: log, wait, try again
                log.exception("teams inbox worker could not claim activities")
                taken = 0
            if not taken:
                self._wake.wait(POLL_SECONDS)
                self._wake.clear()

    def _process(self, inbound_id: int, activity: dict[str, Any]) -> bool:
        """True when done; a failure is marked to be tried again later."""
        try:
            self._handle(activity)
        except Exception as error:  # stored: tried again later, given up on after a few
            log.warning("activity %s failed and will be retried", activity.get("id"), exc_info=True)
            if self._inbox.mark_failed(inbound_id=inbound_id, error=repr(error)):
                log.error("gave up on activity %s after repeated failures", activity.get("id"))
            return False
        return True
