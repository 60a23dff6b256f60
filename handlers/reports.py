"""Reports: the post-mortem document, uploaded to its thread as Markdown and HTML."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, TypedDict

from slack_sdk import WebClient

from models.entities import LessonKind
from models.phases import Phase
from models.services import Services
from models.views import AnswerView, DeliveryView, Summary
from templates import MarkdownText, Templates

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


class FileUpload(TypedDict):
    """One entry of files_upload_v2(file_uploads=[...])."""

    filename: str
    title: str
    content: bytes


@dataclass(frozen=True, slots=True)
class Section:
    heading: MarkdownText
    answers: tuple[AnswerView, ...]
    skipped: bool


class Documents:
    """Renders reports to files; the words live in templates/documents/."""

    def __init__(self, templates: Templates) -> None:
        self._t = templates

    def postmortem(self, summary: Summary) -> list[FileUpload]:
        pm = summary.postmortem
        context = {
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
        stem = f"postmortem-{pm.id}-{slug(pm.title)}"
        return [
            _file(f"{stem}.md", f"Post-mortem: {pm.title} (Markdown)", self._t, context, "md"),
            _file(f"{stem}.html", f"Post-mortem: {pm.title} (HTML)", self._t, context, "html"),
        ]


def upload_postmortem_documents(
    client: WebClient, services: Services, documents: Documents, delivery: DeliveryView
) -> None:
    """Outbox sender: the post-mortem document, as files in the review's thread."""
    assert delivery.subject_id is not None
    share_postmortem_documents(client, services, documents, delivery.team_id, delivery.subject_id)


def share_postmortem_documents(
    client: WebClient, services: Services, documents: Documents, team_id: str, postmortem_id: int
) -> None:
    summary = services.postmortems.summary(team_id=team_id, postmortem_id=postmortem_id)
    pm = summary.postmortem
    client.files_upload_v2(
        file_uploads=[dict(f) for f in documents.postmortem(summary)],
        channel=pm.channel_id,
        thread_ts=pm.thread_ts,
        initial_comment=":page_facing_up: The post-mortem document, as Markdown and as a "
        "printable web page.",
    )


def slug(title: str) -> str:
    """A file-name-safe slug: ASCII letters and digits, at most 40 characters."""
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:40].strip("-") or "untitled"


def _file(
    filename: str, title: str, templates: Templates, context: dict[str, Any], fmt: str
) -> FileUpload:
    text = templates.document("postmortem", fmt, **context)
    return {"filename": filename, "title": title[:250], "content": text.encode()}
