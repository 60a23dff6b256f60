"""Capturing lessons at any moment, searching the library, and who may see what."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

import pytest
from sqlalchemy import text as sql

from handlers.slack.messages import time_of
from models.core.clock import FrozenClock
from models.core.db import make_engine, upgrade_schema
from models.core.errors import InvalidInput, NotAllowed, NotFound
from models.core.references import Platform
from models.core.text import Mention, Said
from models.lessons.library import SearchQuery, parse_query, split_kind
from models.lessons.search_schema import POSTGRES_TAGS_INDEX, POSTGRES_VECTOR_INDEX
from models.lessons.tables import LessonKind
from models.postmortems.phases import Phase
from models.postmortems.service import Move
from models.postmortems.views import PostmortemView
from models.services import Services
from tests.conftest import PG_URL
from tests.databases import empty_postgresql_schema
from tests.references import as_stored
from tests.statements import statements

TEAM, OTHER_TEAM = "T0TEAM", "T0OTHER"
PUBLIC, SECRET, UNKNOWN = "C0PUBLIC", "C0SECRET", "C0UNKNOWN"
ANA, BO = "U0ANA", "U0BO"
TODAY = date(2026, 11, 20)
_ts = itertools.count(1)


def channels(services: Services) -> None:
    services.lessons.remember_channel(team_id=TEAM, channel_id=PUBLIC, name="ops", is_private=False)
    services.lessons.remember_channel(
        team_id=TEAM, channel_id=SECRET, name="security", is_private=True
    )


def start(services: Services, channel: str = PUBLIC, team: str = TEAM) -> PostmortemView:
    return services.postmortems.start(
        team_id=team,
        channel_id=channel,
        thread_ref=f"1795168800.{next(_ts):06d}",
        posted_at=time_of(f"1795168800.{next(_ts):06d}"),
        title="Checkout outage",
        facilitator_id=ANA,
        permalink=f"https://fake.slack.test/archives/{channel}/p1",
    )


def capture(
    services: Services,
    text: str,
    *,
    channel: str = PUBLIC,
    kind: LessonKind = LessonKind.IMPROVE,
    team: str = TEAM,
    author: str = ANA,
):  # type: ignore[no-untyped-def]
    return services.lessons.capture(
        team_id=team, channel_id=channel, author_id=author, text=text, kind=kind
    )


def linked(text: str, placeholder: str, channel: str) -> Said:
    """`text` as read by a front end, its `placeholder` a link to `channel`."""
    start = text.index(placeholder)
    return Said(text, conversations=(Mention(channel, start, start + len(placeholder)),))


def search(services: Services, text: str | Said, *, member_of: tuple[str, ...] = (), **kw):  # type: ignore[no-untyped-def]
    return services.lessons.search(
        team_id=TEAM,
        member_of=member_of,
        # Read as a front end of this run's shape hands the query over.
        query=parse_query(as_stored(services, text), today=TODAY),
        **kw,
    )


def texts(page) -> list[str]:  # type: ignore[no-untyped-def]
    return [hit.lesson.text for hit in page.hits]


def test_lesson_without_open_review_goes_to_running_log_and_next_review_takes_it_over(
    services: Services,
) -> None:
    channels(services)
    early = capture(services, "Feature flags made the rollback painless", kind=LessonKind.KEEP)
    assert early.postmortem is None and early.lesson.postmortem_id is None

    pm = start(services)

    assert [
        lesson.id for lesson in services.actions.lessons_of(team_id=TEAM, postmortem_id=pm.id)
    ] == [early.lesson.id]
    later = capture(services, "Paging went to the wrong rota")
    assert later.postmortem is not None and later.postmortem.id == pm.id
    # A running log in another channel is not taken over.
    other = capture(services, "Nobody owned the DNS change", channel=SECRET)
    assert other.lesson.postmortem_id is None


def test_phase_prompt_lessons_are_the_ones_captured_outside_the_thread(
    services: Services,
) -> None:
    channels(services)
    capture(services, "Keep the status page updates every 15 minutes", kind=LessonKind.KEEP)
    pm = start(services)
    capture(services, "Alert thresholds were too loose")

    keep = services.lessons.captured_for(team_id=TEAM, postmortem_id=pm.id, kind=LessonKind.KEEP)
    improve = services.lessons.captured_for(
        team_id=TEAM, postmortem_id=pm.id, kind=LessonKind.IMPROVE
    )

    assert [lesson.text for lesson in keep] == ["Keep the status page updates every 15 minutes"]
    assert [lesson.text for lesson in improve] == ["Alert thresholds were too loose"]


def test_draft_becomes_a_lesson_only_when_its_author_picks_the_kind(services: Services) -> None:
    draft = services.lessons.draft(team_id=TEAM, channel_id=PUBLIC, author_id=ANA, text="x #db y")

    with pytest.raises(NotAllowed):
        services.lessons.capture_draft(
            team_id=TEAM, draft_id=draft, kind=LessonKind.KEEP, by_user=BO
        )
    with pytest.raises(NotFound):
        services.lessons.capture_draft(
            team_id=OTHER_TEAM, draft_id=draft, kind=LessonKind.KEEP, by_user=ANA
        )
    saved = services.lessons.capture_draft(
        team_id=TEAM, draft_id=draft, kind=LessonKind.KEEP, by_user=ANA
    )
    assert (saved.lesson.kind, saved.lesson.text, saved.lesson.tags) == (
        LessonKind.KEEP,
        "x #db y",
        ("db",),
    )
    with pytest.raises(NotFound):
        services.lessons.capture_draft(
            team_id=TEAM, draft_id=draft, kind=LessonKind.KEEP, by_user=ANA
        )


def test_undo_removes_the_lesson_for_its_author_only(services: Services) -> None:
    channels(services)
    saved = capture(services, "The canary caught it")

    with pytest.raises(NotAllowed):
        services.lessons.undo(team_id=TEAM, lesson_id=saved.lesson.id, by_user=BO)
    services.lessons.undo(team_id=TEAM, lesson_id=saved.lesson.id, by_user=ANA)

    assert texts(search(services, "canary")) == []
    with pytest.raises(NotFound):
        services.lessons.undo(team_id=TEAM, lesson_id=saved.lesson.id, by_user=ANA)


def test_empty_and_overlong_lessons_are_refused(services: Services) -> None:
    with pytest.raises(InvalidInput):
        capture(services, "   ")
    with pytest.raises(InvalidInput):
        capture(services, "x" * 2001)


def test_prefix_names_the_kind() -> None:
    assert split_kind("Keep: the runbook") == (LessonKind.KEEP, "the runbook")
    assert split_kind("improve:alerts") == (LessonKind.IMPROVE, "alerts")
    assert split_kind("keeping the runbook") == (None, "keeping the runbook")


def test_search_ranks_the_best_match_first_and_stems_words(services: Services) -> None:
    channels(services)
    capture(services, "Deploys on Friday afternoons caused the outage")
    capture(services, "Database migration deployed without a rollback plan; rollback took hours")
    capture(services, "Write the rollback runbook before the release")
    capture(services, "Coffee machine broke")

    page = search(services, "rollback")

    assert texts(page)[0].startswith("Database migration")
    assert set(texts(page)) == {
        "Database migration deployed without a rollback plan; rollback took hours",
        "Write the rollback runbook before the release",
    }
    assert page.total == 2
    assert "Deploys on Friday afternoons caused the outage" in texts(search(services, "deploying"))


@pytest.mark.parametrize(
    "hostile",
    ['"unbalanced', "AND OR NOT", "col:umn", "NEAR(a b)", "*", "a) OR (b", "'; drop table", "^x"],
)
def test_fts_syntax_in_a_query_is_never_an_error(services: Services, hostile: str) -> None:
    channels(services)
    capture(services, "drop the table lock before the migration")

    search(services, hostile)  # no exception is the point; words are matched as words


def test_filters_kind_tag_since_and_channel(services: Services, clock: FrozenClock) -> None:
    channels(services)
    clock.advance(timedelta(days=-40))
    capture(services, "Old deploy lesson #deploys", kind=LessonKind.KEEP)
    clock.advance(timedelta(days=40))
    capture(services, "New deploy lesson #deploys #db")
    capture(services, "Secret deploy lesson #deploys", channel=SECRET, kind=LessonKind.KEEP)
    capture(services, "deploy without tags")

    assert texts(search(services, "deploy kind:keep")) == ["Old deploy lesson #deploys"]
    assert set(texts(search(services, "deploy tag:db"))) == {"New deploy lesson #deploys #db"}
    assert set(texts(search(services, "tag:deploys since:30d", member_of=(SECRET,)))) == {
        "New deploy lesson #deploys #db",
        "Secret deploy lesson #deploys",
    }
    assert texts(
        search(
            services,
            linked("deploy since:2026-11-01 channel:#security", "#security", SECRET),
            member_of=(SECRET,),
        )
    ) == ["Secret deploy lesson #deploys"]
    assert texts(search(services, "deploy channel:#security", member_of=(SECRET,))) == [
        "Secret deploy lesson #deploys"
    ]


def test_channel_filter_takes_a_linked_conversation_by_reference() -> None:
    query = parse_query(linked("canary  channel:#security", "#security", SECRET), today=TODAY)
    assert (query.channel_id, query.channel_name, query.terms) == (SECRET, None, ("canary",))

    by_name = parse_query("canary channel:#Security", today=TODAY)
    assert (by_name.channel_id, by_name.channel_name) == (None, "security")


def test_query_reading() -> None:
    query = parse_query('the "rollback plan" kind:improve tag:#DB since:2w alerts', today=TODAY)
    assert query == SearchQuery(
        text='the "rollback plan" kind:improve tag:#DB since:2w alerts',
        terms=("alerts",),
        phrases=(("rollback", "plan"),),
        kind=LessonKind.IMPROVE,
        tags=("db",),
        since=date(2026, 11, 6),
    )
    assert parse_query("since:1-nov", today=TODAY).since == date(2026, 11, 1)
    assert parse_query("since:dec-1", today=TODAY).since == date(2025, 12, 1)
    with pytest.raises(InvalidInput):
        parse_query("kind:maybe", today=TODAY)
    with pytest.raises(InvalidInput):
        parse_query("since:whenever", today=TODAY)


def test_paging_walks_every_result_once(services: Services) -> None:
    channels(services)
    for i in range(12):
        capture(services, f"alert fatigue number {i}")

    seen: list[str] = []
    offset = 0
    while True:
        page = search(services, "alert", offset=offset, limit=5)
        seen += texts(page)
        assert page.total == 12
        if not page.has_next:
            break
        offset += 5
    assert sorted(seen) == sorted(f"alert fatigue number {i}" for i in range(12))


# Privacy: every path that returns lessons.


def test_private_lessons_are_seen_by_members_only(services: Services) -> None:
    channels(services)
    capture(services, "Rotate the leaked token quickly", channel=SECRET)
    capture(services, "Rotate certificates before expiry", channel=PUBLIC)

    assert texts(search(services, "rotate")) == ["Rotate certificates before expiry"]
    assert set(texts(search(services, "rotate", member_of=(SECRET,)))) == {
        "Rotate the leaked token quickly",
        "Rotate certificates before expiry",
    }
    # Filters do not open a way round it, and the total counts only what may be seen.
    page = search(services, linked("kind:improve channel:#security", "#security", SECRET))
    assert (texts(page), page.total) == ([], 0)


def test_a_channel_never_looked_up_counts_as_private(services: Services) -> None:
    capture(services, "Unknown channel lesson", channel=UNKNOWN)

    assert texts(search(services, "unknown")) == []
    assert texts(search(services, "unknown", member_of=(UNKNOWN,))) == ["Unknown channel lesson"]


def test_nothing_crosses_to_another_team(services: Services) -> None:
    services.lessons.remember_channel(
        team_id=OTHER_TEAM, channel_id=PUBLIC, name="ops", is_private=False
    )
    capture(services, "Other team's public lesson", team=OTHER_TEAM)

    assert texts(search(services, "lesson", member_of=(PUBLIC,))) == []
    assert services.lessons.home(team_id=TEAM, user_id=ANA, member_of=(PUBLIC,)).lessons == ()
    with pytest.raises(NotFound):
        services.lessons.undo(team_id=TEAM, lesson_id=1, by_user=ANA)


def test_home_shows_my_reviews_and_lessons_i_may_see(services: Services) -> None:
    channels(services)
    mine = start(services)
    theirs = start(services, channel=SECRET)
    services.postmortems.start(
        team_id=TEAM,
        channel_id=PUBLIC,
        thread_ref="9.1",
        posted_at=time_of("9.1"),
        title="Bo's review",
        facilitator_id=BO,
    )
    services.postmortems.record_reply(
        team_id=TEAM,
        channel_id=SECRET,
        thread_ref=theirs.thread_ref,
        message_ref="9.2",
        said_at=time_of("9.2"),
        author_id=BO,
        said=Said("I was there"),
        platform=Platform.SLACK,
        event_id=None,
        today=TODAY,
    )
    capture(services, "Public lesson")
    capture(services, "Secret lesson", channel=SECRET)

    home = services.lessons.home(team_id=TEAM, user_id=ANA, member_of=())
    bo_home = services.lessons.home(team_id=TEAM, user_id=BO, member_of=(SECRET,))

    assert {p.id for p in home.postmortems} == {mine.id, theirs.id}
    assert [h.lesson.text for h in home.lessons] == ["Public lesson"]
    assert {p.title for p in bo_home.postmortems} == {"Checkout outage", "Bo's review"}
    assert [h.lesson.text for h in bo_home.lessons] == ["Secret lesson", "Public lesson"]


def test_similar_earlier_lessons_are_found_and_only_citeable_ones(services: Services) -> None:
    channels(services)
    capture(services, "No canary stage for config changes", channel=PUBLIC)
    capture(services, "Config changes skip the canary stage", channel=SECRET)
    capture(services, "We have no canary stage for configuration changes", channel=UNKNOWN)
    capture(services, "The coffee machine is broken again")

    in_public = capture(services, "There was no canary stage for the config change")
    in_secret = capture(services, "config change went out with no canary stage", channel=SECRET)

    assert [h.lesson.text for h in in_public.similar.hits] == ["No canary stage for config changes"]
    assert {h.lesson.text for h in in_secret.similar.hits} == {
        "No canary stage for config changes",
        "There was no canary stage for the config change",
        "Config changes skip the canary stage",
    }
    assert services.lessons.similar_to(team_id=TEAM, lesson_id=in_public.lesson.id) == (
        in_public.similar
    )


def test_search_is_one_statement_whatever_the_number_of_hits(services: Services) -> None:
    channels(services)
    for i in range(30):
        capture(services, f"alert noise {i}", channel=PUBLIC if i % 2 else SECRET)

    with statements(services.engine) as seen:
        page = search(services, "alert kind:improve", member_of=(SECRET,), limit=20)

    assert (len(page.hits), page.total) == (20, 30)
    # SQLite's BEGIN IMMEDIATE aside, nothing but the one SELECT: no planner settings.
    sent = [s for s in seen if not s.lstrip().upper().startswith("BEGIN")]
    assert len(sent) == 1 and sent[0].lstrip().upper().startswith("SELECT"), seen


@pytest.mark.postgres
@pytest.mark.skipif(not PG_URL, reason="LESSONLOOP_TEST_DATABASE_URL is not set")
def test_postgresql_search_indexes_take_new_lessons_without_a_pending_list() -> None:
    # A GIN pending list is scanned whole by every search and makes the planner pass the
    # index over for a full table scan; the migrations must leave both indexes without one.
    with empty_postgresql_schema(PG_URL) as url:
        engine = make_engine(url)
        try:
            upgrade_schema(engine)
            with engine.connect() as connection:
                options = dict(
                    connection.execute(
                        sql(
                            "SELECT c.relname, c.reloptions FROM pg_class AS c"
                            " WHERE c.relname = ANY(:names)"
                            " AND c.relnamespace = current_schema()::regnamespace"
                        ),
                        {"names": [POSTGRES_VECTOR_INDEX, POSTGRES_TAGS_INDEX]},
                    ).all()
                )
        finally:
            engine.dispose()
    assert options == {
        POSTGRES_VECTOR_INDEX: ["fastupdate=off"],
        POSTGRES_TAGS_INDEX: ["fastupdate=off"],
    }


def reply_lesson(services: Services, pm: PostmortemView, text: str):  # type: ignore[no-untyped-def]
    for phase in (Phase.IMPACT, Phase.TIMELINE, Phase.WENT_WELL):
        if services.postmortems.get(team_id=TEAM, postmortem_id=pm.id).phase is phase:
            services.postmortems.move(
                team_id=TEAM, postmortem_id=pm.id, from_phase=phase, move=Move.NEXT, by_user="U0FAC"
            )
    outcome = services.postmortems.record_reply(
        team_id=TEAM,
        channel_id=pm.channel_id,
        thread_ref=pm.thread_ref,
        message_ref=f"1795176000.{next(_ts):06d}",
        said_at=time_of(f"1795176000.{next(_ts):06d}"),
        author_id=BO,
        said=Said(text),
        platform=Platform.SLACK,
        event_id=None,
        today=TODAY,
    )
    assert outcome is not None and outcome.lesson is not None
    return outcome.lesson


def test_after_a_reply_lesson_three_statements_find_citeable_earlier_lessons(
    services: Services,
) -> None:
    channels(services)
    for i in range(12):
        capture(services, f"No canary stage for config changes, week {i}", channel=PUBLIC)
    capture(services, "Config changes skip the canary stage", channel=SECRET)
    pm = start(services, channel=UNKNOWN)
    own = reply_lesson(services, pm, "Config changes skipped the canary stage")
    lesson = reply_lesson(services, pm, "No canary stage for the config changes again")

    with statements(services.engine) as seen:
        after = services.lessons.after_reply(team_id=TEAM, channel_id=UNKNOWN, lesson=lesson)

    assert len([s for s in seen if s.lstrip().upper().startswith("SELECT")]) == 3, seen
    assert not after.channel_known
    assert (after.similar.seen, len(after.similar.hits)) == (12, 5)  # five are cited
    assert all(h.channel_id == PUBLIC for h in after.similar.hits)  # not SECRET, not own review
    assert own.id not in {hit.lesson.id for hit in after.similar.hits}
    services.lessons.remember_channel(team_id=TEAM, channel_id=UNKNOWN, name="x", is_private=True)
    assert services.lessons.after_reply(
        team_id=TEAM, channel_id=UNKNOWN, lesson=lesson
    ).channel_known


def test_a_keep_lesson_is_not_cited_as_an_earlier_improve_lesson(services: Services) -> None:
    channels(services)
    capture(services, "Canary stage for config changes", kind=LessonKind.KEEP)
    capture(services, "DB failover was too slow")

    improve = capture(services, "Config changes need a canary stage")
    again = capture(services, "The database failover was far too slow again")

    assert improve.similar.seen == 0
    assert [h.lesson.text for h in again.similar.hits] == ["DB failover was too slow"]


def test_browsing_by_filters_lists_the_newest_first_and_tags_match_whole(
    services: Services, clock: FrozenClock
) -> None:
    channels(services)
    for text in ("Newest #deploys", "Older #deploys", "Oldest #deploys"):
        capture(services, text)  # ids rise while the lessons get older
        clock.advance(timedelta(days=-1))

    assert texts(search(services, "tag:deploys")) == [
        "Newest #deploys",
        "Older #deploys",
        "Oldest #deploys",
    ]
    assert texts(search(services, "tag:deploy")) == []
    assert texts(search(services, "tag:deploys kind:improve", limit=2, offset=1)) == [
        "Older #deploys",
        "Oldest #deploys",
    ]


def test_tags_match_whole_tags_exactly_with_or_without_words(services: Services) -> None:
    # SQLite's full-text index matches a tag's words (stemmed, split at - and _); the
    # exact test behind it keeps "on" from finding #on-call and "deploy" from #deploys.
    channels(services)
    capture(services, "Paging worked #on-call #deploys")
    capture(services, "Paging was slow #on_call #deploy")
    capture(services, "Paging noise #on #call_out")

    for query, expected in {
        "tag:on-call": {"Paging worked #on-call #deploys"},
        "tag:on_call": {"Paging was slow #on_call #deploy"},
        "tag:on": {"Paging noise #on #call_out"},
        "tag:call": set(),
        "tag:deploy": {"Paging was slow #on_call #deploy"},
        "tag:%": set(),
        "tag:o_-call": set(),
        "tag:---": set(),
    }.items():
        assert set(texts(search(services, query))) == expected, query
        assert set(texts(search(services, f"paging {query}"))) == expected, query
        assert search(services, query).total == len(expected), query


def test_a_word_matching_more_than_the_cap_ranks_the_newest_matches(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Ranking every match of a common word grew with the library; the newest COUNT_CAP + 1
    # are ranked and the total says "more than COUNT_CAP".
    monkeypatch.setattr("models.lessons.library.COUNT_CAP", 3)
    monkeypatch.setattr("models.lessons.library._statement", _fresh_statements())
    channels(services)
    capture(services, "Rollback rollback rollback: the oldest and best match")
    for i in range(4):
        capture(services, f"Lesson {i} mentions a rollback once among many other words")
    capture(services, "Rollback, twice: rollback", channel=SECRET)  # not readable here

    page = search(services, "rollback")

    assert page.total == 4
    assert page.total_label == "more than 3"
    assert "Rollback rollback rollback: the oldest and best match" not in texts(page)
    assert len(texts(search(services, "rollback", limit=10))) == 4
    # A narrower search reaches it.
    assert texts(search(services, "rollback oldest")) == [
        "Rollback rollback rollback: the oldest and best match"
    ]
    # Within the window the best match still comes first.
    assert texts(search(services, "rollback", member_of=(SECRET,)))[0] == (
        "Rollback, twice: rollback"
    )


def _fresh_statements():  # type: ignore[no-untyped-def]
    """The search statement builder without the statements cached under other settings."""
    from functools import lru_cache

    from models.lessons import library

    return lru_cache(maxsize=8)(library._statement.__wrapped__)


def test_an_old_lesson_sharing_a_rare_word_is_found_behind_many_newer_common_ones(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Each word brings only its latest SIMILAR_PER_WORD lessons (the check must not grow
    # with the library), so a common word's old lessons drop out, but a rare word still
    # brings all of its few.
    monkeypatch.setattr("models.lessons.library.SIMILAR_PER_WORD", 3)
    channels(services)
    old = capture(services, "Pgbouncer pool exhausted during the deploy")
    for i in range(6):
        capture(services, f"Deploy number {i} had a slow deploy step")

    found = capture(services, "Pgbouncer pool exhausted again")
    assert [h.lesson.id for h in found.similar.hits] == [old.lesson.id]

    monkeypatch.setattr("models.lessons.library.SIMILAR_PER_WORD", 0)
    assert capture(services, "Pgbouncer pool exhausted once more").similar.hits == ()


def test_similar_lessons_follow_edits_and_deletions_of_earlier_lessons(
    services: Services,
) -> None:
    # The candidates come from an index kept by triggers (FTS5 on SQLite, lesson_terms on
    # PostgreSQL): an edited lesson is found by its new words only, a deleted one not at all.
    channels(services)
    edited = capture(services, "The pager rota had gaps over the holidays")
    kept = capture(services, "DNS changes skipped review and broke email")
    with services.engine.begin() as connection:
        connection.execute(
            sql("UPDATE lessons SET text = :text WHERE id = :id"),
            {"text": "Backups were never restored in a drill", "id": edited.lesson.id},
        )

    assert capture(services, "Gaps in the pager rota over the holidays").similar.seen == 0
    restore = capture(services, "We never restored backups in a drill")
    assert [h.lesson.id for h in restore.similar.hits] == [edited.lesson.id]

    services.lessons.undo(team_id=TEAM, lesson_id=kept.lesson.id, by_user=ANA)
    assert capture(services, "DNS changes skipped review, email broke").similar.seen == 0
