"""The guided review: starting it, moving through phases, recording replies, closing it."""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Select, bindparam, delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from models.blame import BlameVerdict, assess
from models.clock import Clock
from models.dates import UnreadableDate
from models.db import insert_if_absent
from models.deliveries import enqueue
from models.entities import (
    Action,
    ActionStatus,
    Answer,
    ChannelSettings,
    CoachNudge,
    Lesson,
    LessonKind,
    Postmortem,
    PostmortemKind,
    PostmortemStatus,
    SlackEvent,
    TimelineEntry,
)
from models.errors import NotAllowed, NotFound, StaleRequest, UserFacingError
from models.phases import Phase
from models.quickform import is_quick_action, parse_quick_action
from models.views import (
    ActionView,
    AnswerView,
    LessonView,
    PhaseChange,
    PostmortemView,
    ReplyOutcome,
    Summary,
    TimelineView,
)

TITLE_MAX = 200
LESSON_PHASES = {Phase.WENT_WELL: LessonKind.KEEP, Phase.IMPROVE: LessonKind.IMPROVE}
_TAG = re.compile(r"(?<![\w&#])#([a-z0-9][a-z0-9_-]{1,39})", re.IGNORECASE)

SUMMARY_DELIVERY = "postmortem.summary"
OWNER_DELIVERY = "postmortem.owner_actions"
DOCUMENTS_DELIVERY = "postmortem.documents"


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


def tags_in(text: str) -> list[str]:
    return sorted({tag.lower() for tag in _TAG.findall(text)})


class Postmortems:
    def __init__(self, sessions: sessionmaker[Session], clock: Clock) -> None:
        self._sessions, self._clock = sessions, clock

    def start(
        self,
        *,
        team_id: str,
        channel_id: str,
        thread_ts: str,
        title: str,
        facilitator_id: str,
        permalink: str | None = None,
    ) -> PostmortemView:
        title = validate_title(title)
        now = self._clock.now()
        with self._sessions.begin() as session:
            row = Postmortem(
                team_id=team_id,
                channel_id=channel_id,
                thread_ts=thread_ts,
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
            # Issue 4: the review adopts what the channel's running log collected.
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
            return PostmortemView.of(row)

    def get(self, *, team_id: str, postmortem_id: int) -> PostmortemView:
        with self._sessions() as session:
            return PostmortemView.of(_get(session, team_id, postmortem_id))

    def in_thread(self, *, team_id: str, channel_id: str, thread_ts: str) -> PostmortemView | None:
        with self._sessions() as session:
            row = session.scalar(
                select(Postmortem).where(
                    Postmortem.team_id == team_id,
                    Postmortem.channel_id == channel_id,
                    Postmortem.thread_ts == thread_ts,
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
                )
                .order_by(Postmortem.created_at.desc())
            )
            return [PostmortemView.of(row) for row in rows]

    def set_prompt(self, *, team_id: str, postmortem_id: int, phase: Phase, prompt_ts: str) -> None:
        """Remember which bot message carries the current phase's buttons."""
        with self._sessions.begin() as session:
            row = _get(session, team_id, postmortem_id)
            if row.phase is phase:
                row.prompt_ts = prompt_ts

    def move(
        self, *, team_id: str, postmortem_id: int, from_phase: Phase, move: Move
    ) -> PhaseChange:
        with self._sessions.begin() as session:
            row = _get(session, team_id, postmortem_id, for_update=True)
            _require_open(row)
            if row.phase is not from_phase:
                raise StaleRequest(
                    f"This review has already moved on to “{row.phase.heading}”; "
                    "use the buttons on the latest prompt."
                )
            left, left_prompt_ts = row.phase, row.prompt_ts
            target = left.previous() if move is Move.BACK else left.next()
            if target is left:
                raise StaleRequest("There is no step that way.")
            skipped = set(row.skipped_phases)
            if move is Move.SKIP:
                skipped.add(left.value)
            else:
                skipped.discard(left.value)
            row.skipped_phases = sorted(skipped)
            row.phase, row.prompt_ts, row.updated_at = target, None, self._clock.now()
            return PhaseChange(PostmortemView.of(row), left, left_prompt_ts, move is Move.SKIP)

    def record_reply(
        self,
        *,
        team_id: str,
        channel_id: str,
        thread_ts: str,
        message_ts: str,
        author_id: str,
        text: str,
        event_id: str | None,
        today: date,
    ) -> ReplyOutcome | None:
        """Record a human reply in a post-mortem thread against the current phase.

        None when the thread is not an open post-mortem, or the event was seen before."""
        now = self._clock.now()
        with self._sessions.begin() as session:
            found = session.execute(
                _REPLY_THREAD,
                {"team_id": team_id, "channel_id": channel_id, "thread_ts": thread_ts},
            ).first()
            if found is None or found[0].status is not PostmortemStatus.OPEN:
                return None
            row, coach_setting = found
            if not _first_delivery(session, team_id, event_id, now):
                return None
            if session.scalar(_ANSWER_EXISTS, {"pm": row.id, "ts": message_ts}) is not None:
                return None
            answer = Answer(
                team_id=team_id,
                postmortem_id=row.id,
                phase=row.phase,
                author_id=author_id,
                text=text,
                message_ts=message_ts,
                event_id=event_id,
                created_at=now,
                updated_at=now,
            )
            session.add(answer)
            session.flush()
            lesson = action = None
            problem = None
            nudge = self._coach(session, row, answer) if coach_setting is not False else None
            if is_quick_action(text):
                action, problem = _apply_quick_action(session, row, answer, today)
            elif (kind := LESSON_PHASES.get(row.phase)) is not None:
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
            return ReplyOutcome(
                postmortem=PostmortemView.of(row),
                answer=AnswerView.of(answer),
                lesson=LessonView.of(lesson) if lesson else None,
                action=ActionView.of(action) if action else None,
                problem=problem,
                nudge=nudge,
            )

    def _coach(
        self, session: Session, postmortem: Postmortem, answer: Answer
    ) -> BlameVerdict | None:
        """A reframing note when a reply blames a person: at most one per person per phase."""
        verdict = assess(answer.text)
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
        message_ts: str,
        text: str,
        event_id: str | None,
        today: date,
    ) -> ReplyOutcome | None:
        now = self._clock.now()
        with self._sessions.begin() as session:
            answer = session.scalar(_answer_query(team_id, channel_id, message_ts))
            if answer is None or not _first_delivery(session, team_id, event_id, now):
                return None
            if answer.text == text:
                return None
            answer.text, answer.updated_at = text, now
            lesson = session.scalar(select(Lesson).where(Lesson.answer_id == answer.id))
            if lesson is not None:
                lesson.text, lesson.tags, lesson.updated_at = text, tags_in(text), now
            action, problem = None, None
            if is_quick_action(text):
                action, problem = _apply_quick_action(session, answer.postmortem, answer, today)
            else:
                # No longer an action: the reply is the record, so its action goes too.
                session.execute(delete(Action).where(Action.answer_id == answer.id))
            return ReplyOutcome(
                postmortem=PostmortemView.of(answer.postmortem),
                answer=AnswerView.of(answer),
                lesson=LessonView.of(lesson) if lesson else None,
                action=ActionView.of(action) if action else None,
                problem=problem,
            )

    def delete_reply(
        self, *, team_id: str, channel_id: str, message_ts: str, event_id: str | None
    ) -> bool:
        """Forget a deleted reply, with the lesson or action it produced."""
        with self._sessions.begin() as session:
            answer = session.scalar(_answer_query(team_id, channel_id, message_ts))
            if answer is None or not _first_delivery(session, team_id, event_id, self._clock.now()):
                return False
            session.execute(delete(Lesson).where(Lesson.answer_id == answer.id))
            session.execute(delete(Action).where(Action.answer_id == answer.id))
            session.delete(answer)
            return True

    def close(self, *, team_id: str, postmortem_id: int, by_user: str) -> PostmortemView:
        """Close the review and owe a summary to the thread and a note to each owner."""
        now = self._clock.now()
        with self._sessions.begin() as session:
            row = _get(session, team_id, postmortem_id, for_update=True)
            if row.facilitator_id != by_user:
                raise NotAllowed(
                    "Thanks! Only the facilitator who started this review can close it, "
                    "so that nobody is cut off mid-thought. Ask them to press *Close review*."
                )
            _require_open(row)
            row.status, row.closed_at, row.updated_at, row.prompt_ts = (
                PostmortemStatus.CLOSED,
                now,
                now,
                None,
            )
            enqueue(
                session,
                team_id=team_id,
                kind=SUMMARY_DELIVERY,
                recipient_id=row.channel_id,
                subject_id=row.id,
                dedupe_key=f"postmortem:{row.id}:summary",
                due_at=now,
                now=now,
            )
            enqueue(
                session,
                team_id=team_id,
                kind=DOCUMENTS_DELIVERY,
                recipient_id=row.channel_id,
                subject_id=row.id,
                dedupe_key=f"postmortem:{row.id}:documents",
                due_at=now,
                now=now,
            )
            owners = session.scalars(
                select(Action.owner_id)
                .where(Action.postmortem_id == row.id, Action.status.not_in(_CLOSED))
                .distinct()
                .order_by(Action.owner_id)
            )
            for owner_id in owners:
                enqueue(
                    session,
                    team_id=team_id,
                    kind=OWNER_DELIVERY,
                    recipient_id=owner_id,
                    subject_id=row.id,
                    dedupe_key=f"postmortem:{row.id}:owner:{owner_id}",
                    due_at=now,
                    now=now,
                )
            return PostmortemView.of(row)

    def summary(self, *, team_id: str, postmortem_id: int) -> Summary:
        with self._sessions() as session:
            row = _get(session, team_id, postmortem_id)
            answers = session.scalars(
                select(Answer)
                .where(Answer.postmortem_id == row.id)
                .order_by(Answer.created_at, Answer.id)
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
            timeline = session.scalars(  # issue 4: messages added with "Add to timeline"
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


_CLOSED = (ActionStatus.DONE, ActionStatus.DROPPED)

# Every thread reply runs these two; built once, since building a statement costs more
# than SQLite takes to run it.
_REPLY_THREAD = (
    select(Postmortem, ChannelSettings.coach_enabled)
    .outerjoin(
        ChannelSettings,
        (ChannelSettings.team_id == Postmortem.team_id)
        & (ChannelSettings.channel_id == Postmortem.channel_id),
    )
    .where(
        Postmortem.team_id == bindparam("team_id"),
        Postmortem.channel_id == bindparam("channel_id"),
        Postmortem.thread_ts == bindparam("thread_ts"),
    )
    .with_for_update(of=Postmortem)
)
_ANSWER_EXISTS = select(Answer.id).where(
    Answer.postmortem_id == bindparam("pm"), Answer.message_ts == bindparam("ts")
)


def validate_title(title: str) -> str:
    title = " ".join(title.split())
    if not title:
        raise UserFacingError("Give the review a title: `/postmortem start <title>`.")
    if len(title) > TITLE_MAX:
        raise UserFacingError(f"That title is {len(title)} characters; keep it under {TITLE_MAX}.")
    return title


def _apply_quick_action(
    session: Session, postmortem: Postmortem, answer: Answer, today: date
) -> tuple[Action | None, str | None]:
    try:
        parsed = parse_quick_action(answer.text, today=today)
    except UnreadableDate as error:
        return None, (
            f"{error}, so I haven't created an action yet. Your reply is saved; "
            "try a date like `friday`, `in 2 weeks` or `2026-12-01`, or use *Add action*."
        )
    except ValueError as error:
        return None, str(error)
    if parsed.target_on is not None and parsed.target_on < today:
        return None, (
            f"{parsed.target_on:%d %b %Y} has already passed, so I haven't recorded the action. "
            "Your reply is saved; edit it with a later date, or use *Add action*."
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
    session.flush()
    return action, None


def _first_delivery(session: Session, team_id: str, event_id: str | None, now: datetime) -> bool:
    """Slack redelivers events; only the first delivery of an event id may change anything."""
    if event_id is None:
        return True
    return insert_if_absent(
        session, SlackEvent, event_id=event_id, team_id=team_id, received_at=now
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


def _answer_query(team_id: str, channel_id: str, message_ts: str) -> Select[Answer]:
    return (
        select(Answer)
        .join(Postmortem)
        .where(
            Answer.team_id == team_id,
            Postmortem.channel_id == channel_id,
            Answer.message_ts == message_ts,
        )
    )
