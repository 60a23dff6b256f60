"""OKRs: a channel's objectives for a period, their key results and check-ins, and the
actions and lessons that serve each key result.

Every use case takes the verified `Viewer`: a private channel's OKRs are read and changed
only by its members (models/core/privacy.py), and one they may not read is answered as
one that does not exist.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, sessionmaker

from models.actions.tables import Action
from models.core.clock import Clock
from models.core.errors import InvalidInput, NotAllowed, NotFound
from models.core.outbox import owe_latest
from models.core.privacy import Viewer, may_read_channel, readable_channel
from models.core.text import MODAL_INPUT_LIMIT, clean_text
from models.lessons.tables import Lesson
from models.okrs.measures import MEASURES, measure
from models.okrs.tables import (
    CheckIn,
    CheckInItem,
    CheckInRequest,
    Confidence,
    KeyResult,
    KeyResultKind,
    Measure,
    Objective,
    OkrChange,
    ServingAction,
    ServingLesson,
)
from models.okrs.views import (
    Flag,
    KeyResultView,
    ObjectiveView,
    ServingActionView,
    ServingLessonView,
    TreeNode,
)

# A check-in owes an edit of the owner's check-in DM that lists the key result.
EDIT_DELIVERY = "okr.check_in_edit"
TITLE_MAX = 300
UNIT_MAX = 32
NOTE_MAX = 2000
KEY_RESULTS_MAX = 10
LINK_CHOICES = 100  # a select's most options
VALUE_LIMIT = 1e12
NO_OBJECTIVE = "I can't find that objective, or it is in a private channel you are not in."
NO_KEY_RESULT = "I can't find that key result, or it is in a private channel you are not in."
# How often owners check in unless their channel says otherwise; a key result with no
# check-in for two of these is called out.
CHECK_IN_EVERY = timedelta(days=7)
STALE_AFTER_CYCLES = 2
# A self-measured target is implausible when it asks for more than this many times the
# best change the channel made over its last HISTORY_PERIODS periods of the same length.
HISTORY_PERIODS = 4
PLAUSIBLE_FACTOR = 2.0


@dataclass(frozen=True, slots=True)
class CheckedIn:
    """The objective after a check-in, and the edit of a check-in DM it owes (its
    delivery id), if the key result was listed in one."""

    objective: ObjectiveView
    owed: int | None


@dataclass(frozen=True, slots=True)
class KeyResultDraft:
    """A key result as typed in the form. A self-measured one (`measure`) takes its kind,
    unit and start value from the records."""

    title: str
    owner_id: str
    target_value: float
    kind: KeyResultKind = KeyResultKind.NUMBER
    start_value: float | None = None
    unit: str = ""
    measure: Measure | None = None


@dataclass(frozen=True, slots=True)
class KeyResultEdit:
    """A key result's fields as the edit form gives them."""

    key_result_id: int
    title: str
    owner_id: str
    target_value: float
    confidence: Confidence


NOT_THE_OWNER = "Only the objective's owner can edit it."


def quarter_of(day: date) -> tuple[date, date]:
    """The first and last day of the calendar quarter `day` is in."""
    first_month = (day.month - 1) // 3 * 3 + 1
    starts_on = date(day.year, first_month, 1)
    next_start = (
        date(day.year + 1, 1, 1) if first_month == 10 else date(day.year, first_month + 3, 1)
    )
    return starts_on, next_start - timedelta(days=1)


class Okrs:
    def __init__(self, sessions: sessionmaker[Session], clock: Clock) -> None:
        self._sessions, self._clock = sessions, clock

    def create(
        self,
        *,
        viewer: Viewer,
        channel_id: str,
        title: str,
        owner_id: str,
        starts_on: date,
        ends_on: date,
        key_results: Sequence[KeyResultDraft],
        parent_id: int | None = None,
    ) -> ObjectiveView:
        """An objective with its key results, flagged where a pitfall shows when set."""
        title = _text(title, TITLE_MAX, field="title", missing="Give the objective a title.")
        if ends_on <= starts_on:
            raise InvalidInput("End the period after it starts.", field="ends_on")
        if not key_results:
            raise InvalidInput("Give the objective at least one key result.", field="kr1.title")
        if len(key_results) > KEY_RESULTS_MAX:
            raise InvalidInput(
                f"Keep it to {KEY_RESULTS_MAX} key results or fewer.", field="kr1.title"
            )
        now = self._clock.now()
        with self._sessions.begin() as session:
            _require_channel(session, viewer, channel_id, NO_OBJECTIVE)
            if parent_id is not None:
                self._readable_objective(session, viewer, parent_id)
            objective = Objective(
                team_id=viewer.team_id,
                channel_id=channel_id,
                title=title,
                owner_id=owner_id,
                parent_id=parent_id,
                starts_on=starts_on,
                ends_on=ends_on,
                created_by=viewer.user_id,
                created_at=now,
                updated_at=now,
                key_results=[],
            )
            session.add(objective)
            for slot, draft in enumerate(key_results, start=1):
                objective.key_results.append(
                    self._key_result(session, objective, _valid(draft, slot), now=now)
                )
            session.flush()
            return load_objectives(session, [objective], now=now)[0]

    def of_channel(self, *, viewer: Viewer, channel_id: str, today: date) -> list[ObjectiveView]:
        """The channel's objectives whose period has not ended, oldest first."""
        with self._sessions() as session:
            if not may_read_channel(session, viewer, viewer.team_id, channel_id):
                raise NotFound(NO_OBJECTIVE)
            rows = session.scalars(
                select(Objective)
                .where(
                    Objective.team_id == viewer.team_id,
                    Objective.channel_id == channel_id,
                    Objective.ends_on >= today,
                )
                .order_by(Objective.id)
            ).all()
            return load_objectives(session, rows, now=self._clock.now())

    def objective(self, *, viewer: Viewer, objective_id: int) -> ObjectiveView:
        with self._sessions() as session:
            row = self._readable_objective(session, viewer, objective_id)
            return load_objectives(session, [row], now=self._clock.now())[0]

    def tree(self, *, viewer: Viewer, today: date) -> list[TreeNode]:
        """Every current objective the viewer may read, under its parent; one whose
        parent they may not read (or that has none) is a root."""
        with self._sessions() as session:
            rows = session.scalars(
                select(Objective)
                .where(
                    readable_channel(
                        Objective.team_id,
                        Objective.channel_id,
                        viewer.member_of,
                        viewer_team=viewer.team_id,
                    ),
                    Objective.ends_on >= today,
                )
                .order_by(Objective.id)
            ).all()
            views = load_objectives(session, rows, now=self._clock.now())
        known = {view.id for view in views}
        children: dict[int | None, list[ObjectiveView]] = defaultdict(list)
        for view in views:
            children[view.parent_id if view.parent_id in known else None].append(view)

        def node(view: ObjectiveView, seen: frozenset[int]) -> TreeNode:
            below = [c for c in children[view.id] if c.id not in seen]
            return TreeNode(view, tuple(node(c, seen | {c.id}) for c in below))

        return [node(view, frozenset({view.id})) for view in children[None]]

    def owned_by(self, *, viewer: Viewer, today: date) -> list[ObjectiveView]:
        """Current objectives the viewer owns, or owns a key result of (App Home)."""
        with self._sessions() as session:
            owns_kr = select(KeyResult.objective_id).where(
                KeyResult.team_id == viewer.team_id, KeyResult.owner_id == viewer.user_id
            )
            rows = session.scalars(
                select(Objective)
                .where(
                    Objective.team_id == viewer.team_id,
                    or_(Objective.owner_id == viewer.user_id, Objective.id.in_(owns_kr)),
                    Objective.ends_on >= today,
                    readable_channel(Objective.team_id, Objective.channel_id, viewer.member_of),
                )
                .order_by(Objective.id)
            ).all()
            return load_objectives(session, rows, now=self._clock.now())

    def key_result(self, *, viewer: Viewer, key_result_id: int) -> KeyResultView:
        with self._sessions() as session:
            row = self._readable_key_result(session, viewer, key_result_id)
            return load_objectives(session, [row.objective], now=self._clock.now())[0].key_result(
                row.id
            )

    def check_in_form(self, *, viewer: Viewer, key_result_id: int) -> KeyResultView:
        """The key result, for its check-in form: only for whoever may check it in."""
        with self._sessions() as session:
            row = self._readable_key_result(session, viewer, key_result_id)
            _require_owner(viewer, row)
            return load_objectives(session, [row.objective], now=self._clock.now())[0].key_result(
                row.id
            )

    def link_choices(
        self, *, viewer: Viewer, key_result_id: int
    ) -> tuple[KeyResultView, list[tuple[int, str]], list[tuple[int, str]]]:
        """The key result, and the latest actions and lessons of its channel that may be
        linked to it (LINK_CHOICES of each, newest first)."""
        with self._sessions() as session:
            row = self._readable_key_result(session, viewer, key_result_id)
            channel_id = row.objective.channel_id
            actions = session.execute(
                select(Action.id, Action.description)
                .where(Action.team_id == row.team_id, Action.channel_id == channel_id)
                .order_by(Action.id.desc())
                .limit(LINK_CHOICES)
            ).all()
            lessons = session.execute(
                select(Lesson.id, Lesson.text)
                .where(Lesson.team_id == row.team_id, Lesson.channel_id == channel_id)
                .order_by(Lesson.id.desc())
                .limit(LINK_CHOICES)
            ).all()
            view = load_objectives(session, [row.objective], now=self._clock.now())[0]
            return (
                view.key_result(row.id),
                [(a.id, a.description) for a in actions],
                [(le.id, le.text) for le in lessons],
            )

    def serve_choices(
        self, *, viewer: Viewer, action_id: int, today: date
    ) -> tuple[str, int | None, list[tuple[ObjectiveView, KeyResultView]]]:
        """For linking an action from `/actions`: its description, the key result it
        serves now (or None), and the current key results of its channel. An action the
        viewer may not read is answered as one that does not exist."""
        with self._sessions() as session:
            action = session.scalar(
                select(Action).where(Action.id == action_id, Action.team_id == viewer.team_id)
            )
            if action is None or not may_read_channel(
                session, viewer, action.team_id, action.channel_id
            ):
                raise NotFound("I can't find that action.")
            serves = session.get(ServingAction, action.id)
            description, channel_id = action.description, action.channel_id
        choices = self.key_result_choices(viewer=viewer, channel_id=channel_id, today=today)
        return description, serves.key_result_id if serves else None, choices

    def key_result_choices(
        self, *, viewer: Viewer, channel_id: str, today: date
    ) -> list[tuple[ObjectiveView, KeyResultView]]:
        """The key results an action or lesson of `channel_id` may serve: the channel's
        current ones."""
        return [
            (objective, kr)
            for objective in self.of_channel(viewer=viewer, channel_id=channel_id, today=today)
            for kr in objective.key_results
        ]

    def check_in(
        self,
        *,
        viewer: Viewer,
        key_result_id: int,
        value: float | None,
        confidence: Confidence,
        note: str = "",
    ) -> CheckedIn:
        """Record a reading. Only the key result's owner or the objective's owner may; a
        self-measured key result takes its value from the records, whatever was typed."""
        note = clean_text(note, limit=MODAL_INPUT_LIMIT).strip()
        if len(note) > NOTE_MAX:
            raise InvalidInput(f"Keep the note under {NOTE_MAX} characters.", field="note")
        now = self._clock.now()
        with self._sessions.begin() as session:
            row = self._readable_key_result(session, viewer, key_result_id)
            objective = row.objective
            _require_owner(viewer, row)
            if row.measure is not None:
                value = measure(
                    session,
                    row.measure,
                    team_id=row.team_id,
                    channel_id=objective.channel_id,
                    since=objective.starts_on,
                    now=now,
                )
                value = row.current_value if value is None else value
            elif value is None:
                raise InvalidInput("Give the new value.", field="value")
            else:
                value = _number(value, row.kind)
            if value is not None:
                row.current_value = value
                session.add(
                    CheckIn(
                        team_id=row.team_id,
                        key_result_id=row.id,
                        value=value,
                        confidence=confidence,
                        note=note or None,
                        by_id=viewer.user_id,
                        at=now,
                    )
                )
            row.confidence, row.checked_in_at, row.updated_at = confidence, now, now
            owed = None
            request_id = _request_listing(session, row)
            if request_id is not None:
                owed = owe_latest(
                    session,
                    team_id=row.team_id,
                    kind=EDIT_DELIVERY,
                    recipient_id=row.owner_id,
                    topic=f"okr-dm:{request_id}",
                    now=now,
                    subject_id=request_id,
                )
            session.flush()
            return CheckedIn(load_objectives(session, [objective], now=now)[0], owed)

    def link_action(self, *, viewer: Viewer, action_id: int, key_result_id: int) -> ObjectiveView:
        """The action now serves the key result (instead of any other)."""
        return self.link(viewer=viewer, key_result_id=key_result_id, action_id=action_id)

    def link_lesson(self, *, viewer: Viewer, lesson_id: int, key_result_id: int) -> ObjectiveView:
        return self.link(viewer=viewer, key_result_id=key_result_id, lesson_id=lesson_id)

    def link(
        self,
        *,
        viewer: Viewer,
        key_result_id: int,
        action_id: int | None = None,
        lesson_id: int | None = None,
    ) -> ObjectiveView:
        """Link an action and/or a lesson to the key result, in one transaction: the viewer
        must read the key result's channel and the action's and lesson's."""
        now = self._clock.now()
        with self._sessions.begin() as session:
            row = self._readable_key_result(session, viewer, key_result_id)
            if action_id is not None:
                action = session.scalar(
                    select(Action).where(Action.id == action_id, Action.team_id == viewer.team_id)
                )
                if action is None or not may_read_channel(
                    session, viewer, action.team_id, action.channel_id
                ):
                    raise InvalidInput("I can't find that action.", field="action_id")
                _relink(session, ServingAction, action_id, row.id, viewer.user_id, now)
            if lesson_id is not None:
                lesson = session.scalar(
                    select(Lesson).where(Lesson.id == lesson_id, Lesson.team_id == viewer.team_id)
                )
                if lesson is None or not may_read_channel(
                    session, viewer, lesson.team_id, lesson.channel_id
                ):
                    raise InvalidInput("I can't find that lesson.", field="lesson_id")
                _relink(session, ServingLesson, lesson_id, row.id, viewer.user_id, now)
            session.flush()
            return load_objectives(session, [row.objective], now=now)[0]

    def edit_form(self, *, viewer: Viewer, objective_id: int) -> ObjectiveView:
        """The objective, for its edit form: only for its owner (see `edit`)."""
        with self._sessions() as session:
            row = self._readable_objective(session, viewer, objective_id)
            if row.owner_id != viewer.user_id:
                raise NotAllowed(NOT_THE_OWNER)
            return load_objectives(session, [row], now=self._clock.now())[0]

    def edit(
        self,
        *,
        viewer: Viewer,
        objective_id: int,
        title: str,
        owner_id: str,
        parent_id: int | None,
        key_results: Sequence[KeyResultEdit],
    ) -> ObjectiveView:
        """Change the objective's title, owner and parent, and each listed key result's
        title, owner, target and confidence, in one transaction. Only the objective's
        owner may, as the database says when the form is submitted (who opened the form
        does not matter), and only while they may read its channel. Every field that
        changed is recorded (OkrChange)."""
        title = _text(title, TITLE_MAX, field="title", missing="Give the objective a title.")
        now = self._clock.now()
        with self._sessions.begin() as session:
            row = self._readable_objective(session, viewer, objective_id)
            if row.owner_id != viewer.user_id:
                raise NotAllowed(NOT_THE_OWNER)
            if parent_id is not None:
                self._readable_objective(session, viewer, parent_id)
                if _is_below(session, parent_id, row.id):
                    raise InvalidInput(
                        "An objective cannot serve itself or one that serves it.", field="parent"
                    )
            changes: list[tuple[int | None, str, object, object]] = []
            fields_of_objective: tuple[tuple[str, object, object], ...] = (
                ("title", row.title, title),
                ("owner", row.owner_id, owner_id),
                ("parent", row.parent_id, parent_id),
            )
            changes += [(None, f, old, new) for f, old, new in fields_of_objective if old != new]
            row.title, row.owner_id, row.parent_id = title, owner_id, parent_id
            own = {kr.id: kr for kr in row.key_results}
            for slot, edit in enumerate(key_results, start=1):
                kr = own.get(edit.key_result_id)
                if kr is None:
                    raise InvalidInput(NO_KEY_RESULT, field=f"kr{slot}.title")
                kr_title = _text(
                    edit.title,
                    TITLE_MAX,
                    field=f"kr{slot}.title",
                    missing="Give each key result a title.",
                )
                target = kr.target_value
                if kr.kind is not KeyResultKind.MILESTONE:
                    target = _number(edit.target_value, kr.kind, field=f"kr{slot}.target")
                fields: tuple[tuple[str, object, object], ...] = (
                    ("title", kr.title, kr_title),
                    ("owner", kr.owner_id, edit.owner_id),
                    ("target", kr.target_value, target),
                    ("confidence", kr.confidence.value, edit.confidence.value),
                )
                changes += [
                    (kr.id, f, before, after) for f, before, after in fields if before != after
                ]
                kr.title, kr.owner_id, kr.target_value = kr_title, edit.owner_id, target
                kr.confidence = edit.confidence
                kr.updated_at = now
            if changes:
                row.updated_at = now
            session.add_all(
                OkrChange(
                    team_id=row.team_id,
                    objective_id=row.id,
                    key_result_id=kr_id,
                    field=field,
                    old_value=None if old is None else str(old),
                    new_value=None if new is None else str(new),
                    changed_by=viewer.user_id,
                    changed_at=now,
                )
                for kr_id, field, old, new in changes
            )
            session.flush()
            return load_objectives(session, [row], now=now)[0]

    def changes(self, *, viewer: Viewer, objective_id: int) -> list[tuple[int | None, str, str]]:
        """What edits changed, oldest first: (key result id or None, field, new value)."""
        with self._sessions() as session:
            row = self._readable_objective(session, viewer, objective_id)
            return [
                (c.key_result_id, c.field, c.new_value or "")
                for c in session.scalars(
                    select(OkrChange).where(OkrChange.objective_id == row.id).order_by(OkrChange.id)
                )
            ]

    def _key_result(
        self, session: Session, objective: Objective, draft: KeyResultDraft, *, now: datetime
    ) -> KeyResult:
        kind, unit, start, implausible = draft.kind, draft.unit, draft.start_value, False
        if draft.measure is not None:
            _, kind, unit = MEASURES[draft.measure]
            history = [
                measure(
                    session,
                    draft.measure,
                    team_id=objective.team_id,
                    channel_id=objective.channel_id,
                    since=since,
                    now=until,
                )
                for since, until in _earlier_periods(objective, now)
            ]
            start = history[0] if history[0] is not None else start
            implausible = _implausible(start, draft.target_value, history[1:])
        return KeyResult(
            team_id=objective.team_id,
            title=draft.title,
            owner_id=draft.owner_id,
            kind=kind,
            unit=unit,
            start_value=start,
            target_value=draft.target_value,
            current_value=start,
            confidence=Confidence.ON_TRACK,
            measure=draft.measure,
            implausible=implausible,
            created_at=now,
            updated_at=now,
        )

    def _readable_objective(self, session: Session, viewer: Viewer, objective_id: int) -> Objective:
        row = session.scalar(
            select(Objective).where(
                Objective.id == objective_id, Objective.team_id == viewer.team_id
            )
        )
        if row is None or not may_read_channel(session, viewer, row.team_id, row.channel_id):
            raise NotFound(NO_OBJECTIVE)
        return row

    def _readable_key_result(
        self, session: Session, viewer: Viewer, key_result_id: int
    ) -> KeyResult:
        row = session.scalar(
            select(KeyResult).where(
                KeyResult.id == key_result_id, KeyResult.team_id == viewer.team_id
            )
        )
        if row is None or not may_read_channel(
            session, viewer, row.team_id, row.objective.channel_id
        ):
            raise NotFound(NO_KEY_RESULT)
        return row


def _relink(
    session: Session,
    table: type[ServingAction] | type[ServingLesson],
    record_id: int,
    key_result_id: int,
    by: str,
    now: datetime,
) -> None:
    link = (
        session.get(ServingAction, record_id)
        if table is ServingAction
        else session.get(ServingLesson, record_id)
    )
    if link is not None:
        link.key_result_id, link.linked_by, link.linked_at = key_result_id, by, now
    elif table is ServingAction:
        session.add(
            ServingAction(
                action_id=record_id, key_result_id=key_result_id, linked_by=by, linked_at=now
            )
        )
    else:
        session.add(
            ServingLesson(
                lesson_id=record_id, key_result_id=key_result_id, linked_by=by, linked_at=now
            )
        )


def _require_owner(viewer: Viewer, row: KeyResult) -> None:
    if viewer.user_id not in (row.owner_id, row.objective.owner_id):
        raise NotAllowed("Only the key result's owner or the objective's owner checks in.")


def _request_listing(session: Session, row: KeyResult) -> int | None:
    """The latest sent check-in DM that lists the key result, if any."""
    return session.scalar(
        select(CheckInRequest.id)
        .join(CheckInItem, CheckInItem.request_id == CheckInRequest.id)
        .where(
            CheckInRequest.team_id == row.team_id,
            CheckInRequest.sent_at.is_not(None),
            CheckInItem.key_result_id == row.id,
        )
        .order_by(CheckInRequest.cycle_on.desc())
        .limit(1)
    )


def _earlier_periods(objective: Objective, now: datetime) -> list[tuple[date, datetime]]:
    """Now (the period so far: the baseline), then the HISTORY_PERIODS periods of the same
    length before the objective's, each measured as of its end."""
    length = objective.ends_on - objective.starts_on + timedelta(days=1)
    periods: list[tuple[date, datetime]] = [(objective.starts_on - length, now)]
    for back in range(1, HISTORY_PERIODS + 1):
        since = objective.starts_on - length * back
        until = datetime.combine(since + length, datetime.min.time(), tzinfo=now.tzinfo)
        periods.append((since, min(until, now)))
    return periods


def _implausible(start: float | None, target: float, history: Iterable[float | None]) -> bool:
    """A target that asks for more than PLAUSIBLE_FACTOR times the largest change between
    the baseline and any earlier period's value, in the target's direction."""
    readings = [value for value in history if value is not None]
    if start is None or not readings:
        return False
    wanted = target - start
    if wanted == 0:
        return False
    best = max(((value - start) * math.copysign(1, wanted) for value in readings), default=0)
    floor = max(abs(start) * 0.1, 1.0)
    return abs(wanted) > PLAUSIBLE_FACTOR * max(best, floor)


def _is_below(session: Session, candidate: int, objective_id: int) -> bool:
    """Whether `candidate` is the objective or serves it, however indirectly (walked up
    from the candidate; a chain is at most as long as the objectives there are)."""
    seen: set[int] = set()
    current: int | None = candidate
    while current is not None and current not in seen:
        if current == objective_id:
            return True
        seen.add(current)
        current = session.scalar(select(Objective.parent_id).where(Objective.id == current))
    return False


def _require_channel(session: Session, viewer: Viewer, channel_id: str, missing: str) -> None:
    if not may_read_channel(session, viewer, viewer.team_id, channel_id):
        raise NotFound(missing)


def _text(value: str, limit: int, *, field: str, missing: str) -> str:
    value = clean_text(value, limit=MODAL_INPUT_LIMIT).strip()
    if not value:
        raise InvalidInput(missing, field=field)
    if len(value) > limit:
        raise InvalidInput(f"Keep it under {limit} characters.", field=field)
    return value


def _number(value: float, kind: KeyResultKind, *, field: str = "value") -> float:
    if not math.isfinite(value) or abs(value) > VALUE_LIMIT:
        raise InvalidInput("Give a number.", field=field)
    if kind is KeyResultKind.PERCENT and not 0 <= value <= 100:
        raise InvalidInput("Give a percentage between 0 and 100.", field=field)
    if kind is KeyResultKind.MILESTONE and value not in (0, 1):
        raise InvalidInput("A milestone is done (1) or not done (0).", field=field)
    return value


def _valid(draft: KeyResultDraft, slot: int) -> KeyResultDraft:
    """`slot`: the key result's place in the form, which names the field of an error
    ("kr2.target")."""
    title = _text(
        draft.title, TITLE_MAX, field=f"kr{slot}.title", missing="Give each key result a title."
    )
    unit = clean_text(draft.unit, limit=MODAL_INPUT_LIMIT).strip()
    if len(unit) > UNIT_MAX:
        raise InvalidInput(f"Keep the unit under {UNIT_MAX} characters.", field=f"kr{slot}.unit")
    kind = draft.kind if draft.measure is None else MEASURES[draft.measure][1]
    target = _number(draft.target_value, kind, field=f"kr{slot}.target")
    start = draft.start_value
    if kind is KeyResultKind.MILESTONE:
        start, target = 0.0, 1.0
    elif start is not None:
        start = _number(start, kind, field=f"kr{slot}.start")
    return KeyResultDraft(title, draft.owner_id, target, kind, start, unit, draft.measure)


def _flags(row: KeyResult, now: datetime) -> tuple[Flag, ...]:
    flags: list[Flag] = []
    if row.start_value is None and row.kind is not KeyResultKind.MILESTONE:
        flags.append(Flag.NO_BASELINE)
    if row.implausible:
        flags.append(Flag.IMPLAUSIBLE)
    last = row.checked_in_at or row.created_at
    if now - last >= CHECK_IN_EVERY * STALE_AFTER_CYCLES:
        flags.append(Flag.STALE)
    return tuple(flags)


def load_objectives(
    session: Session, objectives: Sequence[Objective], *, now: datetime
) -> list[ObjectiveView]:
    """Views of `objectives` with their key results and what serves each: four queries,
    however many objectives."""
    if not objectives:
        return []
    ids = [o.id for o in objectives]
    krs = session.scalars(
        select(KeyResult).where(KeyResult.objective_id.in_(ids)).order_by(KeyResult.id)
    ).all()
    kr_ids = [kr.id for kr in krs]
    actions: dict[int, list[ServingActionView]] = defaultdict(list)
    lessons: dict[int, list[ServingLessonView]] = defaultdict(list)
    if kr_ids:
        for kr_id, action in session.execute(
            select(ServingAction.key_result_id, Action)
            .join(Action, Action.id == ServingAction.action_id)
            .where(ServingAction.key_result_id.in_(kr_ids))
            .order_by(Action.id)
        ):
            actions[kr_id].append(
                ServingActionView(
                    action.id, action.description, action.owner_id, action.status, action.target_on
                )
            )
        for kr_id, lesson_id, text in session.execute(
            select(ServingLesson.key_result_id, Lesson.id, Lesson.text)
            .join(Lesson, Lesson.id == ServingLesson.lesson_id)
            .where(ServingLesson.key_result_id.in_(kr_ids))
            .order_by(Lesson.id)
        ):
            lessons[kr_id].append(ServingLessonView(lesson_id, text))
    by_objective: dict[int, list[KeyResultView]] = defaultdict(list)
    for kr in krs:
        by_objective[kr.objective_id].append(
            KeyResultView.of(
                kr,
                flags=_flags(kr, now),
                actions=tuple(actions[kr.id]),
                lessons=tuple(lessons[kr.id]),
            )
        )
    return [ObjectiveView.of(o, tuple(by_objective[o.id])) for o in objectives]
