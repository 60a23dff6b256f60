"""The guided conversation's edges, over signed HTTP against the running app."""

from __future__ import annotations

import time

from sqlalchemy import select

from handlers.slack.ids import ActionId
from models.actions.tables import Action
from models.lessons.tables import Lesson
from models.postmortems.phases import Phase
from models.postmortems.tables import Answer, PostmortemStatus
from tests.e2e.review import BEA, CAI, CHANNEL, FACILITATOR, Review
from tests.fakeslack import BOT_ID, BOT_USER_ID
from tests.harness import AppHarness


def test_bad_signature_is_rejected(sqlite_app: AppHarness) -> None:
    response = sqlite_app.driver.post(
        "command=%2Fpostmortem&text=help",
        content_type="application/x-www-form-urlencoded",
        signature="v0=" + "0" * 64,
    )
    assert response.status == 401


def test_request_older_than_five_minutes_is_rejected(sqlite_app: AppHarness) -> None:
    response = sqlite_app.driver.post(
        "command=%2Fpostmortem&text=help",
        content_type="application/x-www-form-urlencoded",
        timestamp=int(time.time()) - 6 * 60,
    )
    assert response.status == 401


def test_healthz_answers_when_the_database_is_reachable(sqlite_app: AppHarness) -> None:
    import urllib.request

    with urllib.request.urlopen(f"{sqlite_app.driver.app_url}/healthz") as response:
        assert response.status == 200


def test_help_list_and_unknown_words_reply_privately(sqlite_app: AppHarness) -> None:
    review = Review(sqlite_app)
    review.start("Release 4.2 retro")
    driver, fake = sqlite_app.driver, sqlite_app.fake

    replies = []
    for text in ("", "list", "frobnicate now"):
        assert driver.command(text, user=BEA, channel=CHANNEL).status == 200
        seen = len(replies)
        replies.append(fake.wait_for(lambda seen=seen: fake.calls_to("response_url")[seen:])[0])
    texts = [r["text"] for r in replies]
    assert all(r["response_type"] == "ephemeral" for r in replies)
    assert "/postmortem start <title>" in texts[0].replace("&lt;", "<").replace("&gt;", ">")
    assert "Release 4.2 retro" in texts[1] and "(release)" in texts[1]
    assert "I don't know `frobnicate`" in texts[2]


def test_start_without_a_title_explains_how(sqlite_app: AppHarness) -> None:
    sqlite_app.driver.command("start   ", user=BEA, channel=CHANNEL)
    reply = sqlite_app.fake.wait_for(lambda: sqlite_app.fake.calls_to("response_url"))[0]
    assert "Give the review a title" in reply["text"]
    assert sqlite_app.fake.calls_to("chat.postMessage") == []


def test_start_in_a_channel_without_the_bot_says_how_to_invite_it(sqlite_app: AppHarness) -> None:
    sqlite_app.fake.fail_next("chat.postMessage", error="not_in_channel")
    sqlite_app.driver.command("start DB failover", user=BEA, channel="C0ELSEWHERE")
    reply = sqlite_app.fake.wait_for(lambda: sqlite_app.fake.calls_to("response_url"))[0]
    assert "/invite @Lessonloop" in reply["text"]


def test_user_text_never_pings_anyone(app: AppHarness) -> None:
    review = Review(app)
    review.start("Outage <!here> & <@U0VICTIM>")
    # What Slack sends when someone types @channel, mentions a user, and types "<!here>".
    review.reply(
        "Everyone got paged <!channel> and <@U0VICTIM>; I typed &lt;!here&gt; too", user=BEA
    )
    for step in range(1, 6):
        review.next_step(step)
    review.press("Step 6 of 6", ActionId.CLOSE)
    review.fake.wait_for(
        lambda: review.fake.posts_in_thread(CHANNEL, review.thread_ts)[-1]["text"].startswith(
            ":memo:"
        )
    )

    posted = [
        p for p in review.fake.calls_to("chat.postMessage") + review.fake.calls_to("chat.update")
    ]
    everything = " ".join(
        [p.get("text", "") for p in posted]
        + [b["text"]["text"] for p in posted for b in p.get("blocks", []) if "text" in b]
    )
    for mention in ("<!channel>", "<!here>", "<@U0VICTIM>"):
        assert mention not in everything
    assert "&lt;!here&gt;" in everything
    with app.services.sessions() as session:
        stored = session.scalars(select(Answer.text)).one()
    assert stored == "Everyone got paged @channel and @U0VICTIM; I typed <!here> too"


def test_edited_reply_updates_the_record_and_deleted_reply_removes_it(app: AppHarness) -> None:
    review = Review(app)
    review.start("Cache stampede")
    review.next_step(1)
    review.next_step(2)
    kept = review.reply("The pager rota worked #oncall", user=BEA)
    gone = review.reply("Dashboards were useful", user=CAI)

    app.driver.edit(
        "The pager rota worked well #oncall #rota",
        user=BEA,
        channel=CHANNEL,
        thread_ts=review.thread_ts,
        ts=kept,
    )
    app.driver.delete(channel=CHANNEL, thread_ts=review.thread_ts, ts=gone)

    def settled() -> bool:
        with app.services.sessions() as session:
            lessons = session.scalars(select(Lesson)).all()
            return len(lessons) == 1 and "well" in lessons[0].text

    review.fake.wait_for(settled, what="edit and delete applied")
    with app.services.sessions() as session:
        answers = session.scalars(select(Answer)).all()
        lesson = session.scalars(select(Lesson)).one()
    assert [a.text for a in answers] == ["The pager rota worked well #oncall #rota"]
    assert lesson.tags == ["oncall", "rota"]


def test_bot_messages_and_other_threads_are_ignored(app: AppHarness) -> None:
    review = Review(app)
    review.start("Disk full on build agents")
    driver = app.driver
    driver.event(
        {
            "type": "message",
            "channel": CHANNEL,
            "user": BOT_USER_ID,
            "bot_id": BOT_ID,
            "text": "I am the bot",
            "ts": "1800000000.900001",
            "thread_ts": review.thread_ts,
        }
    )
    driver.event(
        {
            "type": "message",
            "subtype": "bot_message",
            "channel": CHANNEL,
            "bot_id": "B0OTHER",
            "text": "another bot",
            "ts": "1800000000.900002",
            "thread_ts": review.thread_ts,
        }
    )
    driver.reply("unrelated thread", user=BEA, channel=CHANNEL, thread_ts="1700000000.999999")
    driver.event(
        {
            "type": "message",
            "channel": CHANNEL,
            "user": BEA,
            "text": "top-level chatter",
            "ts": "1800000000.900003",
        }
    )
    marker = review.reply("a real answer", user=CAI)

    assert review.answer_exists(marker)
    with app.services.sessions() as session:
        assert session.scalars(select(Answer.text)).all() == ["a real answer"]


def test_unreadable_date_is_explained_privately_and_nothing_is_lost(app: AppHarness) -> None:
    review = Review(app)
    review.start("Expired TLS certificate")
    for step in range(1, 5):
        review.next_step(step)
    review.reply(f"action: automate certificate renewal <@{BEA}> by blursday", user=CAI)

    ephemeral = review.fake.wait_for(lambda: review.fake.calls_to("chat.postEphemeral"))[0]
    assert ephemeral["user"] == CAI and ephemeral["thread_ts"] == review.thread_ts
    assert "blursday" in ephemeral["text"] and "saved" in ephemeral["text"]
    button = ephemeral["blocks"][-1]["elements"][0]
    assert button["action_id"] == ActionId.ADD_ACTION_FROM_REPLY
    assert "automate certificate renewal" in button["value"]
    with app.services.sessions() as session:
        assert session.scalars(select(Answer.text)).one().endswith("by blursday")
        assert session.scalars(select(Action)).all() == []


def test_quick_action_is_confirmed_in_the_thread(app: AppHarness) -> None:
    review = Review(app)
    review.start("Queue backlog")
    review.reply(f"action: add queue depth alert <@{BEA}> by 2026-12-01", user=CAI)
    confirmation = review.fake.wait_for(
        lambda: [
            p
            for p in review.fake.posts_in_thread(CHANNEL, review.thread_ts)
            if "Action recorded" in p["text"]
        ]
    )[0]
    assert f"<@{BEA}>" in confirmation["text"] and "01 Dec 2026" in confirmation["text"]


def test_only_the_facilitator_can_close(app: AppHarness) -> None:
    review = Review(app)
    review.start("Payment retries")
    for step in range(1, 6):
        review.next_step(step)
    review.press("Step 6 of 6", ActionId.CLOSE, user=BEA)
    refusal = review.fake.wait_for(lambda: review.fake.calls_to("response_url"))[0]
    assert "Only the facilitator" in refusal["text"]
    assert refusal["response_type"] == "ephemeral"
    assert review.postmortem().status is PostmortemStatus.OPEN


def test_a_second_press_of_an_old_button_changes_nothing(app: AppHarness) -> None:
    review = Review(app)
    review.start("Flaky deploys")
    review.next_step(1)
    review.press("Step 1 of 6", ActionId.PHASE_NEXT, user=BEA)
    refusal = review.fake.wait_for(lambda: review.fake.calls_to("response_url"))[0]
    assert "already moved on" in refusal["text"]
    assert review.postmortem().phase is Phase.TIMELINE


def test_long_answers_are_split_within_slack_limits(app: AppHarness) -> None:
    review = Review(app)
    review.start("Very long review")
    answers = [f"{i}" + ("word " * 2000) + f"end-{i}" for i in range(30)]
    for text in answers:
        review.reply(text, user=BEA)
    for step in range(1, 6):
        review.next_step(step)
    review.press("Step 6 of 6", ActionId.CLOSE)
    review.fake.wait_for(
        lambda: (
            review.fake.calls_to("chat.update")
            and any("(closed)" in u["text"] for u in review.fake.calls_to("chat.update"))
        ),
        what="closed root",
    )

    summary = [
        p
        for p in review.fake.posts_in_thread(CHANNEL, review.thread_ts)
        if p["blocks"]
        and p["blocks"][0]["type"] == "section"
        and "Step" not in p["text"]
        and "Action" not in p["text"]
    ]
    assert len(summary) >= 2, "300,000 characters cannot fit one message"
    for message in summary:
        assert len(message["blocks"]) <= 50
        assert len(message["text"]) <= 3000
        assert all(len(b["text"]["text"]) <= 3000 for b in message["blocks"])
    text = "".join(b["text"]["text"] for m in summary for b in m["blocks"])
    assert all(f"end-{i}" in text for i in range(30))


def test_many_reviews_run_at_once_in_channels_and_threads(app: AppHarness) -> None:
    first, second = Review(app), Review(app)
    other = Review(app, channel="C0PLATFORM")
    first.start("First incident")
    second.start("Second incident")
    other.start("Platform release")
    first.next_step(1)

    a = first.reply("timeline of the first", user=BEA)
    b = second.reply("impact of the second", user=CAI)
    c = other.reply("impact of the release", user=FACILITATOR)

    with app.services.sessions() as session:
        by_ts = {
            ans.message_ref: (ans.postmortem_id, ans.phase)
            for ans in session.scalars(select(Answer))
        }
    assert by_ts[a] == (first.postmortem().id, Phase.TIMELINE)
    assert by_ts[b] == (second.postmortem().id, Phase.IMPACT)
    assert by_ts[c] == (other.postmortem().id, Phase.IMPACT)
