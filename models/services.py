"""Every use case, built once per process around one engine and one clock."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from models.actions.service import ActionItems
from models.actions.updates import ActionUpdates
from models.core.addresses import Addresses
from models.core.channels import Channels
from models.core.clock import Clock
from models.core.db import Sessions, make_sessions
from models.core.inbox import Inbox
from models.core.outbox import Deliveries
from models.core.people import People
from models.core.workspaces import WorkspaceDefaults, Workspaces
from models.followup.meetings import ReviewMeetings
from models.lessons.library import LessonLibrary
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
    addresses: Addresses

    @classmethod
    def build(
        cls, engine: Engine, clock: Clock, workspace_defaults: WorkspaceDefaults | None = None
    ) -> Services:
        """`workspace_defaults`: what a workspace starts from the first time it is seen."""
        sessions = make_sessions(engine)
        workspaces = Workspaces(sessions, clock, workspace_defaults)
        return cls(
            engine=engine,
            sessions=sessions,
            clock=clock,
            postmortems=(postmortems := Postmortems(sessions, clock)),
            actions=ActionItems(sessions, clock),
            deliveries=Deliveries(sessions, clock),
            inbox=Inbox(sessions, clock, also_forget=(postmortems.forget_changes,)),
            channels=Channels(sessions, clock, workspaces),
            reports=Reports(sessions, clock),
            meetings=(meetings := ReviewMeetings(sessions, clock)),
            updates=ActionUpdates(sessions, clock, meetings),
            people=People(sessions, clock),
            lessons=LessonLibrary(sessions, clock),
            workspaces=workspaces,
            addresses=Addresses(sessions, clock),
        )
