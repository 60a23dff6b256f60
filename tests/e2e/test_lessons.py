"""Lessons at any moment, the library and App Home, over signed HTTP against fake Slack."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlalchemy import select

from handlers.slack.ids import ActionId, Field, Shortcut, ViewId
from handlers.slack.markup import read_plain
from models.lessons.tables import LessonKind
from models.postmortems.tables import TimelineEntry
from tests.e2e.lessons import (
    click,
    element,
    home_text,
    lesson_command,
    lessons_command,
    lessons_in_db,
    message_shortcut,
    open_home,
    option,
    text_of,
    wait_reply,
)
from tests.e2e.review import BEA, CAI, CHANNEL, FACILITATOR, Review
from tests.harness import AppHarness


def test_lesson_outside_a_review_goes_to_the_running_log_and_the_next_review_takes_it(
    app: AppHarness,
) -> None:
    app.fake.add_channel(CHANNEL, "incidents", members=(FACILITATOR, BEA))

    marker = lesson_command(
        app, "keep: the &lt;!channel&gt; rollback runbook worked", user=BEA, channel=CHANNEL
    )
    confirmation = wait_reply(app, marker)

    assert confirmation["response_type"] == "ephemeral"
    assert "running log" in text_of(confirmation)
    assert "&lt;!channel&gt;" in text_of(confirmation) and "<!channel>" not in text_of(confirmation)
    element(confirmation, ActionId.LESSON_UNDO)
    [lesson] = lessons_in_db(app)
    assert (lesson.kind, lesson.postmortem_id, lesson.text) == (
        LessonKind.KEEP,
        None,
        "the <!channel> rollback runbook worked",
    )

    review = Review(app)
    review.start("Checkout outage")
    review.next_step(1)
    review.next_step(2)
    prompt = review.wait_for_prompt("Step 3 of 6")

    assert lessons_in_db(app)[0].postmortem_id == review.postmortem().id
    assert "rollback runbook worked" in text_of(prompt)


def test_lesson_inside_a_review_asks_the_kind_and_notes_earlier_similar_lessons(
    app: AppHarness,
) -> None:
    app.fake.add_channel(CHANNEL, "incidents", members=(FACILITATOR, BEA, CAI))
    wait_reply(
        app,
        lesson_command(
            app, "improve: no canary stage for config changes", user=CAI, channel=CHANNEL
        ),
    )
    review = Review(app)
    review.start("Config outage")

    question = wait_reply(
        app, lesson_command(app, "config changes skip the canary stage", user=BEA, channel=CHANNEL)
    )
    assert "keep doing" in text_of(question)
    # Someone else cannot answer for the author.
    refused = wait_reply(
        app, click(app, question, ActionId.LESSON_IMPROVE, user=CAI, channel=CHANNEL)
    )
    assert "Only the person" in refused["text"]
    saved = wait_reply(
        app, click(app, question, ActionId.LESSON_IMPROVE, user=BEA, channel=CHANNEL)
    )

    assert saved["replace_original"] in (True, "true")
    assert "Config outage" in text_of(saved)
    lessons = lessons_in_db(app)
    assert [(x.kind, x.postmortem_id) for x in lessons] == [
        (LessonKind.IMPROVE, review.postmortem().id),  # the running log's, taken over
        (LessonKind.IMPROVE, review.postmortem().id),
    ]
    # The first lesson was taken over by this same review, so it is no "earlier" pattern.
    assert not [
        p for p in review.fake.posts_in_thread(CHANNEL, review.thread_ts) if "seen" in p["text"]
    ]

    wait_reply(
        app,
        lesson_command(
            app,
            "improve: a config change went out with no canary stage",
            user=CAI,
            channel="C0OTHER01",
        ),
    )
    # C0OTHER01 is unknown to fake Slack: refused rather than stored with unknown privacy.
    assert len(lessons_in_db(app)) == 2


def test_undo_removes_the_lesson_for_its_author(app: AppHarness) -> None:
    app.fake.add_channel(CHANNEL, "incidents")
    confirmation = wait_reply(
        app,
        lesson_command(app, "improve: paging went to the wrong rota", user=BEA, channel=CHANNEL),
    )

    refused = wait_reply(
        app, click(app, confirmation, ActionId.LESSON_UNDO, user=CAI, channel=CHANNEL)
    )
    assert "Only the person" in refused["text"] and len(lessons_in_db(app)) == 1
    removed = wait_reply(
        app, click(app, confirmation, ActionId.LESSON_UNDO, user=BEA, channel=CHANNEL)
    )

    assert "removed" in removed["text"] and lessons_in_db(app) == []


def test_repeated_lesson_in_the_running_log_is_noted_in_the_channel_with_links(
    app: AppHarness,
) -> None:
    app.fake.add_channel(CHANNEL, "incidents")
    review = Review(app)
    review.start("Last month's outage")
    wait_reply(
        app,
        lesson_command(
            app, "improve: no canary stage for config changes", user=CAI, channel=CHANNEL
        ),
    )
    review.next_step(1)
    for step in range(2, 6):
        review.next_step(step)
    review.press("Step 6 of 6", ActionId.CLOSE)
    review.fake.wait_for(lambda: review.postmortem().status.value == "closed", what="closed")

    wait_reply(
        app,
        lesson_command(
            app, "improve: config change shipped without a canary stage", user=BEA, channel=CHANNEL
        ),
    )

    note = app.fake.wait_for(
        lambda: [
            p
            for p in app.fake.calls_to("chat.postMessage")
            if p["channel"] == CHANNEL and "seen 1 time before" in p["text"]
        ],
        what="similar note",
    )[0]
    assert "thread_ts" not in note
    assert "Last month's outage" in text_of(note)
    assert f"<https://fake.slack.test/archives/{CHANNEL}/p" in text_of(note)


def test_save_as_lesson_from_a_message_keeps_its_permalink(app: AppHarness) -> None:
    app.fake.add_channel(CHANNEL, "incidents")
    review = Review(app)
    review.start("DNS outage")

    view = message_shortcut(
        app,
        Shortcut.SAVE_LESSON,
        user=BEA,
        channel=CHANNEL,
        text="Keep: the <@U0CAI0003> status updates every 15 minutes &amp; the runbook",
        ts="1763630000.000200",
        author=CAI,
    )

    text_block = next(b for b in view["blocks"] if b["block_id"] == Field.LESSON_TEXT)
    assert text_block["element"]["initial_value"] == (
        "the @U0CAI0003 status updates every 15 minutes & the runbook"
    )
    kind = next(b for b in view["blocks"] if b["block_id"] == Field.LESSON_KIND)
    assert kind["element"]["initial_option"]["value"] == "keep"
    response = app.driver.submit_view(
        view,
        {
            Field.LESSON_TEXT: {"type": "plain_text_input", "value": "Status updates every 15 min"},
            Field.LESSON_KIND: {
                "type": "static_select",
                "selected_option": kind["element"]["initial_option"],
            },
            Field.LESSON_TAGS: {"type": "plain_text_input", "value": "comms, #status"},
            Field.LESSON_REVIEW: {
                "type": "static_select",
                "selected_option": option(view, Field.LESSON_REVIEW, "DNS outage"),
            },
        },
        user=BEA,
    )
    assert response.status == 200 and b"errors" not in response.body

    confirmation = app.fake.wait_for(
        lambda: app.fake.calls_to("chat.postEphemeral"), what="confirmation"
    )[0]
    assert confirmation["user"] == BEA and "DNS outage" in confirmation["text"]
    [lesson] = lessons_in_db(app)
    assert (lesson.text, lesson.tags, lesson.postmortem_id, lesson.source_ref) == (
        "Status updates every 15 min",
        ["comms", "status"],
        review.postmortem().id,
        "1763630000.000200",
    )
    assert (
        lesson.source_permalink == f"https://fake.slack.test/archives/{CHANNEL}/p1763630000000200"
    )


def test_an_empty_lesson_in_the_form_is_refused_next_to_the_field(app: AppHarness) -> None:
    app.fake.add_channel(CHANNEL, "incidents")
    view = message_shortcut(
        app, Shortcut.SAVE_LESSON, user=BEA, channel=CHANNEL, text="hm", ts="1.2", author=CAI
    )

    response = app.driver.submit_view(
        view,
        {
            Field.LESSON_TEXT: {"type": "plain_text_input", "value": "   "},
            Field.LESSON_KIND: {
                "type": "static_select",
                "selected_option": option(view, Field.LESSON_KIND, "Keep"),
            },
            Field.LESSON_REVIEW: {
                "type": "static_select",
                "selected_option": option(view, Field.LESSON_REVIEW, "running log"),
            },
        },
        user=BEA,
    )

    assert response.json()["response_action"] == "errors"
    assert Field.LESSON_TEXT in response.json()["errors"]
    assert lessons_in_db(app) == []


def test_add_to_timeline_keeps_the_message_time(app: AppHarness) -> None:
    app.fake.add_channel(CHANNEL, "incidents")
    view = message_shortcut(
        app,
        Shortcut.ADD_TO_TIMELINE,
        user=BEA,
        channel=CHANNEL,
        text="10:42 alert fired",
        ts="1763634120.000100",
        author=CAI,
    )
    assert view["callback_id"] == ViewId.TIMELINE_ADD

    response = app.driver.submit_view(
        view,
        {
            Field.LESSON_TEXT: {"type": "plain_text_input", "value": "Alert fired"},
            Field.LESSON_REVIEW: {
                "type": "static_select",
                "selected_option": option(view, Field.LESSON_REVIEW, "running log"),
            },
        },
        user=BEA,
    )
    assert response.status == 200

    app.fake.wait_for(lambda: app.fake.calls_to("chat.postEphemeral"), what="confirmation")
    with app.services.sessions() as session:
        entry = session.scalars(select(TimelineEntry)).one()
    assert entry.occurred_at == datetime(2025, 11, 20, 10, 22, 0, 100, tzinfo=UTC)
    # Recorded as the verified submitter's: the form's metadata names nobody.
    assert "by" not in json.loads(view["private_metadata"])
    assert (entry.author_id, entry.added_by, entry.postmortem_id) == (BEA, BEA, None)


def test_timeline_author_named_in_forged_metadata_is_ignored(app: AppHarness) -> None:
    app.fake.add_channel(CHANNEL, "incidents")
    view = message_shortcut(
        app,
        Shortcut.ADD_TO_TIMELINE,
        user=BEA,
        channel=CHANNEL,
        text="10:42 alert fired",
        ts="1763634120.000100",
        author=BEA,
    )
    forged = {
        **view,
        "private_metadata": json.dumps({"c": CHANNEL, "ts": "1763634120.000100", "by": CAI}),
    }

    response = app.driver.submit_view(
        forged,
        {
            Field.LESSON_TEXT: {"type": "plain_text_input", "value": "Alert fired"},
            Field.LESSON_REVIEW: {
                "type": "static_select",
                "selected_option": option(view, Field.LESSON_REVIEW, "running log"),
            },
        },
        user=BEA,
    )
    assert response.status == 200

    app.fake.wait_for(lambda: app.fake.calls_to("chat.postEphemeral"), what="confirmation")
    with app.services.sessions() as session:
        entry = session.scalars(select(TimelineEntry)).one()
    assert entry.author_id == BEA


def test_search_shows_ranked_results_and_pages(app: AppHarness) -> None:
    app.fake.add_channel(CHANNEL, "incidents")
    for i in range(7):
        wait_reply(
            app,
            lesson_command(
                app,
                f"improve: alert fatigue on the pager, case {i} #alerts",
                user=BEA,
                channel=CHANNEL,
            ),
        )
    wait_reply(app, lesson_command(app, "keep: pair on risky deploys", user=BEA, channel=CHANNEL))

    first = wait_reply(
        app, lessons_command(app, "pager alert tag:alerts", user=CAI, channel=CHANNEL)
    )

    assert "*7 lessons*" in first["text"] and first["response_type"] == "ephemeral"
    assert (
        "Improve" in text_of(first)
        and "#incidents" in text_of(first)
        and "running log" in text_of(first)
    )
    assert "pair on risky deploys" not in text_of(first)
    second = wait_reply(app, click(app, first, ActionId.LESSONS_PAGE, user=CAI, channel=CHANNEL))
    assert "showing 6" in second["text"] and second["replace_original"] in (True, "true")
    element(second, ActionId.LESSONS_PAGE)  # Previous

    odd = wait_reply(app, lessons_command(app, 'pager" OR) * ^', user=CAI, channel=CHANNEL))
    assert "7 lessons" in odd["text"]


def test_app_home_lists_my_actions_my_reviews_and_recent_lessons(app: AppHarness) -> None:
    app.fake.add_channel(CHANNEL, "incidents")
    review = Review(app)
    review.start("Checkout outage")
    review.reply("Checkout failed for 14% of users", user=BEA)
    review.next_step(1)
    review.next_step(2)
    review.next_step(3)
    review.next_step(4)
    review.reply(f"action: add a canary stage <@{BEA}> by 2026-12-04", user=FACILITATOR)
    wait_reply(app, lesson_command(app, "keep: the status page worked", user=CAI, channel=CHANNEL))

    view = app.fake.wait_for(
        lambda: (v := open_home(app, user=BEA)) and "add a canary stage" in home_text(v) and v,
        what="home with the action",
    )

    text = home_text(view)
    assert view["type"] == "home"
    assert "My open actions" in text and "Open post-mortems I am in" in text
    assert "Checkout outage" in text and "the status page worked" in text
    cai_home = home_text(open_home(app, user=CAI))
    assert "Nothing open" in cai_home and "not in any open post-mortem" in cai_home


def test_timeline_entries_show_in_the_timeline_step_and_the_summary_in_time_order(
    app: AppHarness,
) -> None:
    app.fake.add_channel(CHANNEL, "incidents")
    review = Review(app)
    review.start("Checkout outage")
    # Added out of order: the rollback message (11:00 UTC) before the alert (10:22 UTC).
    for text, ts in (
        ("&lt;!channel&gt; rollback finished", "1763636400.000200"),
        ("alert fired", "1763634120.000100"),
    ):
        view = message_shortcut(
            app, Shortcut.ADD_TO_TIMELINE, user=BEA, channel=CHANNEL, text=text, ts=ts, author=CAI
        )
        review_option = option(view, Field.LESSON_REVIEW, "Checkout outage")
        response = app.driver.submit_view(
            view,
            {
                Field.LESSON_TEXT: {"type": "plain_text_input", "value": read_plain(text)},
                Field.LESSON_REVIEW: {"type": "static_select", "selected_option": review_option},
            },
            user=BEA,
        )
        assert response.status == 200

    app.fake.wait_for(lambda: len(app.fake.calls_to("chat.postEphemeral")) == 2, what="saved")
    review.next_step(1)
    prompt = text_of(review.wait_for_prompt("Step 2 of 6"))

    # The harness's team works in Europe/London: GMT in November.
    assert "times in Europe/London" in prompt
    assert prompt.index("Thu 20 Nov 10:22: ") < prompt.index("Thu 20 Nov 11:00: ")
    assert f"<https://fake.slack.test/archives/{CHANNEL}/p1763634120000100|alert fired>" in prompt
    assert "&lt;!channel&gt; rollback finished" in prompt and "<!channel>" not in prompt
    for step in range(2, 6):
        review.next_step(step)
    review.press("Step 6 of 6", ActionId.CLOSE)
    summary = app.fake.wait_for(
        lambda: [
            text_of(p)
            for p in app.fake.posts_in_thread(CHANNEL, review.thread_ts)
            if "Summary" in p["text"]
        ],
        what="summary",
    )[0]
    timeline = summary.split("*Timeline*")[1].split("*What went well?*")[0]
    assert timeline.index("10:22: ") < timeline.index("11:00: ")
    assert "&lt;!channel&gt; rollback finished" in timeline and "<!channel>" not in summary
