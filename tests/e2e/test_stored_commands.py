"""Commands and clicks are stored before their 200, like events: one acknowledged just
before the process died is run by the next one."""

from __future__ import annotations

import time

from handlers.slack.ids import Command
from tests.e2e.review import CHANNEL, FACILITATOR
from tests.harness import AppHarness


def roots(app: AppHarness) -> list[dict[str, object]]:
    return [p for p in app.fake.calls_to("chat.postMessage") if "thread_ts" not in p]


def test_a_command_acknowledged_before_a_crash_is_run_after_the_restart(
    app: AppHarness,
) -> None:
    assert app.lessonloop is not None
    app.lessonloop.inbox.stop()  # the workers are gone, as when the process dies after the 200
    response = app.driver.command("start Stored through a crash", user=FACILITATOR, channel=CHANNEL)
    assert response.status == 200
    time.sleep(0.5)
    assert roots(app) == []  # nothing ran it

    app.restart()

    root = app.fake.wait_for(lambda: roots(app), what="the post-mortem's root message")
    assert len(root) == 1 and "Stored through a crash" in str(root[0]["text"])
    app.driver.command("list", user=FACILITATOR, channel=CHANNEL, command=Command.LESSONS)
    time.sleep(0.5)
    assert len(roots(app)) == 1  # the stored command ran once, not again with the next
