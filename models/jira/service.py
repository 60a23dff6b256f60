"""Jira use cases: a channel's project, what an issue should say, the keys Jira gave,
changes made in Jira applied to actions, and the back-fill of a channel."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import InstrumentedAttribute, Session, sessionmaker
from sqlalchemy.sql.expression import Exists

from models.actions.tables import Action, ActionStatus
from models.core.clock import Clock
from models.core.errors import InvalidInput
from models.core.outbox import enqueue
from models.core.tables import Delivery, DeliveryStatus
from models.jira.owing import CATEGORY, CREATE_ACTION, CREATE_LESSON, JiraOwed, project_for
from models.jira.tables import JiraChannel, JiraCursor, JiraIssue, JiraPerson, Tracked
from models.lessons.tables import Lesson, LessonKind, open_lesson_clause
from models.postmortems.tables import Postmortem

# Jira project keys: a capital letter, then capitals, digits or underscores.
PROJECT_KEY = re.compile(r"[A-Z][A-Z0-9_]{1,29}")
# A permanent refusal shown once in the channel it concerns (a Slack delivery).
REFUSED_DELIVERY = "jira.refused"
SUMMARY_MAX = 250  # Jira's summary limit is 255
LABEL = "lessonloop"
# Jira labels cannot hold spaces; a tag is kept as one word.
_LABEL_UNSAFE = re.compile(r"[^\w.\-]+")
# Status categories read back from Jira; the workflow's own status names vary.
_FROM_CATEGORY = {
    "new": ActionStatus.OPEN,
    "indeterminate": ActionStatus.IN_PROGRESS,
    "done": ActionStatus.DONE,
}
RECONCILE_CURSOR = "reconcile"


def unique_label(record: Tracked, record_id: int) -> str:
    """Found by a JQL search when a retry does not know whether its create went through."""
    return f"{LABEL}-{record.value}-{record_id}"


@dataclass(frozen=True, slots=True)
class Pushed:
    """An action's fields as Lessonloop last wrote them to its issue (None: unknown)."""

    category: str | None = None
    due_on: date | None = None
    owner_id: str | None = None
    summary: str | None = None


@dataclass(frozen=True, slots=True)
class IssueDraft:
    """What an issue for a record says and where it goes, read when it is sent."""

    record: Tracked
    record_id: int
    team_id: str
    channel_id: str
    project: str | None
    issue_key: str | None
    summary: str
    text: str
    lesson: str | None
    review_title: str | None
    permalink: str | None
    due_on: date | None
    labels: tuple[str, ...]
    owner_id: str | None
    category: str | None  # the status category the issue should be in
    pushed: Pushed  # what Lessonloop last wrote to the issue
    dropped: bool = False  # closed as not to be done (a "Won't do" transition if any)
    lesson_issue_key: str | None = None  # an action's lesson's issue, to link to
    action_issue_keys: tuple[str, ...] = ()  # a lesson's actions' issues, to link to

    @property
    def label(self) -> str:
        return unique_label(self.record, self.record_id)


@dataclass(frozen=True, slots=True)
class ChannelJira:
    project: str | None
    chosen_here: bool  # False: the default (JIRA_PROJECT) applies


@dataclass(frozen=True, slots=True)
class RemoteIssue:
    """An issue's state as Jira reports it (webhook or search)."""

    issue_key: str
    category: str
    due_on: date | None
    assignee_account: str | None
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class Applied:
    action_id: int | None
    changes: tuple[str, ...]  # what changed: "status", "target", "owner"


class JiraSync:
    def __init__(self, sessions: sessionmaker[Session], clock: Clock, owed: JiraOwed) -> None:
        self._sessions, self._clock, self._owed = sessions, clock, owed

    @property
    def enabled(self) -> bool:
        return self._owed.enabled

    def channel(self, *, team_id: str, channel_id: str) -> ChannelJira:
        with self._sessions() as session:
            row = session.get(JiraChannel, (team_id, channel_id))
            if row is not None:
                return ChannelJira(row.project_key, chosen_here=True)
            return ChannelJira(self._owed.default_project, chosen_here=False)

    def choose_project(
        self, *, team_id: str, channel_id: str, project_key: str | None, by_user: str
    ) -> ChannelJira:
        """`project_key` None turns Jira off for the channel."""
        if project_key is not None:
            project_key = project_key.strip().upper()
            if not PROJECT_KEY.fullmatch(project_key):
                raise InvalidInput(
                    "A Jira project key is a capital letter then letters, digits or "
                    "underscores, such as OPS.",
                    field="project",
                )
        now = self._clock.now()
        with self._sessions.begin() as session:
            row = session.get(JiraChannel, (team_id, channel_id))
            if row is None:
                row = JiraChannel(team_id=team_id, channel_id=channel_id)
                session.add(row)
            row.project_key, row.updated_by, row.updated_at = project_key, by_user, now
        return ChannelJira(project_key, chosen_here=True)

    def action_draft(self, *, action_id: int, project: str | None) -> IssueDraft | None:
        with self._sessions() as session:
            action = session.get(Action, action_id)
            if action is None:
                return None
            link = _link(session, Tracked.ACTION, action_id)
            lesson = session.get(Lesson, action.lesson_id) if action.lesson_id else None
            review = session.get(Postmortem, action.postmortem_id) if action.postmortem_id else None
            lesson_link = _link(session, Tracked.LESSON, lesson.id) if lesson else None
            return IssueDraft(
                record=Tracked.ACTION,
                record_id=action.id,
                team_id=action.team_id,
                channel_id=action.channel_id,
                project=project,
                issue_key=link.issue_key if link else None,
                summary=_summary(action.description),
                text=action.description,
                lesson=lesson.text if lesson else None,
                review_title=review.title if review else None,
                permalink=_permalink(review, lesson),
                due_on=action.target_on,
                labels=_labels(session, review, lesson, Tracked.ACTION, action.id),
                owner_id=action.owner_id,
                category=CATEGORY[action.status],
                pushed=Pushed(
                    link.pushed_category, link.pushed_due, link.pushed_owner, link.pushed_summary
                )
                if link
                else Pushed(),
                dropped=action.status is ActionStatus.DROPPED,
                lesson_issue_key=lesson_link.issue_key if lesson_link else None,
            )

    def lesson_draft(self, *, lesson_id: int, project: str | None) -> IssueDraft | None:
        with self._sessions() as session:
            lesson = session.get(Lesson, lesson_id)
            if lesson is None:
                return None
            link = _link(session, Tracked.LESSON, lesson_id)
            review = session.get(Postmortem, lesson.postmortem_id) if lesson.postmortem_id else None
            actions = session.scalars(
                select(JiraIssue.issue_key)
                .join(Action, Action.id == JiraIssue.record_id)
                .where(JiraIssue.record == Tracked.ACTION, Action.lesson_id == lesson.id)
                .order_by(Action.id)
            ).all()
            return IssueDraft(
                record=Tracked.LESSON,
                record_id=lesson.id,
                team_id=lesson.team_id,
                channel_id=lesson.channel_id,
                project=project,
                issue_key=link.issue_key if link else None,
                summary=_summary(lesson.text),
                text=lesson.text,
                lesson=None,
                review_title=review.title if review else None,
                permalink=_permalink(review, lesson),
                due_on=None,
                labels=_labels(session, review, lesson, Tracked.LESSON, lesson.id),
                owner_id=None,
                category=None,
                pushed=Pushed(),
                action_issue_keys=tuple(actions),
            )

    def record_issue(
        self,
        *,
        team_id: str,
        record: Tracked,
        record_id: int,
        issue_key: str,
        pushed: Pushed,
    ) -> None:
        """Jira's key for the record, stored as soon as Jira gave it, with what the issue
        was created with."""
        try:
            with self._sessions.begin() as session:
                if _link(session, record, record_id) is not None:
                    return
                session.add(
                    JiraIssue(
                        team_id=team_id,
                        record=record,
                        record_id=record_id,
                        issue_key=issue_key,
                        pushed_category=pushed.category,
                        pushed_due=pushed.due_on,
                        pushed_owner=pushed.owner_id,
                        pushed_summary=pushed.summary,
                        created_at=self._clock.now(),
                    )
                )
        except IntegrityError:
            return  # a parallel sender recorded it first

    def pushed(self, *, record_id: int, pushed: Pushed) -> None:
        """What Lessonloop last wrote to an action's issue (so its echo is recognised)."""
        with self._sessions.begin() as session:
            link = _link(session, Tracked.ACTION, record_id)
            if link is not None:
                link.pushed_category, link.pushed_due = pushed.category, pushed.due_on
                link.pushed_owner, link.pushed_summary = pushed.owner_id, pushed.summary

    def account_of(self, *, team_id: str, user_id: str) -> tuple[bool, str | None]:
        """(looked up before, the Jira account found then)."""
        with self._sessions() as session:
            row = session.get(JiraPerson, (team_id, user_id))
            return (row is not None, row.account_id if row else None)

    def remember_account(self, *, team_id: str, user_id: str, account_id: str | None) -> None:
        try:
            with self._sessions.begin() as session:
                row = session.get(JiraPerson, (team_id, user_id))
                if row is None:
                    row = JiraPerson(team_id=team_id, user_id=user_id)
                    session.add(row)
                row.account_id, row.looked_up_at = account_id, self._clock.now()
        except IntegrityError:
            return

    def apply_remote(self, *, issue: RemoteIssue, actor_account: str | None) -> Applied:
        """A change made in Jira: status (by category), due date and assignee go to the
        action, each written to its history with the Jira user as the actor. What
        Lessonloop wrote itself (its echo) and anything older than the last change read
        changes nothing, and nothing here owes Jira a delivery: no loop."""
        now = self._clock.now()
        with self._sessions.begin() as session:
            link = session.scalar(
                select(JiraIssue).where(JiraIssue.issue_key == issue.issue_key).with_for_update()
            )
            if link is None or link.record is not Tracked.ACTION:
                return Applied(None, ())
            if link.remote_updated_at is not None and issue.updated_at < link.remote_updated_at:
                return Applied(link.record_id, ())
            link.remote_updated_at = issue.updated_at
            action = session.get(Action, link.record_id, with_for_update=True)
            if action is None:
                return Applied(None, ())
            actor = _actor(session, action.team_id, actor_account)
            changes: list[str] = []
            status = _FROM_CATEGORY.get(issue.category)
            if (
                status is not None
                and issue.category != link.pushed_category
                and issue.category != CATEGORY[action.status]
            ):
                action.change_status(status, by=actor, at=now)
                changes.append("status")
            if issue.due_on != link.pushed_due and issue.due_on != action.target_on:
                action.record(
                    what="target",
                    by=actor,
                    at=now,
                    old=str(action.target_on) if action.target_on else None,
                    new=str(issue.due_on) if issue.due_on else None,
                )
                action.target_on = issue.due_on
                changes.append("target")
            if issue.assignee_account is not None:
                owner = session.scalar(
                    select(JiraPerson.user_id)
                    .where(
                        JiraPerson.team_id == action.team_id,
                        JiraPerson.account_id == issue.assignee_account,
                    )
                    .limit(1)
                )
                if owner is not None and owner != action.owner_id:
                    action.record(what="owner", by=actor, at=now, old=action.owner_id, new=owner)
                    action.owner_id = owner
                    changes.append("owner")
                if owner is not None:
                    link.pushed_owner = owner
            # Jira and Lessonloop agree now: nothing of this is to be written back.
            link.pushed_category, link.pushed_due = issue.category, issue.due_on
            return Applied(action.id, tuple(changes))

    def forget_issue(self, *, issue_key: str) -> bool:
        """The issue was deleted in Jira: the record stays, untracked."""
        with self._sessions.begin() as session:
            link = session.scalar(select(JiraIssue).where(JiraIssue.issue_key == issue_key))
            if link is None:
                return False
            session.delete(link)
            return True

    def back_fill(self, *, team_id: str, channel_id: str) -> int:
        """Owe an issue for each open action and open lesson to improve of the channel that
        has none and none on its way; returns how many were owed."""
        now = self._clock.now()
        with self._sessions.begin() as session:
            project = project_for(
                session, team_id=team_id, channel_id=channel_id, default=self._owed.default_project
            )
            if not self._owed.enabled or project is None:
                raise InvalidInput(
                    "Jira is off for this channel; choose a project first.", field="project"
                )
            actions = session.scalars(
                select(Action.id)
                .where(
                    Action.team_id == team_id,
                    Action.channel_id == channel_id,
                    Action.open_clause(),
                    ~_tracked(Tracked.ACTION, Action.id),
                    ~_on_its_way(CREATE_ACTION, Action.id),
                )
                .order_by(Action.id)
            ).all()
            lessons = session.scalars(
                select(Lesson.id)
                .where(
                    Lesson.team_id == team_id,
                    Lesson.channel_id == channel_id,
                    Lesson.kind == LessonKind.IMPROVE,
                    open_lesson_clause(),
                    ~_tracked(Tracked.LESSON, Lesson.id),
                    ~_on_its_way(CREATE_LESSON, Lesson.id),
                )
                .order_by(Lesson.id)
            ).all()
            for kind, ids in ((CREATE_LESSON, lessons), (CREATE_ACTION, actions)):
                for record_id in ids:
                    enqueue(
                        session,
                        team_id=team_id,
                        kind=kind,
                        recipient_id=project,
                        dedupe_key=f"{kind}:{record_id}:sync:{uuid.uuid4().hex}",
                        due_at=now,
                        now=now,
                        subject_id=record_id,
                    )
            return len(actions) + len(lessons)

    def tell_refusal(self, *, team_id: str, channel_id: str, project: str, error: str) -> None:
        """A refusal that trying again will not cure, shown in the channel once per
        project and kind of refusal."""
        now = self._clock.now()
        with self._sessions.begin() as session:
            enqueue(
                session,
                team_id=team_id,
                kind=REFUSED_DELIVERY,
                recipient_id=channel_id,
                dedupe_key=f"{REFUSED_DELIVERY}:{team_id}:{channel_id}:{project}:{error[:40]}",
                due_at=now,
                now=now,
                payload={"project": project, "error": error[:300]},
            )

    def reconciled_at(self) -> datetime | None:
        with self._sessions() as session:
            row = session.get(JiraCursor, RECONCILE_CURSOR)
            return row.reconciled_at if row else None

    def mark_reconciled(self, *, at: datetime) -> None:
        try:
            with self._sessions.begin() as session:
                row = session.get(JiraCursor, RECONCILE_CURSOR)
                if row is None:
                    session.add(JiraCursor(name=RECONCILE_CURSOR, reconciled_at=at))
                else:
                    row.reconciled_at = max(row.reconciled_at, at)
        except IntegrityError:
            return


def _actor(session: Session, team_id: str, account_id: str | None) -> str:
    """The person behind a Jira account when Lessonloop knows them, else the account."""
    if account_id is None:
        return "jira"
    user = session.scalar(
        select(JiraPerson.user_id)
        .where(JiraPerson.team_id == team_id, JiraPerson.account_id == account_id)
        .limit(1)
    )
    return user if user is not None else f"jira:{account_id}"[:255]


def _link(session: Session, record: Tracked, record_id: int) -> JiraIssue | None:
    return session.scalar(
        select(JiraIssue).where(JiraIssue.record == record, JiraIssue.record_id == record_id)
    )


def _tracked(record: Tracked, column: InstrumentedAttribute[int]) -> Exists:
    return exists().where(JiraIssue.record == record, JiraIssue.record_id == column)


def _on_its_way(kind: str, column: InstrumentedAttribute[int]) -> Exists:
    return exists().where(
        Delivery.kind == kind,
        Delivery.subject_id == column,
        Delivery.status == DeliveryStatus.PENDING,
    )


def _summary(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= SUMMARY_MAX else line[: SUMMARY_MAX - 1] + "…"


def _permalink(review: Postmortem | None, lesson: Lesson | None) -> str | None:
    if review is not None and review.permalink:
        return review.permalink
    return lesson.source_permalink if lesson is not None else None


def _labels(
    session: Session,
    review: Postmortem | None,
    lesson: Lesson | None,
    record: Tracked,
    record_id: int,
) -> tuple[str, ...]:
    """`lessonloop`, the record's own label, then the review's tags (its lessons' #tags)."""
    tags: set[str] = set(lesson.tags if lesson else [])
    if review is not None:
        for row in session.scalars(select(Lesson.tags).where(Lesson.postmortem_id == review.id)):
            tags.update(row or [])
    cleaned = sorted({_LABEL_UNSAFE.sub("-", tag).strip("-")[:50] for tag in tags} - {""})
    return (LABEL, unique_label(record, record_id), *cleaned)
