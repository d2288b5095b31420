"""next_question: adaptive order, red flags early, skips, and a stopping rule."""

from typing import Any

import pytest
from workup_data import coded, load_vignettes

from bot.knowledge.loader import get_knowledge
from bot.workup import applicable, assess, next_question, questions_left

VIGNETTES = load_vignettes()


def interview(answers: dict[str, Any]) -> tuple[list[str], dict[str, Any]]:
    """Ask what next_question asks, answering from `answers` (unknown when absent)."""
    asked: list[str] = []
    findings: dict[str, Any] = {}
    while (code := next_question(findings)) is not None:
        assert code not in asked, f"{code} asked twice"
        asked.append(code)
        findings[code] = answers.get(code, "unknown")
    return asked, findings


def test_opening_then_red_flag_screens_early() -> None:
    asked, _ = interview({})
    policy = get_knowledge().questions
    assert asked[: len(policy.opening)] == list(policy.opening)
    for screen in policy.red_flag_screens:
        assert asked.index(screen) < 10
    assert asked[-1] == "free_text_story"


def test_questions_that_no_longer_matter_are_skipped() -> None:
    asked, _ = interview({"kidney_disease": "no", "cancer_history": "no"})
    assert "dialysis" not in asked and "chemotherapy_recent" not in asked
    assert not applicable("dialysis", {"kidney_disease": "no"})
    assert applicable("dialysis", {"kidney_disease": "unknown"})
    assert not applicable("dialysis", {}), "waits until kidney disease is answered"


@pytest.mark.parametrize(
    ("given", "then"),
    [
        ({"skin_necrosis": "yes"}, {"kidney_disease", "dialysis"}),
        ({"muscle_weakness": "yes"}, {"reflux_or_swallowing", "breathing_difficulty"}),
        ({"hypercalcemia_symptoms": "yes"}, {"confusion", "cancer_history"}),
    ],
)
def test_a_half_true_red_flag_is_completed_next(given: dict[str, str], then: set[str]) -> None:
    opening = {"age": 50, "lesion_locations": ["elbows"], "lesion_consistency": "hard"}
    assert next_question({**opening, **given}) in then


def test_unknown_is_answered_and_not_asked_again() -> None:
    findings = {"age": "unknown", "lesion_locations": "unknown", "lesion_consistency": "unknown"}
    assert next_question(findings) not in findings


@pytest.mark.parametrize("v", VIGNETTES, ids=[v["id"] for v in VIGNETTES])
def test_short_interview_reaches_the_full_information_ranking(v: dict[str, Any]) -> None:
    answers = coded(v)
    asked, findings = interview(answers)
    assert len(asked) < len(answers) * 0.75, "the stopping rule keeps interviews short"
    full = assess(answers).differential[0].code
    assert assess(findings).differential[0].code == full


def test_questions_left_counts_down() -> None:
    findings: dict[str, Any] = {}
    counts = []
    answers = coded(VIGNETTES[0])
    while (code := next_question(findings)) is not None:
        counts.append(questions_left(findings))
        findings[code] = answers.get(code, "unknown")
    assert questions_left(findings) == 0
    assert counts[0] >= 5 and counts[-1] >= 1
