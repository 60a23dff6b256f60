"""Every Slack surface id the app owns. No literal ids anywhere else."""

from enum import StrEnum


class Command(StrEnum):
    POSTMORTEM = "/postmortem"
    ACTIONS = "/actions"


class Event(StrEnum):
    MESSAGE = "message"


class ActionId(StrEnum):
    PHASE_NEXT = "postmortem.next"
    PHASE_BACK = "postmortem.back"
    PHASE_SKIP = "postmortem.skip"
    CLOSE = "postmortem.close"
    ADD_ACTION = "action.add"
    ADD_ACTION_FROM_REPLY = "action.add_from_reply"
    COACH_DISMISS = "coach.dismiss"
    # Follow-through: an owner updating an action from a reminder or /actions (issue 3)
    UPDATE_DONE = "update.done"
    UPDATE_IN_PROGRESS = "update.in_progress"
    UPDATE_BLOCKED = "update.blocked"
    UPDATE_DATE = "update.date"
    UPDATE_NOTE = "update.note"


class ViewId(StrEnum):
    ACTION_CREATE = "action.create"
    UPDATE_BLOCKED = "update.blocked"
    UPDATE_NOTE = "update.note"


class Field(StrEnum):
    """block_id and action_id of modal inputs (the same string for both)."""

    DESCRIPTION = "action.description"
    OWNER = "action.owner"
    TARGET = "action.target"
    LESSON = "action.lesson"
    NOTE = "update.note_text"
