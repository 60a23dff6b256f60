"""The scheduled jobs are built one way for `serve`'s worker process and for
`lessonloop scheduler`: each runs everything the app plans, sends and cleans up."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.app import create_app
from bot.config import load_settings
from bot.scheduler import scheduler_for
from models.core.db import make_engine, upgrade_schema
from tests.fakejira import EMAIL, TOKEN, FakeJiraServer
from tests.fakeslack import FakeSlack
from tests.harness import SIGNING_SECRET


@pytest.mark.parametrize("with_jira", [False, True])
def test_the_scheduler_runs_planning_sending_purging_and_reconciliation(
    tmp_path: Path, with_jira: bool
) -> None:
    database_url = f"sqlite:///{tmp_path / 'lessonloop.db'}"
    values = {
        "SLACK_BOT_TOKEN": "xoxb-test-token",
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "DATABASE_URL": database_url,
    }
    engine = make_engine(database_url)
    upgrade_schema(engine)
    with FakeSlack() as slack, FakeJiraServer() as jira:
        values["SLACK_API_URL"] = slack.api_url
        if with_jira:
            values |= {"JIRA_URL": jira.url, "JIRA_EMAIL": EMAIL, "JIRA_API_TOKEN": TOKEN}
        lessonloop = create_app(load_settings(values, env_file=None), engine=engine)
        scheduler = scheduler_for(lessonloop)

    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert set(jobs) == ({"deliver-due", "jira-reconcile"} if with_jira else {"deliver-due"})
    courier, plan, inbox, purge = jobs["deliver-due"].args
    assert courier is lessonloop.courier and inbox is lessonloop.inbox
    # Reminders, agendas and OKR check-ins are planned; uninstalled workspaces are purged.
    assert plan == lessonloop.services.plan_due
    assert purge == lessonloop.services.lifecycle.purge_expired
    if with_jira:
        assert lessonloop.jira is not None
        assert jobs["jira-reconcile"].func == lessonloop.jira.reconciliation.run
    engine.dispose()
