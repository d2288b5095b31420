"""Shared helper: run interpret over the public vignettes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from nlp_rates import same

from bot.nlp import interpret

VIGNETTES = Path(__file__).resolve().parents[1] / "data" / "vignettes-public.yaml"
CONTEXT_FINDINGS = ("age", "sex")


def load() -> list[dict[str, Any]]:
    return yaml.safe_load(VIGNETTES.read_text(encoding="utf-8"))["vignettes"]


def evaluate() -> tuple[int, int, list[str]]:
    total = 0
    misses: list[str] = []
    for v in load():
        answers = v["answers"]
        context = {c: answers[c]["value"] for c in CONTEXT_FINDINGS if c in answers}
        for code, ans in answers.items():
            total += 1
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
