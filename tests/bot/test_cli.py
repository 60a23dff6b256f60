"""`lessonloop --help` tells an operator every command and every setting."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest

import bot.config
from bot.cli import main
from bot.config import SETTINGS, load_settings
from models.core.db import script_heads
from tests.databases import alembic_versions

REQUIRED = {"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": "secret"}


def help_text(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    with pytest.raises(SystemExit) as exit_:
        main([*argv, "--help"])
    assert exit_.value.code == 0
    return capsys.readouterr().out


def names_load_settings_reads(monkeypatch: pytest.MonkeyPatch) -> set[str]:
    read: set[str] = set()
    real_text = bot.config._Reader.text

    def recording_text(self: bot.config._Reader, name: str, **kwargs: object) -> str:
        read.add(name)
        return real_text(self, name, **kwargs)

    monkeypatch.setattr(bot.config._Reader, "text", recording_text)
    load_settings(REQUIRED, env_file=None)
    return read


def test_help_lists_every_command_with_what_it_does(capsys: pytest.CaptureFixture[str]) -> None:
    text = help_text(capsys)
    for command, description in [
        ("serve", "run the Slack app"),
        ("scheduler", "only send due messages"),
        ("migrate", "bring the database schema up to date"),
    ]:
        assert any(
            line.split()[:1] == [command] and description in line for line in text.splitlines()
        ), (command, text)


def test_help_lists_every_setting_load_settings_reads_with_its_default(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    text = help_text(capsys)
    rows = {line.split()[0]: line for line in text.splitlines() if line.startswith("  ")}
    read = names_load_settings_reads(monkeypatch)
    assert {"SLACK_BOT_TOKEN", "DATABASE_URL", "PORT", "LOG_LEVEL"} <= read
    for setting in SETTINGS:
        assert setting.default in rows[setting.name] and setting.meaning in rows[setting.name]
    assert read <= set(rows), read - set(rows)


def test_the_defaults_help_shows_are_the_ones_load_settings_uses() -> None:
    settings = load_settings(REQUIRED, env_file=None)
    applied = {
        "DATABASE_URL": settings.database_url,
        "HOST": settings.host,
        "PORT": str(settings.port),
        "LESSONLOOP_TIMEZONE": str(settings.timezone),
        "LOG_LEVEL": settings.log_level,
    }
    shown = {setting.name: setting.default for setting in SETTINGS}
    assert {name: shown[name] for name in applied} == applied


def test_a_setting_read_without_being_listed_fails_loudly() -> None:
    with pytest.raises(AssertionError, match="NOT_LISTED is read but not listed"):
        bot.config._Reader({}).text("NOT_LISTED")


def test_help_says_what_the_exit_status_means(capsys: pytest.CaptureFixture[str]) -> None:
    assert "2 when the configuration is wrong" in help_text(capsys)
    assert "--no-scheduler" in help_text(capsys, "serve")


def test_migrate_creates_the_schema_and_leaves_the_cycle_collector_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # main() turns the collector off while it imports and builds the app; a command that
    # returns (migrate, or a failed start) must not leave this process without it.
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'lessonloop.db'}")
    try:
        assert main(["migrate"]) == 0
        assert gc.isenabled()
    finally:
        gc.enable()
    assert alembic_versions(f"sqlite:///{tmp_path / 'lessonloop.db'}") == [
        *sorted(script_heads() or ())
    ]
