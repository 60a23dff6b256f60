"""Every template renders with sample data, and user text comes out harmless."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from handlers.slack.blocks import Blocks, Message, paginate
from handlers.slack.lesson_blocks import LessonBlocks
from handlers.slack.review_blocks import Intro, ReviewBlocks
from handlers.slack.workspace_settings import settings_message
from models.actions.tables import ActionStatus
from models.actions.views import ActionView, TrendPoint
from models.coach.blame import assess
from models.core.workspaces import ReviewDefaults, WorkspaceSettings
from models.followup.cadence import parse_cadence
from models.followup.views import (
    AgendaView,
    ListingView,
    MeetingView,
    ScheduleView,
    Scope,
    ScopeKind,
    Unreachable,
)
from models.lessons.library import Capture, Home, LessonHit, Recurrence, SearchPage, parse_query
from models.lessons.tables import LessonKind
from models.lessons.views import LessonView
from models.postmortems.phases import ORDER, Phase
from models.postmortems.tables import PostmortemKind, PostmortemStatus
from models.postmortems.views import AnswerView, PostmortemView, Summary, TimelineView
from templates import TemplateProblem, Templates, escape_mrkdwn, link, mention
from tests.okrdata import okr_messages
from tests.reportdata import board_summary

HOSTILE = "<!channel> <@U0VICTIM> & <https://evil.example|click> *bold* ```code``` ‏שלום :fire:"
AT = datetime(2026, 11, 20, 10, tzinfo=UTC)


def postmortem(title: str = HOSTILE) -> PostmortemView:
    return PostmortemView(
        id=1,
        team_id="T1",
        channel_id="C1",
        thread_ref="1.0",
        permalink="https://fake.slack.test/archives/C1/p10",
        title=title,
        kind=PostmortemKind.INCIDENT,
        facilitator_id="U0FACIL01",
        status=PostmortemStatus.CLOSED,
        phase=Phase.WRAP_UP,
        prompt_ref=None,
        skipped=(Phase.TIMELINE,),
        created_at=AT,
        closed_at=AT,
    )


def action(description: str = HOSTILE) -> ActionView:
    return ActionView(
        id=1,
        description=description,
        owner_id="U0BEA0002",
        target_on=date(2026, 12, 4),
        status=ActionStatus.OPEN,
        lesson_id=None,
        postmortem_id=1,
        channel_id="C1",
        created_by="U0CAI0003",
    )


def summary() -> Summary:
    answer = AnswerView(1, Phase.IMPACT, "U0BEA0002", HOSTILE, "2.0", AT, AT)
    lessons = tuple(
        LessonView(i, kind, HOSTILE, "U0BEA0002", ("tag",), 1, AT)
        for i, kind in enumerate(LessonKind)
    )
    return Summary(postmortem(), {Phase.IMPACT: (answer,)}, lessons, (action(),), ("U0BEA0002",))


def timeline(count: int = 3) -> tuple[TimelineView, ...]:
    """Entries added out of order, the last without a link."""
    return tuple(
        TimelineView(
            id=i,
            text=f"{HOSTILE}\nstep {i}",
            occurred_at=AT + timedelta(minutes=(count - i) * 7),
            author_id="U0CAI0003",
            link=f"https://fake.slack.test/archives/C1/p{i}" if i < count - 1 else None,
        )
        for i in range(count)
    )


@pytest.fixture
def blocks() -> Blocks:
    return Blocks(Templates())


def every_message(blocks: Blocks) -> dict[str, list[str]]:
    pm = postmortem()
    rendered = {
        "root": [
            blocks.root(title=HOSTILE, kind="incident", facilitator_id="U0FACIL01", closed=c)
            for c in (False, True)
        ],
        "phase_prompt": [blocks.phase_prompt(replace(pm, phase=p)) for p in ORDER]
        + [blocks.phase_prompt(replace(pm, phase=Phase.WENT_WELL), [hit().lesson] * 21)]
        + [blocks.phase_prompt(replace(pm, phase=Phase.TIMELINE), (), timeline(21))],
        "help": [blocks.help()],
        "open_list": [blocks.open_list([pm]), blocks.open_list([])],
        "summary": blocks.summary(summary())
        + blocks.summary(replace(summary(), timeline=timeline())),
        "owner_actions": [blocks.owner_actions(pm, [action(), action("second")])],
        "action_added": [blocks.action_added(action())],
        "coach_nudge": [blocks.coach_nudge(assess(f"{HOSTILE} Bob forgot to check, his fault"))],
        "board_summary": [
            *blocks.board_summary(board_summary(HOSTILE)),
            *blocks.board_summary(board_summary(releases=False)),
        ],
        "coach_setting": [
            blocks.coach_setting(enabled=True, by_user="U0FACIL01"),
            blocks.coach_setting(enabled=False),
        ],
        "workspace_settings": workspace_settings_messages(blocks),
        **review_messages(blocks),  # follow-through (issue 3)
        **lesson_messages(blocks),
        "okr": okr_messages(blocks.templates, HOSTILE),
    }
    return {
        name: [
            m["text"] + "\n".join(b["text"]["text"] for b in m["blocks"] if "text" in b)
            for m in messages
        ]
        for name, messages in rendered.items()
    }


def workspace_settings_messages(blocks: Blocks) -> list[Message]:
    settings = WorkspaceSettings(
        team_id="T0TEAM01",
        platform="slack",
        timezone="Europe/Paris",
        coach_enabled=False,
        review=ReviewDefaults(),
        updated_at=AT,
        updated_by=None,
    )
    weekly = ReviewDefaults(cadence="weekly", weekday=1, local_time="09:30", lead_days=3)
    return [
        settings_message(blocks, settings),
        settings_message(blocks, replace(settings, review=weekly), by_user="U0FACIL01"),
    ]


def test_workspace_settings_show_the_zone_and_the_review_defaults(blocks: Blocks) -> None:
    plain, weekly = every_message(blocks)["workspace_settings"]
    assert "*Time zone:* Europe/Paris" in plain and "*Blameless coach:* off" in plain
    assert "a channel says how often" in plain
    assert "every Tuesday at 09:30 (Europe/Paris)" in weekly
    assert "reminded 3 days before" in weekly and "<@U0FACIL01> changed" in weekly


def test_every_template_file_is_rendered_by_a_builder(blocks: Blocks) -> None:
    names = {Path(name).name.removesuffix(".j2") for name in Templates().names()}
    assert names == set(every_message(blocks))


def test_user_text_is_escaped_everywhere(blocks: Blocks) -> None:
    for name, texts in every_message(blocks).items():
        for text in texts:
            assert "<!channel>" not in text, name
            assert "<@U0VICTIM>" not in text, name
            assert "<https://evil.example" not in text, name


def test_our_own_mentions_and_links_survive(blocks: Blocks) -> None:
    texts = every_message(blocks)
    assert "<@U0FACIL01>" in texts["root"][0]
    assert "<@U0BEA0002>" in texts["summary"][0]
    assert "<https://fake.slack.test/archives/C1/p10|" in texts["owner_actions"][0]
    assert "&lt;!channel&gt;" in texts["summary"][0]


def test_summary_marks_skipped_steps_and_lists_lessons_by_kind(blocks: Blocks) -> None:
    text = every_message(blocks)["summary"][0]
    assert "*Timeline*\n_Skipped._" in text
    assert "Keep: " in text and "Improve: " in text


@pytest.mark.parametrize("bad", ["U0BAD><!channel", "<!here>", "not-an-id"])
def test_mention_filter_only_mentions_real_ids(bad: str) -> None:
    assert "<!" not in mention(bad) and "<@" not in mention(bad)


def test_link_ignores_non_http_urls() -> None:
    assert link("javascript:alert(1)", "x") == "x"
    assert escape_mrkdwn("a|b") == "a|b"
    assert "¦" in link("https://a.example", "a|b")


def test_paginate_never_exceeds_block_or_section_limits() -> None:
    messages = paginate("\n".join("x" * 2999 for _ in range(120)))
    assert len(messages) == 3
    assert all(len(m["blocks"]) <= 50 for m in messages)
    assert all(len(b["text"]["text"]) <= 3000 for m in messages for b in m["blocks"])


def test_a_broken_override_template_names_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "slack").mkdir()
    (tmp_path / "slack" / "help.j2").write_text("line one\n{% if %}\n")
    with pytest.raises(TemplateProblem, match=r"help\.j2, line 2"):
        Templates(tmp_path).slack("help")


def test_an_override_template_replaces_the_shipped_one(tmp_path: Path) -> None:
    (tmp_path / "slack").mkdir()
    (tmp_path / "slack" / "help.j2").write_text("Our own help for {{ team }}")
    assert Templates(tmp_path).slack("help", team="<ops>") == "Our own help for &lt;ops&gt;"


def test_coach_nudge_gives_reasons_and_questions(blocks: Blocks) -> None:
    text = every_message(blocks)["coach_nudge"][0]
    assert "blameless coach" in text and "•" in text


def review_messages(blocks: Blocks) -> dict[str, list[Message]]:
    review_blocks = ReviewBlocks(blocks)
    cadence = parse_cadence(
        "monthly first tuesday 10:00 Europe/London", default_timezone="UTC", today=AT.date()
    )
    schedule = ScheduleView("T1", "C1", cadence, (AT, AT), "U0FACIL01")
    review = MeetingView(1, "T1", "C1", AT, "Europe/London")
    done = replace(action(), id=2, status=ActionStatus.DONE)
    listings = [
        ListingView(
            Scope(ScopeKind.MEETING, "U0BEA0002", 1),
            (action(), done),
            AT.date(),
            2,
            review,
            frozenset({2}),
        ),
        ListingView(Scope(ScopeKind.OWNER, "U0BEA0002"), (action(),), date(2027, 1, 1), 1),
        ListingView(Scope(ScopeKind.CHANNEL, "C1"), (), AT.date(), 0),
    ]
    point = TrendPoint(AT, 3, 2)
    agenda = AgendaView(
        review,
        AT.date(),
        (("U0BEA0002", (action(),)),),
        (done,),
        AT,
        ("U0BEA0002",),
        (Unreachable("U0CAI0003", "user_not_found"),),
        point,
        (replace(point, open_actions=5),),
    )
    lists = [
        review_blocks.action_list(listing, intro=intro, viewer="U0BEA0002")
        for listing in listings
        for intro in Intro
        if listing.review or intro not in (Intro.REMINDER, Intro.FOLLOWUP)
    ]
    return {
        "review_schedule": [
            review_blocks.schedule(schedule),
            review_blocks.schedule(schedule, by_user="U0FACIL01"),
            review_blocks.schedule(None),
            review_blocks.schedule(None, by_user="U0FACIL01", removed=True),
        ],
        "action_list": lists,
        "action_item": lists,
        "review_agenda": review_blocks.agenda(agenda),
    }


def test_agenda_says_whether_the_pile_shrank_and_who_was_unreachable(blocks: Blocks) -> None:
    text = every_message(blocks)["review_agenda"][0]
    assert "the pile shrank" in text
    assert "<@U0CAI0003> (`user_not_found`)" in text
    assert "&lt;!channel&gt;" in text


def test_action_listing_has_update_buttons_within_slack_limits(blocks: Blocks) -> None:
    many = tuple(replace(action(), id=i) for i in range(300))
    listing = ListingView(Scope(ScopeKind.CHANNEL, "C1"), many, AT.date(), 300)
    message = ReviewBlocks(blocks).action_list(listing, intro=Intro.LISTING, viewer="U0X")
    assert len(message["blocks"]) <= 50
    actions = [b for b in message["blocks"] if b["type"] == "actions"]
    assert len(actions) == 20
    assert all(len(b["elements"]) <= 25 and len(b["block_id"]) <= 255 for b in actions)
    assert all(len(b["text"]["text"]) <= 3000 for b in message["blocks"] if b["type"] == "section")
    assert "first 20 of 300" in message["blocks"][-1]["elements"][0]["text"]


# Issue 4: lessons, the library and App Home.


def hit(text: str = HOSTILE) -> LessonHit:
    lesson = LessonView(7, LessonKind.IMPROVE, text, "U0BEA0002", ("tag",), 1, AT)
    return LessonHit(lesson, "C1", HOSTILE, HOSTILE, "https://fake.slack.test/archives/C1/p2")


def lesson_messages(blocks: Blocks) -> dict[str, list[Message]]:
    lb = LessonBlocks(blocks.templates)
    pm = replace(postmortem(), status=PostmortemStatus.OPEN)
    capture = Capture(hit().lesson, pm, "C1", Recurrence(1, (hit(),)))
    query = parse_query(HOSTILE, today=AT.date())
    home = Home((pm,), (hit(),))
    cadence = parse_cadence("weekly friday 16:00", default_timezone="UTC", today=AT.date())
    reviews = ReviewBlocks(blocks).next_reviews
    sections = [
        *lb.home_sections(home, user_id="U0FACIL01"),
        reviews([ScheduleView("T1", "C1", cadence, (AT,), "U0FACIL01")]),
    ]
    empty = [*lb.home_sections(Home((), ()), user_id="U0FACIL01"), reviews([])]
    return {
        "lessons_help": [lb.help()],
        "lesson_kind": [lb.kind_question(text=HOSTILE, draft_id=3)],
        "lesson_saved": [lb.saved(capture), lb.saved(replace(capture, postmortem=None))],
        "lesson_similar": [lb.similar(Recurrence(7, (hit(),) * 5))],
        "lesson_results": [
            lb.results(SearchPage(query, (hit(),), 12, 5)),
            lb.results(SearchPage(query, (), 0, 0)),
            lb.results(SearchPage(query, (hit(),), 1001, 0)),
        ],
        "lesson_hit": [lb.results(SearchPage(query, (hit(),), 1, 0))],
        "timeline_added": [
            lb.timeline_added(postmortem=pm, text=HOSTILE, at="10:42"),
            lb.timeline_added(postmortem=None, text=HOSTILE, at="10:42"),
        ],
        "home": [{"text": s.text, "blocks": []} for s in [*sections, *empty]],
    }


def test_search_results_page_with_buttons_that_carry_the_query(blocks: Blocks) -> None:
    lb = LessonBlocks(blocks.templates)
    query = parse_query("canary kind:improve", today=AT.date())
    message = lb.results(SearchPage(query, (hit(),) * 5, 12, 5))
    buttons = message["blocks"][-1]["elements"]
    assert [b["value"] for b in buttons] == ["0|canary kind:improve", "10|canary kind:improve"]
    assert "12 lessons" in message["text"]
    assert "newest" not in message["text"]


def test_a_search_past_the_cap_says_it_ranked_the_newest(blocks: Blocks) -> None:
    lb = LessonBlocks(blocks.templates)
    words, browse = (parse_query(q, today=AT.date()) for q in ("canary", "kind:improve"))

    ranked = lb.results(SearchPage(words, (hit(),) * 5, 1001, 0))["text"]
    browsed = lb.results(SearchPage(browse, (hit(),) * 5, 1001, 0))["text"]

    assert "more than 1,000 lessons" in ranked
    assert "the best of the newest matches; add a word or a filter" in ranked
    assert "more than 1,000 lessons" in browsed and "newest" not in browsed


def test_timeline_entries_are_listed_oldest_first_in_the_teams_time_zone() -> None:
    pm = replace(postmortem(), phase=Phase.TIMELINE, skipped=())
    zones = {pm.team_id: ZoneInfo("America/New_York")}
    blocks = Blocks(Templates(), lambda team_id: zones.get(team_id, ZoneInfo("Asia/Tokyo")))

    message = blocks.phase_prompt(pm, (), timeline(21))
    prompt = "\n".join(b["text"]["text"] for b in message["blocks"] if "text" in b)
    closing = "\n".join(
        b["text"]["text"]
        for m in blocks.summary(replace(summary(), postmortem=pm, timeline=timeline()))
        for b in m["blocks"]
    )

    # AT is 10:00 UTC, 05:00 in New York; the last entry added is the earliest.
    assert "times in America/New_York" in prompt
    assert prompt.index("Fri 20 Nov 05:07: ") < prompt.index("Fri 20 Nov 05:14: ")
    assert "Fri 20 Nov 07:20: <https://fake.slack.test/archives/C1/p1|" in prompt
    assert "…and 1 more." in prompt
    assert all(len(b["text"]["text"]) <= 3000 for b in message["blocks"] if "text" in b)
    timeline_part = closing.split("*Timeline*")[1].split("*What went well?*")[0]
    assert [line[:20] for line in timeline_part.splitlines() if line.startswith("•")] == [
        "• Fri 20 Nov 05:07: ",
        "• Fri 20 Nov 05:14: ",
        "• Fri 20 Nov 05:21: ",
    ]
    assert "_Nothing recorded._" not in timeline_part
    assert "&lt;!channel&gt;" in timeline_part and "<!channel>" not in timeline_part
