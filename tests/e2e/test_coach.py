"""The blameless coach in the thread, over signed HTTP."""

from __future__ import annotations

from sqlalchemy import func, select

from handlers.slack.ids import ActionId
from models.coach.tables import CoachNudge
from models.postmortems.tables import Answer
from tests.e2e.review import BEA, CAI, CHANNEL, Review
from tests.harness import AppHarness

BLAMING = "Honestly Dave just forgot to renew the certificate, that's on him."
NEUTRAL = "The renewal job failed silently and no alert fired."


def nudges_to(app: AppHarness, user: str) -> list[dict]:
    return [
        e
        for e in app.fake.calls_to("chat.postEphemeral")
        if e["user"] == user and "blameless coach" in e["text"]
    ]


def test_blaming_reply_gets_one_private_nudge_and_both_replies_are_recorded(
    app: AppHarness,
) -> None:
    review = Review(app)
    review.start("Expired certificate")
    review.reply(NEUTRAL, user=CAI)
    review.reply(BLAMING, user=BEA)

    nudge = app.fake.wait_for(lambda: nudges_to(app, BEA), what="nudge")[0]
    assert nudge["channel"] == CHANNEL and nudge["thread_ts"] == review.thread_ts
    assert "?" in nudge["text"], "offers a reframing question"
    assert nudges_to(app, CAI) == []
    with app.services.sessions() as session:
        assert set(session.scalars(select(Answer.text))) == {NEUTRAL, BLAMING}


def test_at_most_one_nudge_per_person_per_phase(app: AppHarness) -> None:
    review = Review(app)
    review.start("Bad deploy")
    review.reply(BLAMING, user=BEA)
    review.reply("And Dave failed to read the runbook, so careless.", user=BEA)
    app.fake.wait_for(lambda: nudges_to(app, BEA), what="first nudge")
    review.next_step(1)
    review.reply("Dave should have checked the timeline, his fault again.", user=BEA)

    app.fake.wait_for(lambda: len(nudges_to(app, BEA)) == 2, what="a nudge in the next phase")
    with app.services.sessions() as session:
        assert session.scalar(select(func.count()).select_from(CoachNudge)) == 2


def test_nudge_can_be_dismissed(app: AppHarness) -> None:
    review = Review(app)
    review.start("Queue outage")
    review.reply(BLAMING, user=BEA)
    nudge = app.fake.wait_for(lambda: nudges_to(app, BEA))[0]
    button = nudge["blocks"][-1]["elements"][0]
    app.driver.click(
        button["action_id"],
        button["value"],
        user=BEA,
        channel=CHANNEL,
        message_ts="1700000000.999999",
        thread_ts=review.thread_ts,
    )
    deletion = app.fake.wait_for(lambda: app.fake.calls_to("response_url"))[0]
    assert deletion["delete_original"] is True


def test_a_channel_can_turn_the_coach_off(app: AppHarness) -> None:
    app.driver.command("coach off", user=CAI, channel=CHANNEL)
    notice = app.fake.wait_for(lambda: app.fake.calls_to("response_url"))[0]
    assert notice["response_type"] == "in_channel" and "*off*" in notice["text"]
    review = Review(app)
    review.start("Coach-free review")
    review.reply(BLAMING, user=BEA)
    with app.services.sessions() as session:
        # The nudge is recorded in the same transaction as the answer the reply waited for.
        assert session.scalar(select(func.count()).select_from(CoachNudge)) == 0
    assert nudges_to(app, BEA) == []


def test_summary_counts_nudges_without_naming_anyone(app: AppHarness) -> None:
    review = Review(app)
    review.start("Counted nudges")
    review.reply(BLAMING, user=BEA)
    for step in range(1, 6):
        review.next_step(step)
    review.press("Step 6 of 6", ActionId.CLOSE)
    summary = app.fake.wait_for(
        lambda: [
            p
            for p in app.fake.posts_in_thread(CHANNEL, review.thread_ts)
            if p["text"].startswith(":memo:")
        ]
    )[0]
    text = "\n".join(b["text"]["text"] for b in summary["blocks"])
    assert "Blameless coach: 1 private nudge " in text
