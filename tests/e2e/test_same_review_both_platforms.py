"""The same post-mortem run once in Slack and once in Teams, through each real front end,
leaves the same records and renders the same documents, once each platform's references
are read as the people they stand for (and a mention's label as who it mentions: Slack
writes an unlabelled mention as the reference, Teams as the person's display name)."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path
from typing import Any

from sqlalchemy import select

from handlers.slack.ids import ActionId
from handlers.slack.reports import Documents
from models.actions.tables import Action
from models.core.clock import FrozenClock
from models.lessons.tables import Lesson
from models.postmortems.tables import Answer, Postmortem, PostmortemStatus
from models.services import Services
from templates import Templates
from tests.e2e import teamsreview
from tests.e2e.review import BEA, CAI, FACILITATOR, Review
from tests.harness import AppHarness
from tests.teamsdriver import Person, TeamsHarness

TITLE = "Checkout outage on 19 Nov"
# Who is who: (name, Slack id, Teams person)
PEOPLE = (
    ("fay", FACILITATOR, teamsreview.FACILITATOR),
    ("bea", BEA, teamsreview.BEA),
    ("cai", CAI, teamsreview.CAI),
)
SLACK_IDS = {name: slack for name, slack, _ in PEOPLE}
TEAMS = {name: person for name, _, person in PEOPLE}

# (who, what they write, whom they mention) per step; None between steps: Next.
SCRIPT: list[tuple[str, str, str | None] | None] = [
    ("fay", "Checkout failed for 14% of users", None),
    ("bea", "The mobile app retried and made it worse", None),
    ("cai", "Payments queued for 40 minutes", None),
    None,
    ("bea", "10:42 alert fired for checkout errors", None),
    ("cai", "10:55 rolled back the config change", None),
    None,
    ("fay", "Keep: the rollback runbook worked", None),
    None,
    ("cai", "Improve: no canary stage for config changes", None),
    None,
    ("fay", "action: add a canary stage for config {who} by 2026-12-04", "bea"),
    ("bea", "action: alert on checkout error rate {who} by 2026-12-11", "cai"),
    None,
    ("cai", "Thanks all", None),
]


def _copy(tmp_path: Path, migrated_sqlite: Path, name: str) -> str:
    path = tmp_path / name
    shutil.copy(migrated_sqlite, path)
    return f"sqlite:///{path}"


def run_in_slack(app: AppHarness) -> None:
    review = Review(app)
    review.start(TITLE)
    step = 1
    for line in SCRIPT:
        if line is None:
            review.next_step(step)
            step += 1
            continue
        who, text, whom = line
        mention = f"<@{SLACK_IDS[whom]}>" if whom else ""
        review.reply(text.format(who=mention), user=SLACK_IDS[who])
    review.fake.wait_for(lambda: review.count(Action) == 2, what="two actions")
    review.press("Step 6 of 6", ActionId.CLOSE)
    review.fake.wait_for(
        lambda: review.postmortem().status is PostmortemStatus.CLOSED, what="closed"
    )


def run_in_teams(teams: TeamsHarness) -> None:
    review = teamsreview.Review(teams)
    review.start(TITLE)
    for line in SCRIPT:
        if line is None:
            review.press("Next")
            continue
        who, text, whom = line
        mentions: tuple[Person, ...] = (TEAMS[whom],) if whom else ()
        mention = TEAMS[whom].mention()[0] if whom else ""
        review.reply(text.format(who=mention), by=TEAMS[who], mentions=mentions)
        # One reply at a time, as the Slack run waits for each answer: lessons and actions
        # are listed in the order they were made.
        teams.wait_until_processed()
    teams.wait_until_processed()
    review.press("Close review", expect=3 + 2 * 2)


def _as_people(value: str, ids: dict[str, list[str]] | dict[str, str]) -> str:
    for name, refs in ids.items():
        for ref in [refs] if isinstance(refs, str) else refs:
            value = value.replace(ref, f"<{name}>")
    return value


def records(services: Services, ids: dict[str, list[str]] | dict[str, str]) -> dict[str, Any]:
    """Every record of the review, each reference read as the person it stands for."""
    with services.sessions() as session:
        (postmortem,) = session.scalars(select(Postmortem))
        answers = session.scalars(select(Answer).order_by(Answer.id))
        lessons = session.scalars(select(Lesson).order_by(Lesson.id))
        actions = session.scalars(select(Action).order_by(Action.id))
        return {
            "postmortem": (
                postmortem.title,
                postmortem.kind,
                postmortem.status,
                postmortem.phase,
                _as_people(postmortem.facilitator_id, ids),
                list(postmortem.skipped_phases),
            ),
            # Replies are processed in parallel, so rows are compared whatever their ids.
            "answers": sorted(
                (a.phase, _as_people(a.author_id, ids), _as_people(a.text, ids)) for a in answers
            ),
            "lessons": sorted(
                (x.kind, _as_people(x.text, ids), _as_people(x.author_id, ids)) for x in lessons
            ),
            "actions": sorted(
                (_as_people(x.description, ids), _as_people(x.owner_id, ids), x.target_on, x.status)
                for x in actions
            ),
        }


def documents(services: Services, ids: dict[str, list[str]] | dict[str, str]) -> dict[str, str]:
    summary = services.postmortems.summary(team_id=_team(services), postmortem_id=1)
    # The link to the thread is the platform's own (Slack has permalinks; a Teams post's
    # link is not given to bots), so both are rendered without one.
    summary = dataclasses.replace(
        summary, postmortem=dataclasses.replace(summary.postmortem, permalink=None)
    )
    return {
        file["filename"]: _as_people(file["content"].decode(), ids)
        for file in Documents(Templates()).postmortem(summary)
    }


def _team(services: Services) -> str:
    with services.sessions() as session:
        return session.scalars(select(Postmortem.team_id)).one()


def test_the_same_review_in_slack_and_in_teams_leaves_the_same_records_and_documents(
    tmp_path: Path, migrated_sqlite: Path, clock: FrozenClock
) -> None:
    start = clock.now()
    with AppHarness(_copy(tmp_path, migrated_sqlite, "slack.db"), clock) as slack:
        run_in_slack(slack)
        in_slack = records(slack.services, SLACK_IDS)
        slack_documents = documents(slack.services, SLACK_IDS)
    clock.set(start)
    with TeamsHarness(_copy(tmp_path, migrated_sqlite, "teams.db"), clock) as teams:
        run_in_teams(teams)
        assert teams.services is not None
        teams_ids = {name: [person.id, person.name] for name, person in TEAMS.items()}
        in_teams = records(teams.services, teams_ids)
        teams_documents = documents(teams.services, teams_ids)

    assert len(in_slack["answers"]) == 10 and len(in_slack["actions"]) == 2
    for kind in ("postmortem", "answers", "lessons", "actions"):
        assert in_teams[kind] == in_slack[kind], kind
    assert len(slack_documents) == 2 and "Checkout failed for 14% of users" in str(slack_documents)
    assert teams_documents == slack_documents
