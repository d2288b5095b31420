"""Blind batches: phrasings written before any of them was run through the rules.

Batch 5 (tests/nlp/phrasings_blind.yaml): 478 answers and 40 free messages (66 expected
findings). Blind score, first run, before any fix: 454/544 = 83.5% (interpret 400/478 =
83.7%, extract 54/66 = 81.8%); of the 90 misses 70 were None (re-asked) and 20 wrong values.
After generic fixes: 538/544 = 98.9%. One expectation was changed after review ("in my
40s" -> null: a decade is a range, as in the own set); left on purpose: "my dad is on
dialysis" (a proxy may be answering for dad: "my mum is confused" must stay a yes), a typo
whose first letter is wrong ("nees"), a double negation across clauses, swollen
knuckles/wrists (joint or lump?), "they're painful and hard" in a free message without a
word for the lumps (no lesion context).

Batch 6 (tests/nlp/phrasings_blind6.yaml), written after the batch-5 fixes to measure how
they generalise: 174 answers and 14 free messages (25 expected findings). Blind score:
182/199 = 91.5% (interpret 157/174 = 90.2%, extract 25/25); 17 misses, 6 of them wrong
values (two of those were inconsistent expectations of mine, fixed in the file with a
comment). After generic fixes: 197/199 = 99.0%. Left: "sides" (trunk? too ambiguous to
read), "about 18 months ago" at 50 (48 or 49 both possible).

Batch 7 (tests/nlp/phrasings_blind7.yaml), written after the review of the blind
development vignettes (tests/data/vignettes-dev.yaml) and before any fix: 162 answers and
15 free messages (21 expected findings), 16 answers and 10 findings of them about the new
finding high_cholesterol (no rules yet). Blind score: 138/183 = 75.4% (interpret 126/162 =
77.8%, extract 12/21); without high_cholesterol 126/157 = 80.3% (31 misses, 21 of them
wrong values: hedged hardness, hard + chalky content, episodes that are over, lips, backs of
hands, face landmarks, finger joints, "around the knee"; 10 None: "-ish" words, "hardly",
"one did, years ago", JDM, "breathing's fine"). After generic fixes: 182/183 = 99.5%. Left: "mum had FH and so do I" in a free
message ("FH" alone is family history or familial hypercholesterolaemia: read only when the
cholesterol question is asked).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from nlp_phrasing_eval import BLIND, HERE, evaluate, load, load_extract
from nlp_rates import report

TARGET = 0.95
BATCHES = {
    "blind batch 5": BLIND,
    "blind batch 6": HERE / "phrasings_blind6.yaml",
    "blind batch 7": HERE / "phrasings_blind7.yaml",
}


def test_blind_batches_are_big() -> None:
    assert len(load(BLIND)) >= 250
    assert len(load_extract(BLIND)) >= 30
    assert sum(len(load(path)) for path in BATCHES.values()) >= 800


@pytest.mark.parametrize("label", sorted(BATCHES))
def test_blind_batch_is_coded_right(label: str, capsys: pytest.CaptureFixture[str]) -> None:
    path: Path = BATCHES[label]
    total, ok, misses = evaluate(path)
    rate = report(capsys, label, total, ok, misses)
    assert rate >= TARGET, f"{rate:.1%} < {TARGET:.0%}: " + "; ".join(misses)
