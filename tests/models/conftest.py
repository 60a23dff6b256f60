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

# Test name (file, function, parameters without the database and the shape) -> why the
# Teams run fails. Parameters may end in "*".
SLACK_SHAPED: dict[str, str] = {}

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
