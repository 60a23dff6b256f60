"""The channel privacy rule: its SQL form (`readable_channel`, used by lists) and its
one-channel form (`may_read_channel`, used by buttons and forms) agree on every case."""

from __future__ import annotations

from datetime import UTC, datetime
from itertools import chain, combinations

from sqlalchemy import literal, select

from models.core.privacy import Viewer, may_read_channel, readable_channel
from models.core.tables import Conversation
from models.services import Services

TEAM, OTHER = "T0TEAM", "T0OTHER"
PUBLIC, PRIVATE, UNKNOWN = "C0PUBLIC", "G0PRIVATE", "C0NEVERSEEN"
AT = datetime(2026, 11, 20, 10, tzinfo=UTC)


def test_list_and_single_channel_forms_of_the_rule_agree(services: Services) -> None:
    with services.sessions.begin() as session:
        for team in (TEAM, OTHER):
            session.add(
                Conversation(
                    team_id=team, channel_id=PUBLIC, name="pub", is_private=False, checked_at=AT
                )
            )
            session.add(
                Conversation(
                    team_id=team, channel_id=PRIVATE, name="priv", is_private=True, checked_at=AT
                )
            )
    channels = (PUBLIC, PRIVATE, UNKNOWN)
    memberships = list(chain.from_iterable(combinations((PRIVATE, UNKNOWN), n) for n in range(3)))
    readable: dict[tuple[str, str, tuple[str, ...]], bool] = {}
    with services.sessions() as session:
        for team in (TEAM, OTHER):
            for channel in channels:
                for member_of in memberships:
                    viewer = Viewer(TEAM, "U0BEA", frozenset(member_of))
                    rule = readable_channel(
                        literal(team), literal(channel), member_of, viewer_team=TEAM
                    )
                    in_sql = bool(session.scalar(select(rule)))
                    one = may_read_channel(session, viewer, team, channel)
                    assert in_sql == one, (team, channel, member_of)
                    readable[team, channel, member_of] = one
    # What the rule says: own team only; public, or private and a member; never seen is private.
    assert readable[TEAM, PUBLIC, ()]
    assert not readable[TEAM, PRIVATE, ()]
    assert readable[TEAM, PRIVATE, (PRIVATE,)]
    assert not readable[TEAM, UNKNOWN, ()]
    assert readable[TEAM, UNKNOWN, (UNKNOWN,)]
    assert not any(readable[OTHER, c, m] for c in channels for m in memberships)
