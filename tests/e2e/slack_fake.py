"""A local stand-in for Slack's Web API, so the e2e Calx runs its real Slack channel."""

from __future__ import annotations

import secrets
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "channels"))
from harness import FakeService, fake_service, wait_for

#: The Slack workspace of the e2e tests (staff by configuration: ``CALX_SLACK_TEAM_IDS``).
TEAM = "T0WARD"

__all__ = ["SlackApi", "slack_stand_in", "wait_for"]


@dataclass
class SlackApi:
    """The stand-in for Slack's Web API and the signing secret Calx verifies requests with."""

    api: FakeService
    signing_secret: str

    def env(self) -> dict[str, str]:
        """The settings that point Calx's Slack channel at this stand-in."""
        return {
            "CALX_SLACK_BOT_TOKEN": "xoxb-e2e",
            "CALX_SLACK_SIGNING_SECRET": self.signing_secret,
            "CALX_SLACK_API_URL": self.api.base_url,
            "CALX_SLACK_TEAM_IDS": TEAM,
        }


@contextmanager
def slack_stand_in() -> Iterator[SlackApi]:
    """Run the stand-in on a free port (``chat.postMessage`` answers ok and is recorded)."""
    with fake_service() as api:
        api.route("POST", "/chat.postMessage", lambda r: (200, {"ok": True, "ts": "1.1"}))
        yield SlackApi(api, secrets.token_hex(16))
