"""Every Slack surface id the app owns. No literal ids anywhere else."""

from enum import StrEnum


class Command(StrEnum):
    POSTMORTEM = "/postmortem"
    ACTIONS = "/actions"
    LESSON = "/lesson"
    LESSONS = "/lessons"
    OKR = "/okr"


class Event(StrEnum):
    MESSAGE = "message"
    APP_HOME_OPENED = "app_home_opened"
    APP_UNINSTALLED = "app_uninstalled"
    TOKENS_REVOKED = "tokens_revoked"


class ActionId(StrEnum):
    PHASE_NEXT = "postmortem.next"
    PHASE_BACK = "postmortem.back"
    PHASE_SKIP = "postmortem.skip"
    CLOSE = "postmortem.close"
    ADD_ACTION = "action.add"
    ADD_ACTION_FROM_REPLY = "action.add_from_reply"
    COACH_DISMISS = "coach.dismiss"
    # Follow-through: an owner updating an action from a reminder or /actions
    UPDATE_DONE = "update.done"
    UPDATE_IN_PROGRESS = "update.in_progress"
    UPDATE_BLOCKED = "update.blocked"
    UPDATE_DATE = "update.date"
    UPDATE_NOTE = "update.note"
    LESSON_KEEP = "lesson.keep"
    LESSON_IMPROVE = "lesson.improve"
    LESSON_UNDO = "lesson.undo"
    LESSONS_PAGE = "lessons.page"
    OKR_CHECK_IN = "okr.check_in"
    OKR_LINK = "okr.link"
    OKR_EDIT = "okr.edit"
    OKR_SERVE = "okr.serve"


class ViewId(StrEnum):
    ACTION_CREATE = "action.create"
    UPDATE_BLOCKED = "update.blocked"
    UPDATE_NOTE = "update.note"
    LESSON_SAVE = "lesson.save_form"
    TIMELINE_ADD = "timeline.add_form"
    OKR_CREATE = "okr.create_form"
    OKR_CHECK_IN = "okr.check_in_form"
    OKR_LINK = "okr.link_form"
    OKR_EDIT = "okr.edit_form"
    OKR_SERVE = "okr.serve_form"


class Shortcut(StrEnum):
    """Message shortcuts (manifest `features.shortcuts`, type "message")."""

    SAVE_LESSON = "lesson.save"
    ADD_TO_TIMELINE = "timeline.add"


class Field(StrEnum):
    """block_id and action_id of modal inputs (the same string for both)."""

    DESCRIPTION = "action.description"
    OWNER = "action.owner"
    TARGET = "action.target"
    LESSON = "action.lesson"
    KEY_RESULT = "action.key_result"
    NOTE = "update.note_text"
    LESSON_TEXT = "lesson.text"
    LESSON_KIND = "lesson.kind"
    LESSON_TAGS = "lesson.tags"
    LESSON_REVIEW = "lesson.review"


class OkrField(StrEnum):
    """block_id and action_id of the OKR forms' inputs; a key result's inputs are
    numbered per slot (`kr_field`)."""

    TITLE = "okr.title"
    OWNER = "okr.owner"
    PERIOD = "okr.period"
    STARTS = "okr.starts"
    ENDS = "okr.ends"
    PARENT = "okr.parent"
    KR_TITLE = "title"
    KR_KIND = "kind"
    KR_START = "start"
    KR_TARGET = "target"
    KR_UNIT = "unit"
    KR_OWNER = "owner"
    VALUE = "okr.value"
    CONFIDENCE = "okr.confidence"
    NOTE = "okr.note"
    LINK_ACTION = "okr.link_action"
    LINK_LESSON = "okr.link_lesson"
    KR_CONFIDENCE = "confidence"
    SERVES = "okr.serves"


def kr_field(slot: int, field: OkrField) -> str:
    """The block id of key result `slot`'s `field` (slots count from 1)."""
    return f"okr.kr{slot}.{field}"
