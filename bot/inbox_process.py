"""Stored events processed in a process of their own, beside the web process.

The web process only verifies, stores and acknowledges; the inbox workers (and the
scheduler's ticks) run here, so their Python work (the coach, similarity checks, rendering)
never holds the web process's GIL while Slack waits for an acknowledgement. The web process
wakes this one with a byte on a socketpair after each stored event; the workers also poll
(`POLL_SECONDS`), so a lost wake only delays an event. Either process can crash without
losing anything: events are stored before they are acknowledged, and a claim whose process
died runs out and is taken again. The web process restarts a worker process that died; a
worker process whose web process died sees its socket close and stops.
"""

from __future__ import annotations

import gc
import logging
import multiprocessing
import os
import selectors
import signal
import socket
import threading
from multiprocessing.process import BaseProcess

from bot.config import Settings

log = logging.getLogger(__name__)

# A worker process that dies is started again after this long, not in a tight loop.
RESTART_SECONDS = 1.0
STOP_SECONDS = 10.0
# Where Linux's SCHED_IDLE is missing, a lower CPU priority than the web process (0).
WORKER_NICENESS = 10


class InboxProcess:
    """Starts, wakes, restarts and stops the worker process."""

    def __init__(self, settings: Settings, *, with_scheduler: bool) -> None:
        self._settings, self._with_scheduler = settings, with_scheduler
        self._context = multiprocessing.get_context("spawn")
        self._process: BaseProcess | None = None
        self._socket: socket.socket | None = None
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._supervisor: threading.Thread | None = None

    def start(self) -> None:
        self._launch()
        self._supervisor = threading.Thread(
            target=self._supervise, name="inbox-process", daemon=True
        )
        self._supervisor.start()

    def wake(self) -> None:
        """One byte to the worker process; never blocks the request thread. A full buffer
        means the worker has wakes it has not read yet, so this one is not needed."""
        sock = self._socket
        if sock is None:
            return
        try:
            sock.send(b"\0")
        except (BlockingIOError, InterruptedError):
            pass
        except OSError:  # the worker process is gone; its successor polls the table first
            pass

    @property
    def pid(self) -> int | None:
        process = self._process
        return process.pid if process is not None else None

    def stop(self, *, timeout: float = STOP_SECONDS) -> None:
        """Closing our end tells the worker process to finish what it holds and exit. Only
        the supervisor waits on the process: when two threads wait on one child, the one
        whose wait finds it already reaped takes it for alive (multiprocessing's `poll`
        reads "no such child" as "not exited yet"), which made a prompt exit look like a
        hung one and sent SIGTERM to a pid already reaped."""
        with self._lock:
            self._stopping.set()
            process, sock = self._process, self._socket
            self._socket = None
        if sock is not None:
            sock.close()
        supervisor = self._supervisor
        if supervisor is None:
            return
        supervisor.join(timeout)  # it returns once the process has exited and is reaped
        if supervisor.is_alive() and process is not None:
            log.warning("inbox worker process did not stop in %.0f s; terminating", timeout)
            process.terminate()
            supervisor.join(timeout)

    def _launch(self) -> None:
        with self._lock:
            if self._stopping.is_set():
                return
            self._process, self._socket = self._spawn()

    def _spawn(self) -> tuple[BaseProcess, socket.socket]:
        ours, theirs = socket.socketpair()
        ours.setblocking(False)
        process = self._context.Process(
            target=run_worker_process,
            args=(self._settings, theirs, self._with_scheduler),
            name="lessonloop-inbox",
            daemon=False,
        )
        process.start()
        theirs.close()  # the child has its own copy; ours now sees EOF if the child dies
        return process, ours

    def _supervise(self) -> None:
        while not self._stopping.is_set():
            process = self._process
            if process is None:
                return
            process.join()
            if self._stopping.is_set():
                return
            log.error(
                "inbox worker process exited (%s); starting another in %.0f s",
                process.exitcode,
                RESTART_SECONDS,
            )
            if self._stopping.wait(RESTART_SECONDS):
                return
            with self._lock:
                old, self._socket = self._socket, None
            if old is not None:
                old.close()
            self._launch()


def background_priority() -> None:
    """Run this process only on a core nothing else wants. A niced process still keeps its
    core for a few milliseconds after the web process wakes with a request (the scheduler
    waits for its time slice to end); under SCHED_IDLE the waking request preempts it at
    once. Threads started afterwards inherit the policy. Lowering one's own priority needs
    no privilege; a work queue that only waits is the cost, and it waits in the table."""
    if hasattr(os, "sched_setscheduler") and hasattr(os, "SCHED_IDLE"):
        try:
            os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
            return
        except OSError:  # a container that forbids it: fall back to niceness
            log.debug("SCHED_IDLE refused; lowering priority with nice instead")
    os.nice(WORKER_NICENESS)


def run_worker_process(settings: Settings, wakes: socket.socket, with_scheduler: bool) -> None:
    """The worker process: inbox workers (and the scheduler) until `wakes` closes."""
    # Ctrl-C reaches the whole process group: the web process decides when this one stops.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # Slack waits on the web process's acknowledgements and on nothing here: when both want
    # a core, the web process goes first (what WriteTurns' `urgent` did for one process).
    background_priority()
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    from bot.app import create_app
    from bot.scheduler import scheduler_for
    from models.coach import load as load_coach
    from models.core.db import make_engine

    engine = make_engine(settings.database_url)
    lessonloop = create_app(settings, engine=engine)
    load_coach()  # before the first reply, not while it waits
    workers = lessonloop.inbox
    scheduler = scheduler_for(lessonloop) if with_scheduler else None
    # What start-up built lives as long as the process: no later collection walks it again
    # (as in the web process, bot/cli.py).
    gc.freeze()
    # What was stored but not processed before a crash is taken up at once.
    workers.start()
    if scheduler is not None:
        scheduler.start()
    try:
        with selectors.DefaultSelector() as selector:
            selector.register(wakes, selectors.EVENT_READ)
            while True:
                selector.select()
                try:
                    data = wakes.recv(4096)
                except (BlockingIOError, InterruptedError):
                    continue
                except OSError:
                    break
                if not data:  # the web process stopped, or died
                    break
                workers.wake()
    finally:
        if scheduler is not None:
            scheduler.shutdown(wait=False)
        workers.stop()
        wakes.close()
        engine.dispose()
