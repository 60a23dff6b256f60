"""1,000 actions sent to a fake Jira Cloud that answers 429 (Retry-After: 1) to one call
in ten: how long until every action has its issue, and proof that each has exactly one.

Run from the repository root:

    python benchmarks/jira_sync.py [--actions N] [--throttle-every N] [--owners N]

The layout is production's for the Jira side: a migrated SQLite database in a temporary
directory, the system clock, the real outbox and courier with the Jira senders of
handlers/jira/ and atlassian-python-api's client over HTTP to tests/fakejira.py on
127.0.0.1. The actions are created first (each owes its issue in its own transaction, as
in the app), then the courier sends what is due until nothing is owed; a 429 goes back
to the outbox and is due again after its Retry-After. Each owner's Jira account is looked
up once, by the email Slack would give.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from collections import Counter
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

from slack_sdk import WebClient
from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from handlers.jira.client import JiraClient
from handlers.jira.senders import JiraSenders
from handlers.slack.blocks import Blocks
from handlers.slack.clients import SlackClients
from handlers.slack.deliveries import Courier
from models.core.clock import SystemClock
from models.core.db import make_engine, upgrade_schema
from models.core.tables import Delivery, DeliveryStatus
from models.jira.owing import KINDS, JiraOwed
from models.jira.tables import JiraIssue, Tracked
from models.services import Services
from templates import Templates
from tests.fakejira import EMAIL, TOKEN, FakeJira, FakeJiraServer

TEAM, CHANNEL = "T0BENCH", "C0BENCH"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--actions", type=int, default=1000)
    parser.add_argument("--throttle-every", type=int, default=10)
    parser.add_argument("--owners", type=int, default=25)
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)  # a 429 is logged as a warning each time

    with tempfile.TemporaryDirectory() as tmp, FakeJiraServer(FakeJira()) as server:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'bench.db'}")
        upgrade_schema(engine)
        clock = SystemClock()
        services = Services.build(engine, clock, jira=JiraOwed(enabled=True, default_project="OPS"))
        owners = [f"U0OWNER{i:03d}" for i in range(args.owners)]
        emails = {owner: f"{owner.lower()}@acme.test" for owner in owners}
        server.fake.users |= {email: f"acc-{owner}" for owner, email in emails.items()}

        review = services.postmortems.start(
            team_id=TEAM,
            channel_id=CHANNEL,
            title="Benchmark review",
            facilitator_id=owners[0],
            thread_ref="1700000000.000100",  # posted already: nothing is owed to Slack
        )
        today = clock.now().date()
        created = time.perf_counter()
        ids = [
            services.actions.add(
                team_id=TEAM,
                postmortem_id=review.id,
                description=f"Action number {n}",
                owner_id=owners[n % len(owners)],
                target_on=date(today.year + 1, 1, 1 + n % 28),
                lesson_id=None,
                created_by=owners[0],
                today=today,
            ).id
            for n in range(args.actions)
        ]
        owing = time.perf_counter() - created

        courier = Courier(
            SlackClients(WebClient(token="xoxb-unused", base_url="http://127.0.0.1:9/")),
            services,
            Blocks(Templates(), lambda team_id: ZoneInfo("UTC")),
        )
        client = JiraClient(server.url, EMAIL, TOKEN)
        senders = JiraSenders(
            client, services, lambda team, user: emails.get(user), issue_type="Task"
        )
        for kind, sender in senders.senders().items():
            courier.add_sender(kind, sender)

        server.fake.throttle_every = args.throttle_every
        started = time.perf_counter()
        rounds = 0
        while True:
            rounds += 1
            courier.deliver_due()
            with services.sessions() as session:
                pending = session.scalars(
                    select(Delivery.due_at).where(
                        Delivery.kind.in_(KINDS), Delivery.status == DeliveryStatus.PENDING
                    )
                ).all()
            if not pending:
                break
            wait = (min(pending) - clock.now()).total_seconds()
            time.sleep(min(max(wait, 0.05), 5.0))
        took = time.perf_counter() - started

        with services.sessions() as session:
            failed = session.scalar(
                select(Delivery.id).where(Delivery.status == DeliveryStatus.FAILED).limit(1)
            )
            links = dict(
                session.execute(
                    select(JiraIssue.record_id, JiraIssue.issue_key).where(
                        JiraIssue.record == Tracked.ACTION
                    )
                ).all()
            )
        per_action = Counter(
            label
            for issue in server.fake.issues.values()
            for label in issue["fields"]["labels"]
            if label.startswith("lessonloop-action-")
        )
        throttled = len(server.fake.calls) // args.throttle_every if args.throttle_every else 0
        exactly_one = all(per_action[f"lessonloop-action-{i}"] == 1 for i in ids)
        recorded = all(
            i in links
            and f"lessonloop-action-{i}" in server.fake.issues[links[i]]["fields"]["labels"]
            for i in ids
        )
        print(f"actions: {args.actions}, owners: {args.owners}")
        print(f"owing (actions created, each owing its issue): {owing:.2f} s")
        print(
            f"sending: {took:.2f} s ({args.actions / took:.0f} actions/s) in {rounds} rounds of "
            "the courier"
        )
        print(
            f"Jira calls: {len(server.fake.calls)}, of which answered 429: {throttled} "
            f"(one in {args.throttle_every})"
        )
        print(f"issues in Jira: {len(server.fake.issues)}; failed deliveries: {failed is not None}")
        print(f"every action has exactly one issue: {exactly_one}; its key recorded: {recorded}")
        return 0 if exactly_one and recorded and len(server.fake.issues) == args.actions else 1


if __name__ == "__main__":
    sys.exit(main())
