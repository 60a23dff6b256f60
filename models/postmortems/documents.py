"""The post-mortem document, rendered as Markdown and as HTML: the same words for every
front end (Slack uploads them as files, Teams links to them); the words live in
templates/documents/."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from models.lessons.tables import LessonKind
from models.postmortems.phases import Phase
from models.postmortems.views import AnswerView, PostmortemView, Summary
from templates import MarkdownText, Templates

Format = Literal["md", "html"]
FORMATS: tuple[Format, ...] = ("md", "html")

# The steps whose answers the document shows as prose; lessons and actions have sections
# of their own.
DOCUMENT_PHASES = (Phase.IMPACT, Phase.TIMELINE, Phase.WENT_WELL, Phase.IMPROVE, Phase.WRAP_UP)
# Our own words, safe as Markdown as they are.
DOCUMENT_HEADINGS = {
    Phase.IMPACT: MarkdownText("Summary and impact"),
    Phase.TIMELINE: MarkdownText("Timeline"),
    Phase.WENT_WELL: MarkdownText("What went well"),
    Phase.IMPROVE: MarkdownText("What to improve, and the contributing factors"),
    Phase.WRAP_UP: MarkdownText("Wrap-up"),
}


@dataclass(frozen=True, slots=True)
class Section:
    heading: MarkdownText
    answers: tuple[AnswerView, ...]
    skipped: bool


def postmortem_context(summary: Summary) -> dict[str, Any]:
    pm = summary.postmortem
    return {
        "pm": pm,
        "sections": [
            Section(
                DOCUMENT_HEADINGS[phase],
                summary.answers.get(phase, ()),
                phase in pm.skipped,
            )
            for phase in DOCUMENT_PHASES
        ],
        "lessons": sorted(summary.lessons, key=lambda lesson: lesson.kind != LessonKind.KEEP),
        "actions": summary.actions,
        "participants": summary.participants,
        "nudges": summary.nudges,
    }


def render_postmortem(templates: Templates, summary: Summary, fmt: Format) -> str:
    """The post-mortem document in `fmt`."""
    return templates.document("postmortem", fmt, **postmortem_context(summary))


def postmortem_filename(pm: PostmortemView, fmt: Format) -> str:
    return f"postmortem-{pm.id}-{slug(pm.title)}.{fmt}"


def slug(title: str) -> str:
    """A file-name-safe slug: ASCII letters and digits, at most 40 characters."""
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:40].strip("-") or "untitled"
