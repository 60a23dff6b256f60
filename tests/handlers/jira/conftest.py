from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from models.core.clock import FrozenClock
from tests.handlers.jira.rig import JiraRig, jira_rig


@pytest.fixture
def jira(engine: Engine, clock: FrozenClock) -> Iterator[JiraRig]:
    with jira_rig(engine, clock) as rig:
        yield rig
