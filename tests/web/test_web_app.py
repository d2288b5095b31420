"""The app factory: no connection at start-up, health when the database is not there, secrets."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from webapp_server import BACKENDS, make_settings, serve

from bot.store.testing import temporary_database
from bot.web.app import create_app

ROOT = Path(__file__).resolve().parents[2]


def test_importing_the_app_connects_to_nothing() -> None:
    code = (
        "import sys, bot.web.app, bot.web.api, bot.store, bot.summary;"
        "import sqlalchemy.pool;"
        "assert 'spacy' not in sys.modules, 'spaCy imported at start-up';"
        "assert 'bot.nlp' not in sys.modules"
    )
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "CALX_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/x",
    }
    proc = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stderr


@pytest.mark.parametrize(
    "url",
    ["postgresql://postgres@127.0.0.1:1/calx", "sqlite:////proc/no-such-dir/calx.db"],
    ids=["postgres-closed-port", "sqlite-unwritable"],
)
def test_health_reports_an_unreachable_database(url: str) -> None:
    app = create_app(make_settings(url))  # does not connect
    with serve(app) as base_url:
        response = httpx.get(f"{base_url}/api/health")
    assert response.status_code == 503
    assert response.json()["database"] == "unreachable"


@pytest.mark.parametrize("backend", BACKENDS)
def test_health_reports_a_schema_not_migrated(backend: str, tmp_path: Path) -> None:
    with temporary_database(backend, migrate=False, directory=tmp_path) as db:
        app = create_app(make_settings(db.url))
        with serve(app) as base_url:
            response = httpx.get(f"{base_url}/api/health")
            assert response.status_code == 503
            assert response.json() == {
                "status": "degraded",
                "database": "reachable",
                "schema": "outdated",
            }
            db.migrate()
            assert httpx.get(f"{base_url}/api/health").status_code == 200


def test_production_refuses_placeholder_tokens(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'p.db'}"
    with pytest.raises(ValueError, match="CALX_API_TOKEN"):
        create_app(make_settings(url, env="production", api_token="dev-api-token"))


def test_an_empty_token_setting_lets_nobody_in(tmp_path: Path) -> None:
    app = create_app(make_settings(f"sqlite:///{tmp_path / 'e.db'}", api_token=""))
    with serve(app) as base_url:
        for headers in ({}, {"Authorization": "Bearer"}, {"Authorization": "Bearer x"}):
            response = httpx.post(
                f"{base_url}/api/interpret",
                json={"finding": "raynaud", "text": "y"},
                headers=headers,
            )
            assert response.status_code == 401


def test_docs_only_outside_production(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'd.db'}"
    dev = create_app(make_settings(url))
    strong = "s" * 32
    prod = create_app(
        make_settings(url, env="production", api_token=strong, rasa_token=strong, secret_key=strong)
    )
    with serve(dev) as dev_url, serve(prod) as prod_url:
        assert httpx.get(f"{dev_url}/openapi.json").status_code == 200
        assert httpx.get(f"{prod_url}/openapi.json").status_code == 404
        assert httpx.get(f"{prod_url}/docs").status_code == 404


def test_the_body_map_images_are_public_and_refuse_unknown_sites(tmp_path: Path) -> None:
    import io

    from PIL import Image

    with (
        temporary_database("sqlite", directory=tmp_path) as db,
        serve(create_app(make_settings(db.url))) as base_url,
        httpx.Client(base_url=base_url) as anonymous,  # the image holds no identifier
    ):
        png = anonymous.get("/bodymap.png", params={"sites": "knees,fingers"})
        svg = anonymous.get("/bodymap.svg", params={"sites": "knees"})
        bad = anonymous.get("/bodymap.png", params={"sites": "knees,<b>ankle</b>"})
        db.dispose()
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    assert png.headers["cache-control"].startswith("public")
    assert Image.open(io.BytesIO(png.content)).format == "PNG"
    assert svg.status_code == 200 and "<title>knees</title>" in svg.text
    assert bad.status_code == 422 and "unknown sites: <b>ankle</b>" in bad.json()["detail"]
