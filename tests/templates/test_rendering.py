"""The HTML documents really render in a browser (headless Chromium), chart included.

Skipped where Chromium is not installed; CI (.ci/run) installs it."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from handlers.slack.reports import Documents
from templates import Templates
from templates.charts import ACTIONS_COLOUR, LESSONS_COLOUR
from tests.chromium import HEIGHT, WIDTH, chromium, screenshot
from tests.reportdata import board_summary
from tests.templates.test_documents import summary

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(chromium() is None, reason="chromium is not installed"),
]
HEADING_RULE = "#2c3e50"  # the line under every h2 in style.css.j2
TEXT = "#1d2733"


def render(html: bytes, tmp_path: Path) -> Image.Image:
    page, png = tmp_path / "page.html", tmp_path / "page.png"
    page.write_bytes(html)
    screenshot(page, png)
    return Image.open(png).convert("RGB")


def colours(image: Image.Image) -> dict[tuple[int, ...], int]:
    return {colour: count for count, colour in image.getcolors(maxcolors=1 << 22) or []}


def rgb(hex_colour: str) -> tuple[int, ...]:
    return tuple(int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))


def test_postmortem_page_renders_with_its_text_and_headings(tmp_path: Path) -> None:
    html = Documents(Templates()).postmortem(summary("Checkout failed for 14% of users"))[1]
    image = render(html["content"], tmp_path)
    seen = colours(image)

    assert image.size == (WIDTH, HEIGHT)
    # Not blank: the page background, the white sheet, dark text and the heading rules.
    assert len(seen) > 50
    assert seen.get(rgb(HEADING_RULE), 0) > 1000  # six 2px rules across the sheet
    dark = sum(n for c, n in seen.items() if sum(c) < 200)
    assert dark > 2000
    assert rgb(TEXT) in seen


def test_board_page_shows_its_embedded_chart(tmp_path: Path) -> None:
    files = Documents(Templates()).board(board_summary(), "#incidents")
    image = render(files[2]["content"], tmp_path)
    seen = colours(image)

    assert image.size == (WIDTH, HEIGHT)
    # The chart's two series are drawn only inside the embedded PNG.
    assert seen.get(rgb(ACTIONS_COLOUR), 0) > 100
    assert seen.get(rgb(LESSONS_COLOUR), 0) > 100
