"""The Home tab brings the features together: my actions with their update buttons, the
next review of my channels, and a click on the tab updating the tab."""

from __future__ import annotations

from typing import Any

from handlers.slack.ids import ActionId
from tests.e2e.followthrough import buttons
from tests.e2e.lessons import home_text, open_home
from tests.e2e.review import BEA, CAI, CHANNEL, FACILITATOR, Review
from tests.harness import AppHarness


def click_on_home(app: AppHarness, button: dict[str, Any], *, user: str) -> None:
    """A button on the Home tab: the container is the view, and there is no response_url."""
    response = app.driver.block_actions(
        {key: button[key] for key in ("action_id", "block_id", "value")} | {"type": "button"},
        user=user,
        container={"type": "view", "view_id": "V0HOME0001"},
        view={"id": "V0HOME0001", "type": "home", "blocks": []},
    )
    assert response.status == 200


def test_home_shows_my_actions_with_buttons_and_my_channels_next_review(app: AppHarness) -> None:
    app.fake.add_channel(CHANNEL, "incidents", members=(FACILITATOR, BEA, CAI))
    review = Review(app)
    review.start("Checkout outage")
    for step in range(1, 5):
        review.next_step(step)
    review.reply(f"action: add a canary stage <@{BEA}> by 2026-12-04", user=FACILITATOR)
    app.driver.command(
        "review set monthly first tuesday 10:00 Europe/London", user=FACILITATOR, channel=CHANNEL
    )
    app.fake.wait_for(
        lambda: [p for p in app.fake.calls_to("response_url") if "set this channel" in str(p)],
        what="schedule set",
    )

    home = app.fake.wait_for(
        lambda: (v := open_home(app, user=BEA)) and "add a canary stage" in home_text(v) and v,
        what="home with the action",
    )

    text = home_text(home)
    assert f"<#{CHANNEL}>: *Tue 01 Dec 2026 at 10:00*, the 1st Tuesday of every month" in text
    done = buttons(home, ActionId.UPDATE_DONE)
    assert len(done) == 1
    assert buttons(home, ActionId.UPDATE_BLOCKED) and buttons(home, ActionId.UPDATE_NOTE)

    published = len(app.fake.calls_to("views.publish"))
    click_on_home(app, done[0], user=BEA)
    again = app.fake.wait_for(
        lambda: app.fake.calls_to("views.publish")[published:], what="home published again"
    )[0]
    assert again["user_id"] == BEA
    assert "add a canary stage" not in home_text(again["view"])
    assert "Nothing open" in home_text(again["view"])

    # Cai owns nothing and is in no review: no actions, no schedules to show.
    cai = home_text(open_home(app, user=CAI))
    assert "Nothing open" in cai and "None of your channels has a review schedule" in cai
