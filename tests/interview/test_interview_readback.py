"""The read-back and the closing messages: a patient never sees a diagnosis."""

from __future__ import annotations

from typing import Any

import pytest

from bot import workup
from bot.interview import readback, wording
from bot.knowledge import get_dictionary

FINDINGS = {
    "age": 58,
    "sex": "female",
    "lesion_consistency": "hard",
    "lesion_locations": ["fingers", "elbows"],
    "lesion_infection_signs": "yes",
    "raynaud": "yes",
    "skin_thickening": "yes",
    "kidney_disease": "unknown",
    "free_text_story": "They started 3 years ago " + "and grew " * 40,
}


def summary_of(findings: dict[str, Any]) -> dict[str, Any]:
    return workup.assess(findings).to_dict()


@pytest.mark.parametrize("respondent", ["patient", "proxy", "clinician"])
def test_readback_names_every_answer_in_words(respondent: str) -> None:
    text = readback.readback(FINDINGS, respondent)
    assert text.startswith(wording.text("readback_intro", respondent))
    for code, value in FINDINGS.items():
        assert wording.label(code, respondent) in text
        if code != "free_text_story":
            assert wording.value_text(code, value) in text
    assert "fingers, elbows" in text
    assert "not known" in text  # unknown, in words
    assert "…" in text  # a long story is quoted, shortened


def test_readback_groups_findings_under_headings() -> None:
    text = readback.readback(FINDINGS, "patient")
    titles = get_dictionary().groups
    assert titles["who"] + ":" in text
    assert text.index(titles["who"]) < text.index(titles["the lumps"])


def test_clinician_report_ranks_causes_with_reasons_and_orders_xray_not_mri() -> None:
    summary = summary_of(FINDINGS)
    text = readback.clinician_report(summary)
    top = summary["differential"][0]
    assert "1. " + top["name"] in text
    assert "for: " in text
    assert "Imaging: X-ray" in text
    assert "Not recommended: MRI" in text
    assert "Red flag:" in text  # infection signs


@pytest.mark.parametrize("respondent", ["patient", "proxy"])
def test_patient_or_proxy_is_told_what_happens_next_never_a_diagnosis(respondent: str) -> None:
    summary = summary_of(FINDINGS)
    messages = readback.closing(respondent, summary, ["infected_lesion"])
    text = " ".join(messages).lower()
    names = [c["name"].lower() for c in summary["differential"]] + [
        c["code"].replace("_", " ") for c in summary["differential"]
    ]
    assert not [n for n in names if n in text]
    assert "differential" not in text and "score" not in text
    assert wording.text("end", respondent) == messages[0]
    assert any("Please remember" in m for m in messages)  # the red flag, once more


def test_clinician_closing_has_the_report() -> None:
    summary = summary_of(FINDINGS)
    messages = readback.closing("clinician", summary, [])
    assert messages[0] == wording.text("end", "clinician")
    assert "Differential" in messages[1]


def test_closing_without_a_stored_summary_still_thanks() -> None:
    assert readback.closing("clinician", None, []) == [wording.text("end", "clinician")]


@pytest.mark.parametrize("respondent", ["patient", "proxy", "clinician"])
def test_each_answer_of_the_card_goes_back_to_its_own_question(respondent: str) -> None:
    """Tapping an answer of the widget's read-back card reopens that answer's question."""
    from bot.interview import detours
    from bot.interview.turn import REOPEN, SUMMARY_CONFIRMED, InterviewState
    from bot.nlp import extract

    every = {code: "unknown" for code in get_dictionary().findings}
    state = InterviewState(consent="yes", respondent=respondent, findings=every)
    groups = readback.card(every, respondent)
    items = [item for group in groups for item in group["items"]]
    assert sorted(i["code"] for i in items) == sorted(get_dictionary().findings)  # all
    assert len(groups) == len({g["title"] for g in groups})  # each topic once
    for item in items:
        turn = detours.handle(state, SUMMARY_CONFIRMED, item["payload"], None, extract)
        assert turn is not None and turn.slots.get(REOPEN) == item["code"], item["payload"]


def test_the_card_stands_for_the_long_read_back_where_it_is_shown() -> None:
    text = readback.readback(FINDINGS, "patient", card_shown=True)
    assert text == wording.text("readback_card", "patient") and "\n" not in text
