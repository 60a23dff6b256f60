"""Every text reader survives hostile text and keeps its promises. Timing goals live in
benchmarks/text_bounds.py; these check behaviour only (deadline=None: the machine is shared)."""

from __future__ import annotations

from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from handlers.slack.markup import read, write
from handlers.slack.slacktext import split_text, truncate
from models.coach.blame import BlameVerdict, assess
from models.core.dates import UnreadableDate, parse_due_date
from models.core.errors import InvalidInput, Reason, UserFacingError
from models.core.text import TRUNCATION_MARKER, clean_text
from models.lessons.library import parse_query, read_tags, split_kind
from models.lessons.wording import signature, significant_words, similarity, stem, tokens
from models.postmortems.quickform import is_quick_action, parse_quick_action, quick_action_body
from templates import escape_markdown, escape_mrkdwn

TODAY = date(2026, 11, 20)
PIECES = [
    ".", ". ", '"', "\u201c", "\u201d", "<", ">", "|", "#", "@", ":", "skip ", "by hand ",
    "'", "`", "~", "*", "\n", "> ", "<#C1|", "<@U1|", "<https://x.io|", "<!here>", "&lt;",
    "&amp;", "@p5 ", "they (", "Will ", "Alice ", "he forgot ", "should have ", "action: ",
    "by friday", "\ud800", "\udfff", "\x00", "\x1b", "\x85", "😀", "é", " ", "\t", "a",
]  # fmt: skip
hostile = st.lists(st.sampled_from(PIECES) | st.text(max_size=5), max_size=60).map("".join)
runs = st.builds(lambda piece, n: piece * n, st.sampled_from(PIECES), st.integers(0, 400))
texts = hostile | runs
FUZZ = settings(max_examples=60, deadline=None)


@FUZZ
@given(texts, st.integers(len(TRUNCATION_MARKER), 500))
def test_cleaned_text_is_storable_and_within_the_limit(text: str, limit: int) -> None:
    cleaned = clean_text(text, limit=limit)

    assert len(cleaned) <= limit
    cleaned.encode("utf-8")
    assert "\x00" not in cleaned
    assert clean_text(cleaned, limit=limit) == cleaned


@FUZZ
@given(texts)
def test_reading_markup_gives_storable_text_and_true_positions(text: str) -> None:
    said = read(text)

    said.text.encode("utf-8")
    for mention in said.mentions:
        assert said.text[mention.start : mention.end].startswith("@")
    for link in said.conversations:
        assert said.text[link.start : link.end].startswith("#")
    # Written back, only what was read as a mention or a link can be live markup.
    assert write(said).count("<") <= len(said.mentions) + len(said.conversations)


@FUZZ
@given(texts, st.integers(10, 300))
def test_split_text_keeps_every_line_within_the_limit(text: str, limit: int) -> None:
    chunks = split_text(text, limit)

    assert all(0 < len(chunk) <= limit and chunk.strip() for chunk in chunks)
    assert len(truncate(text, limit)) <= limit


@FUZZ
@given(texts)
def test_coach_gives_a_verdict_for_any_text(text: str) -> None:
    verdict = assess(read(text).text)

    assert isinstance(verdict, BlameVerdict)
    assert verdict.blames == bool(verdict.reasons)
    assert len(verdict.reasons) <= 3
    assert len(verdict.reframes) == (2 if verdict.blames else 0)


@FUZZ
@given(texts)
def test_quick_form_reads_or_refuses_politely(text: str) -> None:
    if is_quick_action(text):
        assert len(quick_action_body(text)) < len(text)
    try:
        action = parse_quick_action(read(text), today=TODAY)
    except UnreadableDate:
        return
    except UserFacingError as error:
        assert error.reason is Reason.ACTION_NOTHING_TO_DO
        return
    assert action.description
    assert action.target_on is None or action.target_on >= TODAY


@FUZZ
@given(texts)
def test_due_dates_are_read_or_refused(text: str) -> None:
    try:
        found = parse_due_date(text, today=TODAY)
    except UnreadableDate as error:
        assert error.text == text.strip()
        return
    assert isinstance(found, date)


@FUZZ
@given(texts, texts)
def test_words_and_similarity_stay_in_range(a: str, b: str) -> None:
    assert all(t.isalnum() for t in tokens(a))
    assert all(w and w == w.lower() for w in significant_words(a))
    assert all(stem(t) for t in tokens(a))
    assert 0.0 <= similarity(signature(a), signature(b)) <= 1.0


@FUZZ
@given(texts)
def test_search_and_lesson_readers_answer_or_refuse(text: str) -> None:
    kind, rest = split_kind(text)
    assert len(rest) < len(text) if kind else len(rest) <= len(text)
    assert len(read_tags(text)) <= 20
    try:
        query = parse_query(read(text), today=TODAY)
    except InvalidInput:
        return
    assert all(term.isalnum() for term in query.terms)


@FUZZ
@given(texts)
def test_escaped_text_cannot_carry_markup(text: str) -> None:
    assert "<" not in escape_mrkdwn(text)
    assert "<" not in escape_markdown(text).replace("<br>", "")
