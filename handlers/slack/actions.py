"""Adding actions through the modal: from the Actions step or from a reply I could not read.

The review a button or form names is checked against the database and the verified user's
channel membership (handlers.slack.membership.Gate) before anything is shown or recorded."""

from __future__ import annotations

from datetime import date
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from handlers.slack.blocks import ID_LIMIT, read_id, read_object
from handlers.slack.deps import Deps
from handlers.slack.errors import acknowledge, on_button, replying_privately, wording
from handlers.slack.ids import ActionId, Field, ViewId
from handlers.slack.membership import Gate
from models.actions.service import ACTION_ANNOUNCED_DELIVERY
from models.core.errors import InvalidInput, UserFacingError
from models.core.views import DeliveryView

NOT_A_DATE = "Pick a date from the calendar."
NOT_A_PERSON = "Pick someone in this workspace."
NOT_A_LESSON = "Pick a lesson from the list."
NOT_A_KEY_RESULT = "Pick a key result from the list."


def register(app: App, deps: Deps) -> None:
    handlers = ActionHandlers(deps)
    deps.courier.add_sender(ACTION_ANNOUNCED_DELIVERY, handlers.announce)
    app.action(ActionId.ADD_ACTION)(acknowledge, on_button(handlers.open_form))
    app.action(ActionId.ADD_ACTION_FROM_REPLY)(acknowledge, on_button(handlers.open_form))
    app.view(ViewId.ACTION_CREATE)(handlers.add_action)


class ActionHandlers:
    def __init__(self, deps: Deps) -> None:
        self._deps = deps
        self._gate = Gate(deps.services, deps.membership)

    def open_form(self, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        if action["action_id"] == ActionId.ADD_ACTION_FROM_REPLY:
            context = read_object(action.get("value"))
            postmortem_id, draft = read_id(context.get("pm")), context.get("draft", "")
            draft = draft if isinstance(draft, str) else ""
        else:
            postmortem_id, draft = read_id(action.get("value")), ""
        team_id = body["team"]["id"]
        postmortem = self._gate.postmortem(
            client, team_id=team_id, user_id=body["user"]["id"], postmortem_id=postmortem_id
        )
        if not postmortem.is_open:
            raise UserFacingError("This review is closed; its actions can no longer be added.")
        lessons = self._deps.services.actions.lessons_of(
            team_id=team_id, postmortem_id=postmortem_id
        )
        viewer = self._gate.viewer(client, team_id=team_id, user_id=body["user"]["id"])
        key_results = self._deps.services.okrs.key_result_choices(
            viewer=viewer, channel_id=postmortem.channel_id, today=self._deps.today(team_id)
        )
        client.views_open(
            trigger_id=body["trigger_id"],
            view=self._deps.blocks.action_modal(
                postmortem=postmortem,
                lessons=lessons,
                draft=draft,
                today=self._deps.today(team_id),
                key_results=[(objective.title, kr) for objective, kr in key_results],
            ),
        )

    def add_action(
        self, ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient
    ) -> None:
        with replying_privately(body, client):
            self._add_action(ack, body, view, client)

    def _add_action(
        self, ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient
    ) -> None:
        # Every answer, a refusal included, is given inside the ack (response_action=errors):
        # a form can show nothing else, and the metadata naming the review is not trusted.
        values = view["state"]["values"]
        team_id, user = body["team"]["id"], body["user"]["id"]
        try:
            postmortem_id = read_id(read_object(view.get("private_metadata")).get("pm"))
            self._gate.postmortem(
                client, team_id=team_id, user_id=user, postmortem_id=postmortem_id
            )
            owner = _value(values, Field.OWNER, "selected_user") or user
            self._require_person(client, team_id, owner)
            lesson = _value(values, Field.LESSON, "selected_option")
            key_result = _key_result_id(_value(values, Field.KEY_RESULT, "selected_option"))
            viewer = self._gate.viewer(client, team_id=team_id, user_id=user)
            # The action and its link to the key result are one transaction; the key
            # result is checked there against the verified user, so a refusal adds nothing.
            action = self._deps.services.actions.add(
                team_id=team_id,
                postmortem_id=postmortem_id,
                description=_text(_value(values, Field.DESCRIPTION, "value")),
                owner_id=owner,
                target_on=_date(_value(values, Field.TARGET, "selected_date")),
                lesson_id=_lesson_id(lesson),
                created_by=user,
                today=self._deps.today(team_id),
                announce=True,
                serves_key_result=key_result,
                viewer=viewer,
            )
        except UserFacingError as error:
            field = _FORM_FIELDS.get(getattr(error, "field", ""), Field.DESCRIPTION)
            ack(response_action="errors", errors={field: wording(error)})
            return
        ack()
        # The thread's note of the new action is owed with it; sent now, or on a later tick.
        self._deps.courier.deliver_due(subject_id=action.id)

    def announce(self, delivery: DeliveryView) -> None:
        """Sends ACTION_ANNOUNCED_DELIVERY: the action, as it is now, in its review's thread."""
        assert delivery.subject_id is not None
        services = self._deps.services
        action = services.actions.get(team_id=delivery.team_id, action_id=delivery.subject_id)
        if action is None or action.postmortem_id is None:
            return
        postmortem = services.postmortems.get(
            team_id=delivery.team_id, postmortem_id=action.postmortem_id
        )
        client = self._deps.clients.for_workspace(delivery.team_id)
        client.chat_postMessage(
            channel=postmortem.channel_id,
            thread_ts=postmortem.thread_ref,
            **self._deps.blocks.action_added(action),
        )

    def _require_person(self, client: WebClient, team_id: str, user_id: Any) -> None:
        """The owner must be a person in this workspace: not a bot, not someone deleted,
        not an id from elsewhere. Slack's users_select allows only that, but a form's values
        are not trusted."""
        if not isinstance(user_id, str) or user_id[:1] not in ("U", "W") or len(user_id) > 32:
            raise InvalidInput(NOT_A_PERSON, field="owner_id")
        try:
            person = client.users_info(user=user_id)["user"]
        except SlackApiError as error:
            if error.response.get("error") in ("user_not_found", "user_not_visible"):
                raise InvalidInput(NOT_A_PERSON, field="owner_id") from error
            raise
        if (
            person.get("deleted")
            or person.get("is_bot")
            or person.get("team_id", team_id) != team_id
        ):
            raise InvalidInput(NOT_A_PERSON, field="owner_id")


_FORM_FIELDS = {
    "description": Field.DESCRIPTION,
    "target_on": Field.TARGET,
    "owner_id": Field.OWNER,
    "lesson_id": Field.LESSON,
    "key_result_id": Field.KEY_RESULT,
}


def _value(values: Any, field: Field, key: str) -> Any:
    block = values.get(field) if isinstance(values, dict) else None
    element = block.get(field) if isinstance(block, dict) else None
    return element.get(key) if isinstance(element, dict) else None


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _date(value: Any) -> date | None:
    """A datepicker's choice; Slack sends real dates, so anything else is refused."""
    if value is None or value == "":
        return None
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        raise InvalidInput(NOT_A_DATE, field="target_on") from None


def _lesson_id(option: Any) -> int | None:
    if not option:
        return None
    value = option.get("value") if isinstance(option, dict) else None
    if not (isinstance(value, str) and value.isascii() and value.isdigit()):
        raise InvalidInput(NOT_A_LESSON, field="lesson_id")
    if not 0 < int(value) < ID_LIMIT:
        raise InvalidInput(NOT_A_LESSON, field="lesson_id")
    return int(value)


def _key_result_id(option: Any) -> int | None:
    if not option:
        return None
    value = option.get("value") if isinstance(option, dict) else None
    if not (isinstance(value, str) and value.isascii() and value.isdigit()):
        raise InvalidInput(NOT_A_KEY_RESULT, field="key_result_id")
    if not 0 < int(value) < ID_LIMIT:
        raise InvalidInput(NOT_A_KEY_RESULT, field="key_result_id")
    return int(value)
