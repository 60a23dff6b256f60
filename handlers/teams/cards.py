"""Adaptive Cards for Teams, assembled in one place. Each builder returns an activity body
(`{"type": "message", "text": fallback, "attachments": [card]}`).

What a person wrote is only placed in TextRun elements of a RichTextBlock: Teams renders
a TextRun's text as it is, with no Markdown and no mentions, so a typed `**x**`,
`[link](…)` or `<at>someone</at>` stays text. Buttons are Action.Submit whose data carry
an action id and record ids only; what a click may do is decided from the database.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Any

from handlers.teams.text import escaped
from models.actions.views import ActionView
from models.coach import BlameVerdict
from models.followup.views import AgendaView, ListingView, ScheduleView
from models.lessons.library import Capture, SearchPage
from models.postmortems.documents import Format
from models.postmortems.phases import ORDER, Phase
from models.postmortems.views import PostmortemView, Summary

Activity = dict[str, Any]
CARD_TYPE = "application/vnd.microsoft.card.adaptive"
CARD_VERSION = "1.5"


class ActionId(StrEnum):
    """`data.action` of a card's buttons."""

    PHASE_NEXT = "postmortem.next"
    PHASE_BACK = "postmortem.back"
    PHASE_SKIP = "postmortem.skip"
    CLOSE = "postmortem.close"
    ADD_ACTION = "postmortem.add_action"
    ACTION_DONE = "action.done"
    ACTION_IN_PROGRESS = "action.in_progress"


_QUESTIONS = {
    Phase.IMPACT: "What happened, and who or what was affected? Describe the impact in "
    "terms of customers, services and time. One point per reply works best.",
    Phase.TIMELINE: "Walk through what happened when: detection, response, mitigation, "
    "recovery. Start each reply with a time if you have one, e.g. 10:42 alert fired.",
    Phase.WENT_WELL: "What went well that we should keep doing? Each reply becomes a keep lesson.",
    Phase.IMPROVE: "What could be improved, and what in our systems, tools or process made "
    "it possible? Ask what made this easy to get wrong, not who got it wrong. Each reply "
    "becomes an improve lesson.",
    Phase.ACTIONS: "What will we do about it? Press Add action, or reply action: <what> "
    "@owner by <date>, for example action: add a pre-deploy schema check @someone by friday.",
    Phase.WRAP_UP: "Anything else before we close? When everyone is done, the facilitator "
    "presses Close review: I post a summary here and send each action owner a note.",
}
BLAMELESS = (
    "We are here to understand how our systems and process made this possible, not who "
    "to blame. Assume everyone acted in good faith with what they knew at the time. "
    "Reply to this post; I record every answer against the current step."
)


def plain(text: str, **style: Any) -> dict[str, Any]:
    """A person's text, shown exactly as typed."""
    return {
        "type": "RichTextBlock",
        "inlines": [{"type": "TextRun", "text": text, **style}],
    }


def _wording(text: str, **style: Any) -> dict[str, Any]:
    """The app's own words (no user text inside)."""
    return {"type": "TextBlock", "text": text, "wrap": True, **style}


def card(
    fallback: str, body: list[dict[str, Any]], actions: Sequence[dict[str, Any]] = ()
) -> Activity:
    content: dict[str, Any] = {
        "type": "AdaptiveCard",
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "version": CARD_VERSION,
        "body": body,
    }
    if actions:
        content["actions"] = list(actions)
    return {
        "type": "message",
        "text": escaped(fallback),
        "attachments": [{"contentType": CARD_TYPE, "content": content}],
    }


def _submit(title: str, action: ActionId, postmortem_id: int, phase: Phase) -> dict[str, Any]:
    return {
        "type": "Action.Submit",
        "title": title,
        "data": {"action": action.value, "postmortem_id": postmortem_id, "phase": phase.value},
    }


class Field(StrEnum):
    """Input ids of the Add action form."""

    DESCRIPTION = "description"
    OWNER = "owner"
    TARGET = "target_on"


def _action_form(postmortem_id: int, phase: Phase) -> dict[str, Any]:
    """Add action: a form shown in the card, with a people picker (the tenant's directory)
    and a date input; submitted like the other buttons."""
    return {
        "type": "Action.ShowCard",
        "title": "Add action",
        "card": {
            "type": "AdaptiveCard",
            "body": [
                {
                    "type": "Input.Text",
                    "id": Field.DESCRIPTION.value,
                    "label": "What will be done",
                    "isRequired": True,
                    "maxLength": 500,
                },
                {
                    "type": "Input.ChoiceSet",
                    "id": Field.OWNER.value,
                    "label": "Owner",
                    "isRequired": True,
                    "choices": [],
                    "choices.data": {"type": "Data.Query", "dataset": "graph.microsoft.com/users"},
                },
                {"type": "Input.Date", "id": Field.TARGET.value, "label": "Target date"},
            ],
            "actions": [_submit("Add", ActionId.ADD_ACTION, postmortem_id, phase)],
        },
    }


def action_added(action: ActionView) -> Activity:
    return card(
        "Action added",
        [_wording("Action added", weight="Bolder"), _action_line(action)],
    )


def root(postmortem: PostmortemView, *, closed: bool) -> Activity:
    body = [
        _wording("Post-mortem" + (" (closed)" if closed else ""), weight="Bolder", size="Medium"),
        plain(postmortem.title, weight="Bolder"),
        _wording(f"Kind: {postmortem.kind.value}"),
        _wording("This review is closed. The summary is in the replies." if closed else BLAMELESS),
    ]
    return card(f"Post-mortem: {postmortem.title}", body)


def phase_prompt(postmortem: PostmortemView) -> Activity:
    phase = postmortem.phase
    body = [
        _wording(f"Step {phase.number} of {len(ORDER)}: {phase.heading}", weight="Bolder"),
        _wording(_QUESTIONS[phase]),
    ]
    buttons = []
    if not phase.is_first:
        buttons.append(_submit("Back", ActionId.PHASE_BACK, postmortem.id, phase))
    if phase is Phase.ACTIONS:
        buttons.append(_action_form(postmortem.id, phase))
    if phase.is_last:
        buttons.append(_submit("Close review", ActionId.CLOSE, postmortem.id, phase))
    else:
        buttons.append(_submit("Skip", ActionId.PHASE_SKIP, postmortem.id, phase))
        buttons.append(_submit("Next", ActionId.PHASE_NEXT, postmortem.id, phase))
    return card(f"Step {phase.number}: {phase.heading}", body, buttons)


def phase_done(*, phase: Phase, skipped: bool) -> Activity:
    how = "skipped" if skipped else "done"
    return card(
        f"Step {phase.number}: {how}",
        [_wording(f"Step {phase.number} of {len(ORDER)}: {phase.heading} ({how})")],
    )


def notice(text: str) -> Activity:
    return card(text, [_wording(text)])


def _action_line(action: ActionView) -> dict[str, Any]:
    due = f" (by {action.target_on:%d %b %Y})" if action.target_on else ""
    return plain(f"• {action.description}{due}")


def summary(summary: Summary, documents: Mapping[Format, str] | None = None) -> Activity:
    """`documents`: the post-mortem document's links by format ("md", "html"); None when
    the server's public URL is not configured, which the card says."""
    postmortem = summary.postmortem
    body: list[dict[str, Any]] = [
        _wording("Summary", weight="Bolder", size="Medium"),
        plain(postmortem.title, weight="Bolder"),
    ]
    for phase in ORDER:
        answers = summary.answers.get(phase, ())
        if phase in postmortem.skipped and not answers:
            continue
        body.append(_wording(phase.heading, weight="Bolder"))
        body.extend(plain(f"• {answer.text}") for answer in answers)
        if not answers:
            body.append(_wording("Nothing recorded.", isSubtle=True))
    if summary.actions:
        body.append(_wording(f"Actions ({len(summary.actions)})", weight="Bolder"))
        body.extend(_action_line(action) for action in summary.actions)
    body.append(
        _wording(f"{len(summary.participants)} people took part. Thank you all.", isSubtle=True)
    )
    if documents is None:
        body.append(
            _wording(
                "The post-mortem document has no link here: LESSONLOOP_PUBLIC_URL is not set.",
                isSubtle=True,
            )
        )
        return card(f"Summary: {postmortem.title}", body)
    links = [
        {"type": "Action.OpenUrl", "title": "Document (Markdown)", "url": documents["md"]},
        {"type": "Action.OpenUrl", "title": "Document (web page)", "url": documents["html"]},
    ]
    return card(f"Summary: {postmortem.title}", body, links)


def owner_actions(postmortem: PostmortemView, actions: Sequence[ActionView]) -> Activity:
    body = [
        _wording("You own actions from a post-mortem", weight="Bolder"),
        plain(postmortem.title),
        *(_action_line(action) for action in actions),
    ]
    return card(f"You own {len(actions)} action(s) from: {postmortem.title}", body)


def lesson_saved(capture: Capture) -> Activity:
    kind = capture.lesson.kind.value
    where = (
        "the post-mortem in progress here"
        if capture.postmortem is not None
        else "this channel's running log"
    )
    return card(
        f"Saved a lesson ({kind})",
        [_wording(f"Saved a lesson ({kind}) to {where}:"), plain(capture.lesson.text)],
    )


def lesson_results(page: SearchPage) -> Activity:
    body: list[dict[str, Any]] = [_wording(f"Lessons found: {page.total_label}", weight="Bolder")]
    if page.newest_ranked:
        body.append(_wording("The best of the newest matches; add a word or a filter to narrow."))
    for hit in page.hits:
        origin = f" ({hit.postmortem_title})" if hit.postmortem_title else ""
        body.append(plain(f"• {hit.lesson.kind.value}: {hit.lesson.text}{origin}"))
    if not page.hits:
        body.append(_wording("Nothing matches in the channels you are in."))
    return card(f"Lessons found: {page.total_label}", body)


LISTING = "Your open actions"
REMINDER = "A review is coming up: please update your actions"
FOLLOWUP = "After the review: these actions still need an update"
OVERDUE = "These actions are past their target date"


def action_list(listing: ListingView, *, intro: str = LISTING) -> Activity:
    """A person's open actions, each with the buttons its owner updates it with."""
    body: list[dict[str, Any]] = [_wording(f"{intro}: {listing.total}", weight="Bolder")]
    if not listing.actions:
        body.append(_wording("Nothing open. Well done."))
    for action in listing.actions:
        late = " (overdue)" if action.is_overdue(listing.today) else ""
        status = action.status.label
        body.append(_action_line(action))
        body.append(_wording(f"Status: {status}{late}", isSubtle=True, spacing="None"))
        body.append(
            {
                "type": "ActionSet",
                "actions": [
                    _update_button("Done", ActionId.ACTION_DONE, action.id),
                    _update_button("In progress", ActionId.ACTION_IN_PROGRESS, action.id),
                ],
            }
        )
    return card(f"{intro}: {listing.total}", body)


def _update_button(title: str, action: ActionId, action_id: int) -> dict[str, Any]:
    return {
        "type": "Action.Submit",
        "title": title,
        "data": {"action": action.value, "id": action_id},
    }


def welcome(commands: Sequence[tuple[str, str]]) -> Activity:
    """When the app is added to a team, a chat or someone's personal scope (Teams' place for
    what Slack's App Home says)."""
    body = [
        _wording("Lessonloop is here", weight="Bolder", size="Medium"),
        _wording(
            "I run blameless post-mortems in a post's replies, keep the lessons, and follow "
            "up on the actions agreed. Mention me with a command:"
        ),
        *(_wording(f"• {name} {what}") for name, what in commands),
    ]
    return card("Lessonloop is here: mention me with postmortem start <title>", body)


def schedule(view: ScheduleView) -> Activity:
    upcoming = ", ".join(f"{view.local(at):%a %d %b %Y %H:%M}" for at in view.next_reviews[:3])
    body = [
        _wording("Review schedule", weight="Bolder"),
        _wording(f"Reviews here: {view.cadence.describe()}."),
        _wording(f"Next: {upcoming}." if upcoming else "No review is planned yet."),
        _wording(
            "Before each review, owners of open actions get a reminder to update them.",
            isSubtle=True,
        ),
    ]
    return card(f"Reviews here: {view.cadence.describe()}", body)


def coach_nudge(verdict: BlameVerdict, title: str) -> Activity:
    """Sent to the reply's author alone (a 1:1): Teams has no message only one person sees."""
    body = [
        _wording("A thought from the blameless coach", weight="Bolder"),
        plain(f"About your reply in the review “{title}”."),
        _wording(
            "This reply seems to put the cause on a person. Retros stay open when we look at "
            "what in our systems and process made the mistake easy to make. Why it reads so:"
        ),
        *(plain(f"• {reason}") for reason in verdict.reasons),
        _wording("You could ask:"),
        *(plain(f"• {question}", italic=True) for question in verdict.reframes),
    ]
    return card("A thought from the blameless coach", body)


def reply_problem(problem: str, title: str) -> Activity:
    return card(problem, [plain(f"About your reply in the review “{title}”:"), _wording(problem)])


AGENDA_PER_OWNER = 10


def agenda(view: AgendaView, names: dict[str, str]) -> Activity:
    """The review meeting's agenda in its channel: what was done, and each owner's open
    actions, the owner mentioned by the name Teams gave them (`names`, by reference)."""
    entities: list[dict[str, Any]] = []

    def who(ref: str) -> str:
        name = names.get(ref)
        if name is None:
            return "an owner who has not written to Lessonloop yet"
        text = f"<at>{name}</at>"
        if not any(e["mentioned"]["id"] == ref for e in entities):
            entities.append(
                {"type": "mention", "text": text, "mentioned": {"id": ref, "name": name}}
            )
        return text

    local = view.review.local_at
    body: list[dict[str, Any]] = [
        _wording(f"Review agenda, {local:%a %d %b %Y %H:%M}", weight="Bolder", size="Medium"),
        _wording(f"Open now: {view.now.open_actions} actions, {view.now.open_lessons} lessons."),
        _wording(f"Done since {view.since:%d %b %Y} ({len(view.done_since)})", weight="Bolder"),
    ]
    body.extend(_action_line(action) for action in view.done_since)
    body.append(_wording("Open actions by owner", weight="Bolder"))
    for owner, actions in view.by_owner:
        body.append(_wording(f"{who(owner)} ({len(actions)})"))
        for action in actions[:AGENDA_PER_OWNER]:
            late = " (overdue)" if action.is_overdue(view.today) else ""
            body.append(plain(f"• {action.description}{late}, {action.status.label}"))
    if not view.by_owner:
        body.append(_wording("No open actions."))
    if view.not_responded:
        people = ", ".join(who(ref) for ref in view.not_responded)
        body.append(_wording(f"No update since the reminder: {people}"))
    message = card(f"Review agenda, {local:%d %b %Y %H:%M}", body)
    content = message["attachments"][0]["content"]
    if entities:
        content["msteams"] = {"entities": entities}
    return message
