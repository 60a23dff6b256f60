"""The Markdown and HTML documents: every template rendered with realistic and hostile text,
the HTML escaped (no injected elements), the Markdown well-formed."""

from __future__ import annotations

import base64
import csv
import io
import json
import re
from collections import Counter
from dataclasses import replace
from datetime import UTC, date, datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest
from PIL import Image

from handlers.slack.reports import Documents, actions_csv, lessons_csv, slug
from models.actions.tables import ActionStatus
from models.actions.views import ActionView
from models.lessons.tables import LessonKind
from models.lessons.views import LessonView
from models.postmortems.phases import Phase
from models.postmortems.tables import PostmortemKind, PostmortemStatus
from models.postmortems.views import AnswerView, PostmortemView, Summary
from models.reports.service import ExportedAction, ExportedLesson
from templates import TemplateProblem, Templates, escape_markdown
from templates.charts import ACTIONS_COLOUR, LESSONS_COLOUR, SERIES_KEY
from templates.exports import to_csv
from tests.reportdata import board_summary

AT = datetime(2026, 11, 20, 10, tzinfo=UTC)
SCRIPT = "<script>alert('x')</script>"
MARKDOWN_CONTROL = "*bold* _it_ [link](https://evil.example) # not a heading | pipe ` tick ```"
HOSTILE_TEXTS = [
    SCRIPT,
    "<!channel> <@U0VICTIM> & <https://evil.example|click>",
    MARKDOWN_CONTROL,
    "> quoted\n- listed\n1. numbered\n# heading\n---",
    "🔥 deploys 🚀 at 10:40 ✅",
    "שלום, העדכון נכשל \u202eevil\u202c مرحبا",
    "x" * 10_000,
    '" onmouseover="alert(1)',
]


def postmortem(title: str = "Checkout outage") -> PostmortemView:
    return PostmortemView(
        id=7,
        team_id="T1",
        channel_id="C1",
        thread_ref="1.0",
        permalink="https://fake.slack.test/archives/C1/p10",
        title=title,
        kind=PostmortemKind.RELEASE,
        facilitator_id="U0FACIL01",
        status=PostmortemStatus.CLOSED,
        phase=Phase.WRAP_UP,
        prompt_ref=None,
        skipped=(Phase.WRAP_UP,),
        created_at=AT,
        closed_at=AT,
    )


def summary(text: str, *, title: str | None = None) -> Summary:
    answers = {
        phase: (
            AnswerView(i * 10, phase, "U0BEA0002", text, f"{i}.0", AT, AT),
            AnswerView(i * 10 + 1, phase, "U0CAI0003", f"plain answer {i}", f"{i}.1", AT, AT),
        )
        for i, phase in enumerate((Phase.IMPACT, Phase.TIMELINE, Phase.WENT_WELL, Phase.IMPROVE))
    }
    lessons = (
        LessonView(1, LessonKind.KEEP, text, "U0BEA0002", ("runbook",), 7, AT),
        LessonView(2, LessonKind.IMPROVE, text, "U0CAI0003", (), 7, AT),
    )
    actions = tuple(
        ActionView(i, desc, "U0BEA0002", target, status, 2, 7, "C1", "U0CAI0003")
        for i, (desc, target, status) in enumerate(
            [
                (text, date(2026, 12, 4), ActionStatus.OPEN),
                ("Add a canary stage", None, ActionStatus.DONE),
            ]
        )
    )
    return Summary(
        postmortem(title if title is not None else text[:200]),
        answers,
        lessons,
        actions,
        ("U0BEA0002", "U0CAI0003"),
        nudges=1,
    )


def render(text: str) -> tuple[str, str]:
    files = Documents(Templates()).postmortem(summary(text))
    by_type = {f["filename"].rsplit(".", 1)[1]: f["content"].decode() for f in files}
    return by_type["md"], by_type["html"]


class Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attributes: list[tuple[str, str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attributes.extend((tag, name, value) for name, value in attrs)


def elements(html: str) -> Elements:
    parser = Elements()
    parser.feed(html)
    parser.close()
    return parser


def test_every_document_template_is_rendered_here() -> None:
    names = {Path(n).name for n in Templates().document_names()}
    # postmortem.* below; board.* in the board tests; style.css is included by every HTML page.
    assert names == {
        "postmortem.md.j2",
        "postmortem.html.j2",
        "board.md.j2",
        "board.html.j2",
        "okr_review.md.j2",  # tests/templates/test_okr_documents.py
        "okr_review.html.j2",
        "style.css.j2",
    }


@pytest.mark.parametrize("text", HOSTILE_TEXTS, ids=range(len(HOSTILE_TEXTS)))
def test_html_document_has_the_same_elements_whatever_people_wrote(text: str) -> None:
    _, benign = render("a plain answer")
    _, hostile = render(text)

    assert Counter(elements(hostile).tags) == Counter(elements(benign).tags)
    assert elements(hostile).attributes == elements(benign).attributes
    assert "<script" not in hostile and "<!channel>" not in hostile


def test_html_document_is_standalone_and_printable() -> None:
    _, html = render("a plain answer")
    found = elements(html)

    assert html.startswith("<!doctype html>")
    assert not {"script", "img", "link", "iframe", "object"} & set(found.tags)
    assert "@media print" in html and "url(" not in html
    hrefs = [value for tag, name, value in found.attributes if name == "href"]
    assert hrefs == ["https://fake.slack.test/archives/C1/p10"] * 2
    for heading in ("Summary and impact", "Timeline", "What went well", "Actions", "Lessons"):
        assert f"<h2>{heading}" in html


@pytest.mark.parametrize("text", HOSTILE_TEXTS, ids=range(len(HOSTILE_TEXTS)))
def test_markdown_document_is_well_formed_whatever_people_wrote(text: str) -> None:
    markdown, _ = render(text)
    benign, _ = render("a plain answer")

    # Tables keep their column count: every row has as many unescaped pipes as its header.
    for table in _tables(markdown):
        widths = {len(re.findall(r"(?<!\\)\|", row)) for row in table}
        assert len(widths) == 1, table
    # The document's structure is the template's: the same headings and list items.
    assert _structure(markdown) == _structure(benign)
    # User text only ever appears escaped.
    assert escape_markdown(text) in markdown
    for raw in ("<script", "<!channel>", "*bold*", "[link](", "```"):
        assert raw not in markdown


def test_markdown_escaping_keeps_the_words_readable() -> None:
    escaped = escape_markdown("10:40 *bold* a_b <b> & #tag\nnext")
    assert escaped == "10:40 \\*bold\\* a\\_b &lt;b&gt; &amp; \\#tag<br>next"


def test_documents_hold_what_the_issue_asks_for() -> None:
    markdown, html = render("Checkout failed for 14% of users")
    for document in (markdown, html):
        for expected in (
            "Checkout failed for 14% of users",
            "Release",
            "Fri 20 Nov 2026",
            "@U0FACIL01",
            "@U0CAI0003",
            "Fri 04 Dec 2026",
            "done",
            "https://fake.slack.test/archives/C1/p10",
            "runbook",
        ):
            assert expected in document, expected
    assert "| 2 | Add a canary stage | @U0BEA0002 | no date | done |" in markdown
    assert "\n- **Keep:** Checkout failed for 14% of users (#runbook)\n" in markdown
    assert "\n- **Improve:** Checkout failed for 14% of users\n" in markdown
    assert "## Wrap\\-up" not in markdown and "## Wrap-up\n\n_Skipped._" in markdown


def test_file_names_are_safe_whatever_the_title() -> None:
    assert slug("Release 4.2 / <script> ‏שלום") == "release-4-2-script"
    assert slug("🔥") == "untitled"
    files = Documents(Templates()).postmortem(summary("x", title="../../etc/passwd"))
    assert [f["filename"] for f in files] == [
        "postmortem-7-etc-passwd.md",
        "postmortem-7-etc-passwd.html",
    ]


def test_an_override_document_template_replaces_the_shipped_one(tmp_path: Path) -> None:
    (tmp_path / "documents").mkdir()
    (tmp_path / "documents" / "postmortem.md.j2").write_text("Ours: {{ pm.title }}\n")
    files = Documents(Templates(tmp_path)).postmortem(summary("x", title="*Big* <day>"))
    assert files[0]["content"] == b"Ours: \\*Big\\* &lt;day&gt;\n"
    assert files[1]["content"].startswith(b"<!doctype html>")


def test_a_broken_document_template_names_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "documents").mkdir()
    (tmp_path / "documents" / "postmortem.html.j2").write_text("<p>\n{% for %}\n")
    with pytest.raises(TemplateProblem, match=r"postmortem\.html\.j2, line 2"):
        Documents(Templates(tmp_path)).postmortem(summary("x"))


def test_a_document_template_failing_while_rendering_names_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "documents").mkdir()
    (tmp_path / "documents" / "postmortem.md.j2").write_text("one\ntwo\n{{ pm.no_such }}\n")
    with pytest.raises(TemplateProblem, match=r"postmortem\.md\.j2, line 3"):
        Documents(Templates(tmp_path)).postmortem(summary("x"))


def test_skipped_step_with_answers_still_shows_them() -> None:
    base = summary("said anyway")
    pm = replace(base.postmortem, skipped=(Phase.TIMELINE,))
    files = Documents(Templates()).postmortem(replace(base, postmortem=pm))
    assert "## Timeline\n\n- said anyway" in files[0]["content"].decode()


def _tables(markdown: str) -> list[list[str]]:
    tables: list[list[str]] = []
    current: list[str] = []
    for line in markdown.splitlines():
        if line.startswith("|"):
            current.append(line)
        elif current:
            tables.append(current)
            current = []
    return tables + ([current] if current else [])


def _structure(markdown: str) -> list[str]:
    return [
        line.split(" ", 1)[0]
        for line in markdown.splitlines()
        if re.match(r"(#+ |- |\d+\. |> |\|)", line)
    ]


def render_board(text: str, *, releases: bool = True) -> tuple[bytes, str, str]:
    files = Documents(Templates()).board(board_summary(text, releases=releases), "#incidents")
    png, md, html = (f["content"] for f in files)
    return png, md.decode(), html.decode()


@pytest.mark.parametrize("text", HOSTILE_TEXTS, ids=range(len(HOSTILE_TEXTS)))
def test_board_documents_stay_well_formed_and_escaped_whatever_people_wrote(text: str) -> None:
    _, benign_md, benign_html = render_board("Add a canary stage")
    _, markdown, html = render_board(text)

    assert Counter(elements(html).tags) == Counter(elements(benign_html).tags)
    assert [(t, n) for t, n, _ in elements(html).attributes] == [
        (t, n) for t, n, _ in elements(benign_html).attributes
    ]
    for table in _tables(markdown):
        widths = {len(re.findall(r"(?<!\\)\|", row)) for row in table}
        assert len(widths) == 1, table
    assert _structure(markdown) == _structure(benign_md)
    for raw in ("<script", "<!channel>", "*bold*", "[link](", "```"):
        assert raw not in markdown
    assert "<script" not in html and "<!channel>" not in html


def test_board_html_embeds_its_chart_and_nothing_external() -> None:
    png, _, html = render_board("Add a canary stage")
    found = elements(html)
    sources = [value for tag, name, value in found.attributes if name == "src"]
    assert sources == ["data:image/png;base64," + base64.b64encode(png).decode()]
    assert "script" not in found.tags and "link" not in found.tags


def test_board_chart_plots_the_trend_series() -> None:
    board = board_summary("Add a canary stage")
    png, _, _ = render_board("Add a canary stage")
    image = Image.open(io.BytesIO(png))
    series = json.loads(image.text[SERIES_KEY])
    assert series["open_actions"] == [p.open_actions for p in board.trend]
    assert series["open_lessons"] == [p.open_lessons for p in board.trend]
    assert series["labels"] == [p.label for p in board.trend]
    # Both lines are really drawn: the image holds pixels of each series' colour.
    colours = {colour for _, colour in image.convert("RGB").getcolors(maxcolors=1 << 20) or []}
    assert _rgb(ACTIONS_COLOUR) in colours and _rgb(LESSONS_COLOUR) in colours


def _rgb(hex_colour: str) -> tuple[int, ...]:
    return tuple(int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))


def test_csv_cells_that_a_spreadsheet_would_run_are_defused() -> None:
    content = to_csv(
        ("Summary", "Description"),
        [('=HYPERLINK("http://evil")', "+1"), ("-2", "@SUM(A1)"), ("plain, with comma", "ok")],
    )
    rows = list(csv.reader(io.StringIO(content.decode())))
    assert rows[1:] == [
        ['\'=HYPERLINK("http://evil")', "'+1"],
        ["'-2", "'@SUM(A1)"],
        ["plain, with comma", "ok"],
    ]


def test_actions_csv_has_the_tracker_columns_and_keeps_long_text_whole() -> None:
    long = "x" * 10_000
    content = actions_csv(
        [
            ExportedAction(
                1,
                f"=cmd\n{long}",
                "U0BEA0002",
                date(2026, 12, 4),
                ActionStatus.IN_PROGRESS,
                "no canary",
                "Outage",
                "https://fake.slack.test/p1",
            ),
            ExportedAction(2, "שלום 🔥", "U0CAI0003", None, ActionStatus.DROPPED, None, None, None),
        ]
    )
    rows = list(csv.reader(io.StringIO(content.decode())))
    assert rows[0] == ["Summary", "Description", "Assignee", "Due date", "Status", "Labels"]
    assert rows[1][0] == "'=cmd" and long in rows[1][1] and "Lesson: no canary" in rows[1][1]
    assert rows[1][2:] == ["U0BEA0002", "2026-12-04", "In progress", "lessonloop postmortem-action"]
    assert rows[2][:5] == ["שלום 🔥", "שלום 🔥", "U0CAI0003", "", "Dropped"]


def test_lessons_csv_labels_kind_and_tags_and_says_whether_open() -> None:
    content = lessons_csv(
        [
            ExportedLesson(
                1,
                LessonKind.IMPROVE,
                "No canary #deploy",
                "U0CAI0003",
                ("deploy",),
                True,
                "Outage",
                None,
            )
        ]
    )
    rows = list(csv.reader(io.StringIO(content.decode())))
    assert rows[0][-3:] == ["Kind", "Tags", "Source"]
    assert rows[1][4:] == [
        "Open",
        "lessonloop lesson-improve deploy",
        "improve",
        "deploy",
        "From the post-mortem “Outage”",
    ]


def test_board_documents_list_at_most_a_hundred_rows_a_list() -> None:
    board = board_summary()
    many = tuple(replace(board.overdue[0], id=i, description=f"overdue {i}") for i in range(150))
    files = Documents(Templates()).board(replace(board, overdue=many), "#incidents")
    markdown, html = files[1]["content"].decode(), files[2]["content"].decode()
    assert "overdue 99 " in markdown and "overdue 100 " not in markdown
    assert "…and 50 more" in markdown and "…and 50 more" in html
