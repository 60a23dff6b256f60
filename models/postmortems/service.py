"""The guided review: starting it, moving through phases, recording replies, closing it."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from functools import partial

from sqlalchemy import Select, bindparam, delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from models.actions.tables import Action, ActionStatus
from models.actions.views import ActionView
from models.coach import BlameVerdict, assess
from models.coach.tables import CoachNudge
from models.core.clock import Clock
from models.core.dates import UnreadableDate
from models.core.db import insert_if_absent
from models.core.errors import NotAllowed, NotFound, Reason, StaleRequest, UserFacingError
from models.core.outbox import enqueue
from models.core.references import Platform
from models.core.tables import ChannelSettings, HandledEvent, Workspace
from models.core.text import MESSAGE_LIMIT, Said, clean_text, tags_in
from models.jira.owing import NO_JIRA, JiraOwed
from models.lessons.tables import Lesson, LessonKind
from models.lessons.views import LessonView
from models.postmortems.changes import forget_changes, keep_change, pending_change
from models.postmortems.phases import Phase
from models.postmortems.quickform import QuickAction, is_quick_action, parse_quick_action
from models.postmortems.tables import (
    Answer,
    MessageChangeKind,
    Postmortem,
    PostmortemKind,
    PostmortemStatus,
    PostmortemStep,
    TimelineEntry,
)
from models.postmortems.views import (
    AnswerView,
    PhaseChange,
    PostmortemView,
    ReplyOutcome,
    Summary,
    TimelineView,
)

TITLE_MAX = 200
LESSON_PHASES = {Phase.WENT_WELL: LessonKind.KEEP, Phase.IMPROVE: LessonKind.IMPROVE}

# What a review owes the thread and its people; each part is its own delivery, so one that
# fails is retried alone and nothing already sent is sent again.
ROOT_DELIVERY = "postmortem.root"
PROMPT_DELIVERY = "postmortem.prompt"
STEP_DONE_DELIVERY = "postmortem.step_done"
SUMMARY_DELIVERY = "postmortem.summary"
ROOT_CLOSED_DELIVERY = "postmortem.root_closed"
OWNER_DELIVERY = "postmortem.owner_actions"
DOCUMENTS_DELIVERY = "postmortem.documents"
# What a reply owes, each part about the reply (subject: the answer's id).
COACH_NUDGE_DELIVERY = "reply.coach_nudge"
REPLY_PROBLEM_DELIVERY = "reply.problem"
ACTION_ADDED_DELIVERY = "reply.action_added"
LESSON_NOTE_DELIVERY = "reply.lesson_note"


class Move(StrEnum):
    NEXT = "next"
    BACK = "back"
    SKIP = "skip"


def kind_from_title(title: str) -> PostmortemKind:
    """`Release 4.2 retro` is a release review; anything not named otherwise is an incident."""
    first = re.split(r"[\s:,.-]+", title.strip(), maxsplit=1)[0].lower()
    try:
        return PostmortemKind(first)
    except ValueError:
        return PostmortemKind.INCIDENT


class Postmortems:
    def __init__(
        self, sessions: sessionmaker[Session], clock: Clock, jira: JiraOwed = NO_JIRA
    ) -> None:
        self._sessions, self._clock, self._jira = sessions, clock, jira

    def start(
        self,
        *,
        team_id: str,
        channel_id: str,
        title: str,
        facilitator_id: str,
        thread_ref: str | None = None,
        posted_at: datetime | None = None,
        permalink: str | None = None,
    ) -> PostmortemView:
        """Store a review and owe its root message and first prompt; nothing is posted
        before this commits. Given the `thread_ref` of a root message the caller posted
        itself (an import, a test), posted at `posted_at` (default now), the review opens
        on that thread and owes nothing."""
        title = validate_title(title)
        now = self._clock.now()
        with self._sessions.begin() as session:
            row = Postmortem(
                team_id=team_id,
                channel_id=channel_id,
                thread_ref=None,
                permalink=permalink,
                title=title,
                kind=kind_from_title(title),
                facilitator_id=facilitator_id,
                status=PostmortemStatus.OPEN,
                phase=Phase.IMPACT,
                skipped_phases=[],
                created_at=now,
                updated_at=now,
            )
            session.add(row)
            session.flush()
            # The review adopts what the channel's running log collected.
            for entity in (Lesson, TimelineEntry):
                session.execute(
                    update(entity)
                    .where(
                        entity.team_id == team_id,
                        entity.channel_id == channel_id,
                        entity.postmortem_id.is_(None),
                    )
                    .values(postmortem_id=row.id)
                )
            if thread_ref is None:
                enqueue(
                    session,
                    team_id=team_id,
                    kind=ROOT_DELIVERY,
                    recipient_id=channel_id,
                    subject_id=row.id,
                    dedupe_key=f"postmortem:{row.id}:root",
                    due_at=now,
                    now=now,
                )
            else:
                _open_first_step(session, row, thread_ref, posted_at or now, permalink)
            return PostmortemView.of(row)

    def root_posted(
        self,
        *,
        team_id: str,
        postmortem_id: int,
        thread_ref: str,
        posted_at: datetime | None,
        permalink: str | None,
    ) -> PostmortemView:
        """The root message is in the channel: its thread is the review's, and the first
        step opens at its time (`posted_at`; when processed if the platform gave none)."""
        with self._sessions.begin() as session:
            row = _get(session, team_id, postmortem_id, for_update=True)
            if row.thread_ref is None:
                now = self._clock.now()
                step = _open_first_step(session, row, thread_ref, posted_at or now, permalink)
                _owe_prompt(session, row, step, now)
            return PostmortemView.of(row)

    def abandon(self, *, team_id: str, postmortem_id: int) -> None:
        """Forget a review whose root message the platform refused (the bot is not in the
        channel): nothing of it was ever shown."""
        with self._sessions.begin() as session:
            row = _get(session, team_id, postmortem_id, for_update=True)
            if row.thread_ref is None:
                session.execute(
                    update(Lesson).where(Lesson.postmortem_id == row.id).values(postmortem_id=None)
                )
                session.execute(
                    update(TimelineEntry)
                    .where(TimelineEntry.postmortem_id == row.id)
                    .values(postmortem_id=None)
                )
                session.delete(row)

    def get(self, *, team_id: str, postmortem_id: int) -> PostmortemView:
        with self._sessions() as session:
            return PostmortemView.of(_get(session, team_id, postmortem_id))

    def in_thread(self, *, team_id: str, channel_id: str, thread_ref: str) -> PostmortemView | None:
        with self._sessions() as session:
            row = session.scalar(
                select(Postmortem).where(
                    Postmortem.team_id == team_id,
                    Postmortem.channel_id == channel_id,
                    Postmortem.thread_ref == thread_ref,
                )
            )
            return PostmortemView.of(row) if row else None

    def open_in_channel(self, *, team_id: str, channel_id: str) -> list[PostmortemView]:
        with self._sessions() as session:
            rows = session.scalars(
                select(Postmortem)
                .where(
                    Postmortem.team_id == team_id,
                    Postmortem.channel_id == channel_id,
                    Postmortem.status == PostmortemStatus.OPEN,
                    Postmortem.thread_ref.is_not(None),
                )
                .order_by(Postmortem.created_at.desc())
            )
            return [PostmortemView.of(row) for row in rows]

    def prompt_owed(
        self, *, team_id: str, postmortem_id: int, step_id: int
    ) -> PostmortemView | None:
        """The review, when the step a prompt was owed for is still its current one; None
        when people have moved on (or closed it) since, so a stale prompt is not posted."""
        with self._sessions() as session:
            row = _get(session, team_id, postmortem_id)
            latest = _latest_step_id(session, row.id)
            if row.status is not PostmortemStatus.OPEN or latest != step_id:
                return None
            return PostmortemView.of(row)

    def set_prompt(
        self, *, team_id: str, postmortem_id: int, step_id: int, prompt_ref: str
    ) -> None:
        """Remember which bot message carries the current step's buttons."""
        with self._sessions.begin() as session:
            row = _get(session, team_id, postmortem_id, for_update=True)
            latest = _latest_step_id(session, row.id)
            if latest == step_id and row.status is PostmortemStatus.OPEN:
                row.prompt_ref = prompt_ref

    def move(
        self,
        *,
        team_id: str,
        postmortem_id: int,
        from_phase: Phase,
        move: Move,
        by_user: str,
        clicked_at: datetime | None = None,
    ) -> PhaseChange:
        """Open the next (or previous) step at the time of the click (`clicked_at`, by the
        platform's clock); replies posted before it stay with the step they answered."""
        now = self._clock.now()
        with self._sessions.begin() as session:
            row = _get(session, team_id, postmortem_id, for_update=True)
            _require_open(row)
            if row.phase is not from_phase:
                raise StaleRequest(
                    f"This review has already moved on to “{row.phase.heading}”; "
                    "use the buttons on the latest prompt."
                )
            left, left_prompt_ref = row.phase, row.prompt_ref
            target = left.previous() if move is Move.BACK else left.next()
            if target is left:
                raise StaleRequest("There is no step that way.")
            skipped = set(row.skipped_phases)
            if move is Move.SKIP:
                skipped.add(left.value)
            else:
                skipped.discard(left.value)
            row.skipped_phases = sorted(skipped)
            row.phase, row.prompt_ref, row.updated_at = target, None, now
            opened_at = _click_time(session, row, clicked_at, now)
            session.add(
                step := PostmortemStep(
                    postmortem_id=row.id, phase=target, opened_at=opened_at, opened_by=by_user
                )
            )
            session.flush()
            if left_prompt_ref:
                enqueue(
                    session,
                    team_id=team_id,
                    kind=STEP_DONE_DELIVERY,
                    recipient_id=row.channel_id,
                    subject_id=row.id,
                    dedupe_key=f"postmortem:{row.id}:step-done:{step.id}",
                    due_at=now,
                    now=now,
                    payload={
                        "prompt_ref": left_prompt_ref,
                        "phase": left.value,
                        "skipped": move is Move.SKIP,
                        "by": by_user,
                    },
                )
            _owe_prompt(session, row, step, now)
            return PhaseChange(PostmortemView.of(row), left, left_prompt_ref, move is Move.SKIP)

    def record_reply(
        self,
        *,
        team_id: str,
        channel_id: str,
        thread_ref: str,
        message_ref: str,
        said_at: datetime | None,
        author_id: str,
        said: Said,
        platform: Platform,
        event_id: str | None,
        today: date,
    ) -> ReplyOutcome | None:
        """Record a human reply in a post-mortem thread against the step that was open
        when it was posted (`said_at`, by the platform's clock; when processed if the
        platform gave none).

        None when the thread is not a review (or was closed before the reply was posted),
        the event was seen before, or the reply was deleted before it reached us."""
        text = said.text
        reading = _Reading.of(said, today)  # text analysis happens outside any lock
        now = self._clock.now()
        posted = said_at or now
        with self._sessions.begin() as session:
            found = session.execute(
                _REPLY_THREAD,
                {
                    "team_id": team_id,
                    "channel_id": channel_id,
                    "thread_ref": thread_ref,
                    "platform": platform.value,
                },
            ).first()
            if found is None:
                return None
            row, coach_setting = found
            if row.status is not PostmortemStatus.OPEN and not (
                row.closed_at is not None and posted <= row.closed_at
            ):
                return None
            if not _first_delivery(session, team_id, platform, event_id, now):
                return None
            if session.scalar(_ANSWER_EXISTS, {"pm": row.id, "ref": message_ref}) is not None:
                return None
            edited_at = None
            change = pending_change(session, team_id, channel_id, message_ref)
            if change is not None:
                if change.kind is MessageChangeKind.DELETE:
                    return None  # the tombstone stays: a later edit must not revive it
                session.delete(change)
                text, edited_at = change.text or "", change.changed_at
                # Rare: an edit that overtook its message. Only its text was kept, so a
                # mention in it no longer names an owner.
                reading = _Reading.of(Said(text), today)
            phase = session.scalar(_STEP_AT, {"pm": row.id, "at": posted}) or Phase.IMPACT
            answer = Answer(
                team_id=team_id,
                postmortem_id=row.id,
                phase=phase,
                author_id=author_id,
                text=text,
                message_ref=message_ref,
                said_at=posted,
                event_id=event_id,
                edited_at=edited_at,
                created_at=now,
                updated_at=now,
            )
            session.add(answer)
            session.flush()
            lesson = action = None
            problem = None
            nudge = (
                self._coach(session, row, answer, reading.verdict)
                if coach_setting is not False
                else None
            )
            if reading.is_action:
                action, problem = _apply_quick_action(
                    session, row, answer, reading, today, self._jira
                )
            elif (kind := LESSON_PHASES.get(phase)) is not None:
                lesson = Lesson(
                    team_id=team_id,
                    channel_id=channel_id,
                    postmortem_id=row.id,
                    answer_id=answer.id,
                    kind=kind,
                    text=text,
                    author_id=author_id,
                    tags=tags_in(text),
                    created_at=now,
                    updated_at=now,
                )
                session.add(lesson)
                session.flush()
                self._jira.lesson_created(session, lesson, now)
            _owe_follow_ups(
                session,
                row,
                answer,
                now=now,
                nudge=nudge is not None,
                problem=problem,
                action=action,
                lesson=lesson,
            )
            return ReplyOutcome(
                postmortem=PostmortemView.of(row),
                answer=AnswerView.of(answer),
                lesson=LessonView.of(lesson) if lesson else None,
                action=ActionView.of(action) if action else None,
                problem=problem,
                nudge=nudge,
            )

    def reply(self, *, team_id: str, answer_id: int) -> tuple[PostmortemView, AnswerView]:
        """A recorded reply and its review, for what is owed about it."""
        with self._sessions() as session:
            answer = session.scalar(
                select(Answer).where(Answer.id == answer_id, Answer.team_id == team_id)
            )
            if answer is None:
                raise NotFound("That reply is gone.")
            return PostmortemView.of(answer.postmortem), AnswerView.of(answer)

    def _coach(
        self, session: Session, postmortem: Postmortem, answer: Answer, verdict: BlameVerdict
    ) -> BlameVerdict | None:
        """A reframing note when a reply blames a person: at most one per person per phase."""
        if not verdict.blames:
            return None
        already = select(CoachNudge.id).where(
            CoachNudge.postmortem_id == postmortem.id,
            CoachNudge.phase == answer.phase,
            CoachNudge.user_id == answer.author_id,
        )
        if session.scalar(already) is not None:
            return None
        try:
            with session.begin_nested():
                session.add(
                    CoachNudge(
                        team_id=postmortem.team_id,
                        postmortem_id=postmortem.id,
                        phase=answer.phase,
                        user_id=answer.author_id,
                        created_at=answer.created_at,
                    )
                )
        except IntegrityError:
            return None
        return verdict

    def edit_reply(
        self,
        *,
        team_id: str,
        channel_id: str,
        message_ref: str,
        said: Said,
        platform: Platform,
        event_id: str | None,
        today: date,
        edited_at: datetime | None = None,
        thread_ref: str | None = None,
    ) -> ReplyOutcome | None:
        """Apply an edit. The newest edit wins by when it was made (`edited_at`, by the
        platform's clock), whatever the order they are processed in; an edit of a reply
        not seen yet is kept until the reply comes."""
        text = said.text
        reading = _Reading.of(said, today)
        now = self._clock.now()
        changed = edited_at or now
        with self._sessions.begin() as session:
            if not _first_delivery(session, team_id, platform, event_id, now):
                return None
            answer = session.scalar(_answer_query(team_id, channel_id, message_ref))
            if answer is None:
                if thread_ref is not None and _is_review_thread(
                    session, team_id, channel_id, thread_ref
                ):
                    keep_change(
                        session,
                        team_id=team_id,
                        channel_id=channel_id,
                        message_ref=message_ref,
                        kind=MessageChangeKind.EDIT,
                        text=text,
                        changed_at=changed,
                        now=now,
                    )
                return None
            if answer.edited_at is not None and changed <= answer.edited_at:
                return None
            answer.edited_at = changed
            if answer.text == text:
                return None
            answer.text, answer.updated_at = text, now
            lesson = session.scalar(select(Lesson).where(Lesson.answer_id == answer.id))
            if lesson is not None:
                lesson.text, lesson.tags, lesson.updated_at = text, tags_in(text), now
            action, problem = None, None
            if reading.is_action:
                action, problem = _apply_quick_action(
                    session, answer.postmortem, answer, reading, today, self._jira
                )
            else:
                # No longer an action: the reply is the record, so its action goes too.
                session.execute(delete(Action).where(Action.answer_id == answer.id))
            if problem:
                _owe_follow_ups(
                    session,
                    answer.postmortem,
                    answer,
                    now=now,
                    problem=problem,
                    version=changed.isoformat(),
                )
            return ReplyOutcome(
                postmortem=PostmortemView.of(answer.postmortem),
                answer=AnswerView.of(answer),
                lesson=LessonView.of(lesson) if lesson else None,
                action=ActionView.of(action) if action else None,
                problem=problem,
            )

    def delete_reply(
        self,
        *,
        team_id: str,
        channel_id: str,
        message_ref: str,
        platform: Platform,
        event_id: str | None,
        thread_ref: str | None = None,
        deleted_at: datetime | None = None,
    ) -> bool:
        """Forget a deleted reply, with the lesson or action it produced. The deletion is
        remembered (for a day) so that neither the reply arriving late nor an edit
        processed after it can bring it back."""
        now = self._clock.now()
        with self._sessions.begin() as session:
            if not _first_delivery(session, team_id, platform, event_id, now):
                return False
            answer = session.scalar(_answer_query(team_id, channel_id, message_ref))
            if answer is None and not (
                thread_ref is not None
                and _is_review_thread(session, team_id, channel_id, thread_ref)
            ):
                return False
            keep_change(
                session,
                team_id=team_id,
                channel_id=channel_id,
                message_ref=message_ref,
                kind=MessageChangeKind.DELETE,
                text=None,
                changed_at=deleted_at or now,
                now=now,
            )
            if answer is None:
                return False
            session.execute(delete(Lesson).where(Lesson.answer_id == answer.id))
            session.execute(delete(Action).where(Action.answer_id == answer.id))
            session.delete(answer)
            return True

    def close(
        self,
        *,
        team_id: str,
        postmortem_id: int,
        by_user: str,
        clicked_at: datetime | None = None,
    ) -> PostmortemView:
        """Close the review and owe, each on its own: the summary in the thread, the root
        message marked closed, the last prompt's buttons removed, the documents, and a
        note to each owner. Replies posted before the click (`clicked_at`, by the
        platform's clock, never later than now) still count."""
        now = self._clock.now()
        with self._sessions.begin() as session:
            row = _get(session, team_id, postmortem_id, for_update=True)
            if row.facilitator_id != by_user:
                raise NotAllowed(reason=Reason.CLOSE_ONLY_BY_FACILITATOR)
            _require_open(row)
            if row.thread_ref is None:
                raise StaleRequest("This review has not been posted yet; try again in a moment.")
            last_prompt_ref = row.prompt_ref
            row.status, row.closed_at, row.updated_at, row.prompt_ref = (
                PostmortemStatus.CLOSED,
                min(clicked_at, now) if clicked_at is not None else now,
                now,
                None,
            )
            owe = partial(enqueue, session, team_id=team_id, subject_id=row.id, due_at=now, now=now)
            key = f"postmortem:{row.id}"
            if last_prompt_ref:
                owe(
                    kind=STEP_DONE_DELIVERY,
                    recipient_id=row.channel_id,
                    dedupe_key=f"{key}:closed-prompt",
                    payload={"prompt_ref": last_prompt_ref, "closed": True, "by": by_user},
                )
            owe(kind=SUMMARY_DELIVERY, recipient_id=row.channel_id, dedupe_key=f"{key}:summary")
            owe(
                kind=ROOT_CLOSED_DELIVERY,
                recipient_id=row.channel_id,
                dedupe_key=f"{key}:root-closed",
            )
            owe(kind=DOCUMENTS_DELIVERY, recipient_id=row.channel_id, dedupe_key=f"{key}:documents")
            owners = session.scalars(
                select(Action.owner_id)
                .where(Action.postmortem_id == row.id, Action.open_clause())
                .distinct()
                .order_by(Action.owner_id)
            )
            for owner_id in owners:
                owe(
                    kind=OWNER_DELIVERY, recipient_id=owner_id, dedupe_key=f"{key}:owner:{owner_id}"
                )
            return PostmortemView.of(row)

    def forget_changes(self, kept_before: datetime) -> None:
        """Forget edits and deletions kept since before `kept_before` whose message never
        came (the inbox's purge calls this)."""
        with self._sessions.begin() as session:
            forget_changes(session, kept_before=kept_before)

    def summary(self, *, team_id: str, postmortem_id: int) -> Summary:
        with self._sessions() as session:
            row = _get(session, team_id, postmortem_id)
            answers = session.scalars(
                select(Answer)
                .where(Answer.postmortem_id == row.id)
                .order_by(Answer.said_at, Answer.id)
            ).all()
            lessons = session.scalars(
                select(Lesson).where(Lesson.postmortem_id == row.id).order_by(Lesson.id)
            ).all()
            actions = session.scalars(
                select(Action).where(Action.postmortem_id == row.id).order_by(Action.id)
            ).all()
            by_phase: dict[Phase, list[AnswerView]] = defaultdict(list)
            for answer in answers:
                by_phase[answer.phase].append(AnswerView.of(answer))
            participants = dict.fromkeys(a.author_id for a in answers)
            nudges = session.scalar(select(func.count()).where(CoachNudge.postmortem_id == row.id))
            timeline = session.scalars(  # messages added with "Add to timeline"
                select(TimelineEntry)
                .where(TimelineEntry.postmortem_id == row.id)
                .order_by(TimelineEntry.occurred_at, TimelineEntry.id)
            ).all()
            return Summary(
                postmortem=PostmortemView.of(row),
                answers={phase: tuple(items) for phase, items in by_phase.items()},
                lessons=tuple(LessonView.of(lesson) for lesson in lessons),
                actions=tuple(ActionView.of(action) for action in actions),
                participants=tuple(participants),
                nudges=nudges or 0,
                timeline=tuple(TimelineView.of(entry) for entry in timeline),
            )


# Every thread reply runs these two; built once, since building a statement costs more
# than SQLite takes to run it.
# The coach: the channel's own choice, else its workspace's default, else on.
_REPLY_THREAD = (
    select(Postmortem, func.coalesce(ChannelSettings.coach_enabled, Workspace.coach_enabled))
    .outerjoin(
        ChannelSettings,
        (ChannelSettings.team_id == Postmortem.team_id)
        & (ChannelSettings.channel_id == Postmortem.channel_id),
    )
    .outerjoin(
        Workspace,
        (Workspace.platform == bindparam("platform"))
        & (Workspace.workspace_ref == Postmortem.team_id),
    )
    .where(
        Postmortem.team_id == bindparam("team_id"),
        Postmortem.channel_id == bindparam("channel_id"),
        Postmortem.thread_ref == bindparam("thread_ref"),
    )
    .with_for_update(of=Postmortem)
)
_ANSWER_EXISTS = select(Answer.id).where(
    Answer.postmortem_id == bindparam("pm"), Answer.message_ref == bindparam("ref")
)
# The step open at a moment: the last one opened before it. A reply stamped with the very
# microsecond of a click is taken to have been written before it.
_STEP_AT = (
    select(PostmortemStep.phase)
    .where(
        PostmortemStep.postmortem_id == bindparam("pm"),
        PostmortemStep.opened_at < bindparam("at", type_=PostmortemStep.opened_at.type),
    )
    .order_by(PostmortemStep.opened_at.desc(), PostmortemStep.id.desc())
    .limit(1)
)


@dataclass(frozen=True, slots=True)
class _Reading:
    """What a reply's text says, worked out before the transaction takes its locks."""

    verdict: BlameVerdict
    is_action: bool
    action: QuickAction | None
    problem: UserFacingError | None

    @classmethod
    def of(cls, said: Said, today: date) -> _Reading:
        verdict = assess(said.text)
        if not is_quick_action(said.text):
            return cls(verdict, False, None, None)
        try:
            return cls(verdict, True, parse_quick_action(said, today=today), None)
        except UnreadableDate as error:
            problem = UserFacingError(reason=Reason.ACTION_DATE_UNREADABLE, words=error.text)
            return cls(verdict, True, None, problem)
        except UserFacingError as error:
            return cls(verdict, True, None, error)


def _open_first_step(
    session: Session, row: Postmortem, thread_ref: str, posted_at: datetime, permalink: str | None
) -> PostmortemStep:
    row.thread_ref, row.permalink = thread_ref, permalink
    step = PostmortemStep(
        postmortem_id=row.id, phase=row.phase, opened_at=posted_at, opened_by=row.facilitator_id
    )
    session.add(step)
    session.flush()
    return step


def _click_time(
    session: Session, row: Postmortem, clicked_at: datetime | None, now: datetime
) -> datetime:
    """The click's time when it is plausible (after the previous step opened and not in
    the future), else now: a skewed or forged click time cannot reorder steps or claim
    replies posted before the previous step."""
    previous = session.scalar(
        select(func.max(PostmortemStep.opened_at)).where(PostmortemStep.postmortem_id == row.id)
    )
    clicked = clicked_at or now
    if previous is not None and not previous <= clicked <= now:
        clicked = now
    return max(clicked, previous) if previous is not None else clicked


def _latest_step_id(session: Session, postmortem_id: int) -> int | None:
    return session.scalar(
        select(func.max(PostmortemStep.id)).where(PostmortemStep.postmortem_id == postmortem_id)
    )


def _owe_prompt(session: Session, row: Postmortem, step: PostmortemStep, now: datetime) -> None:
    enqueue(
        session,
        team_id=row.team_id,
        kind=PROMPT_DELIVERY,
        recipient_id=row.channel_id,
        subject_id=row.id,
        dedupe_key=f"postmortem:{row.id}:prompt:{step.id}",
        due_at=now,
        now=now,
        payload={"step_id": step.id},
    )


def _owe_follow_ups(
    session: Session,
    postmortem: Postmortem,
    answer: Answer,
    *,
    now: datetime,
    nudge: bool = False,
    problem: UserFacingError | None = None,
    action: Action | None = None,
    lesson: Lesson | None = None,
    version: str = "",
) -> None:
    """What a reply owes, each part a delivery of its own, in the reply's transaction: the
    coach's private note, the explanation of an action it could not read, the action's
    confirmation in the thread, the "seen before" note for its lesson."""
    owe = partial(
        enqueue, session, team_id=answer.team_id, subject_id=answer.id, due_at=now, now=now
    )
    key = f"answer:{answer.id}"
    if nudge:
        owe(kind=COACH_NUDGE_DELIVERY, recipient_id=answer.author_id, dedupe_key=f"{key}:nudge")
    if problem:
        owe(
            kind=REPLY_PROBLEM_DELIVERY,
            recipient_id=answer.author_id,
            dedupe_key=f"{key}:problem:{version}",
            # The front end words the problem: its reason and what fills the wording in.
            payload={"problem": str(problem.reason), "params": problem.params},
        )
    if action is not None:
        owe(
            kind=ACTION_ADDED_DELIVERY,
            recipient_id=postmortem.channel_id,
            dedupe_key=f"{key}:action:{action.id}",
            payload={"action_id": action.id},
        )
    if lesson is not None:
        owe(
            kind=LESSON_NOTE_DELIVERY,
            recipient_id=postmortem.channel_id,
            dedupe_key=f"{key}:lesson:{lesson.id}",
            payload={"lesson_id": lesson.id},
        )


def _is_review_thread(session: Session, team_id: str, channel_id: str, thread_ref: str) -> bool:
    return (
        session.scalar(
            select(Postmortem.id).where(
                Postmortem.team_id == team_id,
                Postmortem.channel_id == channel_id,
                Postmortem.thread_ref == thread_ref,
            )
        )
        is not None
    )


def validate_title(title: str) -> str:
    title = " ".join(clean_text(title, limit=MESSAGE_LIMIT).split())
    if not title:
        raise UserFacingError(reason=Reason.TITLE_MISSING)
    if len(title) > TITLE_MAX:
        raise UserFacingError(f"That title is {len(title)} characters; keep it under {TITLE_MAX}.")
    return title


def _apply_quick_action(
    session: Session,
    postmortem: Postmortem,
    answer: Answer,
    reading: _Reading,
    today: date,
    jira: JiraOwed,
) -> tuple[Action | None, UserFacingError | None]:
    parsed = reading.action
    if parsed is None:
        return None, reading.problem
    if parsed.target_on is not None and parsed.target_on < today:
        return None, UserFacingError(
            reason=Reason.ACTION_DATE_PASSED, target_on=parsed.target_on.isoformat()
        )
    action = session.scalar(select(Action).where(Action.answer_id == answer.id))
    owner = parsed.owner_id or answer.author_id
    if action is None:
        action = Action(
            team_id=answer.team_id,
            channel_id=postmortem.channel_id,
            postmortem_id=postmortem.id,
            answer_id=answer.id,
            description=parsed.description,
            owner_id=owner,
            target_on=parsed.target_on,
            status=ActionStatus.OPEN,
            created_by=answer.author_id,
            created_at=answer.updated_at,
            updated_at=answer.updated_at,
            history=[],
        )
        session.add(action)
        action.record(what="created", by=answer.author_id, at=answer.updated_at)
        session.flush()
        jira.action_created(session, action, answer.updated_at)
    else:
        old = f"{action.description} | {action.owner_id} | {action.target_on}"
        action.description, action.owner_id, action.target_on = (
            parsed.description,
            owner,
            parsed.target_on,
        )
        action.record(
            what="edited",
            by=answer.author_id,
            at=answer.updated_at,
            old=old[:200],
            new=f"{action.description} | {action.owner_id} | {action.target_on}"[:200],
        )
        jira.action_changed(session, action, answer.updated_at)
    session.flush()
    return action, None


def _first_delivery(
    session: Session, team_id: str, platform: Platform, event_id: str | None, now: datetime
) -> bool:
    """Platforms redeliver events; only the first delivery of an event may change anything."""
    if event_id is None:
        return True
    return insert_if_absent(
        session,
        HandledEvent,
        platform=platform,
        event_id=event_id,
        team_id=team_id,
        received_at=now,
    )


def _get(
    session: Session, team_id: str, postmortem_id: int, *, for_update: bool = False
) -> Postmortem:
    query = select(Postmortem).where(Postmortem.id == postmortem_id, Postmortem.team_id == team_id)
    if for_update:
        query = query.with_for_update()
    row = session.scalar(query)
    if row is None:
        raise NotFound("I can't find that post-mortem any more.")
    return row


def _require_open(row: Postmortem) -> None:
    if row.status is not PostmortemStatus.OPEN:
        raise StaleRequest("This review is already closed.")


def _answer_query(team_id: str, channel_id: str, message_ref: str) -> Select[Answer]:
    return (
        select(Answer)
        .join(Postmortem)
        .where(
            Answer.team_id == team_id,
            Postmortem.channel_id == channel_id,
            Answer.message_ref == message_ref,
        )
    )
