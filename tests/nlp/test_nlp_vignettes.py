"""Held-out measurement: the public vignettes' answers, coded by interpret().

The rules are not fitted to these texts (see bot/nlp/rules); the figure is printed.
"""

from __future__ import annotations

import pytest
from nlp_rates import report
from nlp_vignette_eval import evaluate

TARGET = 0.95


def test_vignette_answers_are_coded_as_the_vignette_says(
    capsys: pytest.CaptureFixture[str],
) -> None:
    total, ok, misses = evaluate()
    rate = report(capsys, "public vignette answers", total, ok, misses)
    assert total > 800
    assert rate >= TARGET, f"{rate:.1%} < {TARGET:.0%}: " + "; ".join(misses)
