"""Wording per respondent, re-asks, reasons and value words, for every finding."""

from __future__ import annotations

import re

import pytest

from bot.interview import wording
from bot.knowledge import get_dictionary

DICTIONARY = get_dictionary()
FINDINGS = list(DICTIONARY.findings)
#: Names of causes a patient must not read as "their" diagnosis in a reason.
CAUSE_WORDS = sorted(
    {name.replace("_", " ") for name in DICTIONARY.differential if not name.startswith("mimic")}
    | {"scleroderma", "calciphylaxis", "cancer", "myositis", "lupus"}
)
YOU = re.compile(r"\b(you|your|yours|yourself)\b", re.IGNORECASE)


def test_every_finding_has_a_wording_entry() -> None:
    spec = wording.wordings()
    assert set(spec) == set(FINDINGS)
    missing = [c for c in FINDINGS if spec[c].label == c.replace("_", " ")]
    assert not missing, f"no label in wording.yaml for {missing}"


@pytest.mark.parametrize("code", FINDINGS)
def test_clinician_wording_is_clinical_and_differs(code: str) -> None:
    question = wording.question(code, "clinician")
    assert question != DICTIONARY.finding(code).ask or code == "free_text_story"
    assert question.strip().endswith("?") or question.endswith(".)")


@pytest.mark.parametrize("code", [c for c in FINDINGS if c != "free_text_story"])
def test_proxy_wording_speaks_of_the_patient(code: str) -> None:
    assert not YOU.search(wording.question(code, "proxy")), wording.question(code, "proxy")


@pytest.mark.parametrize("code", FINDINGS)
def test_patient_reason_names_no_cause_the_question_does_not(code: str) -> None:
    reason = wording.why(code, "patient").lower()
    asked = wording.question(code, "patient").lower()
    assert not [w for w in CAUSE_WORDS if w in reason and w not in asked], reason


@pytest.mark.parametrize("code", FINDINGS)
def test_clinician_reason_is_the_dictionary_rationale(code: str) -> None:
    assert DICTIONARY.finding(code).why in wording.why(code, "clinician")


@pytest.mark.parametrize("code", FINDINGS)
def test_reasks_get_simpler_then_list_every_answer(code: str) -> None:
    finding = DICTIONARY.finding(code)
    first = wording.reask(code, "patient", 1)
    second = wording.reask(code, "patient", 2)
    assert wording.wordings()[code].simple in first
    assert "I don't know" in second or finding.type == "text"
    for value in finding.allowed_values():
        assert wording.value_text(code, value) in second


@pytest.mark.parametrize(
    ("code", "value", "words"),
    [
        ("lesion_locations", ["fingers", "buttocks"], "fingers, buttocks"),
        ("lesion_consistency", "soft_paste", "soft, like toothpaste"),
        ("raynaud", "yes", "yes"),
        ("raynaud", "unknown", "not known"),
        ("age", 54, "54"),
        ("free_text_story", "my_words stay as_typed", "my_words stay as_typed"),
        ("known_diagnoses", ["none"], "none"),
    ],
)
def test_value_words(code: str, value: object, words: str) -> None:
    assert wording.value_text(code, value) == words


@pytest.mark.parametrize(
    ("requested", "respondent", "expected"),
    [
        ("raynaud", "patient", "Colour changes"),
        ("raynaud", "clinician", "Rationale:"),
        ("consent", "patient", "agreement"),
        ("respondent", None, "word the questions"),
        ("summary_confirmed", "proxy", "read back"),
        (None, "patient", 'just ask "why?"'),
    ],
)
def test_explain_any_open_question(
    requested: str | None, respondent: str | None, expected: str
) -> None:
    assert expected in wording.explain(requested, respondent)


def test_texts_by_respondent() -> None:
    assert "patient's care" in wording.text("end", "proxy")
    assert wording.text("end", "clinician") == "Summary saved for review."
    assert wording.text("progress", "patient", n=4) == "(about 4 questions left)"
