"""Jinja2 for Slack text. Every `{{ expression }}` is escaped for mrkdwn (`&`, `<`, `>`)
unless it is `Mrkdwn` made by the filters below, so user text can never carry
`<!channel>` or a mention into a message. https://api.slack.com/reference/surfaces/formatting#escaping
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime
from pathlib import Path
from typing import Any

from jinja2 import (
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    PackageLoader,
    StrictUndefined,
    TemplateError,
    TemplateSyntaxError,
)

_SLACK_ID = re.compile(r"[UWBCGD][A-Z0-9]{2,31}")


class Mrkdwn(str):
    """Text already safe for Slack mrkdwn."""

    __slots__ = ()


class TemplateProblem(RuntimeError):
    """A template that cannot be loaded or rendered, named with its file and line."""


def escape_mrkdwn(text: object) -> Mrkdwn:
    if isinstance(text, Mrkdwn):
        return text
    return Mrkdwn(str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"))


def mention(user_id: str) -> Mrkdwn:
    """A real mention, only ever of an id the app itself read from Slack."""
    if not _SLACK_ID.fullmatch(user_id):
        return escape_mrkdwn(user_id)
    return Mrkdwn(f"<@{user_id}>")


def link(url: str | None, label: object) -> Mrkdwn:
    safe_label = escape_mrkdwn(label).replace("|", "¦")
    if not url or not url.startswith(("https://", "http://")):
        return Mrkdwn(safe_label)
    return Mrkdwn(f"<{escape_mrkdwn(url)}|{safe_label}>")


def quote(text: object) -> Mrkdwn:
    return Mrkdwn("\n".join(f"> {line}" for line in escape_mrkdwn(text).splitlines() or [""]))


def day(value: date | datetime | None) -> str:
    if value is None:
        return "no date"
    return f"{value:%a %d %b %Y}"


def _finalize(value: Any) -> Any:
    return value if isinstance(value, Mrkdwn) else escape_mrkdwn("" if value is None else value)


class Templates:
    """Renders `templates/<name>`; a team's own directory, if given, is searched first."""

    def __init__(self, override_dir: Path | None = None) -> None:
        loaders: list[Any] = [PackageLoader("templates", "")]
        if override_dir is not None:
            loaders.insert(0, FileSystemLoader(str(override_dir)))
        self._slack = Environment(
            loader=ChoiceLoader(loaders),
            finalize=_finalize,
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=False,
            autoescape=False,
        )
        self._slack.filters.update(mention=mention, link=link, quote=quote, day=day)
        self._slack.globals.update(mention=mention, link=link)

    def slack(self, name: str, **context: Any) -> str:
        try:
            return self._slack.get_template(f"slack/{name}.j2").render(**context).strip()
        except TemplateSyntaxError as error:
            where = f"{error.filename or error.name}, line {error.lineno}"
            raise TemplateProblem(f"{where}: {error.message}") from error
        except TemplateError as error:
            raise TemplateProblem(f"slack/{name}.j2: {error}") from error

    def names(self) -> Iterable[str]:
        return sorted(self._slack.list_templates(extensions=["j2"]))
