"""Fixtures: the web app served over HTTP on a SQLite file and on PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import httpx
import pytest
from webapp_server import BACKENDS, Api, make_settings, serve

from bot.store.testing import temporary_database
from bot.web.app import create_app


@pytest.fixture(scope="session", params=BACKENDS)
def api(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    """The app on a migrated database of each backend, served over HTTP."""
    with temporary_database(request.param, directory=tmp_path_factory.mktemp("db")) as db:
        settings = make_settings(db.url)
        app = create_app(settings)
        with serve(app) as base_url:
            headers = {"Authorization": f"Bearer {settings.api_token}"}
            with httpx.Client(base_url=base_url, headers=headers) as client:
                yield Api(app, db, settings.api_token, base_url, client)
        db.dispose()


@pytest.fixture
def cid() -> str:
    """A conversation id no other test uses."""
    return f"web-{uuid.uuid4().hex}"
