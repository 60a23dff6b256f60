"""Reports over signed HTTP: documents on close and on demand, the board summary, exports."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta
from html.parser import HTMLParser

from PIL import Image

from handlers.slack.ids import ActionId
from templates.charts import SERIES_KEY
from tests.e2e.review import BEA, CAI, CHANNEL, FACILITATOR, Review
from tests.harness import AppHarness


def run_short_review(
    app: AppHarness, title: str, *, close: bool = True, private: bool = False
) -> Review:
    app.fake.add_channel(CHANNEL, "incidents", private=private, members=(FACILITATOR, BEA))
    review = Review(app)
    review.start(title)
    review.reply("Checkout failed for 14% of users <!channel>", user=BEA)
    review.next_step(1)
    review.reply("10:40 error rate climbed", user=CAI)
    review.next_step(2)
    review.reply("The rollback runbook worked", user=BEA)
    review.next_step(3)
    review.reply("No canary stage for config changes #deploy", user=CAI)
    review.next_step(4)
    review.reply(f"action: add a canary stage <@{BEA}> by 2026-12-04", user=FACILITATOR)
    review.next_step(5)
    if close:
        review.press("Step 6 of 6", ActionId.CLOSE)
    return review


def test_closing_a_review_uploads_markdown_and_html_documents_to_its_thread(
    app: AppHarness,
) -> None:
    # Slack sends what people type with &, < and > escaped.
    review = run_short_review(app, "Checkout outage *19 Nov* &lt;script&gt;")

    files = app.fake.wait_for(
        lambda: (
            len(app.fake.shared_files(review.channel, review.thread_ts)) == 2
            and app.fake.shared_files(review.channel, review.thread_ts)
        ),
        what="two documents in the thread",
    )
    by_type = {f.filename.rsplit(".", 1)[1]: f for f in files}
    assert set(by_type) == {"md", "html"}
    assert by_type["md"].filename.startswith("postmortem-")
    markdown = (by_type["md"].content or b"").decode()
    html = (by_type["html"].content or b"").decode()
    assert markdown.startswith("# Post-mortem: Checkout outage \\*19 Nov\\* &lt;script&gt;")
    for expected in ("10:40", "rollback runbook", "add a canary stage"):
        assert expected in markdown and expected in html
    assert "14% of users @channel" in markdown and "<!channel>" not in markdown + html
    assert f"@{BEA}" in markdown
    tags = _tags(html)
    assert "script" not in tags and tags.count("table") == 1
    assert review.postmortem().permalink in html
    # The outbox marks it sent: a second delivery run uploads nothing more.
    app.lessonloop.courier.deliver_due()  # type: ignore[union-attr]
    assert len(app.fake.shared_files(review.channel)) == 2


def _tags(html: str) -> list[str]:
    seen: list[str] = []

    class Collect(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            seen.append(tag)

    Collect().feed(html)
    return seen


BOARD = "C0PROGBRD"


def test_summary_command_posts_the_board_summary_with_the_trend_chart(app: AppHarness) -> None:
    run_short_review(app, "Release 4.2 retro")
    app.fake.wait_for(
        lambda: len(app.fake.shared_files(CHANNEL)) == 2, what="the review's documents"
    )

    response = app.driver.command(f"summary <#{CHANNEL}|incidents>", user=CAI, channel=BOARD)
    assert response.status == 200, response.body

    posted = app.fake.wait_for(
        lambda: [p for p in app.fake.calls_to("chat.postMessage") if p["channel"] == BOARD],
        what="the summary message",
    )
    text = "\n".join(b["text"]["text"] for b in posted[0]["blocks"])
    assert f"Programme-board summary for <#{CHANNEL}>" in text
    assert "*1* review · *2* lessons identified (1 keep, 1 improve) · *1* action" in text
    assert f"<@{BEA}>: 1 open" in text
    assert "add a canary stage" in text
    files = app.fake.wait_for(
        lambda: len(app.fake.shared_files(BOARD)) == 3 and app.fake.shared_files(BOARD),
        what="chart and documents",
    )
    chart = next(f for f in files if f.filename.endswith(".png"))
    series = json.loads(Image.open(io.BytesIO(chart.content or b"")).text[SERIES_KEY])
    assert series == {
        "labels": ["Release 4.2 retro"],
        "open_actions": [1],
        "open_lessons": [1],
    }
    assert {f.filename.rsplit(".", 1)[1] for f in files} == {"png", "md", "html"}
    markdown = next(f for f in files if f.filename.endswith(".md")).content or b""
    assert b"# Programme-board summary: \\#incidents" in markdown

    # A second summary reports only what happened since the first.
    app.driver.command(f"summary <#{CHANNEL}|incidents>", user=CAI, channel=BOARD)
    second = app.fake.wait_for(
        lambda: [p for p in app.fake.calls_to("chat.postMessage") if p["channel"] == BOARD][1:],
        what="the second summary",
    )
    assert "since the last summary" in second[0]["text"]
    assert "*0* reviews" in second[0]["text"]


def test_summary_with_an_unknown_release_answers_privately(app: AppHarness) -> None:
    app.driver.command("summary release 9.9", user=CAI, channel=BOARD)
    reply = app.fake.wait_for(lambda: app.fake.calls_to("response_url"), what="private reply")
    assert "9.9" in reply[0]["text"] and reply[0]["response_type"] == "ephemeral"
    assert not [p for p in app.fake.calls_to("chat.postMessage") if p["channel"] == BOARD]


def test_report_command_uploads_the_latest_reviews_documents_again(app: AppHarness) -> None:
    review = run_short_review(app, "Checkout outage", close=False)

    app.driver.command("report", user=CAI, channel=CHANNEL)

    files = app.fake.wait_for(
        lambda: (
            len(app.fake.shared_files(CHANNEL, review.thread_ts)) == 2
            and app.fake.shared_files(CHANNEL, review.thread_ts)
        ),
        what="documents of the open review",
    )
    assert b"still open" in (files[0].content or b"")
    app.driver.command(f"report {review.postmortem().id}", user=CAI, channel="C0ELSEWHERE")
    app.fake.wait_for(
        lambda: len(app.fake.shared_files(CHANNEL, review.thread_ts)) == 4, what="again by id"
    )


def test_export_sends_a_csv_of_actions_by_direct_message(app: AppHarness) -> None:
    run_short_review(app, "Checkout outage", close=False)

    app.driver.command(f"export actions <#{CHANNEL}|incidents>", user=CAI, channel=BOARD)

    files = app.fake.wait_for(lambda: app.fake.shared_files("D0CAI0003"), what="CSV in a DM")
    rows = list(csv.reader(io.StringIO((files[0].content or b"").decode())))
    assert rows[0] == ["Summary", "Description", "Assignee", "Due date", "Status", "Labels"]
    assert rows[1][0] == "add a canary stage"
    assert rows[1][2:5] == [BEA, "2026-12-04", "Open"]
    assert files[0].filename.endswith(".csv")


def test_a_private_channels_summary_is_only_posted_in_that_channel(app: AppHarness) -> None:
    run_short_review(app, "Release 4.2 retro", private=True)

    app.driver.command(f"summary <#{CHANNEL}|incidents>", user=BEA, channel=BOARD)

    reply = app.fake.wait_for(lambda: app.fake.calls_to("response_url"), what="private reply")
    assert "#incidents is private" in reply[0]["text"]
    assert reply[0]["response_type"] == "ephemeral"
    assert not [p for p in app.fake.calls_to("chat.postMessage") if p["channel"] == BOARD]
    assert not app.fake.shared_files(BOARD)


def test_a_private_channel_is_exported_only_to_its_members(app: AppHarness) -> None:
    run_short_review(app, "Checkout outage", close=False, private=True)

    app.driver.command(f"export actions <#{CHANNEL}|incidents>", user=CAI, channel=BOARD)
    refused = app.fake.wait_for(lambda: app.fake.calls_to("response_url"), what="refusal")
    assert "#incidents is private and you are not a member" in refused[0]["text"]
    assert not app.fake.shared_files("D0CAI0003")

    app.driver.command(f"export actions <#{CHANNEL}|incidents>", user=BEA, channel=BOARD)
    files = app.fake.wait_for(lambda: app.fake.shared_files("D0BEA0002"), what="CSV for Bea")
    assert b"add a canary stage" in (files[0].content or b"")


def test_a_failed_document_upload_is_retried_later_not_lost(app: AppHarness) -> None:
    app.fake.fail_next("files.getUploadURLExternal", error="internal_error")
    review = run_short_review(app, "Checkout outage")
    app.fake.wait_for(
        lambda: app.fake.calls_to("files.getUploadURLExternal"), what="the first attempt"
    )
    app.fake.wait_for(
        lambda: any(
            p["text"].startswith(":memo: *Summary")
            for p in app.fake.posts_in_thread(CHANNEL, review.thread_ts)
        ),
        what="the summary, which is not held up",
    )
    # The owner's note is sent after the documents' turn, so their failure is recorded.
    app.fake.wait_for(
        lambda: [p for p in app.fake.calls_to("chat.postMessage") if p["channel"] == "D0BEA0002"],
        what="the owner's note",
    )
    assert app.fake.shared_files(CHANNEL) == []

    app.clock.advance(timedelta(minutes=10))  # past the retry back-off and any lease
    # Whichever sender claims it next (this one, or the close's still looping) uploads it.
    app.lessonloop.courier.deliver_due()  # type: ignore[union-attr]

    files = app.fake.wait_for(
        lambda: app.fake.shared_files(CHANNEL, review.thread_ts), what="the retried upload"
    )
    assert sorted(f.filename.rsplit(".", 1)[1] for f in files) == ["html", "md"]
