"""Helpers of the browser tests: a browser profile, the axe-core scan, screenshots."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from console_app import require_tool

ROOT = Path(__file__).resolve().parents[2]
#: Screenshots and axe-core reports, for a person to look at (``var/`` is not committed).
ARTIFACTS = ROOT / "var" / "screenshots"
AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
#: axe-core rules checked: WCAG 2.1 A/AA and best practice.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]


@dataclass
class Browser:
    """A fresh browser profile (its own user-data dir) and helpers for the console."""

    context: Any
    base_url: str
    downloads: Path

    def new_page(self, width: int = 1280, height: int = 900) -> Any:
        """A page of the laptop size (or another viewport)."""
        page = self.context.new_page()
        page.set_viewport_size({"width": width, "height": height})
        return page


def axe_source() -> str:
    """The vendored axe-core (``scripts/vendor-browser-assets.sh``)."""
    if not AXE.is_file():
        require_tool(str(AXE))  # skipped locally, fails in CI
    return AXE.read_text(encoding="utf-8")


def axe_scan(page: Any, name: str, every_impact: bool = False) -> list[dict[str, Any]]:
    """Run axe-core on the page (injected from the local file); return serious/critical issues.

    With ``every_impact`` every violation counts (minor and moderate too). The full result
    is saved as ``var/screenshots/axe-<name>.json``.
    """
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(axe_source())  # CDP evaluation: the page's CSP allows no script
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", AXE_TAGS
    )
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / f"axe-{name}.json").write_text(json.dumps(result, indent=1), encoding="utf-8")
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [n["target"] for n in v["nodes"]],
        }
        for v in result["violations"]
        if every_impact or v.get("impact") in ("serious", "critical")
    ]


def screenshot(page: Any, name: str) -> Path:
    """Save a full-page screenshot under ``var/screenshots/``."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
