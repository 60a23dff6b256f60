"""Hostile requests: correctly signed payloads whose values were changed by the client.

The caller (CAI) is in the public channel only. Every case names something CAI may not
see or change: a private channel's review, lesson or action, someone else's action, lesson
or draft, another team's review, or a value that is not ours at all; forms carry a
response_url in their metadata. Each must leave the database as it was, make no Slack call
except a private refusal to CAI (reads such as users.conversations are allowed), and never
touch the metadata's URL.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import urlencode

import pytest
from sqlalchemy import func, select

from handlers.slack.ids import ActionId, Field, OkrField, Shortcut, ViewId, kr_field
from handlers.slack.messages import time_of
from models.actions.tables import Action, ActionEvent
from models.core.privacy import Viewer
from models.lessons.tables import Lesson, LessonDraft, LessonKind
from models.okrs.service import KeyResultDraft
from models.okrs.tables import (
    CheckIn,
    KeyResult,
    Objective,
    OkrChange,
    ServingAction,
    ServingLesson,
)
from models.postmortems.tables import Postmortem, PostmortemStep, TimelineEntry
from tests.e2e.lessons import settled
from tests.e2e.review import BEA, CAI, FACILITATOR
from tests.fakeslack import TEAM_ID
from tests.harness import AppHarness
from tests.slackdriver import Response

PUBLIC, SECRET = "C0PUBLIC01", "G0SECRET01"
TODAY = date(2026, 11, 20)
TRAP = "metadata-trap"
SECRET_WORDS = (
    "token leaked through",
    "Token leak review",
    f"vault token ({BEA})",
    "vault token quarterly",
)
# Calls that only read; anything else the app sends is a write and must be a refusal.
READS = {
    "auth.test",
    "users.conversations",
    "users.info",
    "conversations.info",
    "conversations.open",
}
READS |= {"chat.getPermalink"}


@dataclass(frozen=True)
class World:
    app: AppHarness
    secret_pm: int
    public_pm: int
    other_team_pm: int
    secret_lesson: int
    public_lesson: int
    bea_draft: int
    bea_action: int
    cai_action: int
    root_ts: str
    secret_objective: int
    secret_kr: int
    bea_public_kr: int
    public_objective: int

    @property
    def trap(self) -> str:
        return self.app.fake.response_url(TRAP)


@pytest.fixture
def world(sqlite_app: AppHarness) -> World:
    app, services = sqlite_app, sqlite_app.services
    app.fake.add_channel(PUBLIC, "ops", members=(FACILITATOR, BEA, CAI))
    app.fake.add_channel(SECRET, "security", private=True, members=(FACILITATOR, BEA))
    lessons = services.lessons
    lessons.remember_channel(team_id=TEAM_ID, channel_id=PUBLIC, name="ops", is_private=False)
    lessons.remember_channel(team_id=TEAM_ID, channel_id=SECRET, name="security", is_private=True)

    def start(channel: str, title: str, team: str = TEAM_ID) -> int:
        pm = services.postmortems.start(
            team_id=team,
            channel_id=channel,
            thread_ref=f"1700000000.{len(title):06d}",
            posted_at=time_of(f"1700000000.{len(title):06d}"),
            title=title,
            facilitator_id=FACILITATOR,
        )
        with services.sessions() as session:
            step = session.scalar(
                select(func.max(PostmortemStep.id)).where(PostmortemStep.postmortem_id == pm.id)
            )
        services.postmortems.set_prompt(
            team_id=team, postmortem_id=pm.id, step_id=step, prompt_ref="1700000001.000001"
        )
        return pm.id

    secret_pm, public_pm = start(SECRET, "Token leak review"), start(PUBLIC, "Deploy")
    other_team_pm = start(PUBLIC, "Their outage", team="T0OTHERTEAM")

    def action(pm: int, owner: str) -> int:
        return services.actions.add(
            team_id=TEAM_ID,
            postmortem_id=pm,
            description=f"Rotate the vault token ({owner})",
            owner_id=owner,
            target_on=None,
            lesson_id=None,
            created_by=FACILITATOR,
            today=TODAY,
        ).id

    return World(
        app=app,
        secret_pm=secret_pm,
        public_pm=public_pm,
        other_team_pm=other_team_pm,
        secret_lesson=lessons.capture(
            team_id=TEAM_ID,
            channel_id=SECRET,
            author_id=BEA,
            text="the vault token leaked through CI logs",
            kind=LessonKind.IMPROVE,
        ).lesson.id,
        public_lesson=lessons.capture(
            team_id=TEAM_ID,
            channel_id=PUBLIC,
            author_id=BEA,
            text="canary stages catch config errors",
            kind=LessonKind.KEEP,
        ).lesson.id,
        bea_draft=lessons.draft(
            team_id=TEAM_ID, channel_id=PUBLIC, author_id=BEA, text="pairing on deploys"
        ),
        bea_action=action(secret_pm, BEA),
        cai_action=action(public_pm, CAI),
        root_ts="1700000000.000017",
        **okrs(services),
    )


def okrs(services: Any) -> dict[str, int]:
    """An objective in the private channel and one in the public channel, both Bea's."""

    def create(channel: str, title: str) -> Any:
        return services.okrs.create(
            viewer=Viewer(TEAM_ID, BEA, frozenset({SECRET})),
            channel_id=channel,
            title=title,
            owner_id=BEA,
            starts_on=date(2026, 10, 1),
            ends_on=date(2026, 12, 31),
            key_results=[KeyResultDraft(f"{title} key result", BEA, 10, start_value=0)],
        )

    secret = create(SECRET, "Rotate the vault token quarterly")
    public = create(PUBLIC, "Deploy safely")
    return {
        "secret_objective": secret.id,
        "secret_kr": secret.key_results[0].id,
        "bea_public_kr": public.key_results[0].id,
        "public_objective": public.id,
    }


# What the database holds, to compare before and after a hostile request.
def snapshot(app: AppHarness) -> dict[str, Any]:
    with app.services.sessions() as session:
        return {
            "postmortems": session.execute(
                select(
                    Postmortem.id, Postmortem.phase, Postmortem.status, Postmortem.prompt_ref
                ).order_by(Postmortem.id)
            ).all(),
            "actions": session.execute(
                select(Action.id, Action.status, Action.target_on, Action.postmortem_id).order_by(
                    Action.id
                )
            ).all(),
            "events": session.scalar(select(func.count()).select_from(ActionEvent)),
            "lessons": session.execute(select(Lesson.id, Lesson.postmortem_id)).all(),
            "drafts": session.scalars(select(LessonDraft.id)).all(),
            "timeline": session.scalar(select(func.count()).select_from(TimelineEntry)),
            "objectives": session.execute(select(Objective.id, Objective.parent_id)).all(),
            "objective_fields": session.execute(
                select(Objective.id, Objective.title, Objective.owner_id)
            ).all(),
            "key_result_fields": session.execute(
                select(KeyResult.id, KeyResult.title, KeyResult.owner_id, KeyResult.target_value)
            ).all(),
            "okr_changes": session.scalar(select(func.count()).select_from(OkrChange)),
            "key_results": session.execute(
                select(KeyResult.id, KeyResult.current_value, KeyResult.checked_in_at)
            ).all(),
            "check_ins": session.scalar(select(func.count()).select_from(CheckIn)),
            "served_by": session.execute(select(ServingAction.action_id)).all(),
            "lessons_behind": session.execute(select(ServingLesson.lesson_id)).all(),
        }


def click(world: World, action_id: str, value: str, *, channel: str = PUBLIC) -> Response:
    return world.app.driver.click(
        action_id, value, user=CAI, channel=channel, message_ts=world.root_ts, ephemeral=False
    )


def pick_date(world: World, block_id: str, picked: str) -> Response:
    return world.app.driver.block_actions(
        {
            "action_id": ActionId.UPDATE_DATE,
            "block_id": block_id,
            "type": "datepicker",
            "selected_date": picked,
        },
        user=CAI,
        container={"type": "message", "message_ts": world.root_ts, "channel_id": "D0CAI0003"},
        channel={"id": "D0CAI0003", "name": "directmessage"},
        response_url=world.app.fake.response_url("pick"),
    )


def submit(world: World, callback_id: ViewId, metadata: Any, values: dict[str, Any]) -> Response:
    view = {
        "type": "modal",
        "callback_id": callback_id,
        "private_metadata": metadata if isinstance(metadata, str) else json.dumps(metadata),
        "blocks": [],
    }
    return world.app.driver.submit_view(view, values, user=CAI)


def shortcut(world: World, callback_id: Shortcut, channel: str) -> Response:
    payload = {
        "type": "message_action",
        "token": "legacy-unused",
        "action_ts": f"{time.time():.6f}",
        "team": {"id": TEAM_ID, "domain": "fake"},
        "user": {"id": CAI, "username": "cai", "team_id": TEAM_ID},
        "channel": {"id": channel, "name": "security"},
        "callback_id": callback_id,
        "trigger_id": "trigger-forged",
        "response_url": world.app.fake.response_url("shortcut"),
        "message_ts": "1700000000.000200",
        "message": {"type": "message", "user": BEA, "text": "vault", "ts": "1700000000.000200"},
    }
    return world.app.driver.post(
        urlencode({"payload": json.dumps(payload)}),
        content_type="application/x-www-form-urlencoded",
    )


def action_form(
    description: str = "Rotate it", owner: str = CAI, day: str = "2026-12-01"
) -> dict[str, Any]:
    return {
        Field.DESCRIPTION: {"type": "plain_text_input", "value": description},
        Field.OWNER: {"type": "users_select", "selected_user": owner},
        Field.TARGET: {"type": "datepicker", "selected_date": day},
    }


def lesson_form(review: str = "log") -> dict[str, Any]:
    return {
        Field.LESSON_TEXT: {"type": "plain_text_input", "value": "a planted lesson"},
        Field.LESSON_KIND: {"type": "static_select", "selected_option": {"value": "keep"}},
        Field.LESSON_REVIEW: {"type": "static_select", "selected_option": {"value": review}},
    }


def objective_form(parent: int | None = None) -> dict[str, Any]:
    values: dict[str, Any] = {
        OkrField.TITLE: {"type": "plain_text_input", "value": "A planted objective"},
        OkrField.PERIOD: {"type": "static_select", "selected_option": {"value": "this"}},
        kr_field(1, OkrField.KR_TITLE): {"type": "plain_text_input", "value": "planted"},
        kr_field(1, OkrField.KR_KIND): {
            "type": "static_select",
            "selected_option": {"value": "number"},
        },
        kr_field(1, OkrField.KR_TARGET): {"type": "plain_text_input", "value": "5"},
    }
    if parent is not None:
        values[OkrField.PARENT] = {
            "type": "static_select",
            "selected_option": {"value": str(parent)},
        }
    return values


def link_form(action: int | None = None, lesson: int | None = None) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for field, chosen in ((OkrField.LINK_ACTION, action), (OkrField.LINK_LESSON, lesson)):
        if chosen is not None:
            values[field] = {"type": "static_select", "selected_option": {"value": str(chosen)}}
    return values


def edit_form(owner: str = CAI) -> dict[str, Any]:
    return {
        OkrField.TITLE: {"type": "plain_text_input", "value": "Taken over"},
        OkrField.OWNER: {"type": "users_select", "selected_user": owner},
        kr_field(1, OkrField.KR_TITLE): {"type": "plain_text_input", "value": "planted"},
        kr_field(1, OkrField.KR_OWNER): {"type": "users_select", "selected_user": owner},
        kr_field(1, OkrField.KR_TARGET): {"type": "plain_text_input", "value": "1"},
        kr_field(1, OkrField.KR_CONFIDENCE): {
            "type": "static_select",
            "selected_option": {"value": "off_track"},
        },
    }


def serve_form(key_result: int) -> dict[str, Any]:
    return {
        OkrField.SERVES: {"type": "static_select", "selected_option": {"value": str(key_result)}}
    }


def check_in_form() -> dict[str, Any]:
    return {
        OkrField.VALUE: {"type": "plain_text_input", "value": "9"},
        OkrField.CONFIDENCE: {"type": "static_select", "selected_option": {"value": "at_risk"}},
    }


def note_form() -> dict[str, Any]:
    return {Field.NOTE: {"type": "plain_text_input", "value": "blocked on a planted note"}}


Case = Callable[[World], Response]


def _phase(action_id: ActionId) -> list[Case]:
    return [
        lambda w: click(w, action_id, f"{w.secret_pm}:impact"),
        lambda w: click(w, action_id, f"{w.other_team_pm}:impact"),
        lambda w: click(w, action_id, "not-a-number:impact"),
        lambda w: click(w, action_id, f"{w.public_pm}:no-such-step"),
        lambda w: click(w, action_id, "99999999999999999999:impact"),
        lambda w: click(w, action_id, ""),
    ]


def _update(action_id: ActionId) -> list[Case]:
    return [
        lambda w: click(w, action_id, f"{w.bea_action}|o:{BEA}"),  # someone else's action
        lambda w: click(w, action_id, f"{w.cai_action}|c:{SECRET}"),  # a private listing
        lambda w: click(w, action_id, f"{w.cai_action}|d:{SECRET}"),
        lambda w: click(w, action_id, f"{w.cai_action}|r:1:{BEA}"),  # someone's reminder
        lambda w: click(w, action_id, f"{w.cai_action}|r:99999999999:{CAI}"),
        lambda w: click(w, action_id, f"{w.cai_action}|x:{CAI}"),
        lambda w: click(w, action_id, "nonsense"),
    ]


FORGED: dict[str, list[Case]] = {
    ActionId.PHASE_NEXT: _phase(ActionId.PHASE_NEXT),
    ActionId.PHASE_BACK: _phase(ActionId.PHASE_BACK),
    ActionId.PHASE_SKIP: _phase(ActionId.PHASE_SKIP),
    ActionId.CLOSE: [
        lambda w: click(w, ActionId.CLOSE, f"{w.secret_pm}:impact", channel=SECRET),
        lambda w: click(w, ActionId.CLOSE, f"{w.public_pm}:impact", channel=SECRET),
        lambda w: click(w, ActionId.CLOSE, "{}"),
    ],
    ActionId.ADD_ACTION: [
        lambda w: click(w, ActionId.ADD_ACTION, str(w.secret_pm)),
        lambda w: click(w, ActionId.ADD_ACTION, str(w.other_team_pm)),
        lambda w: click(w, ActionId.ADD_ACTION, "-1"),
        lambda w: click(w, ActionId.ADD_ACTION, "1e3"),
    ],
    ActionId.ADD_ACTION_FROM_REPLY: [
        lambda w: click(w, ActionId.ADD_ACTION_FROM_REPLY, json.dumps({"pm": w.secret_pm})),
        lambda w: click(w, ActionId.ADD_ACTION_FROM_REPLY, "[1, 2]"),
        lambda w: click(w, ActionId.ADD_ACTION_FROM_REPLY, '{"draft": "no pm"}'),
        lambda w: click(w, ActionId.ADD_ACTION_FROM_REPLY, '{"pm": "one"}'),
        lambda w: click(w, ActionId.ADD_ACTION_FROM_REPLY, "{not json"),
    ],
    ActionId.COACH_DISMISS: [lambda w: click(w, ActionId.COACH_DISMISS, str(w.secret_pm))],
    ActionId.UPDATE_DONE: _update(ActionId.UPDATE_DONE),
    ActionId.UPDATE_IN_PROGRESS: _update(ActionId.UPDATE_IN_PROGRESS),
    ActionId.UPDATE_BLOCKED: _update(ActionId.UPDATE_BLOCKED),
    ActionId.UPDATE_NOTE: _update(ActionId.UPDATE_NOTE),
    ActionId.UPDATE_DATE: [
        lambda w: pick_date(w, f"{w.bea_action}|o:{BEA}", "2026-12-01"),
        lambda w: pick_date(w, f"{w.cai_action}|c:{SECRET}", "2026-12-01"),
        lambda w: pick_date(w, f"{w.cai_action}|o:{CAI}", "2026-02-30"),
        lambda w: pick_date(w, f"{w.cai_action}|o:{CAI}", "2026-11-01"),  # in the past
        lambda w: pick_date(w, f"{w.cai_action}|o:{CAI}", "soon"),
    ],
    ActionId.LESSON_KEEP: [
        lambda w: click(w, ActionId.LESSON_KEEP, str(w.bea_draft)),
        lambda w: click(w, ActionId.LESSON_KEEP, "draft"),
    ],
    ActionId.LESSON_IMPROVE: [
        lambda w: click(w, ActionId.LESSON_IMPROVE, str(w.bea_draft)),
        lambda w: click(w, ActionId.LESSON_IMPROVE, "0"),
    ],
    ActionId.LESSON_UNDO: [
        lambda w: click(w, ActionId.LESSON_UNDO, str(w.secret_lesson)),
        lambda w: click(w, ActionId.LESSON_UNDO, str(w.public_lesson)),
        lambda w: click(w, ActionId.LESSON_UNDO, "lesson"),
    ],
    ActionId.LESSONS_PAGE: [
        lambda w: click(w, ActionId.LESSONS_PAGE, "abc|vault"),
        lambda w: click(w, ActionId.LESSONS_PAGE, "-5|vault"),
        lambda w: click(w, ActionId.LESSONS_PAGE, f"0|channel:<#{SECRET}|security> vault"),
        lambda w: click(w, ActionId.LESSONS_PAGE, "99999999999999999999999|vault"),
    ],
    ViewId.ACTION_CREATE: [
        lambda w: submit(w, ViewId.ACTION_CREATE, {"pm": w.secret_pm, "u": w.trap}, action_form()),
        lambda w: submit(w, ViewId.ACTION_CREATE, {"pm": w.other_team_pm}, action_form()),
        lambda w: submit(
            w,
            ViewId.ACTION_CREATE,
            {"pm": w.public_pm},
            {
                **action_form(),
                Field.LESSON: {
                    "type": "static_select",
                    "selected_option": {"value": str(w.secret_lesson)},
                },
            },
        ),
        lambda w: submit(
            w,
            ViewId.ACTION_CREATE,
            {"pm": w.public_pm},
            {
                **action_form(),
                Field.KEY_RESULT: {
                    "type": "static_select",
                    "selected_option": {"value": str(w.secret_kr)},
                },
            },
        ),
        lambda w: submit(w, ViewId.ACTION_CREATE, "[]", action_form()),
        lambda w: submit(w, ViewId.ACTION_CREATE, "not json", action_form()),
        lambda w: submit(w, ViewId.ACTION_CREATE, {"pm": "x"}, action_form()),
    ],
    ViewId.UPDATE_BLOCKED: [
        lambda w: submit(
            w, ViewId.UPDATE_BLOCKED, {"v": f"{w.bea_action}|o:{BEA}", "u": w.trap}, note_form()
        ),
        lambda w: submit(
            w,
            ViewId.UPDATE_BLOCKED,
            {"v": f"{w.cai_action}|c:{SECRET}", "u": w.trap, "e": True},
            note_form(),
        ),
        lambda w: submit(w, ViewId.UPDATE_BLOCKED, {"x": 1}, note_form()),
    ],
    ViewId.UPDATE_NOTE: [
        lambda w: submit(
            w, ViewId.UPDATE_NOTE, {"v": f"{w.bea_action}|o:{BEA}", "u": w.trap}, note_form()
        ),
        lambda w: submit(w, ViewId.UPDATE_NOTE, {"v": f"{w.cai_action}|r:1:{BEA}"}, note_form()),
        lambda w: submit(w, ViewId.UPDATE_NOTE, "42", note_form()),
    ],
    ViewId.LESSON_SAVE: [
        lambda w: submit(
            w,
            ViewId.LESSON_SAVE,
            {"c": SECRET, "ts": "1700000000.000200", "by": BEA, "link": w.trap},
            lesson_form(),
        ),
        lambda w: submit(
            w,
            ViewId.LESSON_SAVE,
            {"c": PUBLIC, "ts": "1700000000.000200", "by": BEA},
            lesson_form(str(w.secret_pm)),
        ),
        lambda w: submit(w, ViewId.LESSON_SAVE, {"c": PUBLIC}, lesson_form()),
    ],
    ViewId.TIMELINE_ADD: [
        lambda w: submit(
            w,
            ViewId.TIMELINE_ADD,
            {"c": SECRET, "ts": "1700000000.000200", "by": BEA, "link": w.trap},
            lesson_form(),
        ),
        lambda w: submit(
            w,
            ViewId.TIMELINE_ADD,
            {"c": PUBLIC, "ts": "1700000000.000200", "by": BEA},
            lesson_form(str(w.secret_pm)),
        ),
        lambda w: submit(w, ViewId.TIMELINE_ADD, {"c": PUBLIC, "ts": "soon"}, lesson_form()),
    ],
    Shortcut.SAVE_LESSON: [lambda w: shortcut(w, Shortcut.SAVE_LESSON, SECRET)],
    Shortcut.ADD_TO_TIMELINE: [lambda w: shortcut(w, Shortcut.ADD_TO_TIMELINE, SECRET)],
    ActionId.OKR_CHECK_IN: [
        lambda w: click(w, ActionId.OKR_CHECK_IN, str(w.secret_kr)),  # a private channel's
        lambda w: click(w, ActionId.OKR_CHECK_IN, str(w.bea_public_kr)),  # someone else's
        lambda w: click(w, ActionId.OKR_CHECK_IN, "99999999999999999999"),
        lambda w: click(w, ActionId.OKR_CHECK_IN, "nonsense"),
    ],
    ViewId.OKR_CREATE: [
        lambda w: submit(w, ViewId.OKR_CREATE, {"c": SECRET, "u": w.trap}, objective_form()),
        lambda w: submit(
            w, ViewId.OKR_CREATE, {"c": PUBLIC}, objective_form(parent=w.secret_objective)
        ),
        lambda w: submit(w, ViewId.OKR_CREATE, {"c": "D0CAI0003"}, objective_form()),
        lambda w: submit(w, ViewId.OKR_CREATE, "not json", objective_form()),
    ],
    ActionId.OKR_LINK: [
        lambda w: click(w, ActionId.OKR_LINK, str(w.secret_kr)),
        lambda w: click(w, ActionId.OKR_LINK, "0"),
        lambda w: click(w, ActionId.OKR_LINK, "nonsense"),
    ],
    ViewId.OKR_LINK: [
        lambda w: submit(w, ViewId.OKR_LINK, {"kr": w.secret_kr}, link_form(w.cai_action)),
        lambda w: submit(  # a public key result, a private channel's lesson
            w,
            ViewId.OKR_LINK,
            {"kr": w.bea_public_kr},
            {**link_form(w.cai_action), **link_form(lesson=w.secret_lesson)},
        ),
        lambda w: submit(w, ViewId.OKR_LINK, {"kr": w.bea_public_kr}, link_form(w.bea_action)),
        lambda w: submit(w, ViewId.OKR_LINK, {"kr": w.bea_public_kr}, {}),
        lambda w: submit(w, ViewId.OKR_LINK, "[]", link_form(w.cai_action)),
    ],
    ViewId.OKR_CHECK_IN: [
        lambda w: submit(w, ViewId.OKR_CHECK_IN, {"kr": w.secret_kr}, check_in_form()),
        lambda w: submit(w, ViewId.OKR_CHECK_IN, {"kr": w.bea_public_kr}, check_in_form()),
        lambda w: submit(w, ViewId.OKR_CHECK_IN, {"kr": "x"}, check_in_form()),
        lambda w: submit(w, ViewId.OKR_CHECK_IN, "[]", check_in_form()),
    ],
    ActionId.OKR_EDIT: [
        lambda w: click(w, ActionId.OKR_EDIT, str(w.secret_objective)),  # a private channel's
        lambda w: click(w, ActionId.OKR_EDIT, str(w.public_objective)),  # Bea's, not Cai's
        lambda w: click(w, ActionId.OKR_EDIT, "nonsense"),
    ],
    ViewId.OKR_EDIT: [
        lambda w: submit(
            w, ViewId.OKR_EDIT, {"o": w.secret_objective, "krs": [w.secret_kr]}, edit_form()
        ),
        lambda w: submit(
            w, ViewId.OKR_EDIT, {"o": w.public_objective, "krs": [w.bea_public_kr]}, edit_form()
        ),
        lambda w: submit(  # another objective's key result, and not Cai's to edit anyway
            w, ViewId.OKR_EDIT, {"o": w.public_objective, "krs": [w.secret_kr]}, edit_form()
        ),
        lambda w: submit(w, ViewId.OKR_EDIT, "not json", edit_form()),
    ],
    ActionId.OKR_SERVE: [
        lambda w: click(w, ActionId.OKR_SERVE, str(w.bea_action)),  # a private review's
        lambda w: click(w, ActionId.OKR_SERVE, "0"),
        lambda w: click(w, ActionId.OKR_SERVE, "nonsense"),
    ],
    ViewId.OKR_SERVE: [
        lambda w: submit(w, ViewId.OKR_SERVE, {"a": w.cai_action}, serve_form(w.secret_kr)),
        lambda w: submit(w, ViewId.OKR_SERVE, {"a": w.bea_action}, serve_form(w.bea_public_kr)),
        lambda w: submit(w, ViewId.OKR_SERVE, {"a": w.cai_action}, {}),
        lambda w: submit(w, ViewId.OKR_SERVE, "[]", serve_form(w.bea_public_kr)),
    ],
}
CASES = [
    pytest.param(surface, index, id=f"{surface}-{index}")
    for surface, cases in FORGED.items()
    for index in range(len(cases))
]


def test_every_action_view_and_shortcut_has_forged_value_cases() -> None:
    """A new surface must come with its hostile cases here."""
    surfaces = {*ActionId, *ViewId, *Shortcut}
    assert {str(s) for s in surfaces} <= set(FORGED)
    assert all(FORGED.values())


@pytest.mark.parametrize(("surface", "index"), CASES)
def test_forged_values_change_nothing_and_reach_only_the_caller(
    world: World, surface: str, index: int
) -> None:
    app = world.app
    settled(app, quiet=0.2)
    before, calls_before = snapshot(app), len(app.fake.calls)

    response = FORGED[surface][index](world)

    assert response.status == 200, response.body
    if response.body and response.body not in (b"{}",):
        answer = response.json()
        assert answer["response_action"] == "errors", answer  # a form's polite refusal
        assert not any(word in json.dumps(answer) for word in SECRET_WORDS)
    settled(app)
    assert snapshot(app) == before
    assert f"/response/{TRAP}" not in app.fake.response_paths
    for call in app.fake.calls[calls_before:]:
        if call.method in READS:
            continue
        assert call.method in ("response_url", "chat.postEphemeral"), call
        assert call.params.get("user", CAI) == CAI, call
        assert call.params.get("replace_original") in (None, False, "false") or (
            surface == ActionId.LESSONS_PAGE  # a results page, run with CAI's own privacy
        ), call
        assert not any(word in json.dumps(call.params) for word in SECRET_WORDS), call


def refusal(app: AppHarness, send: Callable[[], Response]) -> str:
    before = len(app.fake.calls_to("response_url"))
    assert send().status == 200
    found = app.fake.wait_for(lambda: app.fake.calls_to("response_url")[before:], what="reply")
    return str(found[0]["text"])


def test_a_private_review_is_refused_in_the_words_for_a_missing_one(world: World) -> None:
    app = world.app
    private = refusal(app, lambda: click(world, ActionId.PHASE_NEXT, f"{world.secret_pm}:impact"))
    missing = refusal(app, lambda: click(world, ActionId.PHASE_NEXT, "4242:impact"))

    assert private == missing == "I can't find that post-mortem any more."


def test_report_of_a_private_review_reads_like_a_missing_one_and_uploads_nothing(
    world: World,
) -> None:
    app = world.app

    def report(number: int) -> Callable[[], Response]:
        return lambda: app.driver.command(f"report {number}", user=CAI, channel=PUBLIC)

    private, missing = refusal(app, report(world.secret_pm)), refusal(app, report(4242))

    assert private == missing
    assert app.fake.calls_to("files.getUploadURLExternal") == []
    member = refusal(
        app, lambda: app.driver.command(f"report {world.secret_pm}", user=BEA, channel=PUBLIC)
    )
    assert "is in its thread" in member
    assert app.fake.wait_for(lambda: app.fake.shared_files(SECRET), what="the member's upload")


def test_a_note_form_never_follows_a_url_from_its_metadata(world: World) -> None:
    """The owner's own update goes through; the listing is shown as a fresh ephemeral
    message, not through the URL the metadata carried."""
    response = submit(
        world,
        ViewId.UPDATE_NOTE,
        {"v": f"{world.cai_action}|o:{CAI}", "u": world.trap, "e": True, "c": PUBLIC},
        note_form(),
    )

    assert response.status == 200 and response.body in (b"", b"{}")
    posted = world.app.fake.wait_for(
        lambda: world.app.fake.calls_to("chat.postEphemeral"), what="fresh ephemeral"
    )
    assert posted[0]["user"] == CAI and posted[0]["channel"] == PUBLIC
    settled(world.app)
    assert f"/response/{TRAP}" not in world.app.fake.response_paths


def test_a_button_never_edits_a_message_outside_the_callers_dm(world: World) -> None:
    """Done on one's own action, from a payload whose container names the private review's
    root message: the action is done, the root message untouched."""
    response = world.app.driver.click(
        ActionId.UPDATE_DONE,
        f"{world.cai_action}|o:{CAI}",
        user=CAI,
        channel=SECRET,
        message_ts=world.root_ts,
    )

    assert response.status == 200
    world.app.fake.wait_for(
        lambda: any(a[1].value == "done" for a in snapshot(world.app)["actions"]), what="done"
    )
    settled(world.app)
    assert world.app.fake.calls_to("chat.update") == []


def submit_as(
    world: World, callback_id: ViewId, metadata: dict[str, Any], values: dict[str, Any], user: str
) -> dict[str, Any]:
    view = {"type": "modal", "callback_id": callback_id, "private_metadata": json.dumps(metadata)}
    response = world.app.driver.submit_view(view, values, user=user)
    assert response.status == 200
    return dict(response.json() or {})


@pytest.mark.parametrize(
    ("form", "field", "words"),
    [
        (action_form(day="2026-02-30"), Field.TARGET, "Pick a date from the calendar."),
        (action_form(day="2026-11-19"), Field.TARGET, "today or later"),
        (action_form(description="   "), Field.DESCRIPTION, "Say what needs doing."),
        (action_form(description="x" * 2001), Field.DESCRIPTION, "under 2000 characters"),
        (action_form(owner="U0GONE0009"), Field.OWNER, "Pick someone in this workspace."),
        (action_form(owner="B0ABOT"), Field.OWNER, "Pick someone in this workspace."),
    ],
)
def test_an_invalid_action_form_is_answered_next_to_the_input(
    world: World, form: dict[str, Any], field: Field, words: str
) -> None:
    world.app.fake.missing_users.add("U0GONE0009")
    before = snapshot(world.app)

    answer = submit_as(world, ViewId.ACTION_CREATE, {"pm": world.public_pm}, form, user=CAI)

    assert answer["response_action"] == "errors" and words in answer["errors"][field]
    assert snapshot(world.app) == before


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({Field.LESSON_TEXT: {"type": "plain_text_input", "value": " "}}, Field.LESSON_TEXT, ""),
        (
            {Field.LESSON_KIND: {"type": "static_select", "selected_option": {"value": "maybe"}}},
            Field.LESSON_KIND,
            "Pick keep doing or improve.",
        ),
        (
            {Field.LESSON_REVIEW: {"type": "static_select", "selected_option": {"value": "x"}}},
            Field.LESSON_REVIEW,
            "Pick a review from the list",
        ),
    ],
)
def test_an_invalid_lesson_form_is_answered_next_to_the_input(
    world: World, change: dict[str, Any], field: Field, words: str
) -> None:
    metadata = {"c": PUBLIC, "ts": "1700000000.000200", "by": BEA}
    before = snapshot(world.app)

    answer = submit_as(world, ViewId.LESSON_SAVE, metadata, {**lesson_form(), **change}, user=CAI)

    assert answer["response_action"] == "errors" and words in answer["errors"][field]
    assert snapshot(world.app) == before


@pytest.mark.parametrize("arguments", ["10:00", "lead 3", "Europe/London"])
def test_review_set_without_a_cadence_explains_the_format(world: World, arguments: str) -> None:
    reply = refusal(
        world.app,
        lambda: world.app.driver.command(f"review set {arguments}", user=CAI, channel=PUBLIC),
    )

    assert "Say how often the review happens." in reply and "weekly friday 16:00" in reply


def test_a_page_button_that_is_not_a_number_is_refused_politely(world: World) -> None:
    reply = refusal(world.app, lambda: click(world, ActionId.LESSONS_PAGE, "abc|vault"))

    assert "couldn't read that button" in reply and "went wrong" not in reply
