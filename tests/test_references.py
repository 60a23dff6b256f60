"""The translation between Slack-shaped test literals and Teams-shaped references."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import NamedTuple

import pytest

from models.core.references import Platform
from tests.references import References, Shape

SLACK_IDS = ["T0TEAM", "T0OTHER", "C0INCIDENT", "C0OPS", "G0PRIVATE", "D0DM1", "B0BOT"]
PEOPLE = ["U0001", "U07BOBBY1", "U0ABC123", "U0BEA", "U0BEAX", "U0BO", "U0CAI", "W0XYZ99"]


@dataclass(frozen=True, slots=True)
class Said:
    text: str
    mentions: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Mention:
    ref: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Spoken:
    text: str
    mentions: tuple[Mention, ...]


class Pair(NamedTuple):
    who: str
    count: int


def test_each_kind_becomes_a_realistic_teams_reference() -> None:
    refs = References(Shape.TEAMS)

    assert re.fullmatch(r"[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}", refs.teams_id("T0TEAM"))
    assert re.fullmatch(r"19:[0-9a-f]{32}@thread\.tacv2", refs.teams_id("C0INCIDENT"))
    person = refs.teams_id("U0BEA")
    assert person.startswith("29:1")
    assert 70 <= len(person) <= 90
    assert refs.teams_id("D0DM1").startswith("a:1")
    assert refs.teams_id("B0BOT").startswith("28:")
    assert refs.teams_id("1795168800.000100") == "1795168800100"


def test_references_are_one_to_one_and_keep_the_order_of_their_kind() -> None:
    refs = References(Shape.TEAMS)

    teams = [refs.teams_id(slack) for slack in PEOPLE]

    assert len(set(teams)) == len(PEOPLE)
    assert sorted(teams) == teams  # PEOPLE is in Slack order
    assert sorted(refs.teams_id(s) for s in SLACK_IDS[:2]) == [
        refs.teams_id("T0OTHER"),
        refs.teams_id("T0TEAM"),
    ]


def test_values_go_in_teams_shaped_and_come_back_unchanged() -> None:
    refs = References(Shape.TEAMS)
    value = {
        "team_id": "T0TEAM",
        "said": Said("action: rotate keys @U0CAI by friday, see <#C0OPS|ops>", ("U0CAI",)),
        "rows": [Pair("U0BEA", 2), ("1795176000.000001", None)],
        "people": frozenset({"U0DAN"}),
    }

    inside = refs.inward(value)

    flat = repr(inside)
    assert not re.search(r"\b[TUC]0[A-Z]+\b|1795176000\.000001", flat), flat
    assert isinstance(inside["said"], Said)
    assert isinstance(inside["rows"][0], Pair)
    assert "@29:1" in inside["said"].text
    assert "<#19:" in inside["said"].text
    assert refs.outward(inside) == value


def test_words_and_numbers_of_free_text_are_left_alone() -> None:
    refs = References(Shape.TEAMS)
    text = "TODO: ask the CEO about B2B, Release 4.1, 14% of users, ticket #1 and 2026-12-01"

    assert refs.inward(text) == text


def test_slack_shape_is_the_identity() -> None:
    refs = References(Shape.SLACK)
    value = ("T0TEAM", ["U0BEA"], Said("@U0CAI", ()))

    assert refs.inward(value) is value
    assert refs.outward(value) is value


def test_two_literals_that_would_become_one_reference_are_refused() -> None:
    refs = References(Shape.TEAMS)
    refs.teams_id("1795168800.001000")

    with pytest.raises(AssertionError, match="would both become"):
        refs.teams_id("1795168801.000000")


def test_a_slack_shaped_reader_fails_on_teams_references() -> None:
    """What the Teams run is for: code that reads Slack id shapes finds nothing."""
    slack_mention = re.compile(r"@([UW][A-Z0-9]{2,})\b")
    for shape, found in ((Shape.SLACK, ["U0CAI"]), (Shape.TEAMS, [])):
        text = References(shape).inward("action: add alerts @U0CAI")
        assert slack_mention.findall(text) == found


def test_offsets_into_a_text_follow_the_translated_text() -> None:
    refs = References(Shape.TEAMS)
    text = "C0OPS: @U0CAI and @U0BEA"
    spoken = Spoken(text, (Mention("U0CAI", 7, 13), Mention("U0BEA", 18, 24)))

    inside = refs.inward(spoken)

    assert inside.text.startswith("19:")
    assert [inside.text[m.start : m.end] for m in inside.mentions] == ["@U0CAI", "@U0BEA"]
    assert all(m.ref.startswith("29:1") for m in inside.mentions)
    assert refs.outward(inside) == spoken


def test_the_platform_changes_with_the_shape_and_other_enums_do_not() -> None:
    refs = References(Shape.TEAMS)

    inside = refs.inward({"platform": Platform.SLACK, "shape": Shape.SLACK})

    assert inside == {"platform": Platform.TEAMS, "shape": Shape.SLACK}
    assert refs.outward(inside) == {"platform": Platform.SLACK, "shape": Shape.SLACK}
