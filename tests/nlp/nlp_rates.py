"""Shared by the measured NLP tests: comparing coded values and printing a rate."""

from __future__ import annotations

from typing import Any

import pytest


def same(a: Any, b: Any) -> bool:
    """Equal values; lists (multi findings) compared as sets."""
    if isinstance(a, list) and isinstance(b, list):
        return set(a) == set(b)
    return bool(a == b)


def report(
    capsys: pytest.CaptureFixture[str], label: str, total: int, ok: int, misses: list[str]
) -> float:
    """Print ``label``'s rate and misses on the terminal (even without -s); return the rate."""
    rate = ok / total
    with capsys.disabled():
        print(f"\n[nlp] {label}: {ok}/{total} coded right = {rate:.1%}")
        for miss in misses:
            print(f"[nlp]   miss {miss}")
    return rate
