"""`lessonloop workspace export|delete T…`: one workspace's data, on the database alone."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.cli import main
from handlers.slack.messages import time_of
from models.core.clock import FrozenClock
from models.core.db import make_engine
from models.services import Services

KEPT, GONE = "T0KEPT001", "T0GONE001"


@pytest.fixture
def database(
    tmp_path: Path, migrated_sqlite: Path, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> Services:
    path = tmp_path / "cli.db"
    path.write_bytes(migrated_sqlite.read_bytes())
    monkeypatch.chdir(tmp_path)  # no .env of the developer's
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{path}")
    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_CLIENT_ID"):
        monkeypatch.delenv(name, raising=False)
    services = Services.build(make_engine(f"sqlite:///{path}"), clock)
    for team_id in (KEPT, GONE):
        services.postmortems.start(
            team_id=team_id,
            channel_id="C0INC0001",
            thread_ref="1795168800.000100",
            posted_at=time_of("1795168800.000100"),
            title=f"Outage at {team_id} <!channel>",
            facilitator_id="U0FACIL01",
        )
    return services


def test_export_prints_the_workspace_as_json_and_delete_removes_it(
    database: Services, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["workspace", "export", GONE]) == 0
    exported = json.loads(capsys.readouterr().out)
    assert exported["workspace"] == GONE
    titles = [row["title"] for row in exported["tables"]["postmortems"]]
    assert titles == [f"Outage at {GONE} <!channel>"]
    assert KEPT not in json.dumps(exported)

    assert main(["workspace", "delete", GONE]) == 0
    assert "deleted" in capsys.readouterr().err
    assert database.lifecycle.count(team_id=GONE) == {}
    assert database.lifecycle.count(team_id=KEPT)["postmortems"] == 1

    assert main(["workspace", "export", GONE]) == 1
    assert f"no data for workspace {GONE}" in capsys.readouterr().err
