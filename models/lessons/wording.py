"""Normalised words: what search queries and the recurring-lesson check compare.

Lower case, Slack markup reduced to what a reader sees, English stop words dropped, and a
light suffix-stripping stemmer so "deploys", "deployed" and "deploying" meet. Tokens are
runs of letters and digits, the same split SQLite FTS5's unicode61 tokenizer makes, so a
word we build into a MATCH expression is always a single FTS token.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib.resources import files

_TOKEN = re.compile(r"[^\W_]+")

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
    """Lower-case word tokens of plain `text` (a front end has read any markup already)."""
    return _TOKEN.findall(text.lower())


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


# Short forms people write for the same thing in incident reviews, and their spelled-out
# forms: compared as one word. Kept small and generic; no hosted service, no word vectors.
ALIASES = {
    "configuration": "config",
    "configurations": "config",
    "configs": "config",
    "db": "database",
    "dbs": "database",
    "env": "environment",
    "envs": "environment",
    "prod": "production",
    "cert": "certificate",
    "certs": "certificate",
    "toggle": "flag",
    "toggles": "flag",
    "noisy": "noise",
    "k8s": "kubernetes",
    "repo": "repository",
    "repos": "repository",
    "infra": "infrastructure",
}
_ROLL = frozenset({"roll", "rolled", "rolling", "rolls"})
# Words that mark a lesson as praise or as a problem. "The canary caught the bad config"
# and "No canary for config changes" share their topic words but are opposite lessons.
_PRAISE = frozenset(
    [
        "well",
        "worked",
        "caught",
        "quick",
        "quickly",
        "fast",
        "early",
        "good",
        "great",
        "helped",
        "saved",
        "smooth",
        "smoothly",
        "automated",
    ]
)
_PROBLEM = frozenset(
    [
        "no",
        "not",
        "nobody",
        "none",
        "never",
        "without",
        "nothing",
        "too",
        "late",
        "slow",
        "missed",
        "skipped",
        "failed",
        "lack",
        "lacked",
        "broke",
        "broken",
        "stale",
        "unanswered",
        "cannot",
    ]
)
PRAISE, PROBLEM = "~praise", "~problem"  # markers in a signature; never a word (not \w)


def _load_opposites() -> frozenset[tuple[str, str]]:
    text = (files("models.lessons") / "words" / "opposites.txt").read_text(encoding="utf-8")
    pairs = (line.split("#", 1)[0].split() for line in text.splitlines())
    stemmed = {(stem(p[0]), stem(p[1])) for p in pairs if len(p) == 2}
    return frozenset(stemmed | {(b, a) for a, b in stemmed})


# Marked in a signature as "^" + stem, stop words included ("up", "off", "more").
_OPPOSITES = _load_opposites()
_POLAR = frozenset(word for pair in _OPPOSITES for word in pair)


def _load_synonyms() -> dict[tuple[str, ...], str]:
    """models/lessons/words/synonyms.txt as {phrase tokens: canonical word}."""
    table: dict[tuple[str, ...], str] = {}
    text = (files("models.lessons") / "words" / "synonyms.txt").read_text(encoding="utf-8")
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        canonical, _, others = line.partition(":")
        for phrase in [canonical, *others.split(",")]:
            if key := tuple(tokens(phrase)):
                table.setdefault(key, canonical.strip())
    return table


# Paraphrases of one lesson use the field's synonyms ("deploy", "release", "goes out";
# "on-call", "pager holder"): each phrase compares as its line's first word.
SYNONYMS = _load_synonyms()
_LONGEST_SYNONYM = max(map(len, SYNONYMS))


# Durations compare by length, whatever their words: "30 minutes", "half an hour" and "half
# hour" are one token, and so are "a month" and "30 days", "seven days" and "one week".
_NUMBER_WORDS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20,
    "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "ninety": 90, "a": 1, "an": 1,
}  # fmt: skip
_UNIT_MINUTES = {
    "minute": 1,
    "minutes": 1,
    "min": 1,
    "mins": 1,
    "hour": 60,
    "hours": 60,
    "hr": 60,
    "hrs": 60,
    "day": 1440,
    "days": 1440,
    "week": 10080,
    "weeks": 10080,
    "month": 43200,
    "months": 43200,
}

_UNITS = frozenset(_UNIT_MINUTES)


def _count(token: str) -> float | None:
    if token.isdigit() and len(token) <= 4:
        return int(token)
    return _NUMBER_WORDS.get(token)


def _durations(found: list[str]) -> list[str]:
    """`found` with each duration ("30 minutes", "half an hour", "a month") made one token
    ("~30min"). One pass with a look-ahead of three tokens: linear; none without a unit."""
    if _UNITS.isdisjoint(found):
        return found
    out: list[str] = []
    i = 0
    while i < len(found):
        token = found[i]
        amount: float | None = None
        width = 0
        if token == "half" and i + 1 < len(found):
            # "half an hour", "half hour"
            step = 2 if found[i + 1] in ("a", "an") else 1
            if i + step < len(found) and found[i + step] in _UNIT_MINUTES:
                amount, width = 0.5, step
        elif (count := _count(token)) is not None and i + 1 < len(found):
            amount, width = count, 1
        unit = found[i + width] if amount is not None and i + width < len(found) else ""
        if amount is not None and unit in _UNIT_MINUTES:
            out.append(f"~{round(amount * _UNIT_MINUTES[unit])}min")
            i += width + 1
        else:
            out.append(token)
            i += 1
    return out


def _canonical(text: str) -> list[str]:
    """Tokens with durations made one, aliases spelled out and synonyms (longest phrase
    first) made one word. One dictionary look-up per phrase length at each token: linear in
    the text."""
    found = _durations(tokens(text))
    words: list[str] = []
    i = 0
    while i < len(found):
        for length in range(min(_LONGEST_SYNONYM, len(found) - i), 0, -1):
            canonical = SYNONYMS.get(tuple(found[i : i + length]))
            if canonical is not None:
                words.append(canonical)
                i += length
                break
        else:
            token = found[i]
            if token == "back" and words and words[-1] in _ROLL:
                words[-1] = "rollback"
            else:
                words.append(ALIASES.get(token, token))
            i += 1
    return words


def search_forms(words: list[str]) -> list[str]:
    """`words` plus their other spellings in ALIASES, for finding candidates by FTS."""
    forms = dict.fromkeys(words)
    for word in words:
        canonical = ALIASES.get(word, word)
        forms[canonical] = None
        forms.update(dict.fromkeys(a for a, c in ALIASES.items() if c == canonical))
        # One-word synonyms, so that a paraphrase in other words is still a candidate.
        concept = SYNONYMS.get((canonical,))
        if concept is not None:
            forms.update(
                dict.fromkeys(k[0] for k, c in SYNONYMS.items() if c == concept and len(k) == 1)
            )
    return list(forms)


@lru_cache(maxsize=8192)
def signature(text: str) -> frozenset[str]:
    """The stemmed significant words, with aliases resolved, plus a marker when the
    lesson reads clearly as praise or clearly as a problem: what lessons are compared by."""
    words = _canonical(text)
    praise, problem = bool(_PRAISE.intersection(words)), bool(_PROBLEM.intersection(words))
    tone = {PRAISE} if praise and not problem else {PROBLEM} if problem and not praise else set()
    # Each distinct word is stemmed once: a long text repeats its words.
    stems = {word: stem(word) for word in set(words)}
    significant = {s for w, s in stems.items() if w not in STOP_WORDS and len(w) > 1}
    polar = {"^" + s for s in stems.values() if s in _POLAR}
    return frozenset(significant | tone | polar)


def similarity(a: frozenset[str], b: frozenset[str]) -> float:
    """Dice coefficient of two word sets (1.0 for the same words, 0.0 for none shared),
    halved when one reads as praise and the other as a problem, or when they differ by a
    pair of opposites (words/opposites.txt)."""
    tone_a, tone_b = a & _TONES, b & _TONES
    polar_a = {w[1:] for w in a if w.startswith("^")}
    polar_b = {w[1:] for w in b if w.startswith("^")}
    a = frozenset(w for w in a - _TONES if not w.startswith("^"))
    b = frozenset(w for w in b - _TONES if not w.startswith("^"))
    if not a or not b:
        return 0.0
    score = 2 * len(a & b) / (len(a) + len(b))
    if tone_a and tone_b and tone_a != tone_b:
        return score / 2
    only_a, only_b = polar_a - polar_b, polar_b - polar_a
    opposed = any((x, y) in _OPPOSITES for x in only_a for y in only_b)
    return score / 2 if opposed else score


_TONES = frozenset({PRAISE, PROBLEM})
