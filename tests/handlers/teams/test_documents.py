"""The post-mortem document's links for Teams: signed, expiring, re-checked on every GET."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from handlers.teams import cards
from handlers.teams.documents import PATH_PREFIX, DocumentLinks, signing_key
from models.core.clock import FrozenClock
from models.postmortems.documents import render_postmortem
from models.postmortems.views import PostmortemView
from models.services import Services
from templates import Templates

TENANT, OTHER_TENANT = (
    "72f988bf-86f1-41af-91ab-2d7cd011db47",
    "0d2e1f3c-0000-4000-8000-000000000001",
)
BASE = "https://lessonloop.example.org"


def links(services: Services, clock: FrozenClock, public_url: str | None = BASE) -> DocumentLinks:
    return DocumentLinks(
        services, Templates(), key=signing_key("secret"), public_url=public_url, clock=clock
    )


def start(services: Services, team_id: str = TENANT) -> PostmortemView:
    return services.postmortems.start(
        team_id=team_id,
        channel_id="19:abc@thread.tacv2",
        thread_ref="1700000000000",
        posted_at=datetime(2026, 11, 20, 9, tzinfo=UTC),
        title="Checkout <b>outage</b>",
        facilitator_id="29:1facilitator",
    )


def token_of(url: str) -> str:
    assert url.startswith(BASE + PATH_PREFIX)
    return url.removeprefix(BASE + PATH_PREFIX)


def test_a_link_serves_the_document_as_rendered_for_slack(
    services: Services, clock: FrozenClock
) -> None:
    pm = start(services)
    urls = links(services, clock).urls(TENANT, pm.id)
    assert urls is not None

    served = links(services, clock).serve(token_of(urls["md"]))

    summary = services.postmortems.summary(team_id=TENANT, postmortem_id=pm.id)
    assert served.status == 200
    assert served.body == render_postmortem(Templates(), summary, "md").encode()
    assert ("Content-Type", "text/markdown; charset=utf-8") in served.headers


def test_a_token_signed_with_another_key_or_for_another_tenant_is_refused(
    services: Services, clock: FrozenClock
) -> None:
    pm = start(services)
    start(services, OTHER_TENANT)
    expires = int((clock.now() + timedelta(days=1)).timestamp())
    other_key = DocumentLinks(
        services, Templates(), key=signing_key("other"), public_url=BASE, clock=clock
    )
    service = links(services, clock)

    forged = service.serve(other_key.token(TENANT, pm.id, "html", expires))
    missing = service.serve(service.token(TENANT, pm.id + 100, "html", expires))
    elsewhere = service.serve(service.token(OTHER_TENANT, pm.id, "html", expires))

    assert (forged.status, forged.body) == (404, b"")
    assert (missing.status, missing.body) == (404, b"")
    # Tenant one's post-mortem id, signed for the other tenant: not served.
    assert (elsewhere.status, elsewhere.body) == (404, b"")


def test_a_link_expires_after_thirty_days(services: Services, clock: FrozenClock) -> None:
    pm = start(services)
    urls = links(services, clock).urls(TENANT, pm.id)
    assert urls is not None

    clock.advance(timedelta(days=30) - timedelta(seconds=1))
    still = links(services, clock).serve(token_of(urls["html"]))
    clock.advance(timedelta(seconds=1))
    expired = links(services, clock).serve(token_of(urls["html"]))

    assert still.status == 200
    assert (expired.status, expired.body) == (410, b"")


def test_without_a_public_url_there_are_no_links_and_the_card_says_so(
    services: Services, clock: FrozenClock
) -> None:
    pm = start(services)
    urls = links(services, clock, public_url=None).urls(TENANT, pm.id)
    summary = services.postmortems.summary(team_id=TENANT, postmortem_id=pm.id)

    card = cards.summary(summary, urls)["attachments"][0]["content"]

    assert urls is None
    assert "actions" not in card
    assert "LESSONLOOP_PUBLIC_URL is not set" in str(card["body"])
