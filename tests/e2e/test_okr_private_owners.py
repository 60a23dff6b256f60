"""A private channel's key result is never named to someone outside the channel: setting
a non-member as its owner is refused (at creation and edit), and an owner who left the
channel later gets check-in DMs without it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.scheduler import tick
from handlers.slack.ids import OkrField, kr_field
from models.core.clock import FrozenClock
from tests.e2e.followthrough import dms
from tests.e2e.okrs import key_result, new_form, submit_objective
from tests.e2e.review import BEA, CAI, FACILITATOR
from tests.harness import AppHarness

OPS, SECRET = "C0OPS0001", "G0SECRET1"
MONDAY = datetime(2026, 11, 16, 9, tzinfo=UTC)


def test_a_non_member_is_refused_as_a_private_key_results_owner(
    app: AppHarness, clock: FrozenClock
) -> None:
    app.fake.add_channel(SECRET, "security", private=True, members=(FACILITATOR, BEA))
    form = new_form(app, user=BEA, channel=SECRET)
    answer = submit_objective(
        app,
        form,
        "Rotate every secret",
        key_result(1, "Vault keys rotated", "milestone"),
        key_result(2, "Leaked tokens", "number", start="4", target="0", owner=CAI),
        user=BEA,
    )
    assert answer["response_action"] == "errors"
    assert (
        "not a member of this private channel" in answer["errors"][kr_field(2, OkrField.KR_OWNER)]
    )
    assert app.fake.calls_to("chat.postEphemeral") == []  # nothing was created

    app.fake.channels[SECRET].members.add(CAI)  # once Cai is in, the same form is fine
    clock.advance(timedelta(minutes=3))  # (after what Slack said about Cai is forgotten)
    assert (
        submit_objective(
            app,
            form,
            "Rotate every secret",
            key_result(2, "Leaked tokens", "number", start="4", target="0", owner=CAI),
            user=BEA,
        )
        is None
    )


def test_an_owner_who_left_the_private_channel_is_not_asked_about_its_key_result(
    app: AppHarness, clock: FrozenClock
) -> None:
    clock.set(MONDAY)
    app.fake.add_channel(OPS, "ops", members=(FACILITATOR, BEA, CAI))
    app.fake.add_channel(SECRET, "security", private=True, members=(FACILITATOR, BEA, CAI))
    for channel, title, kr in (
        (OPS, "Ship safely", "Deploys a week"),
        (SECRET, "Rotate every secret", "Vault keys rotated"),
    ):
        answer = submit_objective(
            app,
            new_form(app, user=BEA, channel=channel),
            title,
            key_result(1, kr, "number", start="1", target="5", owner=CAI),
            user=BEA,
        )
        assert answer is None
    app.fake.channels[SECRET].members.discard(CAI)  # Cai leaves the private channel
    clock.advance(timedelta(hours=1))  # the next cycle; what Slack said is asked again
    assert app.lessonloop is not None
    tick(app.lessonloop.courier, app.services.plan_due)

    asked = dms(app.fake, "OKR check-in")
    assert len(asked) == 1
    text = "\n".join(b["text"]["text"] for b in asked[0]["blocks"])
    assert "Deploys a week" in text and "Vault" not in text and "secret" not in text.lower()
