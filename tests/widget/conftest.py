"""Fixtures of the widget tests: Debian's Chromium via Playwright (never downloaded)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

TESTS = Path(__file__).resolve().parents[1]
for folder in ("widget", "channels", "web", "browser", "console", "e2e"):
    if str(TESTS / folder) not in sys.path:
        sys.path.insert(0, str(TESTS / folder))

from browser_helpers import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from console_app import require_tool  # noqa: E402


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """Debian's Chromium (``/usr/bin/chromium``), headless."""
    require_tool(CHROMIUM)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        browser.close()


@pytest.fixture
def context(chromium: Any) -> Iterator[Any]:
    """A fresh browser context (its own storage) for one test."""
    context = chromium.new_context(locale="en-GB", timezone_id="UTC")
    yield context
    context.close()
