"""Jira Cloud REST v3 through atlassian-python-api, with every failure said in the
outbox's words: retried (429 with its Retry-After, 5xx, network) or permanent."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import requests
from atlassian.jira import JiraCloud

from models.core.outbox import SendFailed

log = logging.getLogger(__name__)

TIMEOUT_SECONDS = 5  # a create is at most six calls: inside the outbox's 45-second lease
# Refusals trying again will not cure: a bad request (no such project, field or issue
# type), no permission, nothing there.
PERMANENT_STATUSES = frozenset({400, 403, 404, 410})
DEFAULT_RETRY_AFTER = timedelta(seconds=30)
PAGE = 100


@dataclass(frozen=True, slots=True)
class FoundIssue:
    key: str
    category: str | None
    due_on: date | None


class JiraClient:
    def __init__(
        self,
        url: str,
        email: str,
        token: str,
        *,
        timeout: int = TIMEOUT_SECONDS,
        session: requests.Session | None = None,
    ) -> None:
        # Its own retries are off: a 429 or 5xx goes back to the outbox, which keeps the
        # delivery and tries again later instead of holding a thread asleep.
        self._api = JiraCloud(
            url,
            username=email,
            password=token,
            api_version=3,
            timeout=timeout,
            session=session,
            backoff_and_retry=False,
            retry_with_header=False,
        )
        self.url = url

    def myself(self) -> dict[str, Any]:
        with _said():
            return dict(self._api.get(self._path("myself")) or {})

    def find_by_label(self, label: str) -> FoundIssue | None:
        """The issue carrying `label`, if one exists, with its status category and due date."""
        with _said():
            found = self._api.get(
                self._path("search/jql"),
                params={"jql": f'labels = "{label}"', "fields": "status,duedate", "maxResults": 2},
            )
        issues = (found or {}).get("issues", [])
        if not issues:
            return None
        fields = issues[0].get("fields", {})
        due = fields.get("duedate")
        return FoundIssue(
            key=str(issues[0]["key"]),
            category=_category(fields),
            due_on=date.fromisoformat(due) if due else None,
        )

    def category_of(self, key: str) -> str | None:
        """The status category (`new`, `indeterminate`, `done`) the issue is in now."""
        with _said():
            issue = self._api.get(self._path(f"issue/{key}"), params={"fields": "status"}) or {}
        return _category(issue.get("fields", {}))

    def create_issue(self, fields: dict[str, Any]) -> str:
        with _said():
            created = self._api.post(self._path("issue"), data={"fields": fields})
        return str(created["key"])

    def find_account(self, email: str) -> str | None:
        """The account whose email is `email`; None when Jira shows no such person (Cloud
        hides emails it may not show, so only an exact match counts)."""
        with _said():
            answer: Any = self._api.get(self._path("user/search"), params={"query": email})
        people: list[dict[str, Any]] = list(answer or [])
        for person in people:
            if (
                str(person.get("emailAddress", "")).lower() == email.lower()
                and person.get("accountType", "atlassian") == "atlassian"
            ):
                return str(person["accountId"])
        return None

    def transitions(self, key: str) -> list[dict[str, Any]]:
        with _said():
            answer = self._api.get(self._path(f"issue/{key}/transitions")) or {}
        return list(answer.get("transitions", []))

    def transition(self, key: str, transition_id: str) -> None:
        with _said():
            self._api.post(
                self._path(f"issue/{key}/transitions"), data={"transition": {"id": transition_id}}
            )

    def edit(self, key: str, fields: dict[str, Any]) -> None:
        with _said():
            self._api.put(self._path(f"issue/{key}"), data={"fields": fields})

    def comment(self, key: str, body: dict[str, Any]) -> None:
        with _said():
            self._api.post(self._path(f"issue/{key}/comment"), data={"body": body})

    def link(self, *, inward: str, outward: str, kind: str = "Relates") -> None:
        with _said():
            self._api.post(
                self._path("issueLink"),
                data={
                    "type": {"name": kind},
                    "inwardIssue": {"key": inward},
                    "outwardIssue": {"key": outward},
                },
            )

    def search(self, jql: str, fields: list[str]) -> Iterator[dict[str, Any]]:
        """Every issue `jql` finds, page by page (the enhanced search's cursor)."""
        token: str | None = None
        while True:
            params: dict[str, Any] = {"jql": jql, "fields": ",".join(fields), "maxResults": PAGE}
            if token:
                params["nextPageToken"] = token
            with _said():
                page = self._api.get(self._path("search/jql"), params=params) or {}
            yield from page.get("issues", [])
            token = page.get("nextPageToken")
            if page.get("isLast", True) or not token:
                return

    def _path(self, resource: str) -> str:
        return str(self._api.endpoint(resource))


def _category(fields: dict[str, Any]) -> str | None:
    category = (fields.get("status") or {}).get("statusCategory", {}).get("key")
    return str(category) if category else None


@contextmanager
def _said() -> Iterator[None]:
    try:
        yield
    except requests.HTTPError as error:
        raise failure_of(error) from error
    except (requests.ConnectionError, requests.Timeout) as error:
        raise SendFailed(f"jira unreachable: {type(error).__name__}") from error


def failure_of(error: requests.HTTPError) -> SendFailed:
    response = error.response
    status = response.status_code if response is not None else 0
    words = f"jira {status}: {str(error)[:200]}"
    if status == 429:
        return SendFailed(words, retry_after=_retry_after(response))
    return SendFailed(words, permanent=status in PERMANENT_STATUSES)


def _retry_after(response: requests.Response | None) -> timedelta:
    value = (response.headers.get("Retry-After", "") if response is not None else "").strip()
    if value.isdigit():
        return timedelta(seconds=max(int(value), 1))
    return DEFAULT_RETRY_AFTER


def check(client: JiraClient, warn: Callable[[str], None] = log.error) -> bool:
    """At start: one clear message when the URL or the credential is wrong."""
    try:
        me = client.myself()
    except SendFailed as failure:
        warn(
            f"Jira at {client.url} refused or did not answer ({failure.error}); check JIRA_URL, "
            "JIRA_EMAIL and JIRA_API_TOKEN. Lessonloop runs on and keeps what it owes Jira "
            "until Jira answers."
        )
        return False
    log.info("Jira at %s: connected as %s", client.url, me.get("displayName", "?"))
    return True
