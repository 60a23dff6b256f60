"""An owner's update is one transaction: the change, and the refresh of the listing it was
made from owed in the outbox (a Home tab, an edit of a DM), never sent before it is stored."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import Engine, event, select

from models.actions.tables import Action, ActionStatus
from models.actions.updates import (
    LISTING_EDIT_DELIVERY,
    Change,
    ShownIn,
    Surface,
    Update,
)
from models.core.errors import NotAllowed
from models.core.outbox import HOME_DELIVERY
from models.core.tables import Delivery, DeliveryStatus
from models.followup.views import Scope, ScopeKind
from models.services import Services
from tests.references import as_slack

TEAM, CHANNEL = "T0TEAM", "C0INCIDENT"
FACILITATOR, BEA = "U0FACIL", "U0BEA"
TODAY = date(2026, 11, 20)
HOME = ShownIn(Surface.HOME)


def add_actions(services: Services, count: int) -> list[int]:
    pm = services.postmortems.start(
        team_id=TEAM,
        channel_id=CHANNEL,
        thread_ref="1700000000.000100",
        title="Release 4.2 retro",
        facilitator_id=FACILITATOR,
    )
    return [
        services.actions.add(
            team_id=TEAM,
            postmortem_id=pm.id,
            description=f"action {i}",
            owner_id=BEA,
            target_on=TODAY + timedelta(days=3 + i),
            lesson_id=None,
            created_by=FACILITATOR,
            today=TODAY,
        ).id
        for i in range(count)
    ]


def done(services: Services, action_id: int, shown_in: ShownIn) -> tuple[int, ...]:
    updated = services.updates.update(
        team_id=TEAM,
        action_id=action_id,
        by_user=BEA,
        update=Update(Change.DONE),
        scope=Scope(ScopeKind.OWNER, BEA),
        today=TODAY,
        shown_in=shown_in,
    )
    assert updated.listing is None  # shown elsewhere: nothing for the reply to show
    return updated.owed


def owed(services: Services, kind: str) -> list[Delivery]:
    with services.sessions() as session:
        return list(session.scalars(select(Delivery).where(Delivery.kind == kind)).all())


def test_done_on_the_home_tab_is_one_transaction_that_owes_a_fresh_home_tab(
    services: Services, engine: Engine
) -> None:
    (action_id,) = add_actions(services, 1)
    begins: list[object] = []

    def count(connection: object) -> None:
        begins.append(connection)

    event.listen(engine, "begin", count)
    try:
        ids = done(services, action_id, HOME)
    finally:
        event.remove(engine, "begin", count)

    assert len(begins) == 1
    [home] = owed(services, HOME_DELIVERY)
    assert ids == (home.id,)
    assert as_slack(services, (home.recipient_id, home.team_id, home.status)) == (
        BEA,
        TEAM,
        DeliveryStatus.PENDING,
    )
    with services.sessions() as session:
        assert session.get_one(Action, action_id).status is ActionStatus.DONE


def test_home_tab_owed_once_while_it_waits_and_again_once_it_is_being_built(
    services: Services,
) -> None:
    first, second, third = add_actions(services, 3)
    ids = done(services, first, HOME)

    assert done(services, second, HOME) == ids  # the waiting one will show both
    assert len(owed(services, HOME_DELIVERY)) == 1

    # Claimed: the sender may have read the actions already, so a new one is owed.
    [claimed] = services.deliveries.claim_due(ids=ids)
    assert done(services, third, HOME) != (claimed.id,)
    assert len(owed(services, HOME_DELIVERY)) == 2


def test_done_on_a_dm_owes_an_edit_of_that_message_with_the_listing_scope(
    services: Services,
) -> None:
    (action_id,) = add_actions(services, 1)

    ids = done(services, action_id, ShownIn(Surface.MESSAGE, "D0BEA", "1700000001.000200"))

    [edit] = owed(services, LISTING_EDIT_DELIVERY)
    assert ids == (edit.id,)
    assert as_slack(services, edit.recipient_id) == BEA
    assert as_slack(services, edit.payload) == {
        "conversation_id": "D0BEA",
        "message_ref": "1700000001.000200",
        "scope": Scope(ScopeKind.OWNER, BEA).encode(),
        "member_of": None,
    }
    assert owed(services, HOME_DELIVERY) == []


def test_refused_update_owes_nothing(services: Services) -> None:
    (action_id,) = add_actions(services, 1)
    updates = services.updates

    with pytest.raises(NotAllowed):
        updates.update(
            team_id=TEAM,
            action_id=action_id,
            by_user="U0SOMEONE",
            update=Update(Change.DONE),
            scope=Scope(ScopeKind.OWNER, "U0SOMEONE"),
            today=TODAY,
            shown_in=HOME,
        )

    assert owed(services, HOME_DELIVERY) == []


def test_message_reference_too_long_to_be_real_owes_no_edit(services: Services) -> None:
    (action_id,) = add_actions(services, 1)

    assert done(services, action_id, ShownIn(Surface.MESSAGE, "D" * 3000, "1.2")) == ()

    assert owed(services, LISTING_EDIT_DELIVERY) == []
    with services.sessions() as session:
        assert session.get_one(Action, action_id).status is ActionStatus.DONE
