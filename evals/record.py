"""The first (untouched) score of each blind batch, kept with its date (``tests/data/scores.yaml``).

A batch's first score is written once, by ``--record-first`` on the day it was first run,
before anything was changed after seeing it; it is never overwritten.
"""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
SCORES = DATA / "scores.yaml"


def load() -> dict[str, Any]:
    """Every recorded first score: ``{suite: {batch: {"date": ..., ...figures}}}``."""
    if not SCORES.exists():
        return {}
    data = yaml.safe_load(SCORES.read_text(encoding="utf-8")) or {}
    return dict(data)


def first(suite: str, batch: str) -> dict[str, Any] | None:
    """The first score of ``batch`` in ``suite``, if it was recorded."""
    found = load().get(suite, {}).get(batch)
    return dict(found) if found else None


def record_first(suite: str, batch: str, figures: dict[str, Any], note: str = "") -> bool:
    """Keep ``figures`` as the first score of ``batch`` unless one is there; ``True`` if written."""
    data = load()
    batches = data.setdefault(suite, {})
    if batch in batches:
        return False
    entry: dict[str, Any] = {"date": datetime.date.today().isoformat(), **figures}
    if note:
        entry["note"] = note
    batches[batch] = entry
    header = (
        "# First scores of each blind batch, taken before any change made after seeing it\n"
        "# (evals/record.py). Never edited by hand; the current scores are printed beside them.\n"
    )
    SCORES.write_text(header + yaml.safe_dump(data, sort_keys=True, width=100), encoding="utf-8")
    return True


def latest_batch(suite: str) -> str | None:
    """The batch of ``suite`` whose first score is the most recent (the latest untouched one)."""
    batches = load().get(suite, {})
    if not batches:
        return None
    return max(batches, key=lambda b: (str(batches[b].get("date")), b))
