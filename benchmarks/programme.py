"""A programme's worth of post-mortems, lessons and actions, inserted in bulk with
timestamps spread over the past, for the board-summary benchmark and the docs examples.

Deterministic for a given seed. Every `release_every`-th review is a release retro; the
rest are incidents. Actions mostly address an IMPROVE lesson of their review; older ones
are more likely closed by now.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session, sessionmaker

from models.actions.tables import Action, ActionStatus
from models.lessons.tables import Lesson, LessonKind
from models.postmortems.phases import Phase
from models.postmortems.tables import Postmortem, PostmortemKind, PostmortemStatus

OWNERS = tuple(f"U0OWNER{i:02d}" for i in range(12))
INCIDENTS = (
    "Checkout outage",
    "Login latency spike",
    "Search index stale",
    "Payment webhook backlog",
    "Config push broke mobile",
    "Certificate expiry on API",
)
IMPROVE = (
    "No canary stage for config changes",
    "Alert fired 20 minutes after customers noticed",
    "Runbook step pointed at the old dashboard",
    "Rollback needed two approvals at 3am",
    "Load test did not cover the new cache",
)
KEEP = (
    "The rollback runbook worked first time",
    "Status page updated within 5 minutes",
    "Pairing on the fix kept the timeline clear",
)
ACTIONS = (
    "Add a canary stage for config changes",
    "Alert on checkout error rate above 2%",
    "Update the runbook's dashboard links",
    "Allow one-person rollback out of hours",
    "Extend the load test to the cache tier",
)


@dataclass(frozen=True, slots=True)
class Seeded:
    postmortems: int
    lessons: int
    actions: int
    releases: int


def seed_programme(
    sessions: sessionmaker[Session],
    *,
    team_id: str,
    channel_id: str,
    end: datetime,
    postmortems: int,
    lessons: int,
    actions: int,
    release_every: int = 10,
    days: int = 720,
    seed: int = 42,
) -> Seeded:
    rng = random.Random(seed)
    span = timedelta(days=days)
    pm_rows: list[dict[str, Any]] = []
    for i in range(postmortems):
        created = end - span + span * (i + 0.5) / postmortems
        is_release = (i + 1) % release_every == 0
        title = (
            f"Release {i // release_every + 1}.0 retro"
            if is_release
            else f"{INCIDENTS[i % len(INCIDENTS)]} #{i + 1}"
        )
        pm_rows.append(
            {
                "team_id": team_id,
                "channel_id": channel_id,
                "thread_ref": f"{int(created.timestamp())}.{i:06d}",
                "permalink": f"https://example.slack.com/archives/{channel_id}/p{i:016d}",
                "title": title,
                "kind": PostmortemKind.RELEASE if is_release else PostmortemKind.INCIDENT,
                "facilitator_id": OWNERS[i % len(OWNERS)],
                "status": PostmortemStatus.CLOSED,
                "phase": Phase.WRAP_UP,
                "skipped_phases": [],
                "created_at": created,
                "updated_at": created + timedelta(hours=2),
                "closed_at": created + timedelta(hours=2),
            }
        )
    with sessions.begin() as session:
        session.execute(insert(Postmortem), pm_rows)
        pm_ids = session.scalars(
            select(Postmortem.id)
            .where(Postmortem.team_id == team_id, Postmortem.channel_id == channel_id)
            .order_by(Postmortem.created_at)
        ).all()[-postmortems:]
        created_of = {pm_id: row["created_at"] for pm_id, row in zip(pm_ids, pm_rows, strict=True)}

        lesson_rows = []
        for j in range(lessons):
            pm_id = pm_ids[j % len(pm_ids)]
            kind = LessonKind.IMPROVE if j % 5 < 3 else LessonKind.KEEP
            texts = IMPROVE if kind is LessonKind.IMPROVE else KEEP
            text = texts[j % len(texts)]
            lesson_rows.append(
                {
                    "team_id": team_id,
                    "channel_id": channel_id,
                    "postmortem_id": pm_id,
                    "kind": kind,
                    "text": text,
                    "author_id": OWNERS[j % len(OWNERS)],
                    "tags": ["deploy"] if j % 4 == 0 else [],
                    "created_at": created_of[pm_id] + timedelta(minutes=30),
                    "updated_at": created_of[pm_id] + timedelta(minutes=30),
                }
            )
        session.execute(insert(Lesson), lesson_rows)
        improve = session.execute(
            select(Lesson.id, Lesson.postmortem_id).where(
                Lesson.team_id == team_id,
                Lesson.channel_id == channel_id,
                Lesson.kind == LessonKind.IMPROVE,
            )
        ).all()

        action_rows = []
        for k in range(actions):
            lesson_id, pm_id = improve[k % len(improve)] if improve and k % 6 else (None, None)
            pm_id = pm_id or pm_ids[k % len(pm_ids)]
            created = created_of[pm_id] + timedelta(hours=1)
            age = (end - created) / span
            roll = rng.random()
            if roll < 0.85 * age:
                status = ActionStatus.DONE
            elif roll < 0.92 * age:
                status = ActionStatus.DROPPED
            else:
                status = rng.choice(
                    (
                        ActionStatus.OPEN,
                        ActionStatus.OPEN,
                        ActionStatus.IN_PROGRESS,
                        ActionStatus.BLOCKED,
                    )
                )
            closed = (
                min(end, created + timedelta(days=rng.randint(3, 90))) if status.is_closed else None
            )
            action_rows.append(
                {
                    "team_id": team_id,
                    "channel_id": channel_id,
                    "postmortem_id": pm_id,
                    "lesson_id": lesson_id,
                    "description": ACTIONS[k % len(ACTIONS)],
                    "owner_id": OWNERS[(k * 7) % len(OWNERS)],
                    "target_on": (created + timedelta(days=rng.randint(7, 60))).date(),
                    "status": status,
                    "created_by": OWNERS[k % len(OWNERS)],
                    "created_at": created,
                    "updated_at": closed or created,
                    "closed_at": closed,
                }
            )
        session.execute(insert(Action), action_rows)
    return Seeded(
        postmortems=postmortems,
        lessons=lessons,
        actions=actions,
        releases=postmortems // release_every,
    )
