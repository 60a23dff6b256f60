"""A real `lessonloop serve` killed three times during a burst of thread replies: every
reply Slack got a 200 for is recorded once, and Slack's redelivery of the rest (same event
ids) records those once too."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from models.core.clock import SystemClock
from models.core.db import make_engine
from models.postmortems.tables import Answer
from models.services import Services
from tests.e2e.review import BEA, CHANNEL, FACILITATOR
from tests.e2e.test_serve import Server
from tests.fakeslack import FakeSlack

pytestmark = pytest.mark.slow

REPLIES = 500
KILL_AFTER = (110, 230, 350)  # replies sent before each SIGKILL
SENDERS = 4


@pytest.fixture
def process(tmp_path: Path, database_url: str) -> Iterator[Server]:
    with FakeSlack() as fake:
        running = Server(
            tmp_path,
            fake,
            args=("serve", "--no-scheduler"),
            env={"DATABASE_URL": database_url, "LOG_LEVEL": "WARNING"},
        )
        try:
            yield running
        finally:
            running.stop()


def test_three_kills_in_a_burst_lose_and_repeat_no_reply(
    process: Server, database_url: str
) -> None:
    process.start()
    fake, driver = process.fake, process.driver
    driver.command("start Burst under fire", user=FACILITATOR, channel=CHANNEL)
    root = fake.wait_for(
        lambda: [p for p in fake.calls_to("chat.postMessage") if "thread_ts" not in p],
        what="root message",
    )[0]
    fake.wait_for(lambda: fake.posts_in_thread(CHANNEL, root["ts"]), what="first prompt")

    base = int(time.time())
    replies = [(f"{base}.{n:06d}", f"EvBurst{n:05d}") for n in range(REPLIES)]
    queue = iter(replies)
    lock = threading.Lock()
    sent = [0]
    unanswered: list[tuple[str, str]] = []  # no 200 seen: Slack delivers these again

    def send() -> None:
        while True:
            with lock:
                reply = next(queue, None)
            if reply is None:
                return
            ts, event_id = reply
            try:
                _, _, response = driver.reply(
                    f"reply {ts}",
                    user=BEA,
                    channel=CHANNEL,
                    thread_ts=root["ts"],
                    ts=ts,
                    event_id=event_id,
                )
                ok = response.status == 200
            except OSError:
                ok = False
            with lock:
                sent[0] += 1
                if not ok:
                    unanswered.append(reply)

    senders = [threading.Thread(target=send) for _ in range(SENDERS)]
    for sender in senders:
        sender.start()
    for threshold in KILL_AFTER:
        fake.wait_for(lambda t=threshold: sent[0] >= t, timeout=120, what=f"{threshold} sent")
        process.kill()
        process.start()
    for sender in senders:
        sender.join(timeout=120)

    # Slack's redelivery: each event that got no 200 comes again, with the same id, until
    # one is answered (Slack tries three more times; here every one is answered).
    for ts, event_id in unanswered:
        _, _, response = driver.reply(
            f"reply {ts}",
            user=BEA,
            channel=CHANNEL,
            thread_ts=root["ts"],
            ts=ts,
            event_id=event_id,
            retry_num=1,
        )
        assert response.status == 200

    engine = make_engine(database_url)
    inbox = Services.build(engine, SystemClock()).inbox  # events are kept beside a SQLite file
    try:

        def recorded() -> list[str]:
            with engine.connect() as connection:
                return list(connection.scalars(select(Answer.message_ref)))

        fake.wait_for(lambda: len(recorded()) >= REPLIES, timeout=90, what="all replies")
        time.sleep(1)  # anything still being processed would show up as a duplicate now
        answers = recorded()
        assert sorted(answers) == sorted(ts for ts, _ in replies)  # none lost, none twice

        # An event whose effect was recorded just before a kill is marked processed once
        # its lease runs out and a worker takes it again (a no-op then): wait for that.
        fake.wait_for(
            lambda: inbox.pending_count() == 0, timeout=60, what="every stored event processed"
        )
        assert sorted(recorded()) == sorted(ts for ts, _ in replies)  # still none twice
        assert unanswered, "the kills should have left some replies without a 200"
        print(f"{len(unanswered)} of {REPLIES} replies got no 200 and were delivered again")
    finally:
        engine.dispose()
