"""/portal and the widget's files, served by the web app over HTTP."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from webapp_server import make_settings, serve

from bot.web import portal
from bot.web.app import create_app

ROOT = Path(__file__).resolve().parents[2]
RASA = "https://chat.hospital.example:8443"


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    db = tmp_path_factory.mktemp("portal") / "calx.db"
    settings = make_settings(f"sqlite:///{db}", widget_server_url=RASA)
    with serve(create_app(settings)) as url, httpx.Client(base_url=url) as client:
        yield client


def config_of(html: str) -> dict[str, object]:
    match = re.search(
        r'<script type="application/json" id="calx-config">(.*?)</script>', html, re.S
    )
    assert match, "no config block"
    return dict(json.loads(match.group(1)))


def test_portal_embeds_the_widget_with_one_script_tag(web: httpx.Client) -> None:
    page = web.get("/portal")
    assert page.status_code == 200
    scripts = re.findall(r"<script[^>]*>", page.text)
    assert scripts == [
        '<script type="application/json" id="calx-config">',
        '<script src="/widget/calx-widget.js" data-config="calx-config" defer>',
    ]
    config = config_of(page.text)
    assert config["serverUrl"] == RASA
    assert all(link["href"].startswith(("tel:", "https://")) for link in config["urgentLinks"])


def test_portal_csp_allows_this_site_and_the_chat_server_only(web: httpx.Client) -> None:
    csp = web.get("/portal").headers["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["script-src"] == "'self'"
    assert directives["connect-src"] == f"'self' {RASA} wss://chat.hospital.example:8443"
    assert directives["default-src"] == "'none'"
    assert "unsafe-inline" not in csp


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("/widget/calx-widget.js", "javascript"),
        ("/widget/calx-widget.css", "css"),
        ("/widget/vendor/socket.io.min.js", "javascript"),
    ],
)
def test_widget_files_are_served_from_this_site(web: httpx.Client, path: str, kind: str) -> None:
    reply = web.get(path)
    assert reply.status_code == 200
    assert kind in reply.headers["content-type"]


def test_template_is_not_served(web: httpx.Client) -> None:
    assert web.get("/widget/templates/portal.html").status_code == 404
    assert web.get("/widget/../portal.py").status_code == 404


def test_widget_loads_nothing_from_the_internet() -> None:
    source = (portal.STATIC_DIR / "calx-widget.js").read_text(encoding="utf-8")
    source = re.sub(r"/\*.*?\*/", "", source, flags=re.S)  # the usage comment
    css = (portal.STATIC_DIR / "calx-widget.css").read_text(encoding="utf-8")
    assert not re.search(r"(src|href)\s*[:=]\s*[\"']https?://", source)
    assert "@import" not in css and "url(" not in css


def test_config_block_cannot_close_its_script() -> None:
    block = str(portal.json_block({"title": "</script><script>alert(1)</script>", "x": "a&b"}))
    assert "<" not in block and ">" not in block and "&" not in block
    assert json.loads(block)["title"] == "</script><script>alert(1)</script>"


def test_vendored_socketio_is_the_pinned_npm_release() -> None:
    vendored = portal.STATIC_DIR / "vendor" / "socket.io.min.js"
    pinned = json.loads((ROOT / "package.json").read_text())["devDependencies"]["socket.io-client"]
    assert f"Socket.IO v{pinned}" in vendored.read_text(encoding="utf-8")[:200]
    lock = json.loads((ROOT / "package-lock.json").read_text())
    assert lock["packages"]["node_modules/socket.io-client"]["version"] == pinned
    installed = ROOT / "node_modules" / "socket.io-client" / "dist" / "socket.io.min.js"
    if installed.is_file():  # after `npm ci`: byte for byte the npm file
        assert installed.read_bytes() == vendored.read_bytes()
