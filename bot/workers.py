"""The thread pool that runs listeners' work after Slack has its acknowledgement."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")


class BoundedExecutor(ThreadPoolExecutor):
    """A ThreadPoolExecutor whose queue holds at most `backlog` tasks: past that, `submit`
    waits for a slot. Under a burst, work waits in the request threads (and so in Slack's
    connection) instead of piling up in memory; nothing is dropped."""

    def __init__(self, *, workers: int, backlog: int, name: str) -> None:
        super().__init__(max_workers=workers, thread_name_prefix=name)
        self._slots = threading.BoundedSemaphore(workers + backlog)

    def submit(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        self._slots.acquire()
        try:
            future = super().submit(fn, *args, **kwargs)
        except BaseException:
            self._slots.release()
            raise
        future.add_done_callback(self._release)
        return future

    def _release(self, _future: Future[Any]) -> None:
        self._slots.release()
