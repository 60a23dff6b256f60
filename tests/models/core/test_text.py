"""Text from outside, cleaned once: storable in both databases, never longer than asked."""

from __future__ import annotations

from datetime import date

import pytest

from handlers.slack.markup import read_plain
from handlers.slack.messages import time_of
from models.core.references import Platform
from models.core.text import MESSAGE_LIMIT, TRUNCATION_MARKER, Said, clean_text
from models.postmortems.phases import Phase
from models.services import Services


def test_lone_surrogates_become_replacement_characters() -> None:
    assert clean_text("a\ud800b\udfffc", limit=100) == "a\ufffdb\ufffdc"


def test_a_surrogate_pair_split_in_two_is_joined_into_its_character() -> None:
    assert clean_text("ok \ud83d\ude00", limit=100) == "ok \U0001f600"


def test_nul_and_control_characters_are_removed_but_tab_and_newline_kept() -> None:
    text = "a\x00b\x07c\nd\te\x1bf\x7fg\x85h\x9fi"

    assert clean_text(text, limit=100) == "abc\nd\tefghi"


def test_carriage_returns_become_line_breaks() -> None:
    assert clean_text("one\r\ntwo\rthree", limit=100) == "one\ntwo\nthree"


def test_text_at_the_limit_is_kept_whole() -> None:
    assert clean_text("x" * 50, limit=50) == "x" * 50


def test_longer_text_is_cut_to_the_limit_with_a_visible_marker() -> None:
    cleaned = clean_text("word " * 100, limit=60)

    assert len(cleaned) == 60
    assert cleaned.endswith(TRUNCATION_MARKER)
    assert cleaned.startswith("word word")


def test_limit_counts_characters_after_cleaning() -> None:
    assert clean_text("\x00" * 10 + "abc", limit=20) == "abc"


def test_a_limit_without_room_for_the_marker_is_refused() -> None:
    with pytest.raises(ValueError, match="limit"):
        clean_text("text", limit=3)


def test_slack_text_is_cleaned_and_capped_once_read() -> None:
    plain = read_plain("<@U0BEA> said \x00hi\ud800 " + "a" * MESSAGE_LIMIT)

    assert plain.startswith("@U0BEA said hi\ufffd a")
    assert len(plain) == MESSAGE_LIMIT
    assert plain.endswith(TRUNCATION_MARKER)
    plain.encode("utf-8")


HOSTILE = "we lost \x00the\ud800 cache\x01, \ud83d\ude00 then " + "é" * 10


def test_cleaned_reply_is_stored_and_read_back(services: Services) -> None:
    pm = services.postmortems.start(
        team_id="T0TEAM",
        channel_id="C0INCIDENT",
        thread_ref="1763632800.000100",
        posted_at=time_of("1763632800.000100"),
        title=clean_text("Checkout \x00outage\udc00", limit=200),
        facilitator_id="U0FACIL",
    )
    services.postmortems.record_reply(
        team_id="T0TEAM",
        channel_id="C0INCIDENT",
        thread_ref="1763632800.000100",
        message_ref="1763640000.000001",
        said_at=time_of("1763640000.000001"),
        author_id="U0BEA",
        said=Said(read_plain(HOSTILE)),
        platform=Platform.SLACK,
        event_id="Ev00000001",
        today=date(2026, 11, 20),
    )

    summary = services.postmortems.summary(team_id="T0TEAM", postmortem_id=pm.id)
    assert summary.postmortem.title == "Checkout outage\ufffd"
    assert [a.text for a in summary.answers[Phase.IMPACT]] == [
        "we lost the\ufffd cache, \U0001f600 then " + "é" * 10
    ]
