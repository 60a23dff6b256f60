"""Normalised words: what search queries and the recurring-lesson check compare.

Lower case, Slack markup reduced to what a reader sees, English stop words dropped, and a
light suffix-stripping stemmer so "deploys", "deployed" and "deploying" meet. Tokens are
runs of letters and digits, the same split SQLite FTS5's unicode61 tokenizer makes, so a
word we build into a MATCH expression is always a single FTS token.
"""

from __future__ import annotations

import re
from functools import lru_cache

_TOKEN = re.compile(r"[^\W_]+")
_MARKUP = re.compile(r"<([^<>|]*)(?:\|([^<>]*))?>")

STOP_WORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for from
    further had has have having he her here hers herself him himself his how i if in into is it
    its itself just me more most my myself no nor not now of off on once only or other our ours
    ourselves out over own same she should so some such than that the their theirs them
    themselves then there these they this those through to too under until up very was we were
    what when where which while who whom why will with would you your yours yourself
    yourselves also get got us let lets""".split()  # noqa: SIM905
)

_SUFFIXES = (
    "ations",
    "ation",
    "ings",
    "ing",
    "edly",
    "ies",
    "ied",
    "ers",
    "ed",
    "es",
    "er",
    "ly",
    "s",
)


def tokens(text: str) -> list[str]:
    """Lower-case word tokens of `text` with Slack markup replaced by its label."""
    readable = _MARKUP.sub(lambda m: m[2] or "", text)
    readable = readable.replace("&lt;", " ").replace("&gt;", " ").replace("&amp;", " ")
    return _TOKEN.findall(readable.lower())


def stem(word: str) -> str:
    if len(word) <= 4 or word.isdigit():
        return word
    return _drop_e(_strip_suffix(word))


def _drop_e(word: str) -> str:
    """ "change", "changes" and "changed" all end as "chang"."""
    return word[:-1] if len(word) > 4 and word.endswith("e") else word


def _strip_suffix(word: str) -> str:
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            root = word[: -len(suffix)]
            if suffix in ("ies", "ied"):
                return root + "y"
            if len(root) > 3 and root[-1] == root[-2] and root[-1] not in "lsz":
                root = root[:-1]  # "stopped" -> "stop"
            return root
    return word


def significant_words(text: str) -> list[str]:
    """Tokens that are not stop words, in order, without repeats."""
    return list(dict.fromkeys(t for t in tokens(text) if t not in STOP_WORDS and len(t) > 1))


@lru_cache(maxsize=8192)
def signature(text: str) -> frozenset[str]:
    """The stemmed significant words: what two lessons are compared by."""
    return frozenset(stem(word) for word in significant_words(text))


def similarity(a: frozenset[str], b: frozenset[str]) -> float:
    """Dice coefficient of two word sets: 1.0 for the same words, 0.0 for none shared."""
    if not a or not b:
        return 0.0
    return 2 * len(a & b) / (len(a) + len(b))
