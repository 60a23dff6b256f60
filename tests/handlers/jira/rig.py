"""The Jira side wired as bot/app.py wires it, against the fake Jira on loopback."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk import WebClient
from sqlalchemy import Engine, select

from handlers.jira.client import JiraClient
from handlers.jira.inbound import JiraWebhook, Reconciliation, WebhookOutcome
from handlers.jira.senders import JiraSenders
from handlers.slack.blocks import Blocks
from handlers.slack.clients import SlackClients
from handlers.slack.deliveries import Courier
from models.core.clock import FrozenClock
from models.core.tables import Delivery, DeliveryStatus
from models.core.views import DeliveryView
from models.jira.owing import KINDS, JiraOwed
from models.jira.service import REFUSED_DELIVERY
from models.jira.tables import JiraIssue, Tracked
from models.lessons.tables import LessonKind
from models.services import Services
from templates import Templates
from tests.fakejira import EMAIL, TOKEN, FakeJira, FakeJiraServer

TEAM, CHANNEL = "T0TEAM", "C0INCIDENT"
FACILITATOR, BEA, CARL = "U0FACIL", "U0BEA", "U0CARL"
TODAY = date(2026, 11, 20)
SECRET = "webhook-secret"
PERMALINK = "https://acme.slack.com/archives/C0INCIDENT/p1700000000000100"


@dataclass
class JiraRig:
    fake: FakeJira
    services: Services
    courier: Courier
    clock: FrozenClock
    client: JiraClient
    emails: dict[str, str] = field(default_factory=dict)
    # Refusals the Slack front end was asked to show (its sender is tested with Slack).
    told: list[DeliveryView] = field(default_factory=list)

    def deliver(self) -> int:
        return self.courier.deliver_due()

    def post_webhook(self, payload: dict[str, Any], *, secret: str = SECRET) -> WebhookOutcome:
        raw = json.dumps(payload).encode()
        signature = "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
        return JiraWebhook(self.services.jira, SECRET).receive({"x-hub-signature": signature}, raw)

    def reconcile(self) -> int:
        return Reconciliation(self.client, self.services.jira, self.clock).run()

    def review(self, *, tags: str = "#deploys #db") -> tuple[int, int]:
        """A review with an improve lesson; returns (postmortem id, lesson id)."""
        review = self.services.postmortems.start(
            team_id=TEAM,
            channel_id=CHANNEL,
            title="Release 4.2 retro",
            facilitator_id=FACILITATOR,
            thread_ref="1700000000.000100",
            permalink=PERMALINK,
        )
        lesson = self.services.lessons.capture(
            team_id=TEAM,
            channel_id=CHANNEL,
            author_id=BEA,
            text=f"Roll back before debugging {tags}",
            kind=LessonKind.IMPROVE,
        )
        assert lesson.lesson is not None
        return review.id, lesson.lesson.id

    def action(
        self,
        postmortem_id: int,
        *,
        lesson_id: int | None = None,
        owner: str = BEA,
        due: date | None = date(2026, 12, 1),
        text: str = "Add a one-click rollback",
    ) -> int:
        return self.services.actions.add(
            team_id=TEAM,
            postmortem_id=postmortem_id,
            description=text,
            owner_id=owner,
            target_on=due,
            lesson_id=lesson_id,
            created_by=FACILITATOR,
            today=TODAY,
        ).id

    def issue_of(self, action_id: int, record: Tracked = Tracked.ACTION) -> str | None:
        with self.services.sessions() as session:
            return session.scalar(
                select(JiraIssue.issue_key).where(
                    JiraIssue.record == record, JiraIssue.record_id == action_id
                )
            )

    def owed_to_jira(self) -> list[Delivery]:
        with self.services.sessions() as session:
            return list(
                session.scalars(
                    select(Delivery).where(
                        Delivery.kind.in_(KINDS), Delivery.status == DeliveryStatus.PENDING
                    )
                )
            )


@contextmanager
def jira_rig(engine: Engine, clock: FrozenClock, project: str = "OPS") -> Iterator[JiraRig]:
    with FakeJiraServer() as server:
        services = Services.build(
            engine, clock, jira=JiraOwed(enabled=True, default_project=project)
        )
        client = JiraClient(server.url, EMAIL, TOKEN)
        # Slack is never called by the Jira senders: the address is a closed port.
        courier = Courier(
            SlackClients(WebClient(token="xoxb-test", base_url="http://127.0.0.1:9/")),
            services,
            Blocks(Templates(), lambda team_id: ZoneInfo("UTC")),
        )
        rig = JiraRig(server.fake, services, courier, clock, client)
        senders = JiraSenders(
            client, services, lambda team, user: rig.emails.get(user), issue_type="Task"
        )
        for kind, sender in senders.senders().items():
            courier.add_sender(kind, sender)
        courier.add_sender(REFUSED_DELIVERY, rig.told.append)
        yield rig
