"""Slack-shaped test literals, and the Teams-shaped references they stand for in a Teams run.

The service tests are written with Slack literals ("T0TEAM", "C0INCIDENT", "U0BEA",
"1795168800.000100"). `References` maps each one, by the shape of its value and never by the
name of the argument it arrives in, to a realistic Microsoft Teams reference:

    T…, E… (workspace)    -> a tenant id, a GUID
    U…, W… (person)       -> "29:1…", about 80 characters
    B… (bot)              -> "28:" + a GUID
    C…, G… (channel)      -> "19:…@thread.tacv2"
    D… (direct message)   -> "a:1…", a personal chat
    1795168800.000100     -> "1795168800100", a message id in milliseconds since the epoch
    Platform.SLACK        -> Platform.TEAMS

The mapping is one to one within a test, and keeps the order of ids of one kind (an encoded
id sorts like the Slack id it stands for, in byte order and in PostgreSQL's collations), so a
list that the services sort by id comes back in the same order in both shapes.

`ShapedServices` stands in for `models.services.Services`: every argument of every use case
is translated into the Teams shape on the way in (ids standing alone and ids inside text,
such as a mention in a typed action) and every result and error back into the Slack shape on
the way out, so a test's assertions hold unchanged. With the Slack shape the translation is
the identity, so both runs go through the same code.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import itertools
import re
from collections.abc import Callable, Generator, Iterator
from enum import Enum, StrEnum
from typing import Any, Final, TypeVar, cast

from models.core.references import Platform
from models.services import Services

T = TypeVar("T")


class Shape(StrEnum):
    SLACK = "slack"
    TEAMS = "teams"


# A Slack id is a kind letter, a digit and two or more capitals or digits ("U0BEA",
# "C024BE91L").
# Requiring the digit keeps words such as "TODO" or "CEO" in free text from being read as ids.
_SLACK_ID: Final = re.compile(r"(?<![A-Za-z0-9_])([TEUWBCGD])([0-9][A-Z0-9]{2,21})(?![A-Za-z0-9_])")
_SLACK_TS_ALONE: Final = re.compile(r"([0-9]{1,10})\.([0-9]{6})")
_SLACK_TS_IN_TEXT: Final = re.compile(r"(?<![0-9.])([0-9]{10})\.([0-9]{6})(?![0-9])")

# Order-preserving encoding: a Slack id, padded to _WIDTH characters with a pad that sorts
# first, read as a number in base 37 (pad, 0-9, A-Z). 37**24 < 16**32, so it fits a GUID.
_ALPHABET: Final = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_WIDTH: Final = 24
_BASE36: Final = "0123456789abcdefghijklmnopqrstuvwxyz"
_USER_DIGITS: Final = 25  # 36**25 > 37**24
# Real Teams user ids run to 80-90 characters of base64url; the tail is the same for every
# id so that order is decided by the encoded part.
_USER_TAIL: Final = "-Kq7vRbX2mTzLw9HcN4sJd_PfYgE8aUo3VkQiZ6nBrCt5WxMhAe1GlSjDy0"

_TEAMS_REF: Final = re.compile(
    r"(?:29:1|a:1)[0-9a-z]{25}"
    + re.escape(_USER_TAIL)
    + r"|19:[0-9a-f]{32}@thread\.tacv2"
    + r"|(?:28:)?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
    + r"|(?<![0-9])[0-9]{4,13}(?![0-9])"
)


# Which platform a reference comes from changes with its shape.
_PLATFORMS: Final = {"slack": "teams"}
_PLATFORMS_BACK: Final = {"teams": "slack"}


class References:
    """Translates values between the Slack shape the tests are written in and `shape`."""

    def __init__(self, shape: Shape) -> None:
        self.shape = shape
        self._teams_of: dict[str, str] = {}
        self._slack_of: dict[str, str] = {}

    def inward(self, value: T) -> T:
        """`value` as the services would receive it from a front end of this shape."""
        if self.shape is Shape.SLACK:
            return value
        return cast(T, _walk(value, self._text_inward, _PLATFORMS))

    def outward(self, value: T) -> T:
        """`value`, which came from the services or the database, in the Slack shape."""
        if self.shape is Shape.SLACK:
            return value
        return cast(T, _walk(value, self._text_outward, _PLATFORMS_BACK))

    def teams_id(self, slack_value: str) -> str:
        """The Teams reference that stands for one Slack id or message time."""
        ts = _SLACK_TS_ALONE.fullmatch(slack_value)
        if ts is not None:
            return self._remember(slack_value, _message_id(ts[1], ts[2]))
        match = _SLACK_ID.fullmatch(slack_value)
        if match is None:
            raise ValueError(f"not a Slack id or message time: {slack_value!r}")
        return self._remember(slack_value, _teams_ref(match[1], match[1] + match[2]))

    def _remember(self, slack: str, teams: str) -> str:
        known = self._slack_of.setdefault(teams, slack)
        if known != slack:
            raise AssertionError(
                f"{known!r} and {slack!r} would both become {teams!r} in the Teams shape; "
                "use literals that differ in a way the mapping keeps"
            )
        self._teams_of[slack] = teams
        return teams

    def _text_inward(self, text: str) -> str:
        if _SLACK_TS_ALONE.fullmatch(text) or _SLACK_ID.fullmatch(text):
            return self.teams_id(text)
        text = _SLACK_TS_IN_TEXT.sub(lambda m: self.teams_id(m[0]), text)
        return _SLACK_ID.sub(lambda m: self.teams_id(m[0]), text)

    def _text_outward(self, text: str) -> str:
        if not self._slack_of:
            return text
        return _TEAMS_REF.sub(lambda m: self._slack_of.get(m[0], m[0]), text)


def _encode(slack_id: str) -> int:
    number = 0
    for char in slack_id.ljust(_WIDTH, " ")[:_WIDTH]:
        number = number * 37 + (0 if char == " " else 1 + _ALPHABET.index(char))
    return number


def _guid(number: int) -> str:
    digits = f"{number:032x}"
    return f"{digits[:8]}-{digits[8:12]}-{digits[12:16]}-{digits[16:20]}-{digits[20:]}"


def _teams_ref(kind: str, slack_id: str) -> str:
    number = _encode(slack_id)
    if kind in "TE":
        return _guid(number)
    if kind == "B":
        return "28:" + _guid(number)
    if kind in "CG":
        return f"19:{number:032x}@thread.tacv2"
    digits = []
    for _ in range(_USER_DIGITS):
        number, digit = divmod(number, 36)
        digits.append(_BASE36[digit])
    body = "".join(reversed(digits)) + _USER_TAIL
    return ("a:1" if kind == "D" else "29:1") + body


def longest_teams_reference() -> int:
    """The length of the longest reference the Teams shape produces (a person's id)."""
    return len(_teams_ref("U", "U0"))


def _message_id(seconds: str, fraction: str) -> str:
    """Teams numbers a reply in a channel by its time in milliseconds since the epoch; the
    Slack fraction (microseconds, which tests use as a counter) is added as milliseconds so
    that distinct test messages stay distinct."""
    return str(int(seconds) * 1000 + int(fraction.ljust(6, "0")))


def _walk(value: Any, text: Callable[[str], str], platforms: dict[str, str]) -> Any:
    """`value` with `text` applied to every string in it, through frozen dataclasses,
    tuples (named or not), lists, sets and dicts, and a platform named as `platforms` says.
    Other enums, numbers, times and objects of other kinds (ORM rows, sessions) are
    returned as they are."""
    if isinstance(value, Platform):
        return Platform(platforms.get(value.value, value.value))
    if isinstance(value, Enum):
        return value
    if isinstance(value, str):
        return text(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {
            field.name: _walk(getattr(value, field.name), text, platforms)
            for field in dataclasses.fields(value)
            if field.init
        }
        _move_spans(value, changes, text)
        return dataclasses.replace(value, **changes)
    if isinstance(value, tuple):
        items = [_walk(item, text, platforms) for item in value]
        return type(value)._make(items) if hasattr(value, "_fields") else type(value)(items)
    if isinstance(value, list):
        return [_walk(item, text, platforms) for item in value]
    if isinstance(value, set | frozenset):
        return type(value)(_walk(item, text, platforms) for item in value)
    if isinstance(value, dict):
        return type(value)(
            (_walk(k, text, platforms), _walk(v, text, platforms)) for k, v in value.items()
        )
    if isinstance(value, Generator | Iterator) and not isinstance(value, str | bytes):
        return (_walk(item, text, platforms) for item in value)
    return value


def _move_spans(value: Any, changes: dict[str, Any], text: Callable[[str], str]) -> None:
    """Offsets into a text follow it: when `value` has a `text` and tuples of parts with
    `start` and `end` (mentions in what someone said), the text between the parts is
    translated and the offsets are moved to where the parts now are. The words a part
    covers are kept: a mention's placeholder is what the front end wrote for people to
    read ("@U0CAI" in these tests, a display name from Teams), and its reference is
    translated in the part itself."""
    original = getattr(value, "text", None)
    if not isinstance(original, str) or "text" not in changes:
        return
    parts = {
        name: items
        for name in changes
        if isinstance(items := getattr(value, name), tuple)
        and items
        and all(isinstance(getattr(item, "start", None), int) for item in items)
        and all(isinstance(getattr(item, "end", None), int) for item in items)
    }
    if not parts:
        return
    cuts = sorted(
        {0, len(original)} | {o for v in parts.values() for i in v for o in (i.start, i.end)}
    )
    covered = {(i.start, i.end) for v in parts.values() for i in v}
    moved, pieces = {}, []
    for start, end in itertools.pairwise(cuts):
        moved[start] = sum(map(len, pieces))
        piece = original[start:end]
        pieces.append(piece if (start, end) in covered else text(piece))
    moved[len(original)] = sum(map(len, pieces))
    changes["text"] = "".join(pieces)
    for name in parts:
        changes[name] = tuple(
            dataclasses.replace(item, start=moved[item.start], end=moved[item.end])
            for item in changes[name]
        )


class _ShapedService:
    """One use-case object, its calls translated both ways."""

    def __init__(self, target: object, references: References) -> None:
        self._target = target
        self._references = references

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._target, name)
        if not callable(value):
            return self._references.outward(value)
        references = self._references

        @functools.wraps(value)
        def call(*args: Any, **kwargs: Any) -> Any:
            args, kwargs = references.inward(args), references.inward(kwargs)
            try:
                result = value(*args, **kwargs)
            except Exception as error:
                _translate_error(error, references)
                raise
            return references.outward(result)

        return call

    def __repr__(self) -> str:
        return f"<{self._references.shape}-shaped {self._target!r}>"


def _translate_error(error: BaseException, references: References) -> None:
    error.args = references.outward(error.args)
    for name, attribute in list(vars(error).items()):
        # Read-only attributes (frozen dataclasses among them) keep their value.
        with contextlib.suppress(AttributeError):
            setattr(error, name, references.outward(attribute))


class ShapedServices:
    """`Services` as a front end of one shape drives it. The engine, the session factory
    and the clock are the real ones: tests that read rows directly translate what they read
    with `as_slack` (and what they write with `as_stored`)."""

    _RAW: Final = frozenset({"engine", "sessions", "clock"})

    def __init__(self, services: Services, references: References) -> None:
        self.references = references
        self._services = services
        for field in dataclasses.fields(services):
            value = getattr(services, field.name)
            if field.name not in self._RAW:
                value = _ShapedService(value, references)
            setattr(self, field.name, value)


def shaped(services: Services, shape: Shape) -> Services:
    """`services` driven with references of `shape`, typed as what it stands in for."""
    return cast(Services, ShapedServices(services, References(shape)))


def as_slack(services: Services, value: T) -> T:
    """What a test read from the database directly, in the Slack shape its literals use."""
    references = getattr(services, "references", None)
    return value if references is None else cast(References, references).outward(value)


def as_stored(services: Services, value: T) -> T:
    """A Slack-shaped literal as the services store it in this run (for direct writes and
    for filters in direct reads)."""
    references = getattr(services, "references", None)
    return value if references is None else cast(References, references).inward(value)


def stored_row(services: Services, table: Callable[..., T], **columns: Any) -> T:
    """A row for `table` written directly by a test, its Slack-shaped literals stored in the
    shape of this run."""
    return table(**as_stored(services, columns))
