"""Shared helper: run interpret over a vignette file (default: the public vignettes).

Each answer is coded with the context the interview would have (age, sex, and the lump
locations, which come before the questions that refer to them).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from nlp_rates import same

from bot.nlp import interpret

DATA = Path(__file__).resolve().parents[1] / "data"
VIGNETTES = DATA / "vignettes-public.yaml"
DEV_VIGNETTES = DATA / "vignettes-dev.yaml"
CONTEXT_FINDINGS = ("age", "sex", "lesion_locations")


def load(path: Path = VIGNETTES) -> list[dict[str, Any]]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))["vignettes"]


def evaluate(path: Path = VIGNETTES) -> tuple[int, int, list[str]]:
    total = 0
    misses: list[str] = []
    for v in load(path):
        answers = v["answers"]
        known = {c: answers[c]["value"] for c in CONTEXT_FINDINGS if c in answers}
        for code, ans in answers.items():
            total += 1
            context = {c: value for c, value in known.items() if c != code}
            got = interpret(code, ans["say"], context=context).value
            if not same(got, ans["value"]):
                misses.append(
                    f"{v['id']} {code}: {ans['say']!r} -> {got!r} (want {ans['value']!r})"
                )
    return total, total - len(misses), misses


if __name__ == "__main__":
    total, ok, misses = evaluate()
    print("\n".join(misses))
    print(f"{ok}/{total} = {ok / total:.1%}")
