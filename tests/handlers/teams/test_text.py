"""Teams markup read once into Said; what people typed never mentions or injects."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from handlers.teams import cards
from handlers.teams.text import read
from models.postmortems.phases import Phase
from models.postmortems.tables import PostmortemKind, PostmortemStatus
from models.postmortems.views import PostmortemView

BOT = "28:00000000-0000-4000-8000-00000000a99a"
ANN = "29:1ann" + "0" * 60


def _mention(ref: str, name: str) -> dict[str, object]:
    return {"type": "mention", "text": f"<at>{name}</at>", "mentioned": {"id": ref, "name": name}}


def test_the_apps_own_mention_is_left_out_and_html_is_read_as_text() -> None:
    said = read(
        "<p><at>Lessonloop</at>&nbsp;postmortem start DB &amp; <b>cache</b> outage</p>",
        [_mention(BOT, "Lessonloop")],
        bot_id=BOT,
    )
    assert said.text == "postmortem start DB & cache outage"
    assert said.mentions == ()


def test_a_person_mentioned_is_a_mention_with_their_reference() -> None:
    said = read("<p>ask <at>Ann Lee</at> about it</p>", [_mention(ANN, "Ann Lee")], bot_id=BOT)
    assert said.text == "ask @Ann Lee about it"
    (mention,) = said.mentions
    assert mention.ref == ANN
    assert said.text[mention.start : mention.end] == "@Ann Lee"


def test_an_at_tag_without_an_entity_mentions_nobody() -> None:
    said = read("<p>hi <at>Everyone</at></p>", [], bot_id=BOT)
    assert said.text == "hi @Everyone"
    assert said.mentions == ()


def test_unclosed_tags_are_read_in_linear_time() -> None:
    said = read("<at" * 10_000 + "x", [], bot_id=BOT)
    assert said.text.endswith("x")


def _postmortem(title: str) -> PostmortemView:
    return PostmortemView(
        id=1,
        team_id="t",
        channel_id="19:c@thread.tacv2",
        thread_ref=None,
        permalink=None,
        title=title,
        kind=PostmortemKind.INCIDENT,
        facilitator_id=ANN,
        status=PostmortemStatus.OPEN,
        phase=Phase.IMPACT,
        prompt_ref=None,
        skipped=(),
        created_at=datetime(2026, 11, 20, tzinfo=UTC),
        closed_at=None,
    )


@given(st.text(min_size=1, max_size=200))
def test_typed_text_reaches_a_card_only_as_plain_text_runs(title: str) -> None:
    activity = cards.root(_postmortem(title), closed=False)
    body = activity["attachments"][0]["content"]["body"]
    # TextBlocks (which Teams reads as Markdown) are the same whatever the title.
    other = cards.root(_postmortem("x"), closed=False)["attachments"][0]["content"]["body"]
    assert [b for b in body if b["type"] == "TextBlock"] == [
        b for b in other if b["type"] == "TextBlock"
    ]
    runs = [i for block in body if block["type"] == "RichTextBlock" for i in block["inlines"]]
    assert {"type": "TextRun", "text": title, "weight": "Bolder"} in runs
    # The fallback text is HTML: a typed tag is text, and no mention entity is sent.
    assert "<at>" not in activity["text"] and "entities" not in activity
    json.dumps(activity)


def test_a_typed_mention_or_markdown_stays_text() -> None:
    activity = cards.root(_postmortem("<at>Ann</at> **bold** [x](http://evil)"), closed=False)
    assert activity["text"] == "Post-mortem: &lt;at&gt;Ann&lt;/at&gt; **bold** [x](http://evil)"
