"""OKR reviews and export over signed HTTP: the end of a period posts one review with
scores, the chart and the documents; `/okr review` posts one on demand; `/okr export`
sends CSV."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime

import pytest
from PIL import Image

from handlers.slack.ids import ActionId, OkrField
from models.core.clock import FrozenClock
from templates.charts import SERIES_KEY
from tests.e2e.okrs import check_in_buttons, choice, okr_command, opened_view, text_input
from tests.e2e.review import BEA, CAI, FACILITATOR
from tests.e2e.test_okr_checkins import run_tick
from tests.e2e.test_okrs import OPS, create_three_kinds
from tests.harness import AppHarness

NEW_YEAR = datetime(2027, 1, 2, 9, tzinfo=UTC)


@pytest.fixture
def checked_in(app: AppHarness, clock: FrozenClock) -> AppHarness:
    clock.set(datetime(2026, 11, 16, 9, tzinfo=UTC))
    app.fake.add_channel(OPS, "ops", members=(FACILITATOR, BEA, CAI))
    objective_id = create_three_kinds(app)
    detail = okr_command(app, str(objective_id), user=BEA, channel=OPS)
    before = len(app.fake.calls_to("views.open"))
    app.driver.click(
        ActionId.OKR_CHECK_IN,
        check_in_buttons(detail)[0]["value"],
        user=BEA,
        channel=OPS,
        message_ts="1.1",
    )
    form = opened_view(app, before, "check-in form")
    answer = app.driver.submit_view(
        form, {OkrField.VALUE: text_input("10"), OkrField.CONFIDENCE: choice("at_risk")}, user=BEA
    )
    assert answer.status == 200 and answer.json() is None  # recorded before the ack
    return app


def reviews_in(app: AppHarness) -> list[str]:
    return [
        p["text"]
        for p in app.fake.calls_to("chat.postMessage")
        if p["channel"] == OPS and "OKR review" in p["text"]
    ]


def test_the_end_of_a_period_posts_one_review_with_scores_chart_and_documents(
    checked_in: AppHarness, clock: FrozenClock
) -> None:
    app = checked_in
    clock.set(NEW_YEAR)
    run_tick(app)
    run_tick(app)

    posted = app.fake.wait_for(lambda: reviews_in(app), what="the review")
    assert len(reviews_in(app)) == 1
    text = posted[0]
    assert "the period has ended" in text and "score *0.2*" in text
    assert "Change-failure rate: *10% → 5%*" in text and "moved +50 pts" in text
    assert "Deploys a week" in text and "*stalled*" in text and "at risk" in text
    assert "<!channel>" not in text
    files = app.fake.wait_for(lambda: app.fake.shared_files(OPS), what="the files")
    assert sorted(f.filename.rsplit(".", 1)[1] for f in files) == ["html", "md", "png"]
    png = next(f for f in files if f.filename.endswith(".png"))
    assert png.content is not None
    series = json.loads(Image.open(io.BytesIO(png.content)).text[SERIES_KEY])
    assert [line["label"] for line in series] == [
        "Change-failure rate",
        "Deploys a week",
        "Canary for config changes",
    ]
    assert series[0]["points"][-1][1] == 0.5
    markdown = next(f for f in files if f.filename.endswith(".md")).content or b""
    assert b"Change\\-failure rate" in markdown and b"&lt;\\!channel&gt;" in markdown
    html = next(f for f in files if f.filename.endswith(".html")).content or b""
    assert b"data:image/png;base64," in html and b"<!channel>" not in html


def test_a_review_on_demand_and_the_csv_export(checked_in: AppHarness) -> None:
    app = checked_in
    response = app.driver.command("review", user=CAI, channel=OPS, command="/okr")
    assert response.status == 200
    text = app.fake.wait_for(lambda: reviews_in(app), what="the review")[0]
    assert "the period has ended" not in text and "Change-failure rate" in text
    app.fake.wait_for(lambda: len(app.fake.shared_files(OPS)) == 3, what="the files")

    reply = okr_command(app, "export", user=CAI, channel=OPS)
    assert "CSV" in reply["text"]
    dm = "D" + CAI.lstrip("U")
    files = app.fake.wait_for(lambda: app.fake.shared_files(dm), what="the CSV")
    okrs = next(f for f in files if f.filename.endswith(".csv") and "check-ins" not in f.filename)
    check_ins = next(f for f in files if "check-ins" in f.filename)
    assert b"Change-failure rate" in (okrs.content or b"") and b"Deploys a week" in (
        okrs.content or b""
    )
    assert b"Change-failure rate,2026-11-16" in (check_ins.content or b"")
