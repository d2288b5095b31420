"""Held-out measurement: the public and development vignettes' answers, coded by interpret().

The rules are not fitted to these texts (see bot/nlp/rules); the figure is printed. The
development set (tests/data/vignettes-dev.yaml, written blind to the rules) was 1041/1140 =
91.3% (34 wrong values) before the fixes of blind batch 7, whose tests are new phrasings,
not these answers; after: 1110/1140 = 97.4%. The 7 wrong values left are codings the
vignette writers disagree on ("tummy", "around ... the left knee", "one near my bum", "not
known", "n/a", "~6 mo" rounding) or need world knowledge ("a drip ... but it was salt water").
"""

from __future__ import annotations

import pytest
from nlp_rates import report
from nlp_vignette_eval import DEV_VIGNETTES, evaluate

TARGET = 0.95


def test_vignette_answers_are_coded_as_the_vignette_says(
    capsys: pytest.CaptureFixture[str],
) -> None:
    total, ok, misses = evaluate()
    rate = report(capsys, "public vignette answers", total, ok, misses)
    assert total > 800
    assert rate >= TARGET, f"{rate:.1%} < {TARGET:.0%}: " + "; ".join(misses)


def test_development_vignette_answers_are_coded_as_the_vignette_says(
    capsys: pytest.CaptureFixture[str],
) -> None:
    total, ok, misses = evaluate(DEV_VIGNETTES)
    rate = report(capsys, "development vignette answers", total, ok, misses)
    assert total > 1000
    assert rate >= TARGET, f"{rate:.1%} < {TARGET:.0%}: " + "; ".join(misses)
