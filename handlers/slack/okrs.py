"""OKRs in Slack: `/okr` (the channel's objectives), `/okr new` (the form), `/okr <id>`,
`/okr tree`, the check-in form and the App Home section (handlers/slack/home.py).

Which objective or key result a button or form names is never trusted: every use case
takes the verified user and the private channels Slack says they are in (Gate.viewer), and
models/okrs decides from the database what they may read and change.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from handlers.slack.blocks import read_id, read_object
from handlers.slack.channel_privacy import ChannelPrivacy
from handlers.slack.deps import Deps
from handlers.slack.errors import acknowledge, on_button, replying_privately, wording
from handlers.slack.ids import ActionId, Command, OkrField, ViewId, kr_field
from handlers.slack.markup import read_plain
from handlers.slack.membership import Gate
from handlers.slack.okr_blocks import (
    KIND_CHOICES,
    KR_SLOTS,
    OkrBlocks,
    measure_of,
    number,
    period_of,
)
from models.core.errors import InvalidInput, NotFound, UserFacingError
from models.core.privacy import Viewer
from models.core.views import DeliveryView
from models.okrs.checkins import ASK_DELIVERY, FOLLOWUP_DELIVERY
from models.okrs.reviews import REVIEW_DELIVERY, Reading
from models.okrs.service import EDIT_DELIVERY, KeyResultDraft, KeyResultEdit, quarter_of
from models.okrs.tables import Confidence, KeyResultKind
from models.okrs.views import ObjectiveView
from templates.exports import to_csv

NOT_A_NUMBER = "Give a number, like 12 or 4.5."
NOT_A_PERSON = "Pick someone in this workspace."
NOT_A_CHOICE = "Pick one from the list."
NOT_A_MEMBER = (
    "That person is not a member of this private channel, and their check-in DMs would "
    "name its key result: pick a member, or add them to the channel first."
)
_PERSON = re.compile(r"[UW][A-Z0-9]{2,31}")


def register(app: App, deps: Deps) -> None:
    handlers = OkrHandlers(deps)
    check_ins = CheckInSender(deps)
    deps.courier.add_sender(ASK_DELIVERY, check_ins.ask)
    deps.courier.add_sender(FOLLOWUP_DELIVERY, check_ins.follow_up)
    deps.courier.add_sender(EDIT_DELIVERY, check_ins.edit)
    deps.courier.add_sender(REVIEW_DELIVERY, ReviewSender(deps).post)
    app.command(Command.OKR)(acknowledge, handlers.command)
    app.action(ActionId.OKR_CHECK_IN)(acknowledge, on_button(handlers.open_check_in))
    app.view(ViewId.OKR_CREATE)(handlers.create)
    app.view(ViewId.OKR_CHECK_IN)(handlers.check_in)
    app.action(ActionId.OKR_LINK)(acknowledge, on_button(handlers.open_link))
    app.view(ViewId.OKR_LINK)(handlers.link)
    app.action(ActionId.OKR_EDIT)(acknowledge, on_button(handlers.open_edit))
    app.view(ViewId.OKR_EDIT)(handlers.edit)
    app.action(ActionId.OKR_SERVE)(acknowledge, on_button(handlers.open_serve))
    app.view(ViewId.OKR_SERVE)(handlers.serve)


class OkrHandlers:
    def __init__(self, deps: Deps) -> None:
        self._deps = deps
        self._okrs = deps.services.okrs
        self._blocks = OkrBlocks(deps.blocks.templates)
        self._gate = Gate(deps.services, deps.membership)
        self._privacy = ChannelPrivacy(deps.services.lessons)

    def command(
        self, ack: Ack, command: dict[str, Any], respond: Respond, client: WebClient
    ) -> None:
        ack()
        with replying_privately(command, client, respond):
            words = read_plain(command.get("text", "")).strip().lower()
            team_id, channel_id = command["team_id"], command["channel_id"]
            user = command["user_id"]
            if words == "help":
                respond(response_type="ephemeral", **self._blocks.help())
                return
            # The channel's privacy is learnt first: a channel never looked up counts as
            # private, and its OKRs would be hidden from everyone.
            self._privacy.require(client, team_id=team_id, channel_id=channel_id)
            viewer = self._gate.viewer(
                client, team_id=team_id, user_id=user, command_channel=channel_id
            )
            today = self._deps.today(team_id)
            if words == "":
                objectives = self._okrs.of_channel(
                    viewer=viewer, channel_id=channel_id, today=today
                )
                message = self._blocks.listing(channel_id=channel_id, objectives=objectives)
            elif words == "new":
                parents = [node.objective for node in self._okrs.tree(viewer=viewer, today=today)]
                client.views_open(
                    trigger_id=command["trigger_id"],
                    view=self._blocks.create_modal(
                        channel_id=channel_id, owner_id=user, parents=parents
                    ),
                )
                return
            elif words == "review":
                delivery_id = self._deps.services.okr_reviews.request(
                    viewer=viewer, channel_id=channel_id
                )
                # Owed first, posted second: sent now, or on a later tick if Slack is down.
                self._deps.courier.deliver_due(ids=[delivery_id])
                return
            elif words == "export":
                self._export(client, viewer, channel_id, today)
                message = self._deps.blocks.notice(
                    ":inbox_tray: I've sent you the OKRs and their check-ins as CSV in a "
                    "direct message."
                )
            elif words == "tree":
                message = self._blocks.tree(self._okrs.tree(viewer=viewer, today=today))
            elif words.lstrip("#").isdigit():
                objective = self._okrs.objective(
                    viewer=viewer, objective_id=read_id(words.lstrip("#"))
                )
                parent = None
                if objective.parent_id is not None:
                    parent = self._readable_parent(viewer, objective.parent_id)
                message = self._blocks.objective(objective, parent=parent)
            else:
                message = self._blocks.help()
            respond(response_type="ephemeral", **message)

    def _export(self, client: WebClient, viewer: Viewer, channel_id: str, today: date) -> None:
        objectives, readings = self._deps.services.okr_reviews.export(
            viewer=viewer, channel_id=channel_id
        )
        stem = f"lessonloop-okrs-{channel_id.lower()}-{today:%Y-%m-%d}"
        # Uploaded here, not owed: the CSV is the answer to this request, for the person
        # who asked, and changes nothing; if Slack refuses it, they are told and ask again.
        dm = client.conversations_open(users=viewer.user_id)["channel"]["id"]
        client.files_upload_v2(
            file_uploads=[
                {
                    "filename": f"{stem}.csv",
                    "title": f"{stem}.csv",
                    "content": okrs_csv(objectives),
                },
                {
                    "filename": f"{stem}-check-ins.csv",
                    "title": f"{stem}-check-ins.csv",
                    "content": check_ins_csv(objectives, readings),
                },
            ],
            channel=dm,
            initial_comment=f"The OKRs of <#{channel_id}> and their check-ins, as CSV.",
        )

    def _readable_parent(self, viewer: Viewer, parent_id: int) -> ObjectiveView | None:
        try:
            return self._okrs.objective(viewer=viewer, objective_id=parent_id)
        except UserFacingError:
            return None  # a parent in a private channel the viewer is not in stays unnamed

    def create(
        self, ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient
    ) -> None:
        with replying_privately(body, client):
            values = view["state"]["values"]
            team_id, user = body["team"]["id"], body["user"]["id"]
            # Every answer, a refusal included, is given inside the ack (response_action=
            # errors); the channel in the metadata is checked like any other value.
            try:
                channel_id = str(read_object(view.get("private_metadata")).get("c", ""))
                viewer = self._gate.channel(
                    client, team_id=team_id, user_id=user, channel_id=channel_id
                )
                owner = _person(_value(values, OkrField.OWNER, "selected_user") or user, "owner")
                starts_on, ends_on = self._period(values, self._deps.today(team_id))
                parent = _chosen(values, OkrField.PARENT)
                owners = [(OkrField.OWNER.value, owner)] + [
                    (kr_field(slot, OkrField.KR_OWNER), _person(chosen, "owner"))
                    for slot in range(1, KR_SLOTS + 1)
                    if (
                        chosen := _value(values, kr_field(slot, OkrField.KR_OWNER), "selected_user")
                    )
                ]
                self._require_members(client, team_id=team_id, channel_id=channel_id, owners=owners)
                objective = self._okrs.create(
                    viewer=viewer,
                    channel_id=channel_id,
                    title=_text(_value(values, OkrField.TITLE, "value")),
                    owner_id=owner,
                    starts_on=starts_on,
                    ends_on=ends_on,
                    parent_id=read_id(parent) if parent else None,
                    key_results=_drafts(values, owner),
                )
            except UserFacingError as error:
                ack(response_action="errors", errors={_block_of(error): wording(error)})
                return
            ack()
            # Posted here, not owed: an ephemeral confirmation is seen once, by the person
            # who submitted the form; Slack keeps no copy to retry into.
            client.chat_postEphemeral(
                channel=channel_id, user=user, **self._blocks.created(objective)
            )

    def _require_members(
        self,
        client: WebClient,
        *,
        team_id: str,
        channel_id: str,
        owners: list[tuple[str, str]],
    ) -> None:
        """Key result owners (each with the form block naming them) must be able to read
        the channel: a private channel's key result is named in its owner's check-in DMs,
        so someone outside the channel is refused as its owner when set. The objective's
        owner (OWNER) defaults key results without one, so it is checked too."""
        for block, owner in dict.fromkeys(owners):
            try:
                self._gate.channel(client, team_id=team_id, user_id=owner, channel_id=channel_id)
            except NotFound:
                raise InvalidInput(NOT_A_MEMBER, field=block) from None

    def open_check_in(
        self, body: dict[str, Any], action: dict[str, Any], client: WebClient
    ) -> None:
        team_id, user = body["team"]["id"], body["user"]["id"]
        viewer = self._gate.viewer(client, team_id=team_id, user_id=user)
        kr = self._okrs.check_in_form(viewer=viewer, key_result_id=read_id(action.get("value")))
        client.views_open(trigger_id=body["trigger_id"], view=self._blocks.check_in_modal(kr))

    def open_link(self, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        team_id, user = body["team"]["id"], body["user"]["id"]
        viewer = self._gate.viewer(client, team_id=team_id, user_id=user)
        kr, actions, lessons = self._okrs.link_choices(
            viewer=viewer, key_result_id=read_id(action.get("value"))
        )
        client.views_open(
            trigger_id=body["trigger_id"],
            view=self._blocks.link_modal(kr, actions=actions, lessons=lessons),
        )

    def link(self, ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        with replying_privately(body, client):
            values = view["state"]["values"]
            team_id, user = body["team"]["id"], body["user"]["id"]
            block: str = OkrField.LINK_ACTION
            try:
                kr_id = read_id(read_object(view.get("private_metadata")).get("kr"))
                viewer = self._gate.viewer(client, team_id=team_id, user_id=user)
                action_id = _chosen(values, OkrField.LINK_ACTION)
                lesson_id = _chosen(values, OkrField.LINK_LESSON)
                if action_id is None and lesson_id is None:
                    raise InvalidInput("Pick an action or a lesson.", field=OkrField.LINK_ACTION)
                self._okrs.link(
                    viewer=viewer,
                    key_result_id=kr_id,
                    action_id=read_id(action_id) if action_id is not None else None,
                    lesson_id=read_id(lesson_id) if lesson_id is not None else None,
                )
            except UserFacingError as error:
                if getattr(error, "field", "") == "lesson_id":
                    block = OkrField.LINK_LESSON
                ack(response_action="errors", errors={block: wording(error)})
                return
            ack()

    def open_edit(self, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        """The edit form, for the objective's owner only (the database says who that is)."""
        team_id, user = body["team"]["id"], body["user"]["id"]
        viewer = self._gate.viewer(client, team_id=team_id, user_id=user)
        objective = self._okrs.edit_form(viewer=viewer, objective_id=read_id(action.get("value")))
        parents = [
            node.objective
            for node in self._okrs.tree(viewer=viewer, today=self._deps.today(team_id))
        ]
        client.views_open(
            trigger_id=body["trigger_id"],
            view=self._blocks.edit_modal(objective, parents=parents),
        )

    def open_serve(self, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        """From `/actions`: which key result of its channel an action serves."""
        team_id, user = body["team"]["id"], body["user"]["id"]
        viewer = self._gate.viewer(client, team_id=team_id, user_id=user)
        action_id = read_id(action.get("value"))
        description, serves, choices = self._okrs.serve_choices(
            viewer=viewer, action_id=action_id, today=self._deps.today(team_id)
        )
        client.views_open(
            trigger_id=body["trigger_id"],
            view=self._blocks.serve_modal(
                action_id=action_id, description=description, serves=serves, choices=choices
            ),
        )

    def serve(
        self, ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient
    ) -> None:
        with replying_privately(body, client):
            values = view["state"]["values"]
            team_id, user = body["team"]["id"], body["user"]["id"]
            try:
                action_id = read_id(read_object(view.get("private_metadata")).get("a"))
                chosen = _chosen(values, OkrField.SERVES)
                if chosen is None:
                    raise InvalidInput(NOT_A_CHOICE, field=OkrField.SERVES)
                viewer = self._gate.viewer(client, team_id=team_id, user_id=user)
                # Both the action and the key result are checked against the verified
                # user in the link's transaction.
                self._okrs.link_action(
                    viewer=viewer, action_id=action_id, key_result_id=read_id(chosen)
                )
            except UserFacingError as error:
                ack(response_action="errors", errors={OkrField.SERVES: wording(error)})
                return
            ack()

    def edit(self, ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        with replying_privately(body, client):
            values = view["state"]["values"]
            team_id, user = body["team"]["id"], body["user"]["id"]
            # The objective and key results the metadata names are checked by the service:
            # the key results must be the objective's, and the user its owner, now.
            try:
                metadata = read_object(view.get("private_metadata"))
                objective_id = read_id(metadata.get("o"))
                listed = metadata.get("krs")
                kr_ids = [read_id(i) for i in listed] if isinstance(listed, list) else []
                viewer = self._gate.viewer(client, team_id=team_id, user_id=user)
                owner = _person(_value(values, OkrField.OWNER, "selected_user") or user, "owner")
                parent = _chosen(values, OkrField.PARENT)
                edits = [_edited(values, slot, i) for slot, i in enumerate(kr_ids, 1)]
                current = self._okrs.edit_form(viewer=viewer, objective_id=objective_id)
                self._require_members(
                    client,
                    team_id=team_id,
                    channel_id=current.channel_id,
                    owners=[(OkrField.OWNER.value, owner)]
                    + [
                        (kr_field(slot, OkrField.KR_OWNER), e.owner_id)
                        for slot, e in enumerate(edits, 1)
                    ],
                )
                objective = self._okrs.edit(
                    viewer=viewer,
                    objective_id=objective_id,
                    title=_text(_value(values, OkrField.TITLE, "value")),
                    owner_id=owner,
                    parent_id=read_id(parent) if parent else None,
                    key_results=edits,
                )
            except UserFacingError as error:
                ack(response_action="errors", errors={_block_of(error): wording(error)})
                return
            ack()
            client.chat_postEphemeral(
                channel=objective.channel_id, user=user, **self._blocks.objective(objective)
            )

    def check_in(
        self, ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient
    ) -> None:
        with replying_privately(body, client):
            values = view["state"]["values"]
            team_id, user = body["team"]["id"], body["user"]["id"]
            try:
                kr_id = read_id(read_object(view.get("private_metadata")).get("kr"))
                viewer = self._gate.viewer(client, team_id=team_id, user_id=user)
                typed = _value(values, OkrField.VALUE, "value")
                chosen = _chosen(values, OkrField.VALUE)
                value = _number(chosen if chosen is not None else typed, OkrField.VALUE)
                confidence = _confidence(_chosen(values, OkrField.CONFIDENCE))
                checked = self._okrs.check_in(
                    viewer=viewer,
                    key_result_id=kr_id,
                    value=value,
                    confidence=confidence,
                    note=_text(_value(values, OkrField.NOTE, "value")),
                )
            except UserFacingError as error:
                # A self-measured key result's form has no value input: its errors go
                # next to the confidence.
                field = getattr(error, "field", "")
                block = OkrField.VALUE if OkrField.VALUE in values else OkrField.CONFIDENCE
                if field in ("note", OkrField.CONFIDENCE):
                    block = OkrField.NOTE if field == "note" else OkrField.CONFIDENCE
                ack(response_action="errors", errors={block: wording(error)})
                return
            ack()
            if checked.owed is not None:
                # The check-in DM's edit is owed with the check-in; sent now, or on a tick.
                self._deps.courier.deliver_due(ids=[checked.owed])

    def _period(self, values: Any, today: date) -> tuple[date, date]:
        starts = _date(_value(values, OkrField.STARTS, "selected_date"), OkrField.STARTS)
        ends = _date(_value(values, OkrField.ENDS, "selected_date"), OkrField.ENDS)
        if starts is not None or ends is not None:
            if starts is None or ends is None:
                raise InvalidInput("Give both dates, or pick a quarter.", field=OkrField.ENDS)
            return starts, ends
        choice = _chosen(values, OkrField.PERIOD) or "this"
        if choice not in ("this", "next"):
            raise InvalidInput(NOT_A_CHOICE, field=OkrField.PERIOD)
        return quarter_of(period_of(choice, today))


class CheckInSender:
    """Sends the check-in DMs models/okrs/checkins.py owes. A Slack error propagates to the
    Courier, which retries passing failures and records permanent ones."""

    def __init__(self, deps: Deps) -> None:
        self._deps = deps
        self._check_ins = deps.services.okr_checkins
        self._blocks = OkrBlocks(deps.blocks.templates)
        self._gate = Gate(deps.services, deps.membership)

    def ask(self, delivery: DeliveryView) -> None:
        assert delivery.subject_id is not None
        owner_id = self._check_ins.owner_of(request_id=delivery.subject_id)
        if owner_id is None:
            return
        client = self._deps.clients.for_workspace(delivery.team_id)
        # The private channels the owner is in now: key results of others are left out.
        owner = self._gate.viewer(client, team_id=delivery.team_id, user_id=owner_id)
        dm = self._check_ins.to_send(request_id=delivery.subject_id, owner=owner)
        if dm is None:
            return
        channel = str(client.conversations_open(users=dm.owner_id)["channel"]["id"])
        posted = client.chat_postMessage(channel=channel, **self._blocks.check_in_dm(dm))
        self._check_ins.record_sent(
            request_id=dm.request_id,
            key_result_ids=[kr.id for kr in dm.key_results],
            dm_conversation=channel,
            dm_ref=str(posted["ts"]),
        )

    def follow_up(self, delivery: DeliveryView) -> None:
        assert delivery.subject_id is not None
        dm = self._check_ins.listed(request_id=delivery.subject_id)
        if dm is None or not dm.waiting or dm.dm_conversation is None:
            return  # everything was answered since the follow-up was planned
        client = self._deps.clients.for_workspace(delivery.team_id)
        client.chat_postMessage(
            channel=dm.dm_conversation, **self._blocks.check_in_dm(dm, intro="followup")
        )

    def edit(self, delivery: DeliveryView) -> None:
        assert delivery.subject_id is not None
        dm = self._check_ins.listed(request_id=delivery.subject_id)
        if dm is None or dm.dm_conversation is None or dm.dm_ref is None:
            return
        client = self._deps.clients.for_workspace(delivery.team_id)
        client.chat_update(channel=dm.dm_conversation, ts=dm.dm_ref, **self._blocks.check_in_dm(dm))


class ReviewSender:
    """Sends REVIEW_DELIVERY in parts (the messages, then the chart and documents), each
    recorded as it goes: a retry starts after the last part Slack accepted."""

    def __init__(self, deps: Deps) -> None:
        self._deps = deps
        self._blocks = OkrBlocks(deps.blocks.templates)

    def post(self, delivery: DeliveryView) -> None:
        assert delivery.subject_id is not None
        services = self._deps.services
        review = services.okr_reviews.review(review_id=delivery.subject_id)
        if review is None:
            return
        client = self._deps.clients.for_workspace(delivery.team_id)
        done = int(delivery.payload.get("parts_sent", 0))
        messages = self._blocks.review(review)
        for part, message in enumerate(messages):
            if part >= done:
                client.chat_postMessage(channel=review.channel_id, **message)
                self._record(delivery, part + 1)
        if len(messages) >= done:
            known = services.lessons.channel(team_id=review.team_id, channel_id=review.channel_id)
            name = f"#{known.name}" if known else review.channel_id
            client.files_upload_v2(
                file_uploads=self._blocks.review_files(review, name),
                channel=review.channel_id,
                initial_comment=":chart_with_upwards_trend: Progress over time, and the review "
                "as Markdown and as a printable web page.",
            )
            self._record(delivery, len(messages) + 1)

    def _record(self, delivery: DeliveryView, parts_sent: int) -> None:
        self._deps.services.deliveries.record_progress(
            delivery_id=delivery.id, progress={"parts_sent": parts_sent}
        )


OKR_COLUMNS = (
    "Objective",
    "Objective owner",
    "Starts",
    "Ends",
    "Score",
    "Key result",
    "Key result owner",
    "Kind",
    "Unit",
    "Start",
    "Target",
    "Current",
    "Progress",
    "Confidence",
    "Measured by Lessonloop",
    "Actions serving it",
)
CHECK_IN_COLUMNS = ("Objective", "Key result", "At", "Value", "Confidence")


def okrs_csv(objectives: list[ObjectiveView]) -> bytes:
    rows = [
        (
            o.title,
            o.owner_id,
            o.starts_on.isoformat(),
            o.ends_on.isoformat(),
            f"{o.score:.2f}",
            kr.title,
            kr.owner_id,
            kr.kind.value,
            kr.unit,
            number(kr.start_value) if kr.start_value is not None else "",
            number(kr.target_value),
            number(kr.current_value) if kr.current_value is not None else "",
            f"{kr.progress:.2f}",
            kr.confidence.value,
            kr.measure.value if kr.measure else "",
            str(len(kr.actions)),
        )
        for o in objectives
        for kr in o.key_results
    ]
    return to_csv(OKR_COLUMNS, rows)


def check_ins_csv(objectives: list[ObjectiveView], readings: dict[int, list[Reading]]) -> bytes:
    rows = [
        (o.title, kr.title, r.at.isoformat(), number(r.value), r.confidence.value)
        for o in objectives
        for kr in o.key_results
        for r in readings.get(kr.id, [])
    ]
    return to_csv(CHECK_IN_COLUMNS, rows)


def _drafts(values: Any, objective_owner: str) -> list[KeyResultDraft]:
    drafts = []
    for slot in range(1, KR_SLOTS + 1):
        title = _text(_value(values, kr_field(slot, OkrField.KR_TITLE), "value"))
        if not title.strip():
            continue
        kind_choice = _chosen(values, kr_field(slot, OkrField.KR_KIND)) or KeyResultKind.NUMBER
        if kind_choice not in KIND_CHOICES:
            raise InvalidInput(NOT_A_CHOICE, field=kr_field(slot, OkrField.KR_KIND))
        measure = measure_of(kind_choice)
        kind = KeyResultKind.NUMBER if measure is not None else KeyResultKind(kind_choice)
        start = _number(
            _value(values, kr_field(slot, OkrField.KR_START), "value"),
            kr_field(slot, OkrField.KR_START),
        )
        target = _number(
            _value(values, kr_field(slot, OkrField.KR_TARGET), "value"),
            kr_field(slot, OkrField.KR_TARGET),
        )
        if target is None:
            if kind is not KeyResultKind.MILESTONE:
                raise InvalidInput("Give the target.", field=kr_field(slot, OkrField.KR_TARGET))
            target = 1.0
        owner = _value(values, kr_field(slot, OkrField.KR_OWNER), "selected_user")
        drafts.append(
            KeyResultDraft(
                title=title,
                owner_id=_person(owner, kr_field(slot, OkrField.KR_OWNER))
                if owner
                else objective_owner,
                target_value=target,
                kind=kind,
                start_value=start,
                unit=_text(_value(values, kr_field(slot, OkrField.KR_UNIT), "value")),
                measure=measure,
            )
        )
    if not drafts:
        raise InvalidInput(
            "Give the objective at least one key result.",
            field=kr_field(1, OkrField.KR_TITLE),
        )
    return drafts


def _edited(values: Any, slot: int, key_result_id: int) -> KeyResultEdit:
    """Key result `slot` of the edit form. A milestone's form has no target (it stays 1)."""
    owner = _value(values, kr_field(slot, OkrField.KR_OWNER), "selected_user")
    target_field = kr_field(slot, OkrField.KR_TARGET)
    target = _number(_value(values, target_field, "value"), target_field)
    if target is None and target_field in values:
        raise InvalidInput("Give the target.", field=target_field)
    confidence_field = kr_field(slot, OkrField.KR_CONFIDENCE)
    try:
        confidence = Confidence(_chosen(values, confidence_field) or "")
    except ValueError:
        raise InvalidInput(NOT_A_CHOICE, field=confidence_field) from None
    return KeyResultEdit(
        key_result_id=key_result_id,
        title=_text(_value(values, kr_field(slot, OkrField.KR_TITLE), "value")),
        owner_id=_person(owner, kr_field(slot, OkrField.KR_OWNER)),
        target_value=1.0 if target is None else target,
        confidence=confidence,
    )


def _block_of(error: UserFacingError) -> str:
    """The form input an error belongs to: the service names key result fields "kr2.target"
    and objective fields by name; the handler's own errors name the block."""
    field = str(getattr(error, "field", ""))
    if field.startswith("okr."):
        return field
    if field.startswith("kr"):
        return f"okr.{field}"
    return {"ends_on": OkrField.ENDS, "owner": OkrField.OWNER, "parent": OkrField.PARENT}.get(
        field, OkrField.TITLE
    )


def _value(values: Any, block_id: str, key: str) -> Any:
    block = values.get(block_id) if isinstance(values, dict) else None
    element = block.get(block_id) if isinstance(block, dict) else None
    return element.get(key) if isinstance(element, dict) else None


def _chosen(values: Any, block_id: str) -> str | None:
    option = _value(values, block_id, "selected_option")
    value = option.get("value") if isinstance(option, dict) else None
    return value if isinstance(value, str) else None


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _number(value: Any, field: str) -> float | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    text = str(value).strip().replace(",", "").removesuffix("%").strip()
    try:
        return float(text)
    except ValueError:
        raise InvalidInput(NOT_A_NUMBER, field=field) from None


def _date(value: Any, field: str) -> date | None:
    if value is None or value == "":
        return None
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        raise InvalidInput("Pick a date from the calendar.", field=field) from None


def _person(value: Any, field: str) -> str:
    """A users_select answer has the shape of a person's id; anything else is refused."""
    if not isinstance(value, str) or not _PERSON.fullmatch(value):
        raise InvalidInput(NOT_A_PERSON, field=field)
    return value


def _confidence(value: str | None) -> Confidence:
    try:
        return Confidence(value or Confidence.ON_TRACK)
    except ValueError:
        raise InvalidInput(NOT_A_CHOICE, field=OkrField.CONFIDENCE) from None
