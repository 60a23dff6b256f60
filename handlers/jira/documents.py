"""What an issue says, in Atlassian Document Format (ADF), the rich text of REST v3."""

from __future__ import annotations

from typing import Any

from models.jira.service import IssueDraft


def text(value: str, *, href: str | None = None) -> dict[str, Any]:
    node: dict[str, Any] = {"type": "text", "text": value}
    if href is not None:
        node["marks"] = [{"type": "link", "attrs": {"href": href}}]
    return node


def paragraph(*parts: dict[str, Any]) -> dict[str, Any]:
    return {"type": "paragraph", "content": list(parts)}


def document(*blocks: dict[str, Any]) -> dict[str, Any]:
    return {"type": "doc", "version": 1, "content": list(blocks)}


def description(draft: IssueDraft) -> dict[str, Any]:
    """The record's text, the lesson it addresses, and where the team discussed it."""
    blocks = [paragraph(text(draft.text))]
    if draft.lesson:
        blocks.append(paragraph(text("Lesson it addresses: ", href=None), text(draft.lesson)))
    if draft.review_title:
        blocks.append(paragraph(text("Post-mortem: "), text(draft.review_title)))
    if draft.permalink:
        blocks.append(paragraph(text("Slack thread", href=draft.permalink)))
    blocks.append(paragraph(text("Kept in step with Lessonloop.")))
    return document(*blocks)


def fields(draft: IssueDraft, *, issue_type: str, account_id: str | None) -> dict[str, Any]:
    assert draft.project is not None
    values: dict[str, Any] = {
        "project": {"key": draft.project},
        "issuetype": {"name": issue_type},
        "summary": draft.summary,
        "description": description(draft),
        "labels": list(draft.labels),
    }
    if draft.due_on is not None:
        values["duedate"] = draft.due_on.isoformat()
    if account_id is not None:
        values["assignee"] = {"accountId": account_id}
    return values


def note(words: str, *, by: str | None = None) -> dict[str, Any]:
    return document(paragraph(text(f"{by}: {words}" if by else words)))
