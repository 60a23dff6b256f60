"""The OKR review's documents and chart: what people wrote stays inert, and the chart
shows each key result's progress over time."""

from __future__ import annotations

import io
import json

from PIL import Image

from handlers.slack.okr_blocks import OkrBlocks
from templates import Templates
from templates.charts import SERIES_KEY
from tests.okrdata import review

HOSTILE = "<!channel> <script>alert(1)</script> [x](javascript:alert(1)) | *bold*"


def files() -> dict[str, bytes]:
    found = OkrBlocks(Templates()).review_files(review(HOSTILE), "#ops <b>")
    return {f["filename"].rsplit(".", 1)[1]: f["content"] for f in found}


def test_review_documents_keep_user_text_inert() -> None:
    by_kind = files()
    html, markdown = by_kind["html"].decode(), by_kind["md"].decode()

    assert "<script>" not in html and "&lt;script&gt;" in html and "<!channel>" not in html
    assert "<script>" not in markdown and "](javascript" not in markdown
    score = f"{review(HOSTILE).objectives[0].objective.score:.1f}".replace(".", "\\.")
    assert f"Score **{score}**" in markdown  # Markdown-escaped, as every value is
    assert "on track → at risk" in markdown and "no check\\-in" in markdown


def test_review_chart_has_a_line_per_key_result_from_the_start_of_the_period() -> None:
    png = files()["png"]
    series = json.loads(Image.open(io.BytesIO(png)).text[SERIES_KEY])

    assert len(series) == 4  # same titles, still one line each
    assert [value for _, value in series[0]["points"]] == [0.0, 0.3, 0.5]
    assert [value for _, value in series[1]["points"]] == [0.0]
