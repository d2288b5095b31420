"""The real processes, started once for the end-to-end tests (marker ``e2e``).

Slack's channel is switched on with a local stand-in for Slack's Web API, so that a
resident's messages go through the real, signed webhook (``test_e2e_channels``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from calx_process import Calx
from slack_fake import SlackApi, slack_stand_in


@pytest.fixture(scope="session")
def e2e_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("e2e")


@pytest.fixture(scope="session")
def slack_api() -> Iterator[SlackApi]:
    with slack_stand_in() as api:
        yield api


@pytest.fixture(scope="session")
def calx(e2e_dir: Path, slack_api: SlackApi) -> Iterator[Calx]:
    """Calx on free ports with its own SQLite database; stopped with Ctrl-C at the end."""
    app = Calx(database_url=f"sqlite:///{e2e_dir / 'calx.db'}", log=e2e_dir / "run.log")
    app.extra_env = slack_api.env()
    app.start()
    try:
        yield app
    finally:
        code = app.stop()
        assert code == 0, f"bot.runner exited with {code}; see {app.log}"
        assert not app.group_alive(), "a process of make run survived Ctrl-C"
