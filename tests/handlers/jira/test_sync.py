"""Lessons and actions kept in step with Jira both ways, against a fake Jira Cloud on
loopback answering the REST v3 paths and shapes."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from models.actions.tables import ActionEvent, ActionStatus
from models.actions.updates import Change, Update
from models.core.tables import Delivery, DeliveryStatus
from models.followup.views import Scope, ScopeKind
from models.jira.owing import CREATE_ACTION
from models.jira.service import REFUSED_DELIVERY
from models.jira.tables import Tracked
from tests.fakejira import Fault
from tests.handlers.jira.rig import BEA, CARL, CHANNEL, PERMALINK, TEAM, TODAY, JiraRig


def _texts(node: object) -> list[str]:
    """Every text and link of an ADF document, in order."""
    if isinstance(node, dict):
        found = [node["text"]] if node.get("type") == "text" else []
        found += [m["attrs"]["href"] for m in node.get("marks", []) if m["type"] == "link"]
        return found + [t for child in node.get("content", []) for t in _texts(child)]
    return []


def _update(jira: JiraRig, action_id: int, update: Update) -> None:
    jira.services.updates.update(
        team_id=TEAM,
        action_id=action_id,
        by_user=BEA,
        update=update,
        scope=Scope(ScopeKind.OWNER, BEA),
        today=TODAY,
    )


def _history(jira: JiraRig, action_id: int) -> list[tuple[str, str, str | None]]:
    with jira.services.sessions() as session:
        return [
            (e.what, e.actor_id, e.new_value)
            for e in session.scalars(
                select(ActionEvent)
                .where(ActionEvent.action_id == action_id)
                .order_by(ActionEvent.id)
            )
        ]


def test_action_becomes_an_issue_with_every_field(jira: JiraRig) -> None:
    jira.fake.users["bea@acme.test"] = "acc-bea"
    jira.emails[BEA] = "bea@acme.test"
    review_id, lesson_id = jira.review()
    jira.deliver()  # the lesson's issue first
    action_id = jira.action(review_id, lesson_id=lesson_id)
    jira.deliver()

    key = jira.issue_of(action_id)
    assert key is not None
    fields = jira.fake.issues[key]["fields"]
    assert fields["project"] == {"key": "OPS"}
    assert fields["issuetype"] == {"name": "Task"}
    assert fields["summary"] == "Add a one-click rollback"
    assert fields["duedate"] == "2026-12-01"
    assert fields["assignee"] == {"accountId": "acc-bea"}
    assert fields["labels"] == ["lessonloop", f"lessonloop-action-{action_id}", "db", "deploys"]
    description = _texts(fields["description"])
    assert "Roll back before debugging #deploys #db" in description  # the lesson it addresses
    assert PERMALINK in description  # a link to the Slack thread
    assert fields["description"]["type"] == "doc"
    lesson_key = jira.issue_of(lesson_id, Tracked.LESSON)
    assert lesson_key is not None
    assert jira.fake.links == [
        {
            "type": {"name": "Relates"},
            "inwardIssue": {"key": key},
            "outwardIssue": {"key": lesson_key},
        }
    ]
    assert jira.fake.comments.get(key) is None


def test_lesson_created_after_its_action_is_linked_to_it(jira: JiraRig) -> None:
    review_id, lesson_id = jira.review()
    action_id = jira.action(review_id, lesson_id=lesson_id)
    jira.deliver()
    # Sent in the order they were owed: the lesson's issue exists when the action's is made.
    assert len(jira.fake.links) == 1
    assert jira.fake.links[0]["inwardIssue"] == {"key": jira.issue_of(action_id)}


def test_owner_without_a_jira_account_leaves_the_issue_unassigned_with_a_comment(
    jira: JiraRig,
) -> None:
    jira.emails[CARL] = "carl@elsewhere.test"
    review_id, _ = jira.review()
    action_id = jira.action(review_id, owner=CARL)
    jira.deliver()
    key = jira.issue_of(action_id)
    assert key is not None
    assert jira.fake.issues[key]["fields"]["assignee"] is None
    [comment] = jira.fake.comments[key]
    assert "no Jira user" in " ".join(_texts(comment))


def test_crash_between_jiras_answer_and_the_record_makes_no_duplicate(jira: JiraRig) -> None:
    review_id, _ = jira.review(tags="")
    jira.deliver()
    jira.fake.drop_after_create = 1  # Jira creates the issue; its answer never arrives
    action_id = jira.action(review_id)
    jira.deliver()
    assert jira.issue_of(action_id) is None
    assert len(jira.fake.issues_labelled(f"lessonloop-action-{action_id}")) == 1

    jira.clock.advance(timedelta(minutes=5))
    jira.deliver()
    [issue] = jira.fake.issues_labelled(f"lessonloop-action-{action_id}")
    assert jira.issue_of(action_id) == issue["key"]
    assert ("GET", "/rest/api/3/search/jql") in jira.fake.calls


def test_what_a_dead_process_had_in_flight_is_sent_again_within_a_minute(jira: JiraRig) -> None:
    review_id, _ = jira.review(tags="")
    jira.deliver()
    action_id = jira.action(review_id)
    claimed = jira.services.deliveries.claim_due()  # a process claims it, then dies
    assert [d.kind for d in claimed] == [CREATE_ACTION]
    with jira.services.sessions() as session:
        leased = session.scalars(
            select(Delivery.claimed_until).where(Delivery.kind == CREATE_ACTION)
        ).one()
        assert leased == jira.clock.now() + timedelta(seconds=45)  # not the 5 minutes of others
    assert jira.deliver() == 0  # still leased
    jira.clock.advance(timedelta(seconds=44))
    assert jira.deliver() == 0

    jira.clock.advance(timedelta(seconds=2))  # the short lease is over: well within a minute
    assert jira.deliver() == 1
    assert len(jira.fake.issues_labelled(f"lessonloop-action-{action_id}")) == 1


def test_rate_limit_and_server_errors_are_retried_never_lost(jira: JiraRig) -> None:
    review_id, _ = jira.review(tags="")
    jira.deliver()
    action_id = jira.action(review_id, owner=CARL)
    jira.fake.faults = [Fault(429, retry_after=7), Fault(503)]

    assert jira.deliver() == 0  # 429: due again after Retry-After
    with jira.services.sessions() as session:
        row = session.scalars(select(Delivery).where(Delivery.kind == CREATE_ACTION)).one()
        assert row.status is DeliveryStatus.PENDING
        assert row.due_at == jira.clock.now() + timedelta(seconds=7)
        assert "429" in (row.last_error or "")
    jira.clock.advance(timedelta(seconds=7))
    assert jira.deliver() == 0  # 503: growing back-off
    jira.clock.advance(timedelta(minutes=4))
    assert jira.deliver() == 1
    assert jira.issue_of(action_id) is not None
    assert len(jira.fake.issues_labelled(f"lessonloop-action-{action_id}")) == 1


def test_permanent_refusal_is_recorded_and_told_in_the_channel_once(jira: JiraRig) -> None:
    jira.services.jira.choose_project(
        team_id=TEAM, channel_id=CHANNEL, project_key="GONE", by_user=BEA
    )
    review_id, _ = jira.review(tags="")
    first, second = jira.action(review_id), jira.action(review_id, text="Page the DBA")
    jira.deliver()
    with jira.services.sessions() as session:
        creates = session.scalars(select(Delivery).where(Delivery.kind == CREATE_ACTION)).all()
        assert {d.subject_id for d in creates} == {first, second}
        assert all(d.status is DeliveryStatus.FAILED for d in creates)
        assert all("400" in (d.last_error or "") for d in creates)
        [told] = session.scalars(select(Delivery).where(Delivery.kind == REFUSED_DELIVERY)).all()
        assert told.status is DeliveryStatus.SENT
    assert [(d.recipient_id, d.payload["project"]) for d in jira.told] == [(CHANNEL, "GONE")]


def test_status_date_and_notes_made_in_slack_go_to_jira(jira: JiraRig) -> None:
    review_id, _ = jira.review(tags="")
    action_id = jira.action(review_id)
    jira.deliver()
    key = jira.issue_of(action_id)
    assert key is not None and jira.fake.category_of(key) == "new"

    _update(jira, action_id, Update(Change.IN_PROGRESS))
    jira.deliver()
    assert jira.fake.category_of(key) == "indeterminate"
    _update(jira, action_id, Update(Change.DATE, target_on=date(2026, 12, 24)))
    _update(jira, action_id, Update(Change.NOTE, note="Waiting on <!channel> the vendor"))
    jira.deliver()
    assert jira.fake.issues[key]["fields"]["duedate"] == "2026-12-24"
    comment = jira.fake.comments[key][-1]
    assert " ".join(_texts(comment)) == "Note from Slack: Waiting on <!channel> the vendor"
    _update(jira, action_id, Update(Change.DONE))
    jira.deliver()
    assert jira.fake.category_of(key) == "done"
    assert jira.fake.issues[key]["fields"]["status"]["name"] == "Done"


def test_changes_made_in_jira_update_the_action_and_its_history(jira: JiraRig) -> None:
    jira.fake.users |= {"bea@acme.test": "acc-bea", "carl@acme.test": "acc-carl"}
    jira.emails |= {BEA: "bea@acme.test", CARL: "carl@acme.test"}
    review_id, _ = jira.review(tags="")
    action_id, other = jira.action(review_id), jira.action(review_id, owner=CARL)
    jira.deliver()
    key = jira.issue_of(action_id)
    assert key is not None

    webhook = jira.fake.change(
        key, by="acc-carl", category="done", due=date(2026, 12, 5), assignee="acc-carl"
    )
    assert jira.post_webhook(webhook).status == 200
    action = jira.services.actions.get(team_id=TEAM, action_id=action_id)
    assert action is not None
    assert action.status is ActionStatus.DONE
    assert action.target_on == date(2026, 12, 5)
    assert action.owner_id == CARL
    assert _history(jira, action_id)[1:] == [
        ("status", CARL, "done"),
        ("target", CARL, "2026-12-05"),
        ("owner", CARL, CARL),
    ]
    # It shows where owners look: Carl's open actions no longer list it (done).
    assert [a.id for a in jira.services.actions.open_for_owner(team_id=TEAM, owner_id=CARL)] == [
        other
    ]


def test_forged_or_unsigned_webhook_is_refused_and_changes_nothing(jira: JiraRig) -> None:
    review_id, _ = jira.review(tags="")
    action_id = jira.action(review_id)
    jira.deliver()
    key = jira.issue_of(action_id)
    assert key is not None
    webhook = jira.fake.change(key, by="acc-mallory", category="done")

    assert jira.post_webhook(webhook, secret="guessed").status == 401
    from handlers.jira.inbound import JiraWebhook

    unsigned = JiraWebhook(jira.services.jira, "webhook-secret").receive({}, b"{not json")
    assert unsigned.status == 401
    action = jira.services.actions.get(team_id=TEAM, action_id=action_id)
    assert action is not None and action.status is ActionStatus.OPEN


def test_a_missed_webhook_is_caught_by_reconciliation(jira: JiraRig) -> None:
    review_id, _ = jira.review(tags="")
    action_id = jira.action(review_id)
    jira.deliver()
    key = jira.issue_of(action_id)
    assert key is not None
    jira.fake.change(key, by="acc-dan", category="indeterminate", due=None)  # never delivered

    assert jira.reconcile() == 1
    action = jira.services.actions.get(team_id=TEAM, action_id=action_id)
    assert action is not None
    assert action.status is ActionStatus.IN_PROGRESS
    assert action.target_on is None
    assert jira.reconcile() == 0  # read again, changes nothing
    assert jira.services.jira.reconciled_at() == jira.clock.now()


def test_no_echo_loop_either_way(jira: JiraRig) -> None:
    review_id, _ = jira.review(tags="")
    action_id = jira.action(review_id)
    jira.deliver()
    key = jira.issue_of(action_id)
    assert key is not None

    # Slack -> Jira: Jira's webhook about Lessonloop's own change changes nothing.
    _update(jira, action_id, Update(Change.DONE))
    jira.deliver()
    history = _history(jira, action_id)
    assert jira.post_webhook(jira.fake.webhook("jira:issue_updated", key, by="bot")).status == 200
    assert _history(jira, action_id) == history
    assert jira.owed_to_jira() == []

    # Jira -> Slack: a change read from Jira owes Jira nothing, so nothing is written back.
    calls = len(jira.fake.calls)
    jira.post_webhook(jira.fake.change(key, by="acc-dan", category="new"))
    action = jira.services.actions.get(team_id=TEAM, action_id=action_id)
    assert action is not None and action.status is ActionStatus.OPEN
    assert jira.owed_to_jira() == []
    jira.deliver()
    assert len(jira.fake.calls) == calls


def test_a_late_webhook_older_than_the_last_change_read_is_ignored(jira: JiraRig) -> None:
    review_id, _ = jira.review(tags="")
    action_id = jira.action(review_id)
    jira.deliver()
    key = jira.issue_of(action_id)
    assert key is not None
    older = jira.fake.change(key, by="acc-dan", category="indeterminate")
    older["issue"]["fields"]["updated"] = "2020-01-01T00:00:00.000+0000"
    jira.post_webhook(jira.fake.change(key, by="acc-dan", category="done"))
    jira.post_webhook(older)
    action = jira.services.actions.get(team_id=TEAM, action_id=action_id)
    assert action is not None and action.status is ActionStatus.DONE


def test_a_channel_with_jira_off_owes_nothing_and_back_fill_sends_each_record_once(
    jira: JiraRig,
) -> None:
    jira.services.jira.choose_project(
        team_id=TEAM, channel_id=CHANNEL, project_key=None, by_user=BEA
    )
    review_id, lesson_id = jira.review(tags="")
    action_id = jira.action(review_id, lesson_id=lesson_id)
    assert jira.owed_to_jira() == []

    jira.services.jira.choose_project(
        team_id=TEAM, channel_id=CHANNEL, project_key="web", by_user=BEA
    )
    assert jira.services.jira.back_fill(team_id=TEAM, channel_id=CHANNEL) == 2
    assert jira.services.jira.back_fill(team_id=TEAM, channel_id=CHANNEL) == 0  # on its way
    jira.deliver()
    assert jira.services.jira.back_fill(team_id=TEAM, channel_id=CHANNEL) == 0  # has issues
    assert (jira.issue_of(action_id) or "").startswith("WEB-")
    assert (jira.issue_of(lesson_id, Tracked.LESSON) or "").startswith("WEB-")
    assert len(jira.fake.issues) == 2


def test_deleted_issue_leaves_the_action_untracked(jira: JiraRig) -> None:
    review_id, _ = jira.review(tags="")
    action_id = jira.action(review_id)
    jira.deliver()
    key = jira.issue_of(action_id)
    assert key is not None
    assert (
        jira.post_webhook(jira.fake.webhook("jira:issue_deleted", key, by="acc-dan")).status == 200
    )
    assert jira.issue_of(action_id) is None


def test_a_retry_after_a_crash_brings_the_found_issue_to_the_latest_state(jira: JiraRig) -> None:
    review_id, _ = jira.review(tags="")
    jira.deliver()
    jira.fake.drop_after_create = 1
    action_id = jira.action(review_id)
    jira.deliver()
    _update(jira, action_id, Update(Change.IN_PROGRESS))  # while the key is unknown

    jira.clock.advance(timedelta(minutes=5))
    jira.deliver()
    [issue] = jira.fake.issues_labelled(f"lessonloop-action-{action_id}")
    assert jira.issue_of(action_id) == issue["key"]
    assert jira.fake.category_of(issue["key"]) == "indeterminate"


def test_a_dropped_action_closes_its_issue_as_wont_do(jira: JiraRig) -> None:
    # Nothing in the app drops an action yet; the rule is ready for when something does.
    from models.actions.tables import Action
    from models.jira.owing import JiraOwed

    review_id, _ = jira.review(tags="")
    action_id = jira.action(review_id)
    jira.deliver()
    key = jira.issue_of(action_id)
    assert key is not None
    with jira.services.sessions.begin() as session:
        action = session.get_one(Action, action_id)
        action.change_status(ActionStatus.DROPPED, by=BEA, at=jira.clock.now())
        owed = JiraOwed(enabled=True, default_project="OPS")
        owed.action_changed(session, action, jira.clock.now())
    jira.deliver()
    assert jira.fake.issues[key]["fields"]["status"]["name"] == "Won't Do"


def test_an_edited_action_brings_its_new_owner_and_words_to_the_issue(jira: JiraRig) -> None:
    # An action's reply edited in the thread changes its words and owner in the same way.
    from models.actions.tables import Action
    from models.jira.owing import JiraOwed

    jira.fake.users["carl@acme.test"] = "acc-carl"
    jira.emails[CARL] = "carl@acme.test"
    review_id, _ = jira.review(tags="")
    action_id = jira.action(review_id)
    jira.deliver()
    key = jira.issue_of(action_id)
    assert key is not None
    with jira.services.sessions.begin() as session:
        action = session.get_one(Action, action_id)
        action.description, action.owner_id = "Add a two-click rollback", CARL
        JiraOwed(enabled=True, default_project="OPS").action_changed(
            session, action, jira.clock.now()
        )
    jira.deliver()
    fields = jira.fake.issues[key]["fields"]
    assert fields["summary"] == "Add a two-click rollback"
    assert fields["assignee"] == {"accountId": "acc-carl"}
    calls = len(jira.fake.calls)
    # Jira's webhook about it changes nothing, and nothing is written back.
    jira.post_webhook(jira.fake.webhook("jira:issue_updated", key, by="bot"))
    jira.deliver()
    assert len(jira.fake.calls) == calls
    assert _history(jira, action_id) == [("created", "U0FACIL", None)]
