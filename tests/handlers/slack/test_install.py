"""The OAuth install's fixed parts: its scopes are the manifest's, its tables are the
installation stores' own, and the settings that switch it on."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import MetaData, Table, create_engine

from bot.config import ConfigError, load_settings
from handlers.slack.install import BOT_SCOPES, REDIRECT_PATH
from models.core import installations
from models.core.base import Base

MANIFEST = json.loads((Path(__file__).parents[3] / "manifest.json").read_text())


def test_install_asks_for_exactly_the_manifests_bot_scopes() -> None:
    assert sorted(BOT_SCOPES) == sorted(MANIFEST["oauth_config"]["scopes"]["bot"])


def test_manifest_redirect_url_is_the_oauth_redirect_path() -> None:
    urls = MANIFEST["oauth_config"]["redirect_urls"]
    assert urls and all(url.endswith(REDIRECT_PATH) for url in urls)


def shape(table: Table) -> dict[str, tuple[str, bool, bool]]:
    return {c.name: (repr(c.type), bool(c.nullable), bool(c.primary_key)) for c in table.columns}


def test_our_installation_tables_are_the_stores_own() -> None:
    engine = create_engine("sqlite://")
    store = SQLAlchemyInstallationStore(client_id="1.2", engine=engine)
    states = SQLAlchemyOAuthStateStore(expiration_seconds=60, engine=engine)
    theirs = [store.installations, store.bots, states.oauth_states]
    for table in theirs:
        ours = Base.metadata.tables[table.name]
        assert shape(ours) == shape(table), table.name
        assert {i.name for i in ours.indexes} == {i.name for i in table.indexes}
    assert {t.name for t in theirs} == {
        installations.INSTALLATIONS_TABLE,
        installations.BOTS_TABLE,
        installations.OAUTH_STATES_TABLE,
    }
    assert isinstance(Base.metadata, MetaData)


BASE = {"SLACK_SIGNING_SECRET": "secret"}


def test_client_id_and_secret_switch_to_many_workspaces_without_a_bot_token() -> None:
    settings = load_settings(
        {**BASE, "SLACK_CLIENT_ID": "1.2", "SLACK_CLIENT_SECRET": "s"}, env_file=None
    )
    assert settings.multi_workspace and settings.bot_token == ""
    assert settings.retention_days == 30
    single = load_settings({**BASE, "SLACK_BOT_TOKEN": "xoxb-1"}, env_file=None)
    assert not single.multi_workspace and single.client_id is None


@pytest.mark.parametrize(
    ("env", "problem"),
    [
        ({"SLACK_CLIENT_ID": "1.2"}, "set together"),
        ({"SLACK_CLIENT_SECRET": "s", "SLACK_BOT_TOKEN": "xoxb-1"}, "set together"),
        ({}, "SLACK_BOT_TOKEN is not set"),
        ({"SLACK_BOT_TOKEN": "xoxb-1", "LESSONLOOP_RETENTION_DAYS": "0"}, "whole number"),
        ({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_REDIRECT_URI": "ftp://x"}, "http(s) URL"),
    ],
)
def test_half_set_or_malformed_install_settings_are_refused(
    env: dict[str, str], problem: str
) -> None:
    with pytest.raises(ConfigError) as error:
        load_settings({**BASE, **env}, env_file=None)
    assert any(problem in p for p in error.value.problems), error.value.problems
