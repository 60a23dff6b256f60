"""What a change owes Jira, written to the outbox in the transaction of the change.

The feature services call these (like `owe_home`): they decide nothing but whether the
channel is tracked in Jira and which project, and name the record; the sender reads the
record's state when it sends, so a retry always writes the latest state.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.actions.tables import Action, ActionStatus
from models.core.outbox import enqueue, owe_latest
from models.jira.tables import JiraChannel
from models.lessons.tables import Lesson, LessonKind

CREATE_ACTION = "jira.create_action"
UPDATE_ACTION = "jira.update_action"  # status and due date, the latest of them
COMMENT_ACTION = "jira.comment_action"  # a note, as a comment
CREATE_LESSON = "jira.create_lesson"
KINDS = frozenset({CREATE_ACTION, UPDATE_ACTION, COMMENT_ACTION, CREATE_LESSON})

# Jira's status categories (statusCategory.key), the only status words every workflow has.
CATEGORY = {
    ActionStatus.OPEN: "new",
    ActionStatus.IN_PROGRESS: "indeterminate",
    ActionStatus.BLOCKED: "indeterminate",
    ActionStatus.DONE: "done",
    ActionStatus.DROPPED: "done",
}


def project_for(
    session: Session, *, team_id: str, channel_id: str, default: str | None
) -> str | None:
    """The channel's own project, none if it turned Jira off, else the default."""
    row = session.scalar(
        select(JiraChannel).where(
            JiraChannel.team_id == team_id, JiraChannel.channel_id == channel_id
        )
    )
    return row.project_key if row is not None else default


@dataclass(frozen=True, slots=True)
class JiraOwed:
    """`enabled`: Jira is configured for this process; `default_project`: JIRA_PROJECT."""

    enabled: bool = False
    default_project: str | None = None

    def _project(self, session: Session, team_id: str, channel_id: str) -> str | None:
        if not self.enabled:
            return None
        return project_for(
            session, team_id=team_id, channel_id=channel_id, default=self.default_project
        )

    def action_created(self, session: Session, action: Action, now: datetime) -> bool:
        project = self._project(session, action.team_id, action.channel_id)
        if project is None:
            return False
        session.flush()
        enqueue(
            session,
            team_id=action.team_id,
            kind=CREATE_ACTION,
            recipient_id=project,
            dedupe_key=f"{CREATE_ACTION}:{action.id}",
            due_at=now,
            now=now,
            subject_id=action.id,
        )
        return True

    def action_changed(self, session: Session, action: Action, now: datetime) -> None:
        """Status or date changed: the issue is brought to the action's latest state."""
        project = self._project(session, action.team_id, action.channel_id)
        if project is None:
            return
        owe_latest(
            session,
            team_id=action.team_id,
            kind=UPDATE_ACTION,
            recipient_id=project,
            topic=f"action:{action.id}",
            now=now,
            subject_id=action.id,
        )

    def action_noted(
        self, session: Session, action: Action, now: datetime, *, note: str, by_user: str
    ) -> None:
        project = self._project(session, action.team_id, action.channel_id)
        if project is None:
            return
        enqueue(
            session,
            team_id=action.team_id,
            kind=COMMENT_ACTION,
            recipient_id=project,
            dedupe_key=f"{COMMENT_ACTION}:{action.id}:{uuid.uuid4().hex}",
            due_at=now,
            now=now,
            subject_id=action.id,
            payload={"note": note, "by": by_user},
        )

    def lesson_created(self, session: Session, lesson: Lesson, now: datetime) -> bool:
        """Only lessons to improve on become issues: what went well needs no work."""
        if lesson.kind is not LessonKind.IMPROVE:
            return False
        project = self._project(session, lesson.team_id, lesson.channel_id)
        if project is None:
            return False
        session.flush()
        enqueue(
            session,
            team_id=lesson.team_id,
            kind=CREATE_LESSON,
            recipient_id=project,
            dedupe_key=f"{CREATE_LESSON}:{lesson.id}",
            due_at=now,
            now=now,
            subject_id=lesson.id,
        )
        return True


NO_JIRA = JiraOwed()
