"""Shared helper: run interpret/extract over a phrasing set (tests/nlp/phrasings*.yaml).

``cases`` are scored one each (``interpret``); every expected key of an ``extract`` entry is
scored one (null: must be absent; "~no": absent or "no", never "yes").
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import yaml
from nlp_rates import same

from bot.nlp import extract, interpret

HERE = Path(__file__).resolve().parent
PHRASINGS = HERE / "phrasings.yaml"
BLIND = HERE / "phrasings_blind.yaml"


def _raw(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return data


def load(path: Path = PHRASINGS) -> list[tuple[str, str, Any, dict[str, Any] | None]]:
    raw = _raw(path)["cases"]
    return [(c[0], c[1], c[2], c[3] if len(c) > 3 else None) for c in raw]


def load_extract(path: Path = PHRASINGS) -> list[tuple[str, dict[str, Any]]]:
    return [(text, dict(want)) for text, want in _raw(path).get("extract") or []]


def _extract_ok(found: dict[str, Any], code: str, want: Any) -> bool:
    if want is None:
        return code not in found
    if want == "~no":
        return found.get(code, "no") == "no"
    return same(found.get(code), want)


def evaluate(path: Path = PHRASINGS) -> tuple[int, int, list[str]]:
    cases = load(path)
    misses = []
    total = len(cases)
    for code, text, want, context in cases:
        got = interpret(code, text, context=context).value
        if not same(got, want):
            misses.append(f"{code}: {text!r} -> {got!r} (want {want!r})")
    for text, wants in load_extract(path):
        found = extract(text)
        for code, want in wants.items():
            total += 1
            if not _extract_ok(found, code, want):
                misses.append(f"extract {code}: {text!r} -> {found.get(code)!r} (want {want!r})")
    return total, total - len(misses), misses


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else PHRASINGS
    total, ok, misses = evaluate(target)
    print("\n".join(misses))
    print(f"{ok}/{total} = {ok / total:.1%}")
