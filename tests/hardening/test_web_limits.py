"""The web app's request ids, per-IP rate limit (429 + Retry-After) and body cap, served for real."""

from __future__ import annotations

from pathlib import Path

import httpx
from webapp_server import make_settings, serve

from bot.web.app import create_app


def test_request_ids_are_echoed_or_made(tmp_path: Path) -> None:
    app = create_app(make_settings(f"sqlite:///{tmp_path / 'r.db'}"))
    with serve(app) as url:
        given = httpx.get(f"{url}/api/health", headers={"X-Request-ID": "client-7"})
        bad = httpx.get(f"{url}/api/health", headers={"X-Request-ID": "x\ty"})
        none = httpx.get(f"{url}/portal")
    assert given.headers["x-request-id"] == "client-7"
    assert bad.headers["x-request-id"] != "x\ty" and len(bad.headers["x-request-id"]) == 32
    assert len(none.headers["x-request-id"]) == 32


def test_per_ip_limit_answers_429_with_retry_after(tmp_path: Path) -> None:
    settings = make_settings(
        f"sqlite:///{tmp_path / 'l.db'}",
        rate_ip_per_s="1",
        rate_ip_burst="5",
        rate_exempt="",
        trusted_proxies="127.0.0.1",
    )
    app = create_app(settings)
    with serve(app) as url, httpx.Client(base_url=url) as client:
        codes = [client.get("/portal").status_code for _ in range(8)]
        refused = client.get("/portal")
        # Another client behind the same (trusted) proxy has its own allowance.
        other = client.get("/portal", headers={"X-Forwarded-For": "198.51.100.20"})
    assert codes[:5] == [200] * 5 and set(codes[5:]) == {429}
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
    assert "try again" in refused.json()["detail"]
    assert other.status_code == 200


def test_loopback_is_exempt_by_default(tmp_path: Path) -> None:
    settings = make_settings(f"sqlite:///{tmp_path / 'e.db'}", rate_ip_per_s="1", rate_ip_burst="2")
    with serve(create_app(settings)) as url, httpx.Client(base_url=url) as client:
        assert {client.get("/portal").status_code for _ in range(10)} == {200}


def test_a_large_body_gets_413_before_anything(tmp_path: Path) -> None:
    settings = make_settings(f"sqlite:///{tmp_path / 'b.db'}")
    with serve(create_app(settings)) as url:
        response = httpx.post(
            f"{url}/api/interpret",
            json={"finding": "raynaud", "text": "x" * 1_000_000},
            headers={"Authorization": f"Bearer {settings.api_token}"},
        )
    assert response.status_code == 413
