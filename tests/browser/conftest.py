"""Browser fixtures: the real web app (uvicorn, SQLite file) and Debian's Chromium via Playwright.

Chromium is never downloaded (no ``playwright install``): ``/usr/bin/chromium`` comes
from ``scripts/ci-system-deps.sh`` (``apt-get install chromium``), as does the
vendored axe-core (``tests/browser/vendor/axe.min.js``, from npm).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "console"))
from browser_helpers import CHROMIUM, CHROMIUM_ARGS, Browser
from console_app import Console, console_server, require_tool

from bot.store.testing import temporary_database


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Console]:
    """The web app on a fresh SQLite file, served by uvicorn on a free port."""
    directory = tmp_path_factory.mktemp("browser-db")
    with temporary_database("sqlite", directory=directory) as db, console_server(db) as console:
        yield console


@pytest.fixture(scope="module")
def playwright_chromium() -> Iterator[Any]:
    """Playwright's Chromium driver for Debian's browser."""
    require_tool(CHROMIUM)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        yield playwright.chromium


@pytest.fixture
def browser(site: Console, playwright_chromium: Any, tmp_path: Path) -> Iterator[Browser]:
    """Chromium with a fresh user-data dir, downloads allowed, for one test."""
    context = playwright_chromium.launch_persistent_context(
        str(tmp_path / "profile"),
        executable_path=CHROMIUM,
        args=CHROMIUM_ARGS,
        headless=True,
        accept_downloads=True,
        base_url=site.base_url,
        locale="en-GB",
        timezone_id="UTC",
    )
    try:
        yield Browser(context, site.base_url, tmp_path)
    finally:
        context.close()
