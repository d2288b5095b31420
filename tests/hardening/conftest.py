"""Fixtures of the hardening tests.

The helpers of the web, channel and e2e tests are put on the path. ``stack`` is Calx as
``make run`` starts it (``bot.runner`` on free ports) on a throw-away PostgreSQL database
(PostgreSQL refuses what SQLite lets through, e.g. NUL characters), with Slack and Teams
pointed at local fakes, at the production log level, and with small per-IP limits for
clients behind a proxy (``X-Forwarded-For`` from 127.0.0.1 is believed; loopback itself
is exempt, as by default). One stack serves every e2e test of this folder.
"""

from __future__ import annotations

import json
import os
import secrets
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

TESTS = Path(__file__).resolve().parents[1]
for folder in ("web", "channels", "e2e"):
    if str(TESTS / folder) not in sys.path:
        sys.path.insert(0, str(TESTS / folder))

from harness import Recorded, fake_service  # noqa: E402
from test_channels_e2e import APP_ID, ISSUER, TEAM, TENANT, ChannelCalx, Fakes  # noqa: E402

from bot.store.db import Database  # noqa: E402
from bot.store.testing import temporary_database  # noqa: E402

ROOT = TESTS.parent
#: Where the stack's output (every process's stdout and stderr) is kept.
LOG_DIR = ROOT / "var" / "test-logs"
#: Per-IP limit of the stack for clients behind the proxy (loopback is exempt).
IP_PER_S, IP_BURST = 2, 10


@pytest.fixture(scope="session")
def fakes() -> Iterator[Fakes]:
    """Slack's Web API, Microsoft's identity service and the Bot Connector, recording."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))

    def posted(_: Recorded) -> tuple[int, Any]:
        return 200, {"ok": True, "id": uuid.uuid4().hex, "ts": "1.1"}

    with (
        fake_service(default=posted) as slack_api,
        fake_service() as identity,
        fake_service(default=posted) as connector,
    ):
        openid = {"issuer": ISSUER, "jwks_uri": f"{identity.base_url}/keys"}
        identity.route("GET", "/openid", lambda r: (200, openid))
        identity.route("GET", "/keys", lambda r: (200, {"keys": [{**public, "kid": "k1"}]}))
        token = {"access_token": "bf-token", "expires_in": 3600}
        identity.route("POST", "/token", lambda r: (200, token))
        yield Fakes(slack_api, identity, connector, key, secrets.token_hex(16))


@pytest.fixture(scope="session")
def stack_db() -> Iterator[Database]:
    """The stack's PostgreSQL database (migrated; dropped at the end)."""
    with temporary_database("postgresql") as db:
        yield db
        db.dispose()


@pytest.fixture(scope="session")
def stack(fakes: Fakes, stack_db: Database) -> Iterator[ChannelCalx]:
    """Calx's processes on free ports (stopped with Ctrl-C at the end: exit code 0)."""
    # Kept under var/ (pytest's temporary folders are rotated away by other runs), one file
    # per test session (sessions may run side by side); a day later it is removed.
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    for old in LOG_DIR.glob("hardening-*.log"):
        if old.stat().st_mtime < time.time() - 86_400:
            old.unlink(missing_ok=True)
    log = LOG_DIR / f"hardening-{os.getpid()}-{int(time.time())}.log"
    app = ChannelCalx(database_url=stack_db.url, log=log)
    app.extra_env = {
        "CALX_LOG_LEVEL": "INFO",
        "CALX_SLACK_BOT_TOKEN": "xoxb-hardening",
        "CALX_SLACK_SIGNING_SECRET": fakes.signing_secret,
        "CALX_SLACK_API_URL": fakes.slack.base_url,
        "CALX_TEAMS_APP_ID": APP_ID,
        "CALX_TEAMS_APP_PASSWORD": "hardening-password",
        "CALX_TEAMS_OPENID_URL": f"{fakes.identity.base_url}/openid",
        "CALX_TEAMS_ISSUER": ISSUER,
        "CALX_TEAMS_TOKEN_URL": f"{fakes.identity.base_url}/token",
        "CALX_SLACK_TEAM_IDS": TEAM,
        "CALX_TEAMS_TENANT_IDS": TENANT,
        "CALX_TRUSTED_PROXIES": "127.0.0.1",
        "CALX_RATE_IP_PER_S": str(IP_PER_S),
        "CALX_RATE_IP_BURST": str(IP_BURST),
    }
    app.start()
    try:
        yield app
    finally:
        code = app.stop()
        assert code == 0, f"bot.runner exited with {code}; see {app.log}"
        assert not app.group_alive(), "a process survived Ctrl-C"
