"""Adding actions through the modal: from the Actions step or from a reply I could not read."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from handlers.deps import Deps
from handlers.errors import on_button, replying_privately
from handlers.ids import ActionId, Field, ViewId
from models.errors import UserFacingError


def register(app: App, deps: Deps) -> None:
    handlers = ActionHandlers(deps)
    app.action(ActionId.ADD_ACTION)(on_button(handlers.open_form))
    app.action(ActionId.ADD_ACTION_FROM_REPLY)(on_button(handlers.open_form))
    app.view(ViewId.ACTION_CREATE)(handlers.add_action)


class ActionHandlers:
    def __init__(self, deps: Deps) -> None:
        self._deps = deps

    def open_form(self, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        if action["action_id"] == ActionId.ADD_ACTION_FROM_REPLY:
            context = json.loads(action["value"])
            postmortem_id, draft = int(context["pm"]), str(context.get("draft", ""))
        else:
            postmortem_id, draft = int(action["value"]), ""
        team_id = body["team"]["id"]
        postmortem = self._deps.services.postmortems.get(
            team_id=team_id, postmortem_id=postmortem_id
        )
        if not postmortem.is_open:
            raise UserFacingError("This review is closed; its actions can no longer be added.")
        lessons = self._deps.services.actions.lessons_of(
            team_id=team_id, postmortem_id=postmortem_id
        )
        client.views_open(
            trigger_id=body["trigger_id"],
            view=self._deps.blocks.action_modal(
                postmortem=postmortem, lessons=lessons, draft=draft, today=self._deps.today()
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
        # Validation must answer inside the ack (response_action=errors), so the service
        # call comes first here; it is one short transaction.
        values = view["state"]["values"]
        postmortem_id = int(json.loads(view["private_metadata"])["pm"])
        lesson = _value(values, Field.LESSON, "selected_option")
        target = _value(values, Field.TARGET, "selected_date")
        try:
            action = self._deps.services.actions.add(
                team_id=body["team"]["id"],
                postmortem_id=postmortem_id,
                description=_value(values, Field.DESCRIPTION, "value") or "",
                owner_id=_value(values, Field.OWNER, "selected_user") or body["user"]["id"],
                target_on=date.fromisoformat(target) if target else None,
                lesson_id=int(lesson["value"]) if lesson else None,
                created_by=body["user"]["id"],
                today=self._deps.today(),
            )
        except UserFacingError as error:
            field = _FORM_FIELDS.get(getattr(error, "field", ""), Field.DESCRIPTION)
            ack(response_action="errors", errors={field: str(error)})
            return
        ack()
        postmortem = self._deps.services.postmortems.get(
            team_id=body["team"]["id"], postmortem_id=postmortem_id
        )
        client.chat_postMessage(
            channel=postmortem.channel_id,
            thread_ts=postmortem.thread_ts,
            **self._deps.blocks.action_added(action),
        )


_FORM_FIELDS = {"description": Field.DESCRIPTION, "target_on": Field.TARGET}


def _value(values: dict[str, Any], field: Field, key: str) -> Any:
    return values.get(field, {}).get(field, {}).get(key)
