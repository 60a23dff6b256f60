"""Sends what changes owe Jira (models/jira/owing.py), one sender per delivery kind.

No duplicate on a crash: the issue's key is stored the moment Jira gives it; a retry that
finds no key searches the record's unique label before it creates anything. Every
sender reads the record when it sends, so a retry writes the latest state."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace

from handlers.jira import documents
from handlers.jira.client import JiraClient
from models.core.outbox import SendFailed
from models.core.views import DeliveryView
from models.jira.owing import COMMENT_ACTION, CREATE_ACTION, CREATE_LESSON, UPDATE_ACTION
from models.jira.service import IssueDraft, Pushed
from models.jira.tables import Tracked
from models.services import Services

log = logging.getLogger(__name__)

Sender = Callable[[DeliveryView], None]
# The person's email in the chat platform (Slack users.info), or None.
EmailOf = Callable[[str, str], str | None]
# Transitions whose names say "not done, dropped" (a dropped action closes that way).
_DROPPED_WORDS = ("won't", "wont", "cancel", "drop", "reject", "decline")
NO_ASSIGNEE_NOTE = (
    "Lessonloop found no Jira user with the owner's email address, so this issue is "
    "unassigned. The owner is still reminded in chat."
)


class JiraSenders:
    def __init__(
        self, client: JiraClient, services: Services, email_of: EmailOf, *, issue_type: str
    ) -> None:
        self._client, self._services = client, services
        self._email_of, self._issue_type = email_of, issue_type

    def senders(self) -> dict[str, Sender]:
        return {
            CREATE_ACTION: self.create_action,
            UPDATE_ACTION: self.update_action,
            COMMENT_ACTION: self.comment_action,
            CREATE_LESSON: self.create_lesson,
        }

    def create_action(self, delivery: DeliveryView) -> None:
        assert delivery.subject_id is not None
        sync = self._services.jira
        draft = sync.action_draft(action_id=delivery.subject_id, project=delivery.recipient_id)
        if draft is None:
            return  # the action is gone (its reply was deleted)
        key, made_now = self._issue(draft, delivery)
        if made_now and draft.owner_id is not None:
            found, account = sync.account_of(team_id=draft.team_id, user_id=draft.owner_id)
            if found and account is None:
                self._client.comment(key, documents.note(NO_ASSIGNEE_NOTE))
        if draft.lesson_issue_key and not delivery.payload.get("linked"):
            self._client.link(inward=key, outward=draft.lesson_issue_key)
            self._progress(delivery, linked=True)
        self._push_state(delivery.subject_id)

    def create_lesson(self, delivery: DeliveryView) -> None:
        assert delivery.subject_id is not None
        draft = self._services.jira.lesson_draft(
            lesson_id=delivery.subject_id, project=delivery.recipient_id
        )
        if draft is None:
            return
        key, _ = self._issue(draft, delivery)
        linked = set(delivery.payload.get("linked_actions", []))
        for action_key in draft.action_issue_keys:
            if action_key not in linked:
                self._client.link(inward=action_key, outward=key)
                linked.add(action_key)
                self._progress(delivery, linked_actions=sorted(linked))

    def update_action(self, delivery: DeliveryView) -> None:
        # With no issue yet there is nothing to do: the create pushes the latest state
        # itself once it has recorded the key.
        assert delivery.subject_id is not None
        self._push_state(delivery.subject_id)

    def comment_action(self, delivery: DeliveryView) -> None:
        assert delivery.subject_id is not None
        draft = self._services.jira.action_draft(action_id=delivery.subject_id, project=None)
        if draft is None:
            return
        if draft.issue_key is None:
            # Tried again with the outbox's growing back-off: a note is not lost while
            # the create waits out an outage.
            raise SendFailed("jira: the issue is not created yet")
        self._client.comment(
            draft.issue_key, documents.note(str(delivery.payload["note"]), by="Note from Slack")
        )

    def _issue(self, draft: IssueDraft, delivery: DeliveryView) -> tuple[str, bool]:
        """The record's issue: the one recorded, one a crashed attempt made, or a new one."""
        sync = self._services.jira
        if draft.issue_key is not None:
            return draft.issue_key, False
        # Only a retry can follow an attempt that created the issue and died before storing
        # its key (a first attempt skips the search: one call less per record).
        earlier = self._client.find_by_label(draft.label) if delivery.attempts > 1 else None
        if earlier is None:
            account = self._account(draft)
            try:
                found = self._client.create_issue(
                    documents.fields(draft, issue_type=self._issue_type, account_id=account)
                )
            except SendFailed as failure:
                if failure.permanent:
                    sync.tell_refusal(
                        team_id=draft.team_id,
                        channel_id=draft.channel_id,
                        project=draft.project or "",
                        error=failure.error,
                    )
                raise
            made_now = True
            # A new issue starts in its workflow's first status.
            pushed = Pushed("new", draft.due_on, draft.owner_id, draft.summary)
        else:
            found, made_now = earlier.key, False
            # Its assignee and summary are unknown here: they are written again.
            pushed = Pushed(earlier.category, earlier.due_on)
        sync.record_issue(
            team_id=draft.team_id,
            record=draft.record,
            record_id=draft.record_id,
            issue_key=found,
            pushed=pushed if draft.record is Tracked.ACTION else Pushed(),
        )
        return found, made_now

    def _account(self, draft: IssueDraft) -> str | None:
        """The owner's Jira account by email, looked up once per person."""
        if draft.owner_id is None:
            return None
        sync = self._services.jira
        found, account = sync.account_of(team_id=draft.team_id, user_id=draft.owner_id)
        if found:
            return account
        email = self._email_of(draft.team_id, draft.owner_id)
        account = self._client.find_account(email) if email else None
        sync.remember_account(team_id=draft.team_id, user_id=draft.owner_id, account_id=account)
        return account

    def _push_state(self, action_id: int) -> None:
        """Bring the action's issue to its status category, due date, assignee and summary
        where they differ from what was last written; each step is recorded once Jira
        has it, so a retry does only what is left."""
        sync = self._services.jira
        draft = sync.action_draft(action_id=action_id, project=None)
        if draft is None or draft.issue_key is None:
            return
        pushed = draft.pushed
        if draft.category is not None and draft.category != pushed.category:
            self._move(draft.issue_key, draft.category, dropped=draft.dropped)
            pushed = replace(pushed, category=draft.category)
            sync.pushed(record_id=action_id, pushed=pushed)
        fields: dict[str, object] = {}
        if draft.due_on != pushed.due_on:
            fields["duedate"] = draft.due_on.isoformat() if draft.due_on else None
        if draft.summary != pushed.summary:
            fields["summary"] = draft.summary
        if draft.owner_id != pushed.owner_id:
            account = self._account(draft)
            fields["assignee"] = {"accountId": account} if account else None
        if fields:
            self._client.edit(draft.issue_key, fields)
            pushed = replace(
                pushed, due_on=draft.due_on, summary=draft.summary, owner_id=draft.owner_id
            )
            sync.pushed(record_id=action_id, pushed=pushed)

    def _move(self, key: str, category: str, *, dropped: bool) -> None:
        choices = [
            t
            for t in self._client.transitions(key)
            if t.get("to", {}).get("statusCategory", {}).get("key") == category
        ]
        if not choices:
            # Workflows offer no transition to the status an issue is in already.
            if self._client.category_of(key) == category:
                return
            raise SendFailed(
                f"jira: no transition of {key} leads to a {category} status", permanent=True
            )
        if dropped:
            named = [t for t in choices if any(w in t["name"].lower() for w in _DROPPED_WORDS)]
            choices = named or choices
        self._client.transition(key, str(choices[0]["id"]))

    def _progress(self, delivery: DeliveryView, **progress: object) -> None:
        self._services.deliveries.record_progress(delivery_id=delivery.id, progress=progress)
