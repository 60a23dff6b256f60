"""A whole review in a Teams channel with three people, over signed activities: started
with a mention, steps moved with the prompt cards' buttons, replies recorded per step
(an edit and a deletion included), closed with the summary and the owners' 1:1 messages."""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from email.message import Message
from typing import Any

import pytest

from handlers.slack.reports import Documents
from models.actions.tables import Action
from models.core.clock import FrozenClock
from models.postmortems.phases import ORDER, Phase
from models.postmortems.tables import Answer, Postmortem, PostmortemStatus
from templates import Templates
from tests.e2e.teamsreview import BEA, CAI, FACILITATOR, PEOPLE, Review
from tests.teamsdriver import TENANT_ID, Person, TeamsHarness, now_stamp


@pytest.fixture
def teams(database_url: str, clock: FrozenClock) -> Iterator[TeamsHarness]:
    with TeamsHarness(database_url, clock) as harness:
        yield harness


def test_whole_review_in_a_channel_ends_with_summary_owner_messages_and_records(
    teams: TeamsHarness,
) -> None:
    review = Review(teams)
    review.start("Checkout outage on 19 Nov")
    assert "Step 1 of 6" in review.prompt.card_text()  # type: ignore[union-attr]

    for person in PEOPLE:
        review.reply(f"Impact seen by {person.name}: checkout failed for 14% of users", by=person)
    edited = review.reply("Impact: a typo", by=BEA)
    teams.send(
        {
            **edited,
            "type": "messageUpdate",
            "timestamp": now_stamp(),
            "text": "<p>Impact: the mobile app failed too</p>",
        }
    )
    deleted = review.reply("Impact: wrong thread, sorry", by=CAI)
    teams.send({**deleted, "type": "messageDelete", "text": ""})
    review.press("Next")
    for i, person in enumerate(PEOPLE):
        review.reply(f"10:4{i} {person.name} saw the error rate climb", by=person)
    review.press("Next")
    for person in PEOPLE:
        review.reply(f"Keep: the rollback runbook worked ({person.name})", by=person)
    review.press("Next")
    review.reply("Improve: no canary stage for config changes", by=CAI)
    review.press("Next")
    review.reply(
        f"action: add a canary stage for config {BEA.mention()[0]} by 2026-12-04",
        by=FACILITATOR,
        mentions=(BEA,),
    )
    review.reply(
        f"action: alert on checkout error rate {CAI.mention()[0]} by 11 dec",
        by=BEA,
        mentions=(CAI,),
    )
    for person in PEOPLE:
        teams.fake.add_member(person.id, person.object_id)
    stranger = Person("29:1xyz" + "0" * 60, "Not In Team")
    review.add_action("Rotate the on-call pager", owner=stranger, target_on="2026-12-18", by=CAI)
    assert "Pick an owner who is in this team" in teams.fake.sent()[-1].card_text()
    review.add_action(
        "Write the <b>config-change</b> runbook", owner=FACILITATOR, target_on="2026-12-18", by=CAI
    )
    assert "Action added" in teams.fake.sent()[-1].card_text()
    assert "Write the <b>config-change</b> runbook" in teams.fake.sent()[-1].card_text()
    review.press("Next")
    assert "Step 6 of 6" in review.prompt.card_text()  # type: ignore[union-attr]
    review.reply("Thanks all", by=CAI)

    # Only the facilitator may close: Bea's press is answered in the chain, nothing closes.
    review.press("Close review", by=BEA, expect=1)
    assert "Only the facilitator" in teams.fake.sent()[-1].card_text()
    before = len(teams.fake.sent())
    # Closed prompt, summary, root marked closed, and per owner: a 1:1 opened and a message.
    review.press("Close review", expect=3 + 3 * 2)
    sent = teams.fake.sent()[before:]

    summary = next(s for s in sent if s.kind == "reply" and "Summary" in s.card_text())
    text = summary.card_text()
    assert "Checkout outage on 19 Nov" in text
    assert "Impact: the mobile app failed too" in text and "a typo" not in text
    assert "wrong thread" not in text
    assert "add a canary stage for config" in text
    root_update = next(s for s in sent if s.kind == "update" and s.activity_id == review.root)
    assert "(closed)" in root_update.card_text()
    opened = [s for s in sent if s.kind == "create"]
    assert sorted(s.body["members"][0]["id"] for s in opened) == sorted(p.id for p in PEOPLE)
    assert all(s.body["tenantId"] for s in opened)
    notes = [s for s in sent if s.kind == "send" and s.conversation_id.startswith("a:")]
    assert len(notes) == 3
    assert {n.conversation_id for n in notes} == {s.id for s in opened}

    (postmortem,) = review.records(Postmortem)
    assert postmortem.status is PostmortemStatus.CLOSED
    answers = review.records(Answer)
    by_phase = {phase: [a for a in answers if a.phase is phase] for phase in ORDER}
    assert len(by_phase[Phase.IMPACT]) == 4  # three, plus Bea's edited one
    assert len(by_phase[Phase.TIMELINE]) == 3
    assert len(by_phase[Phase.WENT_WELL]) == 3
    actions = review.records(Action)
    assert sorted((a.owner_id, str(a.target_on)) for a in actions) == [
        (BEA.id, "2026-12-04"),
        (CAI.id, "2026-12-11"),
        (FACILITATOR.id, "2026-12-18"),
    ]
    assert teams.fake.unauthorised == 0
    the_documents_are_linked(teams, summary.card, postmortem.id)


def the_documents_are_linked(teams: TeamsHarness, card: dict[str, Any], postmortem_id: int) -> None:
    """The summary card's two links serve the same document Slack uploads, while the
    token holds; an altered or expired token gets a status and nothing else."""
    assert teams.services is not None
    links = {a["title"]: a["url"] for a in card["actions"] if a["type"] == "Action.OpenUrl"}
    assert sorted(links) == ["Document (Markdown)", "Document (web page)"]
    assert all(url.startswith(f"{teams.base_url}/teams/documents/") for url in links.values())
    summary = teams.services.postmortems.summary(team_id=TENANT_ID, postmortem_id=postmortem_id)
    files = {
        f["filename"].rsplit(".", 1)[1]: f["content"]
        for f in Documents(Templates()).postmortem(summary)
    }

    markdown = get(links["Document (Markdown)"])
    html = get(links["Document (web page)"])
    assert (markdown.status, markdown.body) == (200, files["md"])
    assert markdown.headers["Content-Type"] == "text/markdown; charset=utf-8"
    assert (html.status, html.body) == (200, files["html"])
    assert html.headers["Content-Type"] == "text/html; charset=utf-8"
    assert "default-src 'none'" in html.headers["Content-Security-Policy"]
    assert b"Checkout outage on 19 Nov" in html.body

    url = links["Document (Markdown)"]
    claims, signature = url.rsplit("/", 1)[1].split(".")
    forged_claims = claims[:-2] + ("AA" if claims[-2:] != "AA" else "BB")
    for forged in (
        f"{url.rsplit('/', 1)[0]}/{forged_claims}.{signature}",
        f"{url.rsplit('/', 1)[0]}/{claims}.{signature[:-2]}xy",
        f"{url.rsplit('/', 1)[0]}/{claims}",
        f"{url.rsplit('/', 1)[0]}/not-a-token",
    ):
        refused = get(forged)
        assert (refused.status, refused.body) == (404, b"")
    assert get(url, method="POST").status == 405

    assert isinstance(teams.clock, FrozenClock)
    teams.clock.advance(timedelta(days=30))
    expired = get(url)
    assert (expired.status, expired.body) == (410, b"")


@dataclass(frozen=True)
class Got:
    status: int
    headers: Message
    body: bytes


def get(url: str, method: str = "GET") -> Got:
    request = urllib.request.Request(url, method=method, data=b"" if method == "POST" else None)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return Got(response.status, response.headers, response.read())
    except urllib.error.HTTPError as refused:
        return Got(refused.code, refused.headers, refused.read())


def test_the_coach_nudges_a_blaming_reply_in_a_1to1_and_an_action_reply_is_announced(
    teams: TeamsHarness,
) -> None:
    review = Review(teams)
    review.start("Checkout outage")
    for _ in range(3):
        review.press("Next")
    before = len(teams.fake.sent())
    review.reply("Improve: Dan forgot to check the config again, he was careless", by=BEA)
    teams.wait_until_processed()
    opened, nudge = teams.fake.sent()[before:]
    assert opened.kind == "create" and opened.body["members"] == [{"id": BEA.id}]
    assert nudge.kind == "send" and nudge.conversation_id == opened.id
    assert "blameless coach" in nudge.card_text()

    review.press("Next")
    before = len(teams.fake.sent())
    review.reply(
        f"action: add a config check {CAI.mention()[0]} by 2026-12-04", by=BEA, mentions=(CAI,)
    )
    teams.wait_until_processed()
    (announced,) = teams.fake.sent()[before:]
    assert announced.kind == "reply" and announced.activity_id == review.root
    assert "Action added" in announced.card_text() and "add a config check" in announced.card_text()
