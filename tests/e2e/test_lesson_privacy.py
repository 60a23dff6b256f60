"""A person who is not in a private channel never sees its lessons, on any surface."""

from __future__ import annotations

from datetime import timedelta

import pytest

from handlers.slack.ids import Field, Shortcut
from models.core.clock import FrozenClock
from tests.e2e.lessons import (
    home_text,
    lesson_command,
    lessons_command,
    message_shortcut,
    open_home,
    settled,
    text_of,
    wait_reply,
)
from tests.e2e.review import BEA, CAI, FACILITATOR, Review
from tests.harness import AppHarness

PUBLIC, SECRET = "C0PUBLIC01", "C0SECRET01"
SECRET_LESSON = "improve: the vault token leaked through CI logs #secrets"


@pytest.fixture
def secret(app: AppHarness) -> AppHarness:
    """A public channel everyone is in and a private one CAI is not in, with one lesson
    each way: a /lesson and a thread reply in a private review."""
    app.fake.add_channel(PUBLIC, "ops", members=(FACILITATOR, BEA, CAI))
    app.fake.add_channel(SECRET, "security", private=True, members=(FACILITATOR, BEA))
    wait_reply(app, lesson_command(app, SECRET_LESSON, user=BEA, channel=SECRET))
    review = Review(app, channel=SECRET)
    review.start("Token leak review")
    review.next_step(1)
    review.next_step(2)
    review.next_step(3)
    review.reply("The CI token leaked into build logs via verbose mode", user=FACILITATOR)
    wait_reply(
        app, lesson_command(app, "keep: the token rotation runbook", user=CAI, channel=PUBLIC)
    )
    return app


def test_search_hides_private_lessons_from_non_members(secret: AppHarness) -> None:
    outsider = wait_reply(secret, lessons_command(secret, "token", user=CAI, channel=PUBLIC))
    member = wait_reply(secret, lessons_command(secret, "token", user=BEA, channel=PUBLIC))

    assert "*1 lesson*" in outsider["text"] and "vault" not in text_of(outsider)
    assert "leaked" not in text_of(outsider) and "Token leak review" not in text_of(outsider)
    assert "*3 lessons*" in member["text"] and "vault token leaked" in text_of(member)


@pytest.mark.parametrize(
    "query",
    [
        "vault",
        "kind:improve",
        "tag:secrets",
        "since:7d",
        f"channel:<#{SECRET}|security>",
        "channel:#security",
        '"build logs"',
    ],
)
def test_no_filter_opens_a_way_into_a_private_channel(secret: AppHarness, query: str) -> None:
    reply = wait_reply(secret, lessons_command(secret, query, user=CAI, channel=PUBLIC))

    assert "vault token leaked through" not in text_of(reply)
    assert "into build logs" not in text_of(reply) and "Token leak" not in text_of(reply)


def test_app_home_shows_non_members_only_public_lessons(secret: AppHarness) -> None:
    outsider = home_text(open_home(secret, user=CAI))
    member = home_text(open_home(secret, user=BEA))

    assert "token rotation runbook" in outsider
    assert "vault" not in outsider and "build logs" not in outsider and "Token leak" not in outsider
    assert "vault token leaked" in member and "build logs" in member


def test_similarity_note_in_a_public_channel_never_cites_a_private_lesson(
    secret: AppHarness,
) -> None:
    before = len(secret.fake.calls_to("chat.postMessage"))
    wait_reply(
        secret,
        lesson_command(
            secret, "improve: vault token leaked through CI logs again", user=CAI, channel=PUBLIC
        ),
    )
    # In the private channel, the same words are a recurring lesson: proof the check runs.
    wait_reply(
        secret,
        lesson_command(
            secret, "improve: CI logs leaked the vault token again", user=BEA, channel=SECRET
        ),
    )
    secret.fake.wait_for(
        lambda: [
            p for p in secret.fake.calls_to("chat.postMessage")[before:] if p["channel"] == SECRET
        ],
        what="note in the private channel",
    )

    public_posts = [
        p for p in secret.fake.calls_to("chat.postMessage")[before:] if p["channel"] == PUBLIC
    ]
    assert all("vault" not in text_of(p) and SECRET not in text_of(p) for p in public_posts)
    assert all("Token leak" not in text_of(p) for p in public_posts)


def test_save_as_lesson_form_offers_only_the_channels_own_reviews(secret: AppHarness) -> None:
    view = message_shortcut(
        secret, Shortcut.SAVE_LESSON, user=CAI, channel=PUBLIC, text="x", ts="1.5", author=CAI
    )

    review = next(b for b in view["blocks"] if b["block_id"] == Field.LESSON_REVIEW)
    labels = [o["text"]["text"] for o in review["element"]["options"]]
    assert labels == ["This channel's running log"]


def test_membership_is_cached_briefly_then_asked_again(secret: AppHarness) -> None:
    clock = secret.clock
    assert isinstance(clock, FrozenClock)
    wait_reply(secret, lessons_command(secret, "vault", user=CAI, channel=PUBLIC))
    secret.fake.channels[SECRET].members.add(CAI)

    cached = wait_reply(secret, lessons_command(secret, "vault", user=CAI, channel=PUBLIC))
    clock.advance(timedelta(minutes=3))
    fresh = wait_reply(secret, lessons_command(secret, "vault", user=CAI, channel=PUBLIC))

    assert "No lessons match" in cached["text"]
    assert "vault token leaked" in text_of(fresh)


def test_a_failed_membership_lookup_shows_no_private_lessons(secret: AppHarness) -> None:
    secret.fake.fail_next("users.conversations", error="internal_error")

    failed = wait_reply(secret, lessons_command(secret, "vault", user=BEA, channel=PUBLIC))
    retried = wait_reply(secret, lessons_command(secret, "vault", user=BEA, channel=PUBLIC))

    assert "No lessons match" in failed["text"]
    assert "vault token leaked" in text_of(retried)


def test_membership_pages_are_all_read(app: AppHarness) -> None:
    for i in range(450):
        app.fake.add_channel(f"C0PAGE{i:04d}", f"p{i}", private=True, members=(BEA,))
    app.fake.add_channel("C0PAGE9999", "last", private=True, members=(BEA,))
    wait_reply(app, lesson_command(app, "keep: deep in the list", user=BEA, channel="C0PAGE9999"))

    found = wait_reply(app, lessons_command(app, "deep list", user=BEA, channel="C0PAGE9999"))

    assert "deep in the list" in text_of(found)
    assert len(app.fake.calls_to("users.conversations")) == 3


ROOM, ELSEWHERE = "C0DEPLOYS1", "C0ELSEWHR1"
REPLY_LESSON = "Rollbacks took forty minutes because the canary dashboard was stale"


def _reply_lesson_in_review(app: AppHarness) -> int:
    """Start a review in ROOM and reply a lesson; returns how many times the channel had
    been looked up when the review's first prompt appeared."""
    review = Review(app, channel=ROOM)
    review.start("Slow rollback review")
    looked_up = len(app.fake.calls_to("conversations.info"))
    for step in (1, 2, 3):
        review.next_step(step)
    review.reply(REPLY_LESSON, user=BEA)
    return looked_up


@pytest.mark.parametrize("private", [False, True], ids=["public", "private"])
def test_reply_lessons_follow_the_privacy_of_the_reviews_channel(
    app: AppHarness, private: bool
) -> None:
    app.fake.add_channel(ROOM, "deploys", private=private, members=(FACILITATOR, BEA))
    looked_up_at_start = _reply_lesson_in_review(app)

    found = wait_reply(app, lessons_command(app, "canary rollbacks", user=CAI, channel=ELSEWHERE))

    if private:
        assert "No lessons match" in found["text"]
        assert "forty minutes" not in text_of(found)
    else:
        assert "*1 lesson*" in found["text"]
        assert "Rollbacks took forty minutes" in text_of(found)
    assert looked_up_at_start == 1
    assert [c["channel"] for c in app.fake.calls_to("conversations.info")] == [ROOM]


def test_a_reply_lesson_in_a_channel_not_yet_known_looks_the_channel_up(app: AppHarness) -> None:
    app.fake.add_channel(ROOM, "deploys", members=(FACILITATOR, BEA))
    app.fake.fail_next("conversations.info", error="internal_error")
    _reply_lesson_in_review(app)
    app.fake.wait_for(
        lambda: len(app.fake.calls_to("conversations.info")) == 2, what="second lookup"
    )

    found = app.fake.wait_for(
        lambda: (
            reply
            if "Rollbacks took forty"
            in text_of(
                reply := wait_reply(
                    app, lessons_command(app, "canary", user=CAI, channel=ELSEWHERE)
                )
            )
            else None
        ),
        what="the reply lesson in a non-member's search",
    )

    assert "*1 lesson*" in found["text"]


def test_a_reply_lesson_note_cites_a_private_lesson_only_in_its_own_channel(
    secret: AppHarness,
) -> None:
    recurring = "CI logs leaked the vault token again"
    in_public, in_private = Review(secret, channel=PUBLIC), Review(secret, channel=SECRET)
    for review in (in_public, in_private):
        review.start(f"Another leak in {review.channel}")
        for step in (1, 2, 3):
            review.next_step(step)
        review.reply(recurring, user=FACILITATOR)

    [note] = secret.fake.wait_for(
        lambda: [
            p
            for p in secret.fake.posts_in_thread(SECRET, in_private.thread_ts)
            if "seen" in p["text"]
        ],
        what="note in the private review",
    )
    assert "vault token leaked through" in text_of(note)
    settled(secret)
    public_thread = secret.fake.posts_in_thread(PUBLIC, in_public.thread_ts)
    assert all("vault" not in text_of(p) and "seen" not in p["text"] for p in public_thread)
