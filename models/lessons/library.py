"""Lessons at any moment, and the searchable library of every lesson.

Privacy is decided in SQL, for every query that returns lessons, by the channel rule of
models/core/privacy.py (`member_of`: the private channels the Web API says the viewer is
in; a channel the app has never looked up counts as private).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    bindparam,
    cast,
    column,
    delete,
    exists,
    func,
    literal_column,
    or_,
    select,
    table,
)
from sqlalchemy import text as sql
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.sql.elements import TextClause

from models.core.clock import Clock
from models.core.dates import UnreadableDate, parse_past_date
from models.core.errors import InvalidInput, NotAllowed, NotFound, Reason
from models.core.outbox import enqueue
from models.core.privacy import readable_channel
from models.core.tables import Conversation
from models.core.text import MESSAGE_LIMIT, Said, clean_text, tags_in
from models.jira.owing import NO_JIRA, JiraOwed
from models.lessons.tables import Lesson, LessonDraft, LessonKind
from models.lessons.views import LessonView
from models.lessons.wording import search_forms, signature, significant_words, similarity
from models.postmortems.tables import Answer, Postmortem, PostmortemStatus, TimelineEntry
from models.postmortems.views import PostmortemView, TimelineView

LESSON_MAX = 2000
QUERY_MAX = 200
PAGE_SIZE = 5
SIMILAR_THRESHOLD = 0.5
SIMILAR_CANDIDATES = 50
# "Seen N times before", owed where a lesson saved outside a review's replies was captured.
SIMILAR_NOTE_DELIVERY = "lessons.similar_note"
SIMILAR_CITED = 5  # links in a "seen N times before" note
COUNT_CAP = 1000
CHANNEL_RECHECK = timedelta(days=1)
_PREFIX = re.compile(r"^\s*(keep|improve)\s*:\s*", re.IGNORECASE)
_FILTER = re.compile(r"\b(kind|tag|since|channel):(\S+)", re.IGNORECASE)
_PHRASE = re.compile(r"\"([^\"]*)\"")


@dataclass(frozen=True, slots=True)
class ChannelView:
    channel_id: str
    name: str
    is_private: bool
    checked_at: datetime


@dataclass(frozen=True, slots=True)
class LessonHit:
    """A lesson as the library shows it: with where it came from and a link to it."""

    lesson: LessonView
    channel_id: str
    channel_name: str | None
    postmortem_title: str | None
    link: str | None


@dataclass(frozen=True, slots=True)
class Recurrence:
    """Earlier lessons like a new one: how many there are, and the best few to cite."""

    seen: int = 0
    hits: tuple[LessonHit, ...] = ()


@dataclass(frozen=True, slots=True)
class Capture:
    lesson: LessonView
    postmortem: PostmortemView | None
    channel_id: str
    similar: Recurrence


@dataclass(frozen=True, slots=True)
class ReplyLesson:
    """What follows a lesson recorded from a reply in a review's thread."""

    channel_known: bool  # False: look the channel up, or its lessons stay members-only
    similar: Recurrence


@dataclass(frozen=True, slots=True)
class SearchQuery:
    text: str
    terms: tuple[str, ...]
    phrases: tuple[tuple[str, ...], ...]
    kind: LessonKind | None = None
    tags: tuple[str, ...] = ()
    since: date | None = None
    channel_id: str | None = None
    channel_name: str | None = None

    @property
    def has_words(self) -> bool:
        return bool(self.terms or self.phrases)

    @property
    def is_empty(self) -> bool:
        return (
            not (self.has_words or self.kind or self.tags or self.since or self.channel_id)
            and not self.channel_name
        )


@dataclass(frozen=True, slots=True)
class SearchPage:
    query: SearchQuery
    hits: tuple[LessonHit, ...]
    total: int
    offset: int

    @property
    def has_next(self) -> bool:
        return self.offset + len(self.hits) < self.total

    @property
    def total_label(self) -> str:
        """Counting stops past COUNT_CAP: a search that broad needs narrowing, not a number."""
        return f"more than {COUNT_CAP:,}" if self.total > COUNT_CAP else f"{self.total:,}"

    @property
    def has_previous(self) -> bool:
        return self.offset > 0

    @property
    def newest_ranked(self) -> bool:
        """More words matched than are ranked: these are the best of the newest matches."""
        return self.query.has_words and self.total > COUNT_CAP


@dataclass(frozen=True, slots=True)
class Home:
    postmortems: tuple[PostmortemView, ...]
    lessons: tuple[LessonHit, ...]


def split_kind(text: str) -> tuple[LessonKind | None, str]:
    """`keep: x` and `improve: x` name their kind; anything else has none yet."""
    match = _PREFIX.match(text)
    if match is None:
        return None, text.strip()
    return LessonKind(match[1].lower()), text[match.end() :].strip()


def parse_query(said: Said | str, *, today: date) -> SearchQuery:
    """Read a search: words, "quoted phrases" and kind:/tag:/since:/channel: filters; a
    channel filter names a linked conversation, or a channel by its name.

    Only letters and digits reach the full-text engines, so no query is a syntax error."""
    if isinstance(said, str):
        said = Said(said)
    text = " ".join(said.text.split())
    if len(text) > QUERY_MAX:
        raise InvalidInput(f"Keep the search under {QUERY_MAX} characters.", field="query")
    kind: LessonKind | None = None
    tags: list[str] = []
    since: date | None = None
    channel_id = channel_name = None
    # Filters are read from the text as written: the links' positions are positions in it.
    for match in _FILTER.finditer(said.text):
        name, value = match[1].lower(), match[2]
        if name == "kind":
            try:
                kind = LessonKind(value.lower().removesuffix("s"))
            except ValueError:
                raise InvalidInput(field="query", reason=Reason.SEARCH_KIND_UNKNOWN) from None
        elif name == "tag":
            tags.append(value.lower().lstrip("#"))
        elif name == "since":
            since = _since(value, today)
        elif (link := said.conversation_at(match.start(2))) is not None:
            channel_id, channel_name = link.ref, None
        else:
            channel_name = value.lstrip("#").lower()
    rest = _FILTER.sub(" ", text)
    phrases = tuple(
        words for words in (tuple(significant_words(p)) for p in _PHRASE.findall(rest)) if words
    )
    terms = tuple(significant_words(_PHRASE.sub(" ", rest)))
    return SearchQuery(
        text=text,
        terms=terms,
        phrases=phrases,
        kind=kind,
        tags=tuple(dict.fromkeys(tags)),
        since=since,
        channel_id=channel_id,
        channel_name=channel_name if channel_id is None else None,
    )


def _since(value: str, today: date) -> date:
    try:
        return parse_past_date(value, today=today)
    except UnreadableDate:
        raise InvalidInput(
            field="query", reason=Reason.SEARCH_SINCE_UNREADABLE, value=value[:30]
        ) from None


def validate_lesson(text: str) -> str:
    text = clean_text(text, limit=MESSAGE_LIMIT).strip()
    if not text:
        raise InvalidInput(field="text", reason=Reason.LESSON_TEXT_MISSING)
    if len(text) > LESSON_MAX:
        raise InvalidInput(f"Keep a lesson under {LESSON_MAX} characters.", field="text")
    return text


def read_tags(text: str) -> list[str]:
    """Tags typed in a form: `deploys, #db config` -> ["config", "db", "deploys"]."""
    return sorted({t for t in (w.lstrip("#").lower() for w in re.split(r"[\s,]+", text)) if t})[:20]


class LessonLibrary:
    def __init__(
        self, sessions: sessionmaker[Session], clock: Clock, jira: JiraOwed = NO_JIRA
    ) -> None:
        self._sessions, self._clock, self._jira = sessions, clock, jira

    # Channels: what the app knows about a channel's privacy.

    def channel(self, *, team_id: str, channel_id: str) -> ChannelView | None:
        """The channel as last looked up, or None when that was too long ago."""
        with self._sessions() as session:
            row = session.get(Conversation, (team_id, channel_id))
            if row is None or row.checked_at < self._clock.now() - CHANNEL_RECHECK:
                return None
            return ChannelView(row.channel_id, row.name, row.is_private, row.checked_at)

    def remember_channel(
        self, *, team_id: str, channel_id: str, name: str, is_private: bool
    ) -> ChannelView:
        now = self._clock.now()
        with self._sessions.begin() as session:
            row = session.get(Conversation, (team_id, channel_id))
            if row is None:
                row = Conversation(team_id=team_id, channel_id=channel_id)
                session.add(row)
            row.name, row.is_private, row.checked_at = name[:100], is_private, now
            return ChannelView(channel_id, row.name, is_private, now)

    # Capturing.

    def draft(self, *, team_id: str, channel_id: str, author_id: str, text: str) -> int:
        """Keep a lesson whose kind is not chosen yet; its author picks one with a button."""
        text = validate_lesson(text)
        now = self._clock.now()
        with self._sessions.begin() as session:
            # Drafts nobody finished within a day are forgotten.
            session.execute(delete(LessonDraft).where(LessonDraft.created_at < now - timedelta(1)))
            draft = LessonDraft(
                team_id=team_id,
                channel_id=channel_id,
                author_id=author_id,
                text=text,
                created_at=now,
            )
            session.add(draft)
            session.flush()
            return draft.id

    def capture_draft(
        self, *, team_id: str, draft_id: int, kind: LessonKind, by_user: str
    ) -> Capture:
        with self._sessions.begin() as session:
            draft = session.scalar(
                select(LessonDraft).where(
                    LessonDraft.id == draft_id, LessonDraft.team_id == team_id
                )
            )
            if draft is None:
                raise NotFound("That lesson was already saved, or waited too long. Type it again?")
            if draft.author_id != by_user:
                raise NotAllowed("Only the person who wrote this lesson can choose its kind.")
            session.delete(draft)
            target = _open_postmortem(session, team_id, draft.channel_id)
            return self._add(
                session,
                team_id=team_id,
                channel_id=draft.channel_id,
                postmortem=target,
                author_id=by_user,
                text=draft.text,
                kind=kind,
                tags=tags_in(draft.text),
            )

    def capture(
        self, *, team_id: str, channel_id: str, author_id: str, text: str, kind: LessonKind
    ) -> Capture:
        """A lesson for the channel's open post-mortem, or its running log when none is open."""
        text = validate_lesson(text)
        with self._sessions.begin() as session:
            target = _open_postmortem(session, team_id, channel_id)
            return self._add(
                session,
                team_id=team_id,
                channel_id=channel_id,
                postmortem=target,
                author_id=author_id,
                text=text,
                kind=kind,
                tags=tags_in(text),
            )

    def save_from_message(
        self,
        *,
        team_id: str,
        channel_id: str,
        author_id: str,
        text: str,
        kind: LessonKind,
        tags: Sequence[str],
        postmortem_id: int | None,
        source_ref: str,
        source_permalink: str | None,
    ) -> Capture:
        """A lesson saved from a message, for a chosen open review of that channel or its
        running log (postmortem_id None)."""
        text = validate_lesson(text)
        with self._sessions.begin() as session:
            target = _chosen_review(session, team_id, channel_id, postmortem_id)
            return self._add(
                session,
                team_id=team_id,
                channel_id=channel_id,
                postmortem=target,
                author_id=author_id,
                text=text,
                kind=kind,
                tags=sorted({*tags, *tags_in(text)}),
                source_ref=source_ref,
                source_permalink=source_permalink,
            )

    def _add(
        self,
        session: Session,
        *,
        team_id: str,
        channel_id: str,
        postmortem: Postmortem | None,
        author_id: str,
        text: str,
        kind: LessonKind,
        tags: Sequence[str],
        source_ref: str | None = None,
        source_permalink: str | None = None,
    ) -> Capture:
        now = self._clock.now()
        lesson = Lesson(
            team_id=team_id,
            channel_id=channel_id,
            postmortem_id=postmortem.id if postmortem else None,
            kind=kind,
            text=text,
            author_id=author_id,
            tags=list(tags),
            created_at=now,
            updated_at=now,
            source_ref=source_ref,
            source_permalink=source_permalink,
        )
        session.add(lesson)
        session.flush()
        self._jira.lesson_created(session, lesson, now)
        similar = _similar_to(session, lesson)
        if similar.seen:
            enqueue(
                session,
                team_id=team_id,
                kind=SIMILAR_NOTE_DELIVERY,
                recipient_id=channel_id,
                dedupe_key=f"{SIMILAR_NOTE_DELIVERY}:{lesson.id}",
                due_at=now,
                now=now,
                subject_id=lesson.id,
                payload={"thread_ref": postmortem.thread_ref if postmortem else None},
            )
        return Capture(
            lesson=LessonView.of(lesson),
            postmortem=PostmortemView.of(postmortem) if postmortem else None,
            channel_id=channel_id,
            similar=similar,
        )

    def undo(self, *, team_id: str, lesson_id: int, by_user: str) -> LessonView:
        with self._sessions.begin() as session:
            lesson = session.scalar(
                select(Lesson).where(Lesson.id == lesson_id, Lesson.team_id == team_id)
            )
            if lesson is None:
                raise NotFound("That lesson is already gone.")
            if lesson.author_id != by_user:
                raise NotAllowed("Only the person who saved this lesson can undo it.")
            if lesson.answer_id is not None:
                raise NotAllowed("This lesson is a reply in the review; delete the reply instead.")
            view = LessonView.of(lesson)
            session.delete(lesson)
            return view

    def add_to_timeline(
        self,
        *,
        team_id: str,
        channel_id: str,
        postmortem_id: int | None,
        text: str,
        occurred_at: datetime,
        author_id: str | None,
        added_by: str,
        source_ref: str,
        source_permalink: str | None,
    ) -> PostmortemView | None:
        text = validate_lesson(text)
        with self._sessions.begin() as session:
            target = _chosen_review(session, team_id, channel_id, postmortem_id)
            session.add(
                TimelineEntry(
                    team_id=team_id,
                    channel_id=channel_id,
                    postmortem_id=target.id if target else None,
                    text=text,
                    occurred_at=occurred_at,
                    author_id=author_id,
                    added_by=added_by,
                    source_ref=source_ref,
                    source_permalink=source_permalink,
                    created_at=self._clock.now(),
                )
            )
            return PostmortemView.of(target) if target else None

    # Reading.

    def captured_for(
        self, *, team_id: str, postmortem_id: int, kind: LessonKind
    ) -> list[LessonView]:
        """Lessons of a review captured outside its thread (by /lesson, a shortcut, or the
        running log it took over): the phase prompt lists them so nobody is asked twice."""
        with self._sessions() as session:
            rows = session.scalars(
                select(Lesson)
                .where(
                    Lesson.team_id == team_id,
                    Lesson.postmortem_id == postmortem_id,
                    Lesson.kind == kind,
                    Lesson.answer_id.is_(None),
                )
                .order_by(Lesson.created_at, Lesson.id)
            )
            return [LessonView.of(row) for row in rows]

    def timeline_of(self, *, team_id: str, postmortem_id: int) -> list[TimelineView]:
        with self._sessions() as session:
            rows = session.scalars(
                select(TimelineEntry)
                .where(
                    TimelineEntry.team_id == team_id, TimelineEntry.postmortem_id == postmortem_id
                )
                .order_by(TimelineEntry.occurred_at, TimelineEntry.id)
            )
            return [TimelineView.of(row) for row in rows]

    def open_postmortems(self, *, team_id: str, channel_id: str) -> list[PostmortemView]:
        with self._sessions() as session:
            rows = session.scalars(
                _open_in_channel(team_id, channel_id).order_by(Postmortem.created_at.desc())
            )
            return [PostmortemView.of(row) for row in rows]

    def search(
        self,
        *,
        team_id: str,
        member_of: Collection[str],
        query: SearchQuery,
        offset: int = 0,
        limit: int = PAGE_SIZE,
    ) -> SearchPage:
        offset = max(0, offset)
        # No planner settings: with the GIN indexes written through (migration 0007)
        # PostgreSQL's default costs already choose them for word and tag searches.
        with self._sessions() as session:
            shape = _Shape.of(query, postgres=_is_postgres(session))
            values = _values(
                query, shape, team_id=team_id, member_of=member_of, limit=limit, offset=offset
            )
            rows = session.execute(_statement(shape), values).all()
            total = int(rows[0][-1]) if rows else 0
            if not rows and offset:
                total = offset  # past the end: the page before is the last
            return SearchPage(query, tuple(_hit(row) for row in rows), total, offset)

    def after_reply(self, *, team_id: str, channel_id: str, lesson: LessonView) -> ReplyLesson:
        """For a lesson just recorded from a thread reply: earlier lessons like it (for the
        "seen N times before" note) and whether its channel's privacy is known. One short
        read after the reply's own transaction has committed."""
        with self._sessions() as session:
            checked_at = session.scalar(
                select(Conversation.checked_at).where(
                    Conversation.team_id == team_id, Conversation.channel_id == channel_id
                )
            )
            known = checked_at is not None and checked_at >= self._clock.now() - CHANNEL_RECHECK
            similar = _similar(
                session,
                team_id=team_id,
                channel_id=channel_id,
                lesson_id=lesson.id,
                postmortem_id=lesson.postmortem_id,
                kind=lesson.kind,
                text=lesson.text,
            )
            return ReplyLesson(channel_known=known, similar=similar)

    def similar_to(self, *, team_id: str, lesson_id: int) -> Recurrence:
        with self._sessions() as session:
            lesson = session.scalar(
                select(Lesson).where(Lesson.id == lesson_id, Lesson.team_id == team_id)
            )
            return _similar_to(session, lesson) if lesson else Recurrence()

    def home(
        self, *, team_id: str, user_id: str, member_of: Collection[str], limit: int = 10
    ) -> Home:
        with self._sessions() as session:
            answered = exists().where(
                Answer.postmortem_id == Postmortem.id, Answer.author_id == user_id
            )
            postmortems = session.scalars(
                select(Postmortem)
                .where(
                    Postmortem.team_id == team_id,
                    Postmortem.status == PostmortemStatus.OPEN,
                    or_(Postmortem.facilitator_id == user_id, answered),
                )
                .order_by(Postmortem.created_at.desc())
                .limit(limit)
            ).all()
            lessons = session.execute(
                _hits(team_id, member_of)
                .order_by(Lesson.created_at.desc(), Lesson.id.desc())
                .limit(limit)
            ).all()
            return Home(
                postmortems=tuple(PostmortemView.of(p) for p in postmortems),
                lessons=tuple(_hit(row) for row in lessons),
            )


def _open_in_channel(team_id: str, channel_id: str) -> Select[Postmortem]:
    return select(Postmortem).where(
        Postmortem.team_id == team_id,
        Postmortem.channel_id == channel_id,
        Postmortem.status == PostmortemStatus.OPEN,
    )


def _open_postmortem(
    session: Session, team_id: str, channel_id: str, postmortem_id: int | None = None
) -> Postmortem | None:
    query = _open_in_channel(team_id, channel_id)
    if postmortem_id is not None:
        query = query.where(Postmortem.id == postmortem_id)
    return session.scalars(query.order_by(Postmortem.created_at.desc()).limit(1)).first()


def _chosen_review(
    session: Session, team_id: str, channel_id: str, postmortem_id: int | None
) -> Postmortem | None:
    """The open review a form chose, or None for the channel's running log."""
    if postmortem_id is None:
        return None
    target = _open_postmortem(session, team_id, channel_id, postmortem_id)
    if target is None:
        raise InvalidInput(
            "That review has closed; pick another or the running log.", field="postmortem"
        )
    return target


def _visible(team_id: str, member_of: Collection[str]) -> ColumnElement[bool]:
    return readable_channel(Lesson.team_id, Lesson.channel_id, member_of, viewer_team=team_id)


def _hits(
    team_id: str, member_of: Collection[str]
) -> Select[Lesson, str | None, str | None, str | None]:
    return (
        select(Lesson, Conversation.name, Postmortem.title, Postmortem.permalink)
        .outerjoin(
            Conversation,
            (Conversation.team_id == Lesson.team_id)
            & (Conversation.channel_id == Lesson.channel_id),
        )
        .outerjoin(Postmortem, Postmortem.id == Lesson.postmortem_id)
        .where(_visible(team_id, member_of))
    )


def _hit(row: Sequence[object]) -> LessonHit:
    lesson, channel_name, title, postmortem_link = row[0], row[1], row[2], row[3]
    assert isinstance(lesson, Lesson)
    return LessonHit(
        lesson=LessonView.of(lesson),
        channel_id=lesson.channel_id,
        channel_name=channel_name if isinstance(channel_name, str) else None,
        postmortem_title=title if isinstance(title, str) else None,
        link=lesson.source_permalink
        or (postmortem_link if isinstance(postmortem_link, str) else None),
    )


_FTS = table("lessons_fts")
_FTS_ROWID: ColumnElement[int] = literal_column("lessons_fts.rowid")
_FTS_MATCH: ColumnElement[str] = literal_column("lessons_fts")
_VECTOR: ColumnElement[str] = literal_column("lessons.search_vector")
_WORDS_IN_TAG = re.compile(r"[^\W_]+")


@dataclass(frozen=True, slots=True)
class _Shape:
    """What a search's statement depends on. Its values are bound at execution, so each
    shape's statement is built once per process (building one took about 2 ms)."""

    postgres: bool
    words: bool
    tags: int
    indexed_tags: bool  # SQLite: the tags are matched in the full-text index too
    kind: bool
    since: bool
    channel: str | None  # "id", "name" or None

    @classmethod
    def of(cls, query: SearchQuery, *, postgres: bool) -> _Shape:
        return cls(
            postgres=postgres,
            words=query.has_words,
            tags=len(query.tags),
            indexed_tags=not postgres and bool(_fts_tags(query.tags)),
            kind=query.kind is not None,
            since=query.since is not None,
            channel="id" if query.channel_id else "name" if query.channel_name else None,
        )


def _fts_tags(tags: Sequence[str]) -> list[str]:
    """Each tag as an FTS5 phrase of its words in the tags column (migration 0015), which
    narrows the lessons to test exactly. A tag without letters or digits is nobody's tag:
    the exact test alone finds nothing for it."""
    phrases = (" ".join(_WORDS_IN_TAG.findall(tag)) for tag in tags)
    return [f'tags : ("{phrase}")' for phrase in phrases if phrase]


def _values(
    query: SearchQuery,
    shape: _Shape,
    *,
    team_id: str,
    member_of: Collection[str],
    limit: int,
    offset: int,
) -> dict[str, Any]:
    """The values `_statement(shape)` binds. Every search term is letters and digits only
    (models.lessons.wording), so no full-text expression can be malformed."""
    values: dict[str, Any] = {
        "team_id": team_id,
        "member_of": sorted(member_of),
        "limit": limit,
        "offset": offset,
    }
    if shape.kind:
        values["kind"] = query.kind
    for i, tag in enumerate(query.tags):
        # The exact test: JSON containment, or a LIKE on the JSON text.
        values[f"tag{i}"] = [tag] if shape.postgres else f'%"{_like(tag)}"%'
    if query.since is not None:
        values["since"] = datetime.combine(query.since, time(0), tzinfo=UTC)
    if shape.channel == "id":
        values["channel_id"] = query.channel_id
    elif shape.channel == "name":
        values["channel_name"] = query.channel_name
    phrases = [f'"{" ".join(p)}"' for p in query.phrases]
    if shape.words and shape.postgres:
        values["words"] = " ".join([*query.terms, *phrases])
    elif shape.words:
        text = " ".join([*(f'"{t}"' for t in query.terms), *phrases])
        values["match"] = " AND ".join([f"text : ({text})", *_fts_tags(query.tags)])
    elif shape.indexed_tags:
        values["match"] = " AND ".join(_fts_tags(query.tags))
    return values


def _like(tag: str) -> str:
    r"""`tag` for a LIKE pattern with `\` as its escape character."""
    return tag.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_").replace('"', "")


@lru_cache(maxsize=256)
def _statement(shape: _Shape) -> Select[Lesson, str | None, str | None, str | None, int]:
    """One statement: the visible, filtered, ranked ids of one page, then only those rows
    joined to their channel and review.

    The work is bounded by COUNT_CAP, not by the library's size. A word search ranks the
    newest COUNT_CAP + 1 visible matches (read from the full-text index in id order and
    stopped there) and counts them in the same pass; past COUNT_CAP the total reads "more
    than 1,000" and the best of the newest matches come first, which a narrower search
    refines. Browsing by filters alone walks the newest lessons and counts the same way."""
    conditions: list[ColumnElement[bool]] = []
    if shape.kind:
        conditions.append(Lesson.kind == bindparam("kind"))
    for i in range(shape.tags):
        if shape.postgres:
            # Served by the GIN index on `tags::jsonb` (migration 0004).
            tag = bindparam(f"tag{i}", type_=JSONB)
            conditions.append(cast(Lesson.tags, JSONB).contains(tag))
        else:
            tag = bindparam(f"tag{i}", type_=String)
            conditions.append(cast(Lesson.tags, String).like(tag, escape="\\"))
    if shape.since:
        conditions.append(Lesson.created_at >= bindparam("since"))
    if shape.channel == "id":
        conditions.append(Lesson.channel_id == bindparam("channel_id"))
    elif shape.channel == "name":
        conditions.append(Conversation.name == bindparam("channel_name"))
    visible = readable_channel(
        Lesson.team_id,
        Lesson.channel_id,
        bindparam("member_of", expanding=True),
        viewer_team=bindparam("team_id"),
    )
    ids = (
        select(Lesson.id.label("id"), Lesson.created_at.label("created_at"))
        .outerjoin(
            Conversation,
            (Conversation.team_id == Lesson.team_id)
            & (Conversation.channel_id == Lesson.channel_id),
        )
        .where(visible, *conditions)
    )
    match = _FTS_MATCH.op("MATCH")(bindparam("match", type_=String))
    if shape.words:
        window = _ranked(ids, match, postgres=shape.postgres).limit(COUNT_CAP + 1).subquery()
        page = (
            select(window.c.id, window.c.rank, func.count().over().label("total"))
            .order_by(window.c.rank, window.c.created_at.desc(), window.c.id.desc())
            .limit(bindparam("limit"))
            .offset(bindparam("offset"))
            .subquery()
        )
    else:
        # Counting walks only the lessons the full-text index lists under the tags; the
        # page itself walks the newest lessons, which finds a page sooner.
        counted = ids
        if shape.indexed_tags:
            counted = ids.join(_FTS, Lesson.id == _FTS_ROWID).where(match)
        total = (
            select(func.count())
            .select_from(counted.limit(COUNT_CAP + 1).subquery())
            .scalar_subquery()
        )
        page = (
            ids.add_columns(literal_column("0").label("rank"), total.label("total"))
            .order_by(Lesson.created_at.desc(), Lesson.id.desc())
            .limit(bindparam("limit"))
            .offset(bindparam("offset"))
            .subquery()
        )
    return (
        select(Lesson, Conversation.name, Postmortem.title, Postmortem.permalink, page.c.total)
        .join(page, page.c.id == Lesson.id)
        .outerjoin(
            Conversation,
            (Conversation.team_id == Lesson.team_id)
            & (Conversation.channel_id == Lesson.channel_id),
        )
        .outerjoin(Postmortem, Postmortem.id == Lesson.postmortem_id)
        .order_by(page.c.rank, Lesson.created_at.desc(), Lesson.id.desc())
    )


def _ranked(
    ids: Select[int, datetime], match: ColumnElement[bool], *, postgres: bool
) -> Select[int, datetime, float]:
    """The matches, newest first, each with its rank, best first when ordered ascending:
    FTS5's bm25 over the text column on SQLite (lower is better; the tags column weighs 0),
    minus ts_rank on PostgreSQL (ts_rank_cd's cover density costs more and ranks these
    short texts no better)."""
    if postgres:
        ts_query = func.websearch_to_tsquery(
            literal_column("'english'::regconfig"), bindparam("words", type_=String)
        )
        return (
            ids.add_columns((-func.ts_rank(_VECTOR, ts_query)).label("rank"))
            .where(_VECTOR.op("@@")(ts_query))
            .order_by(Lesson.id.desc())
        )
    # FTS5 drives the scan (bm25() only works there) and yields its matches in id order.
    bm25 = func.bm25(_FTS_MATCH, literal_column("1.0"), literal_column("0.0"))
    return (
        ids.add_columns(bm25.label("rank"))
        .join(_FTS, Lesson.id == _FTS_ROWID)
        .where(match)
        .order_by(_FTS_ROWID.desc())
    )


def _is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _prefer_indexes(session: Session) -> None:
    """PostgreSQL's default random_page_cost (4.0) prices a bitmap scan of the full-text
    or tags GIN index above reading the whole table, and `@@` is costed like a cheap
    operator, so with 100,000 lessons it chose a sequential scan that ran `@@` on every row
    (35 ms against 7 ms). 1.1 is the usual setting for SSDs and cached data; SET LOCAL
    keeps it to this read's transaction."""
    if _is_postgres(session):
        session.execute(sql("SET LOCAL random_page_cost = 1.1"))


# Candidates for the recurring-lesson check: ids and texts only, under the note's privacy
# rule (a public channel, or the lesson's own channel). Ranking every lesson that shares a
# word would grow with the library (a common word like "deploy" matches a tenth of them).
# So each of the new lesson's words (with its synonyms) brings at most
# SIMILAR_PER_WORD of the latest lessons that use it, read from an index kept in id order
# and stopped there, and the candidates are the lessons brought by the most words.
# A rare, telling word brings all of its few lessons; a common one only the recent ones.
# So the work per check is bounded by words x SIMILAR_PER_WORD, whatever the library's size.
SIMILAR_WORDS = 12
SIMILAR_PER_WORD = 50

_SIMILAR_TAIL = (
    " JOIN lessons AS l ON l.id = m.id"
    " WHERE l.team_id = :team_id AND l.kind = :kind"
    " AND ({readable})"
    " AND (l.postmortem_id IS NULL OR l.postmortem_id <> :postmortem_id)"
    " ORDER BY m.hits DESC, l.id DESC LIMIT :limit"
)


def _readable_in_note(postgres: bool) -> str:
    """The channel rule, rendered for the note's statement: the note is posted in
    :channel_id, so its readers are that channel's members."""
    lessons = table("l", column("team_id", String), column("channel_id", String))
    rule = readable_channel(
        lessons.c.team_id, lessons.c.channel_id, [literal_column(":channel_id", String)]
    )
    # Compiled inside a SELECT from `l` so that its EXISTS correlates to `l`; the note's
    # statement takes what follows that SELECT's WHERE.
    dialect = postgresql.dialect() if postgres else sqlite.dialect()  # type: ignore[no-untyped-call]
    compiled = str(select(lessons.c.team_id).where(rule).compile(dialect=dialect))
    return " ".join(compiled.split("\nWHERE ", 1)[1].split())


@lru_cache(maxsize=2 * SIMILAR_WORDS)
def _similar_statement(words: int, *, postgres: bool) -> TextClause:
    """The candidate statement for `words` search words (:w0, :w1, ...), each with its
    synonyms. Every word's subquery reads an index in id order and stops after
    SIMILAR_PER_WORD matches. SQLite: FTS5 walks its doclists backwards from :lesson_id.
    PostgreSQL: the word's forms become lexemes the way `search_vector` makes them, and
    each lexeme reads its latest SIMILAR_PER_WORD from lesson_terms' B-tree (migration
    0014); the word keeps the latest SIMILAR_PER_WORD of those. (A GIN index returns its
    matches unordered: reading them all, or walking the primary key and testing `@@` on
    each row, grew with the library.)"""
    if postgres:
        part = (
            "(SELECT id FROM (SELECT DISTINCT t.lesson_id AS id FROM unnest(tsvector_to_array("
            "to_tsvector('english'::regconfig, :w{i}))) AS f(term) CROSS JOIN LATERAL"
            " (SELECT lesson_id FROM lesson_terms WHERE team_id = :team_id AND kind = :kind"
            " AND term = f.term AND lesson_id < :lesson_id ORDER BY lesson_id DESC"
            " LIMIT :per_word) AS t) AS d ORDER BY id DESC LIMIT :per_word)"
        )
    else:
        part = (
            "SELECT * FROM (SELECT rowid AS id FROM lessons_fts WHERE lessons_fts MATCH :w{i}"
            " AND rowid < :lesson_id ORDER BY rowid DESC LIMIT :per_word)"
        )
    union = " UNION ALL ".join(part.format(i=i) for i in range(words))
    return sql(
        f"SELECT l.id, l.text FROM (SELECT id, count(*) AS hits FROM ({union}) AS u"
        " GROUP BY id) AS m" + _SIMILAR_TAIL.format(readable=_readable_in_note(postgres))
    )


def _similar_to(session: Session, lesson: Lesson) -> Recurrence:
    return _similar(
        session,
        team_id=lesson.team_id,
        channel_id=lesson.channel_id,
        lesson_id=lesson.id,
        postmortem_id=lesson.postmortem_id,
        kind=lesson.kind,
        text=lesson.text,
    )


def similar_candidate_statements(
    session: Session,
    *,
    team_id: str,
    channel_id: str,
    lesson_id: int,
    postmortem_id: int | None,
    kind: LessonKind,
    text: str,
) -> list[tuple[TextClause, dict[str, Any]]]:
    """The statement that reads `_similar`'s candidates, with its parameters (none when the
    text has no words to search by); benchmarks/similarity_growth.py explains it."""
    words = significant_words(text)[:SIMILAR_WORDS]
    if not words:
        return []
    postgres = _is_postgres(session)
    params: dict[str, Any] = {
        "team_id": team_id,
        "lesson_id": lesson_id,
        "kind": kind.value,
        "channel_id": channel_id,
        "postmortem_id": postmortem_id if postmortem_id is not None else -1,
        "per_word": SIMILAR_PER_WORD,
        "limit": SIMILAR_CANDIDATES,
    }
    for i, word in enumerate(words):
        forms = search_forms([word])
        params[f"w{i}"] = (
            " ".join(forms)
            if postgres
            else "text : (" + " OR ".join(f'"{form}"' for form in forms) + ")"
        )
    return [(_similar_statement(len(words), postgres=postgres), params)]


def _similar(
    session: Session,
    *,
    team_id: str,
    channel_id: str,
    lesson_id: int,
    postmortem_id: int | None,
    kind: LessonKind,
    text: str,
) -> Recurrence:
    """Lessons of the same kind, earlier than `lesson_id`, that say much the same as
    `text` (a "keep" and an "improve" on one topic are opposite lessons). Only lessons
    anyone in `channel_id` may see: the note is posted there. The same review repeating
    itself is not a pattern, so its own lessons do not count. Full rows are read only
    for the few the note cites."""
    statements = similar_candidate_statements(
        session,
        team_id=team_id,
        channel_id=channel_id,
        lesson_id=lesson_id,
        postmortem_id=postmortem_id,
        kind=kind,
        text=text,
    )
    if not statements:
        return Recurrence()
    _prefer_indexes(session)
    candidates = [
        row for statement, params in statements for row in session.execute(statement, params)
    ]
    own = signature(text)
    scores = {
        found_id: score
        for found_id, found_text in candidates
        if (score := similarity(own, signature(found_text))) >= SIMILAR_THRESHOLD
    }
    if not scores:
        return Recurrence()
    best = sorted(scores, key=lambda found_id: (-scores[found_id], -found_id))[:SIMILAR_CITED]
    rows = session.execute(_hits_by_id(best)).all()
    hits = sorted((_hit(row) for row in rows), key=lambda h: best.index(h.lesson.id))
    return Recurrence(seen=len(scores), hits=tuple(hits))


def _hits_by_id(ids: list[int]) -> Select[Lesson, str | None, str | None, str | None]:
    return (
        select(Lesson, Conversation.name, Postmortem.title, Postmortem.permalink)
        .outerjoin(
            Conversation,
            (Conversation.team_id == Lesson.team_id)
            & (Conversation.channel_id == Lesson.channel_id),
        )
        .outerjoin(Postmortem, Postmortem.id == Lesson.postmortem_id)
        .where(Lesson.id.in_(ids))
    )
