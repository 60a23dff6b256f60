"""Time every text-analysis entry point on adversarial inputs of up to 40,000 characters.

Run from the repository root: ``python benchmarks/text_bounds.py``.

Slack allows 40,000 characters a message, and a listener that spends seconds on one reply
holds a worker (and, before `ack()`, the request) while others wait: issue 10 measured 14 s
for 24,999 dots and an `x` in the blame coach. Each entry point must stay under BOUND_MS on
every input here. An entry point's figure is, for its worst input, the median of REPEATS
runs: the machine is shared, so one slow run says more about the neighbours than about the
algorithm; the maximum is printed too. Exits 1 if any median exceeds the bound.
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from handlers.slack.markup import read, read_plain  # noqa: E402
from handlers.slack.slacktext import split_text, truncate  # noqa: E402
from models.coach.blame import assess  # noqa: E402
from models.core.dates import parse_due_date  # noqa: E402
from models.core.errors import UserFacingError  # noqa: E402
from models.core.text import (  # noqa: E402
    MESSAGE_LIMIT,
    clean_text,
    tags_in,
)
from models.followup.cadence import parse_cadence  # noqa: E402
from models.lessons.library import parse_query, read_tags, split_kind, validate_lesson  # noqa: E402
from models.lessons.wording import signature, significant_words, similarity, tokens  # noqa: E402
from models.postmortems.quickform import is_quick_action, parse_quick_action, quick_action_body  # noqa: E402
from models.postmortems.service import kind_from_title  # noqa: E402
from templates import escape_markdown, escape_mrkdwn, link, markdown_link, quote  # noqa: E402

BOUND_MS = 50.0
REPEATS = 5
SIZE = MESSAGE_LIMIT
TODAY = date(2026, 12, 3)


def _fill(unit: str, size: int = SIZE) -> str:
    return (unit * (size // len(unit) + 1))[:size]


def _mixed(seed: int) -> str:
    # Markup fragments in random order: the shapes a hand-written case list can miss.
    pieces = [
        "<", ">", "|", "<@U1", "<#C1|", "<https://x.io|", "<!here>", "&lt;", "&gt;", "&amp;",
        '"', "\u201c", "\u201d", "'", "`", "```", "~", "*", "_", ":", ":a", "#", "@", "@p1",
        "\n", "> ", " ", ". ", "?!", "they (", ")", "skip ", "by hand ", "should have ",
        "if he had ", "Will ", "Alice ", "forgot ", "\ud800", "\x00", "😀",
    ]  # fmt: skip
    rng = random.Random(seed)
    out: list[str] = []
    length = 0
    while length < SIZE:
        piece = rng.choice(pieces)
        out.append(piece)
        length += len(piece)
    return "".join(out)[:SIZE]


INPUTS: dict[str, str] = {
    "24,999 dots + x": "." * 24_999 + "x",
    "dots 40k": _fill("."),
    "'. ' 40k": _fill(". "),
    "'skip ' x 10,000": "skip " * 10_000,
    "'skip ' 40k": _fill("skip "),
    "'by hand ' x 6,250": "by hand " * 6_250,
    "'by hand ' 40k": _fill("by hand "),
    "'action: ' + 'by hand ' 40k": "action: " + _fill("by hand ", SIZE - 8),
    "'action: do it by ' 40k": "action: do it " + _fill("by ", SIZE - 14),
    "double quotes": _fill('"'),
    "'\"a ' 40k": _fill('"a '),
    "curly quotes": _fill("\u201c"),
    "'<' 40k": _fill("<"),
    "'>' 40k": _fill(">"),
    "'|' 40k": _fill("|"),
    "'<#C1|' 40k": _fill("<#C1|"),
    "'<@U1|' 40k": _fill("<@U1|"),
    "'<!' 40k": _fill("<!"),
    "'<https://x.io|' 40k": _fill("<https://x.io|"),
    "'<mailto:a' 40k": _fill("<mailto:a"),
    "links 40k": _fill("<https://example.com/a|the runbook> "),
    "'https://' 40k": _fill("https://"),
    "apostrophes": _fill("'"),
    "'it's ' 40k": _fill("it's "),
    "'shouldn't've ' 40k": _fill("shouldn't've "),
    "capitalised words": _fill("Will Mark Alice "),
    "'Will ' 40k": _fill("Will "),
    "'\\n> ' quote lines": _fill("\n> "),
    "'> quoted\\n' 40k": _fill("> quoted\n"),
    "newlines": _fill("\n"),
    "spaces": _fill(" "),
    "tabs and spaces": _fill(" \t"),
    "emoji": _fill("😀"),
    "':a' 40k": _fill(":a"),
    "':facepalm: ' 40k": _fill(":facepalm: "),
    "colons": _fill(":"),
    "'#' 40k": _fill("#"),
    "'#a' 40k": _fill("#a"),
    "'@' 40k": _fill("@"),
    "'@a' 40k": _fill("@a"),
    "'@U1 ' 40k": _fill("@U1 "),
    "backticks": _fill("`"),
    "'```a' 40k": _fill("```a"),
    "'~a' 40k": _fill("~a"),
    "'*_' 40k": _fill("*_"),
    "'they (' 40k": _fill("they ("),
    "'should have ' 40k": _fill("should have "),
    "'if he had just ' 40k": _fill("if he had just "),
    "'he forgot, ' 40k": _fill("he forgot, "),
    "'the new dev ' 40k": _fill("the new dev "),
    "'nice one ' 40k": _fill("nice one "),
    "'a' 40k": _fill("a"),
    "'a ' 40k": _fill("a "),
    "digits": _fill("1"),
    "'12 ' 40k": _fill("12 "),
    "'in 2 ' 40k": _fill("in 2 "),
    "'kind:' 40k": _fill("kind:"),
    "'tag:a ' 40k": _fill("tag:a "),
    "'-' 40k": _fill("-"),
    "'&' 40k": _fill("&"),
    "'&amp' 40k": _fill("&amp"),
    "lone surrogates": _fill("\ud800"),
    "NULs": _fill("\x00"),
    "C1 controls": _fill("\x85\x9b"),
    "mixed markup 1": _mixed(1),
    "mixed markup 2": _mixed(2),
    "mixed markup 3": _mixed(3),
}


def _quietly(function: Callable[[str], object]) -> Callable[[str], object]:
    """Entry points that reject bad input by raising are timed up to the raise."""

    def run(text: str) -> object:
        try:
            return function(text)
        except (ValueError, UserFacingError):
            return None

    return run


_SOME_LESSON = signature("The deploy pipeline has no rollback step")

ENTRY_POINTS: dict[str, Callable[[str], object]] = {
    "text.clean_text": lambda t: clean_text(t, limit=MESSAGE_LIMIT),
    "markup.read": read,
    "slacktext.split_text": lambda t: split_text(t, 3000),
    "slacktext.truncate": lambda t: truncate(t, 3000),
    "blame.assess": assess,
    "blame.assess(read_plain)": lambda t: assess(read_plain(t)),
    "quickform.is_quick_action": is_quick_action,
    "quickform.quick_action_body": quick_action_body,
    "quickform.parse_quick_action": _quietly(lambda t: parse_quick_action(read(t), today=TODAY)),
    "dates.parse_due_date": _quietly(lambda t: parse_due_date(t, today=TODAY)),
    "wording.tokens": tokens,
    "wording.significant_words": significant_words,
    # signature() is cached; time the work, not the cache.
    "wording.signature": lambda t: signature.__wrapped__(t),
    "wording.similarity": lambda t: similarity(signature.__wrapped__(t), _SOME_LESSON),
    "library.split_kind": split_kind,
    "library.parse_query": _quietly(lambda t: parse_query(read(t), today=TODAY)),
    "library.read_tags": read_tags,
    "library.validate_lesson": _quietly(validate_lesson),
    "postmortems.tags_in": tags_in,
    "postmortems.kind_from_title": kind_from_title,
    "cadence.parse_cadence": _quietly(
        lambda t: parse_cadence(t, default_timezone="Europe/London", today=TODAY)
    ),
    "templates.escape_mrkdwn": escape_mrkdwn,
    "templates.quote": quote,
    "templates.link": lambda t: link("https://example.com", t),
    "templates.escape_markdown": escape_markdown,
    "templates.markdown_link": lambda t: markdown_link("https://example.com/" + t, t),
}


def _time(function: Callable[[str], object], text: str) -> list[float]:
    runs: list[float] = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        function(text)
        runs.append((time.perf_counter() - start) * 1000)
    return runs


def main() -> int:
    assert all(len(text) <= 50_000 for text in INPUTS.values())
    failed = False
    print(f"{'entry point':30} {'worst input':30} {'median ms':>10} {'max ms':>8}")
    for name, function in ENTRY_POINTS.items():
        worst_input, worst_runs = "", [0.0]
        for label, text in INPUTS.items():
            runs = _time(function, text)
            if statistics.median(runs) > statistics.median(worst_runs):
                worst_input, worst_runs = label, runs
        median = statistics.median(worst_runs)
        over = median > BOUND_MS
        failed |= over
        flag = "  OVER" if over else ""
        print(f"{name:30} {worst_input:30} {median:10.2f} {max(worst_runs):8.2f}{flag}")
    print(f"\nbound: {BOUND_MS:.0f} ms per call; {len(INPUTS)} inputs of up to 50,000 chars")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
