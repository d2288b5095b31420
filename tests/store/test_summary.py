"""The summary service on real databases, with the engine's own output as the oracle."""

from __future__ import annotations

from typing import Any

import pytest

from bot import summary, workup
from bot.knowledge import get_dictionary
from bot.store import crud
from bot.store.db import Database

DICTIONARY = get_dictionary()

#: Findings of a person with lumps, kidney disease and Raynaud's (values only: not a vignette).
ANSWERS: dict[str, tuple[Any, str]] = {
    "lesion_consistency": ("hard", "rock hard"),
    "lesion_locations": (["fingers", "elbows"], "on my knuckles and elbows"),
    "raynaud": ("yes", "my fingers go white in the cold"),
    "kidney_disease": ("unknown", "not sure"),
    "age": (54, "54"),
}
LAB_SETS = [
    {"calcium": "high", "pth": "high"},
    {"phosphate": "high", "creatinine": "normal"},
    {"calcium": "low", "pth": "high", "ana": "positive"},
]
CONTRACT_KEYS = {
    "conversation_id",
    "status",
    "respondent",
    "findings",
    "labs",
    "differential",
    "workup",
    "red_flags",
    "rules_version",
}


def _oracle(findings: dict[str, Any], labs: dict[str, str] | None = None) -> dict[str, Any]:
    """What the summary must show: the engine's result, with scores above zero, best first."""
    result = workup.assess(findings, labs or {}).to_dict()
    ranked = sorted(
        (c for c in result["differential"] if c["score"] > 0), key=lambda c: -c["score"]
    )
    return {**result, "differential": ranked}


def _record(
    db: Database, cid: str, answers: dict[str, tuple[Any, str]] = ANSWERS
) -> dict[str, Any]:
    with db.session() as session:
        return crud.record_answers(session, cid, answers, respondent="patient", channel="rest")


def _summary(db: Database, cid: str) -> dict[str, Any]:
    with db.session() as session:
        result = summary.get_summary(session, cid)
    assert result is not None
    return result


def _assert_matches_engine(
    result: dict[str, Any], findings: dict[str, Any], labs: dict[str, str]
) -> None:
    expected = _oracle(findings, labs)
    assert [c["code"] for c in result["differential"]] == [
        c["code"] for c in expected["differential"]
    ]
    assert result["differential"] == expected["differential"]
    assert result["workup"] == expected["workup"]
    assert result["rules_version"] == expected["rules_version"]
    engine_flags = [(f["code"], f["advice"]) for f in expected["red_flags"]]
    assert [(f["code"], f["advice"]) for f in result["red_flags"]][
        : len(engine_flags)
    ] == engine_flags


def test_unknown_conversation_has_no_summary(database: Database, cid: str) -> None:
    with database.session() as session:
        assert summary.get_summary(session, cid) is None
        with pytest.raises(crud.ConversationNotFound):
            summary.complete_interview(session, cid)
        with pytest.raises(crud.ConversationNotFound):
            summary.add_labs(session, cid, {"calcium": "high"}, "api")


def test_in_progress_summary_is_computed_from_the_answers_so_far(
    database: Database, cid: str
) -> None:
    first = dict(list(ANSWERS.items())[:2])
    findings = _record(database, cid, first)
    result = _summary(database, cid)
    assert set(result) >= CONTRACT_KEYS
    assert (result["conversation_id"], result["status"], result["respondent"]) == (
        cid,
        "in_progress",
        "patient",
    )
    assert result["findings"] == findings  # only what was answered
    assert result["labs"] == {}
    _assert_matches_engine(result, findings, {})
    findings = _record(database, cid)
    result = _summary(database, cid)
    assert result["findings"] == findings
    _assert_matches_engine(result, findings, {})
    assert result["answers"]["raynaud"]["words"] == "my fingers go white in the cold"


def test_differential_shape(database: Database, cid: str) -> None:
    _record(database, cid)
    result = _summary(database, cid)
    scores = [c["score"] for c in result["differential"]]
    assert scores == sorted(scores, reverse=True)
    for candidate in result["differential"]:
        assert candidate["group"] == DICTIONARY.differential[candidate["code"]]
        assert 0 < candidate["score"] <= 1
        assert isinstance(candidate["for"], list) and isinstance(candidate["against"], list)
    assert set(result["workup"]) >= {"labs", "imaging", "not_recommended"}


def test_complete_interview_stores_the_engine_result(database: Database, cid: str) -> None:
    findings = _record(database, cid)
    with database.session() as session:
        completed = summary.complete_interview(session, cid)
    assert completed["status"] == "complete" and completed["completed_at"] is not None
    _assert_matches_engine(completed, findings, {})
    with database.session() as session:
        conversation = crud.require_conversation(session, cid)
        assert conversation.rules_version == completed["rules_version"]
        assert conversation.result["findings"] == findings
        assert conversation.result["assessment"] == workup.assess(findings, {}).to_dict()
    assert _summary(database, cid) == completed


def test_finished_summary_shows_the_stored_result(database: Database, cid: str) -> None:
    _record(database, cid)
    with database.session() as session:
        summary.complete_interview(session, cid)
        conversation = crud.require_conversation(session, cid)
        stored = dict(conversation.result)
        stored["assessment"] = {**stored["assessment"], "rules_version": "as-stored"}
        conversation.result = stored
    assert _summary(database, cid)["rules_version"] == "as-stored"


def test_answers_changed_after_completion_are_reflected(database: Database, cid: str) -> None:
    _record(database, cid)
    with database.session() as session:
        summary.complete_interview(session, cid)
    findings = _record(database, cid, {**ANSWERS, "raynaud": ("no", "no, that was my sister")})
    result = _summary(database, cid)
    assert result["findings"]["raynaud"] == "no"
    _assert_matches_engine(result, findings, {})


@pytest.mark.parametrize("labs", LAB_SETS)
def test_labs_are_stored_and_the_summary_re_ranked(
    database: Database, cid: str, labs: dict[str, str]
) -> None:
    findings = _record(database, cid)
    with database.session() as session:
        summary.complete_interview(session, cid)
    with database.session() as session:
        result = summary.add_labs(session, cid, labs, "api")
    assert result["labs"] == labs
    assert {code: e["entered_by"] for code, e in result["labs_entered"].items()} == dict.fromkeys(
        labs, "api"
    )
    _assert_matches_engine(result, findings, labs)
    with database.session() as session:
        assert crud.get_labs(session, cid) == labs
        conversation = crud.require_conversation(session, cid)
        assert conversation.result["labs"] == labs
        assert conversation.result["assessment"] == workup.assess(findings, labs).to_dict()
    assert _summary(database, cid) == result


def test_labs_on_an_interview_in_progress(database: Database, cid: str) -> None:
    findings = _record(database, cid)
    with database.session() as session:
        result = summary.add_labs(session, cid, {"calcium": "high"}, "api")
    assert result["status"] == "in_progress"
    _assert_matches_engine(result, findings, {"calcium": "high"})


def test_bad_labs_store_nothing(database: Database, cid: str) -> None:
    _record(database, cid)
    with pytest.raises(ValueError, match="calcium"), database.session() as session:
        summary.add_labs(session, cid, {"pth": "high", "calcium": "sky-high"}, "api")
    assert _summary(database, cid)["labs"] == {}


def test_red_flags_told_are_in_the_summary(database: Database, cid: str) -> None:
    findings = _record(database, cid)
    advice = "Please get medical help today."
    with database.session() as session:
        crud.record_red_flag(session, cid, "infected_lesion", advice)
    result = _summary(database, cid)
    engine_codes = [f["code"] for f in _oracle(findings)["red_flags"]]
    assert [f["code"] for f in result["red_flags"]] == engine_codes + [
        c for c in ["infected_lesion"] if c not in engine_codes
    ]
    told = next(f for f in result["red_flags"] if f["code"] == "infected_lesion")
    assert told["told_at"] is not None
    if "infected_lesion" not in engine_codes:
        assert told["advice"] == advice
