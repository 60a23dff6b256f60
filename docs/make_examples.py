"""Regenerates the examples in docs/ from the real code path.

    python docs/make_examples.py

A review is run through the services (replies, lessons, actions, close) and a programme of
60 reviews (six release retros) is seeded, both in a temporary SQLite database; the
documents and chart are built exactly as the app builds them, and the post-mortem page is
screenshotted with headless Chromium (Debian's `chromium`).
"""

from __future__ import annotations

import sys
import tempfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

# Run as a script, so put the repository root on the path for the app's packages.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.programme import seed_programme
from handlers.slack.reports import Documents
from models.core.clock import FrozenClock
from models.core.db import make_engine, upgrade_schema
from models.core.references import Platform
from models.core.text import Said
from models.postmortems import Move
from models.postmortems.phases import Phase
from models.services import Services
from templates import Templates
from tests.chromium import screenshot

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
TEAM, CHANNEL, BOARD = "T0EXAMPLE", "C0INCIDENTS", "C0PLATFORM"
FACILITATOR, BEA, CAI, DAN = "U0FACIL01", "U0BEA0002", "U0CAI0003", "U0DAN0004"
STORY = {
    Phase.IMPACT: [
        (BEA, "Checkout failed for 14% of users for 38 minutes; about 2,100 orders were retried."),
        (CAI, "Support saw 240 tickets; the status page went amber at 10:52."),
    ],
    Phase.TIMELINE: [
        (CAI, "10:40 config change to the payment gateway timeout rolled out to all regions"),
        (BEA, "10:46 error-rate alert fired; on-call paged"),
        (FACILITATOR, "11:18 rollback complete, error rate back to normal"),
    ],
    Phase.WENT_WELL: [
        (BEA, "The rollback runbook worked first time #runbook"),
        (DAN, "Status page updated within 5 minutes of the page"),
    ],
    Phase.IMPROVE: [
        (CAI, "Config changes skip the canary stage that code changes get #deploy"),
        (BEA, "The alert fired 6 minutes after customers noticed; the threshold is 5% #alerting"),
    ],
}
ACTIONS = [
    (BEA, "Add a canary stage for config changes", date(2026, 12, 4)),
    (CAI, "Alert on checkout error rate above 2%", date(2026, 12, 11)),
    (FACILITATOR, "Write the config-change runbook", date(2026, 12, 18)),
]


def main() -> None:
    clock = FrozenClock(datetime(2026, 11, 19, 14, 0, tzinfo=UTC))
    with tempfile.TemporaryDirectory() as directory:
        engine = make_engine(f"sqlite:///{directory}/examples.db")
        upgrade_schema(engine)
        services = Services.build(engine, clock)
        documents = Documents(Templates())

        postmortem_id = run_review(services, clock)
        summary = services.postmortems.summary(team_id=TEAM, postmortem_id=postmortem_id)
        markdown, html = documents.postmortem(summary)
        (DOCS / "example-postmortem.md").write_bytes(markdown["content"])
        (DOCS / "example-postmortem.html").write_bytes(html["content"])
        screenshot(DOCS / "example-postmortem.html", DOCS / "example-postmortem.png")

        seed_programme(
            services.sessions,
            team_id=TEAM,
            channel_id=BOARD,
            end=clock.now(),
            postmortems=60,
            lessons=400,
            actions=400,
            days=360,
        )
        board = services.reports.board(team_id=TEAM, channel_id=BOARD, today=clock.now().date())
        chart, board_md, board_html = documents.board(board, "#platform")
        (DOCS / "example-trend.png").write_bytes(chart["content"])
        (DOCS / "example-board.md").write_bytes(board_md["content"])
        (DOCS / "example-board.html").write_bytes(board_html["content"])
        engine.dispose()
    for path in sorted(DOCS.glob("example-*")):
        print(f"wrote {path.relative_to(ROOT)} ({path.stat().st_size:,} bytes)")


def run_review(services: Services, clock: FrozenClock) -> int:
    pm = services.postmortems.start(
        team_id=TEAM,
        channel_id=CHANNEL,
        thread_ref="1795096800.000100",
        posted_at=datetime(2026, 11, 19, 14, 0, 0, 100, tzinfo=UTC),
        title="Checkout outage on 19 Nov",
        facilitator_id=FACILITATOR,
        permalink=f"https://example.slack.com/archives/{CHANNEL}/p1795096800000100",
    )
    n = 0
    for phase in (Phase.IMPACT, Phase.TIMELINE, Phase.WENT_WELL, Phase.IMPROVE, Phase.ACTIONS):
        replies = STORY.get(phase, [])
        if phase is Phase.ACTIONS:
            replies = [
                (FACILITATOR, f"action: {what} @{owner} by {when:%Y-%m-%d}")
                for owner, what, when in ACTIONS
            ]
        for author, text in replies:
            n += 1
            clock.advance(timedelta(minutes=3))
            services.postmortems.record_reply(
                team_id=TEAM,
                channel_id=CHANNEL,
                thread_ref=pm.thread_ref,
                message_ref=f"{clock.now().timestamp():.6f}",
                said_at=clock.now(),
                author_id=author,
                said=Said(text),
                platform=Platform.SLACK,
                event_id=f"EvExample{n}",
                today=clock.now().date(),
            )
        clock.advance(timedelta(minutes=1))
        services.postmortems.move(
            team_id=TEAM,
            postmortem_id=pm.id,
            from_phase=phase,
            move=Move.NEXT,
            by_user=FACILITATOR,
            clicked_at=clock.now(),
        )
    clock.advance(timedelta(minutes=10))
    services.postmortems.close(team_id=TEAM, postmortem_id=pm.id, by_user=FACILITATOR)
    return pm.id


if __name__ == "__main__":
    main()
