"""The channel registrations (credentials.yml) and the app manifests in deploy/."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml
from PIL import Image
from rasa.core.run import create_http_input_channels

from bot.channels.slack import SlackThreadInput
from bot.channels.socketio import CalxSocketIOInput
from bot.channels.teams import TeamsInput
from bot.settings import get_settings

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def no_channel_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "TEAMS_APP_ID", "TEAMS_APP_PASSWORD"):
        monkeypatch.delenv(f"CALX_{name}", raising=False)
    get_settings.cache_clear()


def test_credentials_register_calx_channels_without_secrets(no_channel_secrets: None) -> None:
    channels = create_http_input_channels(None, str(ROOT / "credentials.yml"))
    kinds = {type(c) for c in channels}
    assert {CalxSocketIOInput, SlackThreadInput, TeamsInput} <= kinds
    by_type = {type(c): c for c in channels}
    assert not by_type[SlackThreadInput].config.enabled  # 401 until secrets are set
    assert not by_type[TeamsInput].config.enabled
    widget = by_type[CalxSocketIOInput]
    assert (widget.user_message_evt, widget.bot_message_evt) == ("user_uttered", "bot_uttered")
    text = (ROOT / "credentials.yml").read_text()
    assert "socketio:" not in text.split("CalxSocketIOInput")[0]  # not Rasa's own as well
    get_settings.cache_clear()


def test_channel_secrets_come_from_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CALX_SLACK_SIGNING_SECRET", "s3cret")
    monkeypatch.setenv("CALX_SLACK_BOT_TOKEN", "xoxb-1")
    monkeypatch.setenv("CALX_TEAMS_APP_ID", "app")
    monkeypatch.setenv("CALX_TEAMS_ISSUER", "https://a.example, https://b.example")
    get_settings.cache_clear()
    try:
        slack = SlackThreadInput.from_credentials(None)
        teams = TeamsInput.from_credentials({})
    finally:
        get_settings.cache_clear()
    assert slack.config.enabled and slack.config.signing_secret == "s3cret"
    assert teams.config.enabled
    assert teams.config.issuers == ("https://a.example", "https://b.example")


def test_slack_manifest_points_at_the_slack_channel() -> None:
    manifest = yaml.safe_load((ROOT / "deploy" / "slack-manifest.yml").read_text())
    events = manifest["settings"]["event_subscriptions"]
    assert urlsplit(events["request_url"]).path == "/webhooks/slack/webhook"
    assert set(events["bot_events"]) == {
        "app_mention",
        "message.im",
        "message.channels",
        "message.groups",
    }
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    assert {"app_mentions:read", "chat:write", "im:history", "channels:history"} <= scopes
    assert manifest["settings"]["socket_mode_enabled"] is False
    clicks = manifest["settings"]["interactivity"]
    assert clicks["is_enabled"] is True
    assert urlsplit(clicks["request_url"]).path == "/webhooks/slack/interactive"


def test_teams_manifest_is_complete() -> None:
    folder = ROOT / "deploy" / "teams"
    manifest = json.loads((folder / "manifest.json").read_text())
    [bot] = manifest["bots"]
    assert bot["botId"] == manifest["id"]
    assert set(bot["scopes"]) == {"personal", "team", "groupChat"}
    with Image.open(folder / manifest["icons"]["color"]) as color:
        assert color.size == (192, 192)
    with Image.open(folder / manifest["icons"]["outline"]) as outline:
        assert outline.size == (32, 32) and outline.mode == "RGBA"
    hosts = {urlsplit(url).hostname for url in manifest["developer"].values() if "://" in url}
    assert hosts <= set(manifest["validDomains"])
    assert len(manifest["description"]["short"]) <= 80
    assert len(manifest["name"]["short"]) <= 30
