"""Shared helper: run interpret over Calx's own phrasing set (tests/nlp/phrasings.yaml)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from nlp_rates import same

from bot.nlp import interpret

PHRASINGS = Path(__file__).resolve().parent / "phrasings.yaml"


def load() -> list[tuple[str, str, Any, dict[str, Any] | None]]:
    raw = yaml.safe_load(PHRASINGS.read_text(encoding="utf-8"))["cases"]
    return [(c[0], c[1], c[2], c[3] if len(c) > 3 else None) for c in raw]


def evaluate() -> tuple[int, int, list[str]]:
    cases = load()
    misses = []
    for code, text, want, context in cases:
        got = interpret(code, text, context=context).value
        if not same(got, want):
            misses.append(f"{code}: {text!r} -> {got!r} (want {want!r})")
    return len(cases), len(cases) - len(misses), misses


if __name__ == "__main__":
    total, ok, misses = evaluate()
    print("\n".join(misses))
    print(f"{ok}/{total} = {ok / total:.1%}")
