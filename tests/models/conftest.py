"""Every service test runs twice: with the Slack-shaped references its literals are written
in, and with Teams-shaped ones (tests/references.py translates both ways).

Where `models/` still assumes Slack shapes, the Teams run fails, and the failures are marked
here, each with the assumption that causes it, rather than hidden: a strict mark turns into a
failure the day the assumption is gone, so the list can only shrink.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import Engine, String, inspect
from sqlalchemy.exc import DataError

from models.core.clock import FrozenClock
from models.services import Services
from tests.references import Shape, longest_teams_reference, shaped

MENTIONS = (
    "models/postmortems/quickform.py takes the owner from '@U…' text (MENTION regex); a Teams "
    "mention is not read, so the author becomes the owner"
)
COACH = (
    "models/coach/blame.py finds people by '<@U…>' and '@U…' (_SLACK_MENTION_RE, "
    "_AT_MENTION_RE); a reply blaming a Teams mention gets no nudge"
)
CHANNEL_LINKS = (
    "models/lessons/library.py reads a channel filter as '<#C…|name>' (_CHANNEL_LINK); a "
    "Teams conversation link is taken for a channel name"
)

# Test name (file, function, parameters without the database and the shape) -> why the
# Teams run fails. Parameters may end in "*".
SLACK_SHAPED: dict[str, str] = {
    "test_postmortems.py::test_quick_action_creates_an_action_with_owner_date_and_history": (
        MENTIONS
    ),
    "test_postmortems.py::test_edited_quick_action_updates_the_action": MENTIONS,
    "test_postmortems.py::test_summary_groups_answers_by_phase_and_lists_lessons_and_actions": (
        MENTIONS
    ),
    "test_postmortems.py::test_reply_blaming_a_mentioned_person_gets_a_nudge": COACH,
    "test_library.py::test_filters_kind_tag_since_and_channel": CHANNEL_LINKS,
}

_TEAMS_NAME = re.compile(r"(\w+)\[(?:sqlite|postgresql)-teams(?:-(.*))?\]")


@pytest.fixture(params=list(Shape), ids=str)
def reference_shape(request: pytest.FixtureRequest) -> Shape:
    return Shape(request.param)


@pytest.fixture
def services(
    request: pytest.FixtureRequest, engine: Engine, clock: FrozenClock, reference_shape: Shape
) -> Services:
    if reference_shape is Shape.TEAMS:
        _mark_slack_shaped(request, engine)
    return shaped(Services.build(engine, clock), reference_shape)


def _mark_slack_shaped(request: pytest.FixtureRequest, engine: Engine) -> None:
    reasons = []
    name = _TEAMS_NAME.fullmatch(request.node.name)
    if name is not None:
        key = f"{request.node.path.name}::{name[1]}" + (f"[{name[2]}]" if name[2] else "")
        reasons = [
            reason
            for pattern, reason in SLACK_SHAPED.items()
            if key == pattern or (pattern.endswith("*]") and key.startswith(pattern[:-2]))
        ]
    narrow, needed = _narrowest_reference(engine), longest_teams_reference()
    if narrow is not None and narrow < needed:
        # Only PostgreSQL enforces a VARCHAR's length; a test that stores no reference passes.
        why = f"reference columns are VARCHAR({narrow}); a Teams reference needs {needed}"
        if reasons:
            request.applymarker(pytest.mark.xfail(reason=f"{why}; {reasons[0]}", strict=False))
        else:
            request.applymarker(pytest.mark.xfail(reason=why, raises=DataError, strict=False))
    elif reasons:
        request.applymarker(pytest.mark.xfail(reason=reasons[0], strict=True))


def _narrowest_reference(engine: Engine) -> int | None:
    """The width of the narrowest column holding a reference (`team_id` of post-mortems
    stands for them all), when the database enforces widths; None when it does not."""
    if engine.dialect.name == "sqlite":
        return None
    for column in inspect(engine).get_columns("postmortems"):
        if column["name"] == "team_id" and isinstance(column["type"], String):
            return column["type"].length
    return None
