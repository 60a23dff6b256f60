"""Lessons recorded from replies in a review's thread: the "seen before" note."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select

from models.lessons.tables import Lesson
from tests.e2e.lessons import lesson_command, settled, text_of, wait_reply
from tests.e2e.review import BEA, CAI, CHANNEL, FACILITATOR, Review
from tests.harness import AppHarness

OTHER = "C0OTHER001"
SEEN = re.compile(r"seen \d+ times? before")


def notes(review: Review) -> list[dict[str, Any]]:
    return [
        p
        for p in review.fake.posts_in_thread(review.channel, review.thread_ts)
        if SEEN.search(p["text"])
    ]


def in_improve_step(app: AppHarness, *, deliver_twice: bool = False) -> Review:
    review = Review(app, deliver_twice=deliver_twice)
    review.start("Config outage")
    for step in (1, 2, 3):
        review.next_step(step)
    return review


def test_a_recurring_reply_lesson_is_noted_once_in_the_thread_and_not_on_edit(
    app: AppHarness,
) -> None:
    app.fake.add_channel(CHANNEL, "incidents", members=(FACILITATOR, BEA, CAI))
    app.fake.add_channel(OTHER, "payments", members=(CAI,))
    wait_reply(
        app,
        lesson_command(app, "improve: no canary stage for config changes", user=CAI, channel=OTHER),
    )
    review = in_improve_step(app, deliver_twice=True)

    ts = review.reply("Config changes skipped the canary stage, again", user=BEA)
    [note] = app.fake.wait_for(lambda: notes(review), what="similar note")

    assert "seen 1 time before" in note["text"]
    assert "no canary stage for config changes" in text_of(note)
    review.app.driver.edit(
        "Config changes skipped the canary stage again, twice",
        user=BEA,
        channel=CHANNEL,
        thread_ts=review.thread_ts,
        ts=ts,
    )

    def edited() -> bool:
        with app.services.sessions() as session:
            texts = session.scalars(select(Lesson.text).where(Lesson.channel_id == CHANNEL))
            return any("twice" in t for t in texts)

    app.fake.wait_for(edited, what="edited lesson")
    settled(app)
    assert len(notes(review)) == 1


def test_a_reply_lesson_is_not_noted_when_nothing_like_it_came_before(app: AppHarness) -> None:
    app.fake.add_channel(CHANNEL, "incidents", members=(FACILITATOR, BEA, CAI))
    wait_reply(
        app,
        lesson_command(app, "keep: the on-call rota was clear", user=CAI, channel=CHANNEL),
    )
    review = in_improve_step(app)

    review.reply("Config changes skipped the canary stage", user=BEA)
    review.reply("Config changes skipped the canary stage, said twice", user=CAI)

    settled(app)

    # The review's own earlier lessons are no pattern; nothing else resembles them.
    assert notes(review) == []
