"""The Teams app package is what a tenant admin can upload, and its manifest's commands are
exactly the ones the bot answers."""

from __future__ import annotations

import io
import json
import re
import zipfile
from datetime import date
from pathlib import Path

import pytest
from matplotlib import image

from bot.cli import main
from handlers.teams.activities import Activities
from handlers.teams.commands import COMMANDS
from handlers.teams.connector import Connector
from handlers.teams.membership import TeamsMembership
from handlers.teams.package import package
from models.services import Services
from tests.fakeconnector import FakeConnector

APP_ID = "00000000-0000-4000-8000-00000000a99a"


def _zip() -> zipfile.ZipFile:
    return zipfile.ZipFile(
        io.BytesIO(
            package(
                app_id=APP_ID,
                version="1.2.3",
                website="https://lessonloop.example",
                privacy="https://lessonloop.example/privacy",
                terms="https://lessonloop.example/terms",
            )
        )
    )


def test_the_manifests_commands_are_the_ones_the_router_answers(services: Services) -> None:
    manifest = json.loads(_zip().read("manifest.json"))
    (bot,) = manifest["bots"]
    listed = {c["title"] for lst in bot["commandLists"] for c in lst["commands"]}
    tokens = FakeConnector()  # only its token: nothing is sent here
    connector = Connector(tokens)
    membership = TeamsMembership(services, connector, services.clock)
    routed = Activities(
        services, connector, lambda _: None, lambda _: date(2026, 11, 20), membership
    ).commands
    assert listed == {c.command.value for c in COMMANDS} == {c.value for c in routed}
    assert all(len(c["description"]) <= 128 for lst in bot["commandLists"] for c in lst["commands"])


def test_the_manifest_names_the_bot_and_its_icons() -> None:
    archive = _zip()
    assert sorted(archive.namelist()) == ["color.png", "manifest.json", "outline.png"]
    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["id"] == manifest["bots"][0]["botId"] == APP_ID
    assert re.fullmatch(r"\d+\.\d+\.\d+", manifest["version"])
    assert set(manifest["bots"][0]["scopes"]) == {"team", "groupChat", "personal"}
    assert len(manifest["name"]["short"]) <= 30 and len(manifest["description"]["short"]) <= 80
    assert manifest["icons"] == {"color": "color.png", "outline": "outline.png"}
    # Replies in a review's chain reach the app without a mention.
    assert manifest["webApplicationInfo"]["id"] == APP_ID
    (permission,) = manifest["authorization"]["permissions"]["resourceSpecific"]
    assert permission == {"name": "ChannelMessage.Read.Group", "type": "Application"}


def test_the_icons_have_the_sizes_teams_requires_and_the_outline_is_white_on_transparent() -> None:
    archive = _zip()
    color = image.imread(io.BytesIO(archive.read("color.png")), format="png")
    outline = image.imread(io.BytesIO(archive.read("outline.png")), format="png")
    assert color.shape[:2] == (192, 192) and outline.shape[:2] == (32, 32)
    visible = outline[outline[..., 3] > 0]
    assert len(visible) and (visible[..., :3] == 1.0).all()
    assert (outline[..., 3] == 0).any()


def test_the_cli_writes_the_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TEAMS_APP_ID", APP_ID)
    monkeypatch.setenv("TEAMS_APP_PASSWORD", "secret")
    out = tmp_path / "app.zip"
    assert (
        main(["teams-package", "--website", "https://lessonloop.example", "--output", str(out)])
        == 0
    )
    manifest = json.loads(zipfile.ZipFile(out).read("manifest.json"))
    assert manifest["developer"]["privacyUrl"] == "https://lessonloop.example/privacy"
