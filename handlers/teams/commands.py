"""The bot commands Teams shows when people type @Lessonloop: one table, read by the
router (handlers/teams/activities.py) and by the app package's manifest."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Command(StrEnum):
    POSTMORTEM = "postmortem"
    LESSON = "lesson"
    LESSONS = "lessons"
    ACTIONS = "actions"


@dataclass(frozen=True, slots=True)
class CommandHelp:
    command: Command
    description: str  # at most 128 characters, as the manifest allows


COMMANDS: tuple[CommandHelp, ...] = (
    CommandHelp(
        Command.POSTMORTEM,
        "start <title>: a guided, blameless post-mortem in the replies; review set <cadence>",
    ),
    CommandHelp(Command.LESSON, "keep: <lesson> or improve: <lesson>: save a lesson here"),
    CommandHelp(Command.LESSONS, "<words>: search the lessons of channels you are in"),
    CommandHelp(Command.ACTIONS, "your open actions, with buttons to update them"),
)
