"""Reports over signed HTTP: documents on close and on demand, the board summary, exports."""

from __future__ import annotations

from html.parser import HTMLParser

from handlers.ids import ActionId
from tests.e2e.review import BEA, CAI, FACILITATOR, Review
from tests.harness import AppHarness


def run_short_review(app: AppHarness, title: str, *, close: bool = True) -> Review:
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
