"""Slack markup is read once, into plain text plus mentions and links, and written back."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from handlers.slack.markup import read, read_plain, write
from models.core.text import MESSAGE_LIMIT, TRUNCATION_MARKER, Mention, Said

MODELS = Path(__file__).parents[3] / "models"


def test_a_mention_becomes_a_readable_placeholder_and_a_person_reference() -> None:
    said = read("action: rotate keys <@U0CAI> by friday, cc <@W0BEA|bea>")

    assert said.text == "action: rotate keys @U0CAI by friday, cc @bea"
    assert said.mentions == (Mention("U0CAI", 20, 26), Mention("W0BEA", 41, 45))
    assert [said.text[m.start : m.end] for m in said.mentions] == ["@U0CAI", "@bea"]


def test_channel_links_are_plain_text_with_their_conversation() -> None:
    said = read("search channel:<#C0SEC|security> and <#C0OPS>")

    assert said.text == "search channel:#security and #C0OPS"
    assert said.conversations == (Mention("C0SEC", 15, 24), Mention("C0OPS", 29, 35))
    assert said.conversation_at(15) == Mention("C0SEC", 15, 24)
    assert said.mentions == ()


@pytest.mark.parametrize(
    ("slack", "plain"),
    [
        ("<!channel> <!here|here> <!everyone>", "@channel @here @everyone"),
        ("<!subteam^S0DBA|@dba-team> please look", "@dba-team please look"),
        ("<!subteam^S0DBA>", "@group"),
        ("<!date^1392734382^{date}|Feb 18th, 2014>", "Feb 18th, 2014"),
        ("see <https://status.example/x|the status page>", "see the status page (https://status.example/x)"),
        ("<https://status.example/x?a=1&amp;b=2>", "https://status.example/x?a=1&b=2"),
        ("<mailto:ops@example.org|ops@example.org>", "ops@example.org (mailto:ops@example.org)"),
        ("<mailto:ops@example.org>", "ops@example.org"),
        ("a &lt;b&gt; &amp;&amp; c", "a <b> && c"),
        (":facepalm: :man-facepalming: :+1::skin-tone-2:", "🤦 🤦\u200d♂\ufe0f 👍🏻"),
        ("our :partyparrot: stays, as does 10:30:45", "our :partyparrot: stays, as does 10:30:45"),
        ("unclosed <@U0CAI and <#C0", "unclosed <@U0CAI and <#C0"),
    ],
)  # fmt: skip
def test_everything_else_becomes_what_a_person_reads(slack: str, plain: str) -> None:
    said = read(slack)
    assert said.text == plain
    assert said.mentions == said.conversations == ()


def test_text_is_cleaned_piece_by_piece_without_moving_mentions() -> None:
    said = read("\x00a\r\n<@U0CAI>\x01 b\ud800 <#C0OPS|ops>")

    assert said.text == "a\n@U0CAI b\ufffd #ops"
    assert [said.text[m.start : m.end] for m in said.mentions] == ["@U0CAI"]
    assert [said.text[c.start : c.end] for c in said.conversations] == ["#ops"]


def test_long_text_is_capped_and_mentions_past_the_cut_are_dropped() -> None:
    said = read("<@U0CAI> " + "a" * MESSAGE_LIMIT + " <@U0BEA>")

    assert len(said.text) == MESSAGE_LIMIT
    assert said.text.endswith(TRUNCATION_MARKER)
    assert said.mentions == (Mention("U0CAI", 0, 6),)


def test_reading_is_linear_on_hostile_markup() -> None:
    for hostile in ("<#C1|" * 8_000, "<" * 40_000, ":a" * 20_000, "<@U1>" * 8_000):
        began = time.perf_counter()
        read(hostile)
        assert time.perf_counter() - began < 1.0, hostile[:10]


def test_written_back_mentions_are_live_and_the_rest_is_escaped() -> None:
    said = read("<@U0CAI> broke <#C0OPS|ops> & typed <!channel> as &lt;!here&gt;")

    assert write(said) == "<@U0CAI> broke <#C0OPS> &amp; typed @channel as &lt;!here&gt;"
    assert read(write(Said("just <text>"))) == Said("just <text>")


def test_a_reference_that_is_no_slack_id_is_written_as_text() -> None:
    said = Said("ask Dana", mentions=(Mention("29:1dana<x>", 4, 8),))

    assert write(said) == "ask 29:1dana&lt;x&gt;"


def test_read_plain_is_the_text_alone() -> None:
    assert read_plain("hi <@U0CAI>") == "hi @U0CAI"


# What Slack markup looks like in code that parses it: a pattern for a mention, a channel
# link, a special mention (not a regex's negative lookbehind), a Slack user id after "@", an
# emoji name between colons, or the entities Slack escapes its text with.
_MARKUP_IN_CODE = re.compile(
    r"<@|<#|(?<!\(\?)<!|@\(\[UW\]|@U[A-Z0-9]|\[UW\]|:\(?\[a-z|&lt;|&gt;|&amp;"
)


def test_no_module_in_models_reads_slack_markup() -> None:
    offenders = [
        f"{path.relative_to(MODELS.parent)}:{number}: {line.strip()}"
        for path in sorted(MODELS.rglob("*.py"))
        if "migrations" not in path.parts
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if _MARKUP_IN_CODE.search(line)
    ]
    assert offenders == []


def test_the_markup_check_would_catch_the_old_readers() -> None:
    old_readers = [
        r'MENTION = re.compile(r"@([UW][A-Z0-9]{2,})\b")',
        r'_CHANNEL_LINK = re.compile(r"<#([A-Z0-9]+)(?:\|([^>]*))?>")',
        r'_SPECIAL_RE: Final = re.compile(r"<![^<>]*+>")',
        r'_EMOJI_RE: Final = re.compile(r":([a-z][a-z0-9_+\-]*):")',
        'readable.replace("&lt;", " ")',
    ]
    assert all(_MARKUP_IN_CODE.search(line) for line in old_readers)
