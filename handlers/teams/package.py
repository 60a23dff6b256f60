"""The Teams app package a tenant admin uploads: manifest.json and two icons, zipped.
https://learn.microsoft.com/microsoftteams/platform/resources/schema/manifest-schema"""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

import numpy as np
from matplotlib import image

from handlers.teams.commands import COMMANDS

MANIFEST_VERSION = "1.17"
ACCENT = "#2F5D8A"
COLOR_SIZE, OUTLINE_SIZE = 192, 32


def manifest(
    *, app_id: str, version: str, website: str, privacy: str, terms: str
) -> dict[str, Any]:
    return {
        "manifestVersion": MANIFEST_VERSION,
        "version": version,
        "id": app_id,
        "developer": {
            "name": "Lessonloop",
            "websiteUrl": website,
            "privacyUrl": privacy,
            "termsOfUseUrl": terms,
        },
        "name": {"short": "Lessonloop", "full": "Lessonloop: blameless post-mortems"},
        "description": {
            "short": "Guided, blameless post-mortems, lessons and follow-through.",
            "full": (
                "Lessonloop runs a blameless post-mortem in a channel's replies, step by step, "
                "records what people say, coaches away from blame, and follows up on the "
                "actions agreed until they are done."
            ),
        },
        "icons": {"color": "color.png", "outline": "outline.png"},
        "accentColor": ACCENT,
        "bots": [
            {
                "botId": app_id,
                "scopes": ["team", "groupChat", "personal"],
                "supportsFiles": False,
                "isNotificationOnly": False,
                "commandLists": [
                    {
                        "scopes": ["team", "groupChat"],
                        "commands": [
                            {"title": c.command.value, "description": c.description}
                            for c in COMMANDS
                        ],
                    }
                ],
            }
        ],
        "permissions": ["identity", "messageTeamMembers"],
        "validDomains": [],
        # Replies in a review's chain reach the app without mentioning it: resource-specific
        # consent, granted by whoever adds the app to a team.
        "webApplicationInfo": {"id": app_id, "resource": f"api://botid-{app_id}"},
        "authorization": {
            "permissions": {
                "resourceSpecific": [{"name": "ChannelMessage.Read.Group", "type": "Application"}]
            }
        },
    }


def package(*, app_id: str, version: str, website: str, privacy: str, terms: str) -> bytes:
    """The zip's bytes: manifest.json, color.png (192 px) and outline.png (32 px, white on
    transparent), as Teams requires."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "manifest.json",
            json.dumps(
                manifest(
                    app_id=app_id, version=version, website=website, privacy=privacy, terms=terms
                ),
                indent=2,
            ),
        )
        archive.writestr("color.png", _icon(COLOR_SIZE, background=_rgb(ACCENT)))
        archive.writestr("outline.png", _icon(OUTLINE_SIZE, background=None))
    return out.getvalue()


def _rgb(hex_colour: str) -> tuple[float, float, float]:
    value = int(hex_colour.removeprefix("#"), 16)
    return ((value >> 16) / 255, ((value >> 8) & 255) / 255, (value & 255) / 255)


def _icon(size: int, *, background: tuple[float, float, float] | None) -> bytes:
    """A white loop (a ring) on the accent colour, or alone on transparency."""
    y, x = np.mgrid[0:size, 0:size] + 0.5
    distance = np.hypot(x - size / 2, y - size / 2)
    ring = (distance > size * 0.24) & (distance < size * 0.36)
    pixels = np.zeros((size, size, 4))
    if background is not None:
        pixels[..., :3], pixels[..., 3] = background, 1.0
    pixels[ring] = (1.0, 1.0, 1.0, 1.0)
    buffer = io.BytesIO()
    image.imsave(buffer, pixels, format="png")
    return buffer.getvalue()
