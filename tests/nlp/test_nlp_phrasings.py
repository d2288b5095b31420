"""Calx's own phrasing set (tests/nlp/phrasings.yaml): every finding type, negation,
uncertainty, typos, shorthand, relative ages, several sites at once. Printed as a rate."""

from __future__ import annotations

from collections import Counter

import pytest
from nlp_phrasing_eval import evaluate, load
from nlp_rates import report

from bot.knowledge import get_dictionary

TARGET = 0.95


def test_phrasing_set_is_big_and_covers_every_finding() -> None:
    cases = load()
    assert len(cases) >= 250
    asked = Counter(code for code, *_ in cases)
    missing = set(get_dictionary().findings) - set(asked)
    assert not missing, f"no phrasing for {sorted(missing)}"
    kinds = Counter(type(want).__name__ for _, _, want, _ in cases)
    assert kinds["NoneType"] >= 10  # answers that must be asked again, not guessed


def test_own_phrasings_are_coded_right(capsys: pytest.CaptureFixture[str]) -> None:
    total, ok, misses = evaluate()
    rate = report(capsys, "own phrasings", total, ok, misses)
    assert rate >= TARGET, f"{rate:.1%} < {TARGET:.0%}: " + "; ".join(misses)
