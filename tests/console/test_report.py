"""The report layout shared by the page, the PDF and FHIR; what a change of labs moved."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from bot import workup
from bot.export.changes import compare
from bot.export.report import Report, build_report, when
from bot.interview import wording
from bot.knowledge import get_dictionary

DICTIONARY = get_dictionary()


def _summary(findings: dict[str, Any], labs: dict[str, str] | None = None) -> dict[str, Any]:
    """A summary shaped like ``bot.summary.get_summary`` from the engine's own output."""
    assessment = workup.assess(findings, labs or {}).to_dict()
    return {
        "conversation_id": "r-1",
        "status": "complete",
        "respondent": "proxy",
        "findings": findings,
        "labs": labs or {},
        "differential": [c for c in assessment["differential"] if c["score"] > 0],
        "workup": assessment["workup"],
        "red_flags": assessment["red_flags"],
        "rules_version": assessment["rules_version"],
        "answers": {c: {"value": v, "words": f"words for {c}"} for c, v in findings.items()},
    }


FINDINGS = st.dictionaries(st.sampled_from(sorted(DICTIONARY.findings)), st.none()).map(
    lambda codes: {c: "unknown" for c in codes}
)


@settings(max_examples=50, deadline=None)
@given(findings=FINDINGS, known=st.sampled_from(["raynaud", "dialysis", "lesion_pain"]))
def test_every_finding_is_listed_once_in_dictionary_groups(
    findings: dict[str, Any], known: str
) -> None:
    findings = {**findings, known: "yes"}
    report = build_report(_summary(findings))
    rows = [row for group in report.groups for row in group.rows]
    order = list(DICTIONARY.findings)
    for group in report.groups:
        codes = [row.code for row in group.rows]
        assert codes == sorted(codes, key=order.index)  # dictionary order within a group
        assert {DICTIONARY.findings[c].group for c in codes} == {group.key}
    assert {row.code for row in rows} == set(DICTIONARY.findings)
    for row in rows:
        expected = (
            "not_asked"
            if row.code not in findings
            else ("unknown" if findings[row.code] == "unknown" else "positive")
        )
        assert row.state == expected
        assert (row.words is not None) == (row.code in findings)
    # the same rows, split by what they say: present, absent, not known, not asked
    split = [*report.positives, *report.negatives, *report.unknown, *report.not_asked]
    assert sorted(r.code for r in split) == sorted(r.code for r in rows)
    assert all(r.state == "not_asked" for r in report.not_asked)
    titles = [group.title for group in report.groups]
    assert titles == list(
        dict.fromkeys(DICTIONARY.groups[f.group] for f in DICTIONARY.findings.values())
    )


def test_workup_checklist_puts_xray_first_and_mri_last() -> None:
    report = build_report(_summary({"lesion_consistency": "hard", "lesion_locations": ["fingers"]}))
    keys = [section.key for section in report.workup]
    assert keys[0] == "imaging" and keys[-1] == "not_recommended"
    assert [i.code for i in report.workup[0].items] == ["xray"]
    assert [i.code for i in report.workup[-1].items] == ["mri"]
    labs = next(s for s in report.workup if s.key == "labs")
    assert labs.note == "Baseline for every calcinosis workup."


def test_entered_labs_tick_the_checklist() -> None:
    report = build_report(
        _summary({"lesion_consistency": "hard"}, {"creatinine": "high", "calcium": "low"})
    )
    items = {i.code: i for s in report.workup for i in s.items}
    assert items["calcium"].result == "low"
    assert items["kidney_function"].result == "Creatinine: high"
    assert items["cbc_diff"].result is None


def test_compare_says_what_moved_and_why() -> None:
    findings = {
        "lesion_consistency": "hard",
        "lesion_locations": ["elbows"],
        "kidney_disease": "yes",
    }
    labs = {"ana": "positive", "calcium": "high", "pth": "high"}
    before = workup.assess(findings).to_dict()
    after = workup.assess(findings, labs).to_dict()
    changes = compare(before, after, {}, labs)
    assert changes.labs_changed == {code: (None, value) for code, value in labs.items()}
    assert changes.moves, "labs this strong must move something"
    top_after = after["differential"][0]["code"]
    move = next(m for m in changes.moves if m.code == top_after)
    assert move.rank_after == 1 and move.gained_for
    assert set(move.gained_for) <= set(after["differential"][0]["for"])
    added = {i.code for i in changes.tests_added}
    assert added == set(after["workup"]["labs"] + after["workup"].get("other", [])) - set(
        before["workup"]["labs"] + before["workup"].get("other", [])
    )
    assert compare(after, after, labs, labs).moves == ()


def test_values_read_as_words_a_clinician_uses() -> None:
    report = build_report(
        _summary(
            {
                "raynaud": "yes",
                "dialysis": "no",
                "lesion_consistency": "soft_paste",
                "lesion_locations": ["fingers", "face_head"],
                "age": "unknown",
            }
        )
    )
    rows = {r.code: r for r in (*report.positives, *report.negatives, *report.unknown)}
    assert rows["raynaud"].answer == "Yes" and rows["raynaud"].state == "positive"
    assert rows["dialysis"].answer == "No" and rows["dialysis"].state == "negative"
    assert rows["lesion_consistency"].answer.lower() == wording.value_text(
        "lesion_consistency", "soft_paste", "clinician"
    )
    assert "_" not in rows["lesion_locations"].answer
    assert rows["age"].answer == "Did not know" and rows["age"].state == "unknown"
    for row in rows.values():  # the clinician's label and question, never the patient's
        assert row.label == wording.label(row.code, "clinician")
        assert row.question == wording.wordings()[row.code].clinician
    assert when("2026-01-02T03:04:05+01:00") == "02 Jan 2026, 02:04 UTC" and when(None) == "-"


def test_urgency_comes_from_the_red_flags() -> None:
    calm = build_report(_summary({"lesion_consistency": "hard"}))
    assert calm.urgency == "routine" and not calm.red_flags
    flagged = build_report(_summary({"lesion_infection_signs": "yes", "lesion_pain": "yes"}))
    assert flagged.red_flags and flagged.urgency == "urgent"
    told = _summary({"lesion_consistency": "hard"})
    told["red_flags"] = [{"code": "emergency_chest_pain", "kind": "chest_pain", "advice": "999"}]
    assert build_report(told).urgency == "emergency"


def test_mri_is_marked_not_recommended_and_never_a_box_to_tick() -> None:
    report = build_report(_summary({"lesion_consistency": "hard", "lesion_locations": ["fingers"]}))
    (mri,) = report.not_recommended
    assert mri.code == "mri" and mri.state == "not_recommended"
    assert mri.mark == "✗" and "not recommended" in mri.mark_text
    assert all(s.key != "not_recommended" for s in report.to_order)


def test_the_report_is_the_api_model_and_keeps_the_raw_summary_out() -> None:
    report = build_report(_summary({"lesion_consistency": "hard"}))
    data = report.dict()
    assert "summary" not in data and data["conversation_id"] == "r-1"
    assert Report.parse_obj(data).positives == report.positives
