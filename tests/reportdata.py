"""A realistic programme-board summary, with whatever text people might have typed."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from models.actions.tables import ActionStatus
from models.actions.views import TrendPoint
from models.reports.service import ActionLine, BoardSummary, OkrLine, OwnerLoad, StatusCount

TODAY = date(2026, 11, 20)
END = datetime(2026, 11, 20, 10, tzinfo=UTC)


def action_line(i: int, text: str, status: ActionStatus, target: date | None) -> ActionLine:
    return ActionLine(
        id=i,
        description=text,
        owner_id=("U0BEA0002", "U0CAI0003")[i % 2],
        target_on=target,
        status=status,
        created_at=END - timedelta(days=20),
        closed_at=END - timedelta(days=1) if status.is_closed else None,
        postmortem_title=f"Release 4.{i} retro {text[:40]}",
        permalink=f"https://fake.slack.test/archives/C0BOARD/p{i}",
    )


def board_summary(text: str = "Add a canary stage", *, releases: bool = True) -> BoardSummary:
    labels = (
        [f"Release 4.{i} {text[:30]}" for i in range(6)]
        if releases
        else ["Jun 2026", "Jul 2026", "Aug 2026", "Sep 2026", "Oct 2026", "Nov 2026"]
    )
    return BoardSummary(
        team_id="T1",
        channel_id="C0BOARD",
        period="since the last summary (01 Nov 2026)",
        start=END - timedelta(days=19),
        end=END,
        today=TODAY,
        last_summary_at=END - timedelta(days=19),
        postmortems=4,
        keep_lessons=9,
        improve_lessons=12,
        actions_identified=14,
        by_status=(
            StatusCount(ActionStatus.OPEN, 6),
            StatusCount(ActionStatus.IN_PROGRESS, 3),
            StatusCount(ActionStatus.DONE, 4),
            StatusCount(ActionStatus.DROPPED, 1),
        ),
        open_actions=9,
        open_lessons=7,
        owners=(OwnerLoad("U0BEA0002", 5, 2), OwnerLoad("U0CAI0003", 4, 0)),
        overdue=(
            action_line(1, text, ActionStatus.OPEN, TODAY - timedelta(days=3)),
            action_line(
                2, "Alert on checkout errors", ActionStatus.BLOCKED, TODAY - timedelta(days=1)
            ),
        ),
        completed=(action_line(3, text, ActionStatus.DONE, TODAY - timedelta(days=5)),),
        next_steps=(
            action_line(1, text, ActionStatus.OPEN, TODAY - timedelta(days=3)),
            action_line(
                4, "Write the config-change runbook", ActionStatus.OPEN, TODAY + timedelta(days=10)
            ),
            action_line(5, "Review on-call load", ActionStatus.IN_PROGRESS, None),
        ),
        trend=tuple(
            TrendPoint(END - timedelta(days=30 * (5 - i)), a, le, label)
            for i, (label, a, le) in enumerate(
                zip(labels, (12, 15, 11, 9, 10, 9), (10, 11, 9, 8, 8, 7), strict=True)
            )
        ),
        trend_basis="releases" if releases else "months",
        okrs=(OkrLine(7, f"Safer config changes: {text}", date(2026, 12, 31), 0.42, 3, 2),),
    )
