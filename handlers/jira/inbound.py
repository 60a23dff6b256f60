"""Changes made in Jira: the admin webhook (POST /jira/webhook) and the reconciliation
pass that catches webhooks that never arrived. Both end in `JiraSync.apply_remote`,
which owes Jira nothing, so a change never echoes back."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import math
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from handlers.jira.client import JiraClient
from models.core.clock import Clock
from models.core.outbox import SendFailed
from models.jira.service import LABEL, JiraSync, RemoteIssue

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "x-hub-signature"
ISSUE_FIELDS = ["status", "duedate", "assignee", "updated"]
# Each pass reads a little further back than the last one reached: Jira's JQL works in
# minutes and its search index trails a change by a few seconds.
OVERLAP_MINUTES = 5
FIRST_PASS_MINUTES = 24 * 60


def is_signed(raw_body: bytes, signature: str | None, secret: str) -> bool:
    """Jira's webhook secret: `sha256=` + hex HMAC-SHA256 of the raw body."""
    if not secret or not signature or not signature.startswith("sha256="):
        return False
    expected = hmac.new(secret.encode(), raw_body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(signature.removeprefix("sha256=").strip().lower(), expected)


@dataclass(frozen=True, slots=True)
class WebhookOutcome:
    status: int
    reason: str


class JiraWebhook:
    def __init__(self, sync: JiraSync, secret: str) -> None:
        self._sync, self._secret = sync, secret

    def receive(self, headers: dict[str, str], raw_body: bytes) -> WebhookOutcome:
        """Verified before anything is read: unsigned or wrongly signed gets 401."""
        if not is_signed(raw_body, headers.get(SIGNATURE_HEADER), self._secret):
            return WebhookOutcome(401, "bad signature")
        try:
            body = json.loads(raw_body)
        except ValueError:
            return WebhookOutcome(400, "not JSON")
        if not isinstance(body, dict):
            return WebhookOutcome(400, "not an event")
        event, issue = body.get("webhookEvent"), body.get("issue")
        if not isinstance(issue, dict) or not isinstance(issue.get("key"), str):
            return WebhookOutcome(200, "ignored")
        if event == "jira:issue_deleted":
            self._sync.forget_issue(issue_key=issue["key"])
            return WebhookOutcome(200, "forgotten")
        if event != "jira:issue_updated":
            return WebhookOutcome(200, "ignored")
        remote = remote_issue(issue)
        if remote is None:
            return WebhookOutcome(400, "issue without fields")
        user = body.get("user")
        actor = user.get("accountId") if isinstance(user, dict) else None
        self._sync.apply_remote(issue=remote, actor_account=actor)
        return WebhookOutcome(200, "applied")


def remote_issue(issue: dict[str, Any]) -> RemoteIssue | None:
    """An issue as the webhook and the search return it (fields status, duedate,
    assignee, updated)."""
    fields = issue.get("fields")
    if not isinstance(fields, dict):
        return None
    try:
        category = str(fields["status"]["statusCategory"]["key"])
        due = fields.get("duedate")
        assignee = fields.get("assignee")
        return RemoteIssue(
            issue_key=str(issue["key"]),
            category=category,
            due_on=date.fromisoformat(due) if due else None,
            assignee_account=str(assignee["accountId"]) if assignee else None,
            updated_at=_jira_time(str(fields["updated"])),
        )
    except (KeyError, TypeError, ValueError):
        return None


def _jira_time(value: str) -> datetime:
    """Jira writes `2026-11-20T10:00:00.000+0000`."""
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%f%z")


class Reconciliation:
    def __init__(self, client: JiraClient, sync: JiraSync, clock: Clock) -> None:
        self._client, self._sync, self._clock = client, sync, clock

    def run(self) -> int:
        """Read every Lessonloop issue Jira changed since the last pass (JQL on `updated`,
        relative minutes, so no time zone is involved) and apply it; returns how many
        changed an action."""
        started = self._clock.now()
        since = self._sync.reconciled_at()
        minutes = (
            math.ceil((started - since).total_seconds() / 60) + OVERLAP_MINUTES
            if since is not None
            else FIRST_PASS_MINUTES
        )
        jql = f"labels = {LABEL} AND updated >= -{minutes}m ORDER BY updated ASC"
        changed = 0
        try:
            for issue in self._client.search(jql, ISSUE_FIELDS):
                remote = remote_issue(issue)
                if (
                    remote is not None
                    and self._sync.apply_remote(issue=remote, actor_account=None).changes
                ):
                    changed += 1
        except SendFailed as failure:
            log.warning("Jira reconciliation stopped, tried again next pass: %s", failure.error)
            return changed
        self._sync.mark_reconciled(at=started)
        return changed
