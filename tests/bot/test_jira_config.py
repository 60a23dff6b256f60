"""JIRA_* settings: Jira is off unless JIRA_URL is set, and then it needs its credential."""

from __future__ import annotations

import pytest

from bot.config import ConfigError, JiraSettings, load_settings

REQUIRED = {"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": "secret"}


def test_without_jira_url_there_is_no_jira() -> None:
    assert load_settings({**REQUIRED, "JIRA_PROJECT": "OPS"}, env_file=None).jira is None


def test_jira_url_needs_the_email_and_token_it_signs_in_with() -> None:
    with pytest.raises(ConfigError) as error:
        load_settings({**REQUIRED, "JIRA_URL": "https://acme.atlassian.net"}, env_file=None)
    assert error.value.problems == ["JIRA_EMAIL is not set", "JIRA_API_TOKEN is not set"]


def test_jira_url_must_be_a_url() -> None:
    environ = {**REQUIRED, "JIRA_URL": "acme", "JIRA_EMAIL": "a@b.c", "JIRA_API_TOKEN": "t"}
    with pytest.raises(ConfigError) as error:
        load_settings(environ, env_file=None)
    assert error.value.problems == [
        "JIRA_URL must be an http(s) URL, e.g. https://acme.atlassian.net"
    ]


def test_a_full_jira_configuration() -> None:
    settings = load_settings(
        {
            **REQUIRED,
            "JIRA_URL": "https://acme.atlassian.net/",
            "JIRA_EMAIL": "bot@acme.test",
            "JIRA_API_TOKEN": "token",
            "JIRA_PROJECT": "ops",
            "JIRA_WEBHOOK_SECRET": "s3cret",
        },
        env_file=None,
    )
    assert settings.jira == JiraSettings(
        url="https://acme.atlassian.net",
        email="bot@acme.test",
        api_token="token",
        project="OPS",
        issue_type="Task",
        webhook_secret="s3cret",
    )
