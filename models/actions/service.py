"""Actions: what a team commits to doing about a lesson."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from models.actions.tables import Action, ActionStatus
from models.actions.views import ActionView
from models.core.clock import Clock
from models.core.errors import InvalidInput, NotFound, StaleRequest
from models.core.outbox import enqueue
from models.core.privacy import Viewer, may_read_channel
from models.core.text import MESSAGE_LIMIT, clean_text
from models.jira.owing import NO_JIRA, JiraOwed
from models.lessons.tables import Lesson
from models.lessons.views import LessonView
from models.okrs.tables import KeyResult, Objective, ServingAction
from models.postmortems.tables import Postmortem, PostmortemStatus

DESCRIPTION_MAX = 2000
# An action added through the form, announced in its review's thread.
ACTION_ANNOUNCED_DELIVERY = "actions.announced"


NO_KEY_RESULT = "I can't find that key result; pick another or none."


def _require_readable_key_result(session: Session, viewer: Viewer, key_result_id: int) -> None:
    """The key result exists in the viewer's workspace and its channel is theirs to read
    (the OKR tables are read here, in the action's transaction; no OKR use case is run)."""
    channel_id = session.scalar(
        select(Objective.channel_id)
        .join(KeyResult, KeyResult.objective_id == Objective.id)
        .where(KeyResult.id == key_result_id, KeyResult.team_id == viewer.team_id)
    )
    if channel_id is None or not may_read_channel(session, viewer, viewer.team_id, channel_id):
        raise InvalidInput(NO_KEY_RESULT, field="key_result_id")


class ActionItems:
    def __init__(
        self, sessions: sessionmaker[Session], clock: Clock, jira: JiraOwed = NO_JIRA
    ) -> None:
        self._sessions, self._clock, self._jira = sessions, clock, jira

    def add(
        self,
        *,
        team_id: str,
        postmortem_id: int,
        description: str,
        owner_id: str,
        target_on: date | None,
        lesson_id: int | None,
        created_by: str,
        today: date,
        announce: bool = False,
        serves_key_result: int | None = None,
        viewer: Viewer | None = None,
    ) -> ActionView:
        """Add an action; with `announce`, its announcement in the review's thread is owed
        in the same transaction. With `serves_key_result`, the action serves that key
        result from the start, linked in the same transaction: the key result must be of
        this workspace and readable by `viewer` (the verified user), or nothing is added."""
        description = validate_description(description)
        if serves_key_result is not None and (viewer is None or viewer.team_id != team_id):
            raise InvalidInput(NO_KEY_RESULT, field="key_result_id")
        if target_on is not None and target_on < today:
            raise InvalidInput("Pick a target date that is today or later.", field="target_on")
        now = self._clock.now()
        with self._sessions.begin() as session:
            postmortem = session.scalar(
                select(Postmortem).where(
                    Postmortem.id == postmortem_id, Postmortem.team_id == team_id
                )
            )
            if postmortem is None:
                raise NotFound("I can't find that post-mortem any more.")
            if postmortem.status is not PostmortemStatus.OPEN:
                raise StaleRequest("This review is closed; its actions can no longer be added.")
            if (
                lesson_id is not None
                and session.scalar(
                    select(Lesson.id).where(
                        Lesson.id == lesson_id, Lesson.postmortem_id == postmortem_id
                    )
                )
                is None
            ):
                raise NotFound("That lesson is no longer part of this review.")
            action = Action(
                team_id=team_id,
                channel_id=postmortem.channel_id,
                postmortem_id=postmortem_id,
                lesson_id=lesson_id,
                description=description,
                owner_id=owner_id,
                target_on=target_on,
                status=ActionStatus.OPEN,
                created_by=created_by,
                created_at=now,
                updated_at=now,
                history=[],
            )
            if serves_key_result is not None:
                assert viewer is not None
                _require_readable_key_result(session, viewer, serves_key_result)
            session.add(action)
            action.record(what="created", by=created_by, at=now)
            session.flush()
            self._jira.action_created(session, action, now)
            if serves_key_result is not None:
                session.add(
                    ServingAction(
                        action_id=action.id,
                        key_result_id=serves_key_result,
                        linked_by=created_by,
                        linked_at=now,
                    )
                )
            if announce:
                enqueue(
                    session,
                    team_id=team_id,
                    kind=ACTION_ANNOUNCED_DELIVERY,
                    recipient_id=postmortem.channel_id,
                    dedupe_key=f"{ACTION_ANNOUNCED_DELIVERY}:{action.id}",
                    due_at=now,
                    now=now,
                    subject_id=action.id,
                )
            return ActionView.of(action)

    def get(self, *, team_id: str, action_id: int) -> ActionView | None:
        with self._sessions() as session:
            row = session.scalar(
                select(Action).where(Action.id == action_id, Action.team_id == team_id)
            )
            return ActionView.of(row) if row else None

    def open_for_owner(
        self, *, team_id: str, owner_id: str, postmortem_id: int | None = None
    ) -> list[ActionView]:
        """The owner's open actions, soonest target first, undated last."""
        with self._sessions() as session:
            query = select(Action).where(
                Action.team_id == team_id,
                Action.owner_id == owner_id,
                Action.open_clause(),
            )
            if postmortem_id is not None:
                query = query.where(Action.postmortem_id == postmortem_id)
            query = query.order_by(Action.target_on.is_(None), Action.target_on, Action.id)
            return [ActionView.of(row) for row in session.scalars(query)]

    def lessons_of(self, *, team_id: str, postmortem_id: int) -> list[LessonView]:
        with self._sessions() as session:
            rows = session.scalars(
                select(Lesson)
                .where(Lesson.team_id == team_id, Lesson.postmortem_id == postmortem_id)
                .order_by(Lesson.id)
            )
            return [LessonView.of(row) for row in rows]


def validate_description(description: str) -> str:
    # Typed text is kept, not refused: what PostgreSQL cannot store is removed.
    description = clean_text(description, limit=MESSAGE_LIMIT).strip()
    if not description:
        raise InvalidInput("Say what needs doing.", field="description")
    if len(description) > DESCRIPTION_MAX:
        raise InvalidInput(
            f"Keep the action under {DESCRIPTION_MAX} characters.", field="description"
        )
    return description
