"""The Markdown and HTML documents: every template rendered with realistic and hostile text,
the HTML escaped (no injected elements), the Markdown well-formed."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import replace
from datetime import UTC, date, datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest

from handlers.reports import Documents, slug
from models.entities import ActionStatus, LessonKind, PostmortemKind, PostmortemStatus
from models.phases import Phase
from models.views import ActionView, AnswerView, LessonView, PostmortemView, Summary
from templates import TemplateProblem, Templates, escape_markdown

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
        thread_ts="1.0",
        permalink="https://fake.slack.test/archives/C1/p10",
        title=title,
        kind=PostmortemKind.RELEASE,
        facilitator_id="U0FACIL01",
        status=PostmortemStatus.CLOSED,
        phase=Phase.WRAP_UP,
        prompt_ts=None,
        skipped=(Phase.WRAP_UP,),
        created_at=AT,
        closed_at=AT,
    )


def summary(text: str, *, title: str | None = None) -> Summary:
    answers = {
        phase: (
            AnswerView(i * 10, phase, "U0BEA0002", text, f"{i}.0", AT),
            AnswerView(i * 10 + 1, phase, "U0CAI0003", f"plain answer {i}", f"{i}.1", AT),
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
    assert names == {"postmortem.md.j2", "postmortem.html.j2", "style.css.j2"} | _board_names()


def _board_names() -> set[str]:
    return {n for n in (Path(n).name for n in Templates().document_names()) if "board" in n}


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
