"""Every use case, built once per process around one engine and one clock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Engine

from models.actions.service import ActionItems
from models.actions.updates import ActionUpdates
from models.core.addresses import Addresses
from models.core.channels import Channels
from models.core.clock import Clock
from models.core.db import Sessions, make_sessions
from models.core.inbox import Inbox, inbox_sessions
from models.core.lifecycle import DEFAULT_RETENTION, WorkspaceLifecycle
from models.core.outbox import Deliveries
from models.core.people import People
from models.core.workspaces import WorkspaceDefaults, Workspaces
from models.followup.cadence import latest_meeting_at
from models.followup.meetings import ReviewMeetings
from models.jira.owing import KINDS as JIRA_KINDS
from models.jira.owing import NO_JIRA, JiraOwed
from models.jira.service import JiraSync
from models.lessons.library import LessonLibrary
from models.okrs.checkins import OkrCheckIns
from models.okrs.reviews import OkrReviews
from models.okrs.service import Okrs
from models.postmortems.service import Postmortems
from models.reports.service import Reports


@dataclass(frozen=True, slots=True)
class Services:
    engine: Engine
    sessions: Sessions
    clock: Clock
    postmortems: Postmortems
    actions: ActionItems
    deliveries: Deliveries
    inbox: Inbox
    channels: Channels
    reports: Reports
    # Follow-through
    meetings: ReviewMeetings
    updates: ActionUpdates
    people: People
    lessons: LessonLibrary
    workspaces: Workspaces
    # Installed, stopped, deleted: a workspace's data and how long it is kept.
    lifecycle: WorkspaceLifecycle
    jira: JiraSync
    okrs: Okrs
    okr_checkins: OkrCheckIns
    okr_reviews: OkrReviews
    addresses: Addresses

    @classmethod
    def build(
        cls,
        engine: Engine,
        clock: Clock,
        workspace_defaults: WorkspaceDefaults | None = None,
        jira: JiraOwed = NO_JIRA,
        *,
        retention: timedelta = DEFAULT_RETENTION,
    ) -> Services:
        """`workspace_defaults`: what a workspace starts from the first time it is seen;
        `jira`: whether changes owe Jira issues (JIRA_URL set), and the default project;
        `retention`: how long a stopped workspace's data is kept."""
        sessions = make_sessions(engine)
        workspaces = Workspaces(sessions, clock, workspace_defaults)
        return cls(
            engine=engine,
            sessions=sessions,
            clock=clock,
            postmortems=(postmortems := Postmortems(sessions, clock, jira)),
            actions=ActionItems(sessions, clock, jira),
            deliveries=Deliveries(sessions, clock, short_lease_kinds=JIRA_KINDS),
            inbox=Inbox(
                sessions,
                clock,
                events=inbox_sessions(engine),
                also_forget=(postmortems.forget_changes,),
            ),
            channels=Channels(sessions, clock, workspaces),
            reports=Reports(sessions, clock),
            meetings=(meetings := ReviewMeetings(sessions, clock)),
            updates=ActionUpdates(sessions, clock, meetings, jira),
            people=People(sessions, clock),
            lessons=LessonLibrary(sessions, clock, jira),
            workspaces=workspaces,
            lifecycle=WorkspaceLifecycle(sessions, clock, workspaces, retention=retention),
            jira=JiraSync(sessions, clock, jira),
            okrs=Okrs(sessions, clock),
            okr_checkins=OkrCheckIns(
                sessions,
                clock,
                latest_meeting=latest_meeting_at,
                workspace_defaults=workspaces.defaults,
            ),
            okr_reviews=OkrReviews(sessions, clock),
            addresses=Addresses(sessions, clock),
        )

    def plan_due(self) -> None:
        """Owe what is due now: review reminders, agendas and nudges, then OKR check-ins and
        the reviews of periods that ended."""
        self.meetings.plan()
        self.okr_checkins.plan()
        self.okr_reviews.plan()
