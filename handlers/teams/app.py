"""The Teams front end, assembled: its endpoint, its inbox workers and its courier."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from handlers.teams.activities import Activities
from handlers.teams.auth import ActivityVerifier
from handlers.teams.connector import AccessTokens, Connector
from handlers.teams.deliveries import TeamsCourier
from handlers.teams.documents import DocumentLinks
from handlers.teams.inbound import TeamsEndpoint
from handlers.teams.inbox import TeamsInboxWorkers
from handlers.teams.membership import TeamsMembership
from handlers.teams.reminders import TeamsReminders
from handlers.teams.replies import TeamsReplySenders
from models.core.references import Platform
from models.services import Services

INBOX_THREADS = 2


@dataclass(frozen=True, slots=True)
class TeamsApp:
    endpoint: TeamsEndpoint
    courier: TeamsCourier
    inbox: TeamsInboxWorkers
    documents: DocumentLinks


def build_teams(
    services: Services,
    *,
    app_id: str,
    tenant_id: str | None,
    metadata_url: str | None,
    tokens: AccessTokens,
    documents: DocumentLinks,
) -> TeamsApp:
    connector = Connector(tokens)
    courier = TeamsCourier(services, connector, documents)
    TeamsReminders(services, courier).register()
    TeamsReplySenders(services, courier).register()

    def today(team_id: str) -> date:
        zone = services.workspaces.for_platform(Platform.TEAMS).settings(team_id=team_id).zone
        return services.clock.now().astimezone(zone).date()

    activities = Activities(
        services,
        connector,
        lambda subject: courier.deliver_due(subject_id=subject),
        today,
        TeamsMembership(services, connector, services.clock),
    )
    workers = TeamsInboxWorkers(services.inbox, activities.handle, threads=INBOX_THREADS)
    verifier = ActivityVerifier(app_id=app_id, tenant_id=tenant_id, metadata_url=metadata_url)
    endpoint = TeamsEndpoint(verifier, services.inbox, workers.wake, tenant_id=tenant_id)
    return TeamsApp(endpoint=endpoint, courier=courier, inbox=workers, documents=documents)
