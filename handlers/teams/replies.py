"""What a reply in a review owes, sent in Teams (see models.postmortems.service): the
action it created, announced in the replies; the coach's nudge and a problem with the
reply, sent to its author alone in a 1:1 (Teams has no message only one person sees)."""

from __future__ import annotations

from handlers.teams import cards
from handlers.teams.deliveries import TeamsCourier
from handlers.teams.errors import word
from models.coach import assess
from models.core.views import DeliveryView
from models.postmortems.service import (
    ACTION_ADDED_DELIVERY,
    COACH_NUDGE_DELIVERY,
    REPLY_PROBLEM_DELIVERY,
)
from models.postmortems.views import AnswerView, PostmortemView
from models.services import Services


class TeamsReplySenders:
    def __init__(self, services: Services, courier: TeamsCourier) -> None:
        self._services, self._courier = services, courier

    def register(self) -> None:
        self._courier.add_sender(ACTION_ADDED_DELIVERY, self.action_added)
        self._courier.add_sender(COACH_NUDGE_DELIVERY, self.nudge)
        self._courier.add_sender(REPLY_PROBLEM_DELIVERY, self.problem)

    def action_added(self, delivery: DeliveryView) -> None:
        postmortem, _ = self._reply(delivery)
        action = self._services.actions.get(
            team_id=delivery.team_id, action_id=int(delivery.payload["action_id"])
        )
        if action is None or postmortem.thread_ref is None:
            return  # the reply may have stopped being an action since
        self._courier.reply_in_review(postmortem, cards.action_added(action))

    def nudge(self, delivery: DeliveryView) -> None:
        postmortem, answer = self._reply(delivery)
        verdict = assess(answer.text)
        if verdict.blames:  # the reply may have been edited since
            self._privately(delivery.team_id, answer, cards.coach_nudge(verdict, postmortem.title))

    def problem(self, delivery: DeliveryView) -> None:
        postmortem, answer = self._reply(delivery)
        payload = delivery.payload
        wording = (
            str(payload["problem"])
            if "params" not in payload
            else word(str(payload["problem"]), payload["params"])
        )
        self._privately(delivery.team_id, answer, cards.reply_problem(wording, postmortem.title))

    def _reply(self, delivery: DeliveryView) -> tuple[PostmortemView, AnswerView]:
        assert delivery.subject_id is not None
        return self._services.postmortems.reply(
            team_id=delivery.team_id, answer_id=delivery.subject_id
        )

    def _privately(self, team_id: str, answer: AnswerView, message: cards.Activity) -> None:
        target = self._courier.personal(team_id, answer.author_id)
        self._courier.connector.send(target, message)
