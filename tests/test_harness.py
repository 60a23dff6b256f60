"""The test harness stops the app reliably, also on a loaded machine."""

from __future__ import annotations

import threading
import time
import urllib.request

import pytest

from tests.harness import AppHarness


def test_stop_holds_when_the_loop_wakes_before_stop_has_pulled_its_trigger(
    sqlite_app: AppHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    # On a busy machine the stopping thread can be descheduled between queueing its work
    # for waitress's loop and waking it, while a worker thread that just answered a
    # request wakes the loop instead: the loop then runs the queued work first.
    trigger = sqlite_app._server.trigger
    wake = trigger._physical_pull

    def woken_first_by_a_worker() -> None:
        worker = threading.Thread(target=wake)
        worker.start()
        worker.join()
        deadline = time.monotonic() + 10
        while trigger.thunks and time.monotonic() < deadline:
            time.sleep(0.001)
        wake()

    monkeypatch.setattr(trigger, "_physical_pull", woken_first_by_a_worker)
    port = sqlite_app._server.effective_port

    sqlite_app.stop()

    with pytest.raises(OSError):
        urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5)
