"""Every Slack surface id the app owns. No literal ids anywhere else."""

from enum import StrEnum


class Command(StrEnum):
    POSTMORTEM = "/postmortem"
    ACTIONS = "/actions"
    LESSON = "/lesson"
    LESSONS = "/lessons"


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


class ViewId(StrEnum):
    ACTION_CREATE = "action.create"
    UPDATE_BLOCKED = "update.blocked"
    UPDATE_NOTE = "update.note"
    LESSON_SAVE = "lesson.save_form"
    TIMELINE_ADD = "timeline.add_form"


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
    NOTE = "update.note_text"
    LESSON_TEXT = "lesson.text"
    LESSON_KIND = "lesson.kind"
    LESSON_TAGS = "lesson.tags"
    LESSON_REVIEW = "lesson.review"
