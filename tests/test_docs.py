"""The README, .env.example and .ci/run say what the code does."""

from __future__ import annotations

import re
from pathlib import Path

import bot.config

ROOT = Path(__file__).parents[1]
README = (ROOT / "README.md").read_text()
# The one list `lessonloop --help` prints; tests/test_cli.py checks load_settings reads
# nothing outside it.
SETTINGS = {setting.name for setting in bot.config.SETTINGS}


def test_config_reads_the_settings_we_expect_to_document() -> None:
    assert {"SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "DATABASE_URL", "PORT"} <= SETTINGS


def test_every_setting_read_in_config_is_listed_for_help() -> None:
    read = set(re.findall(r'read\.\w+\(\s*"([A-Z_]+)"', (ROOT / "bot/config.py").read_text()))
    assert read == SETTINGS


def test_every_setting_is_in_env_example_with_a_comment() -> None:
    lines = (ROOT / ".env.example").read_text().splitlines()
    documented = {}
    for i, line in enumerate(lines):
        if match := re.match(r"([A-Z_]+)=", line):
            comment_above = next(
                (lines[j] for j in range(i - 1, -1, -1) if not re.match(r"[A-Z_]+=", lines[j])), ""
            )
            documented[match[1]] = comment_above.startswith("# ")
    assert set(documented) == SETTINGS
    assert all(documented.values()), documented


def test_every_setting_is_in_the_readme_table_with_the_default_help_shows() -> None:
    table = dict(re.findall(r"^\| `([A-Z_]+)` \| ([^|]+) \|", README, re.MULTILINE))
    assert set(table) == SETTINGS
    for setting in bot.config.SETTINGS:
        assert setting.default in table[setting.name], (setting.name, table[setting.name])


def test_readme_names_every_command_help_lists() -> None:
    for command in ("lessonloop serve", "lessonloop serve --no-scheduler", "lessonloop scheduler"):
        assert f"`{command}`" in README
    assert "`lessonloop migrate`" in README and "`lessonloop --help`" in README


def test_ci_runs_the_readme_test_command() -> None:
    commands = re.findall(r"```sh\n(.+?)\n```", README)
    test_command = next(c for c in commands if "pytest" in c)
    runner = test_command.split("&&")[-1].strip()
    assert runner == ".venv/bin/python -m pytest"
    assert runner in (ROOT / ".ci/run").read_text().splitlines()
