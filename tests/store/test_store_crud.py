"""The CRUD API on real SQLite and PostgreSQL databases."""

from __future__ import annotations

import uuid
from datetime import timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from bot.knowledge import get_dictionary
from bot.store import crud
from bot.store.db import Database
from bot.store.models import Answer, Conversation, LabResult, RedFlagTold

DICTIONARY = get_dictionary()


def _count(db: Database, model: Any, cid: str) -> int:
    with db.session() as session:
        return int(
            session.execute(
                select(func.count()).select_from(model).where(model.conversation_id == cid)
            ).scalar_one()
        )


def test_record_answers_stores_canonical_values_and_words(database: Database, cid: str) -> None:
    given_answers = {
        "lesion_locations": (["knees", "elbows", "knees"], "on my knees and elbows"),
        "age": ("62", "62F"),
        "kidney_disease": ("unknown", "no idea"),
        "lesion_pain": (True, "yes it hurts"),
    }
    with database.session() as session:
        stored = crud.record_answers(
            session, cid, given_answers, respondent="clinician", channel="rest"
        )
    expected = DICTIONARY.check_findings({k: v for k, (v, _) in given_answers.items()})
    assert stored == expected
    with database.session() as session:
        assert crud.get_findings(session, cid) == expected
        answers = crud.get_answers(session, cid)
        conversation = crud.require_conversation(session, cid)
    assert {code: a.words for code, a in answers.items()} == {
        code: words for code, (_, words) in given_answers.items()
    }
    assert isinstance(answers["age"].value, int)
    assert list(answers) == [c for c in DICTIONARY.findings if c in answers]  # dictionary order
    assert (conversation.status, conversation.respondent, conversation.channel) == (
        "in_progress",
        "clinician",
        "rest",
    )


def test_answering_again_updates_the_row(database: Database, cid: str) -> None:
    with database.session() as session:
        crud.record_answers(session, cid, {"raynaud": ("no", "nope")})
    with database.session() as session:
        first = crud.get_answers(session, cid)["raynaud"]
        created = session.execute(
            select(Answer.created_at).where(Answer.conversation_id == cid)
        ).scalar_one()
    with database.session() as session:
        crud.record_answers(session, cid, {"raynaud": ("yes", "actually my fingers go white")})
    with database.session() as session:
        second = crud.get_answers(session, cid)["raynaud"]
        assert (
            session.execute(
                select(Answer.created_at).where(Answer.conversation_id == cid)
            ).scalar_one()
            == created
        )
    assert _count(database, Answer, cid) == 1
    assert (second.value, second.words) == ("yes", "actually my fingers go white")
    assert second.updated_at >= first.updated_at


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        ({"no_such_finding": ("yes", "x")}, "no_such_finding"),
        ({"lesion_consistency": ("squishy-ish", "x")}, "squishy-ish"),
        ({"raynaud": (None, "hmm")}, "None"),
        ({"age": (200, "200")}, "200"),
        ({"raynaud": ("yes", "x"), "lesion_locations": (["moon"], "x")}, "moon"),
    ],
)
def test_invalid_answers_store_nothing(
    database: Database, cid: str, answers: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message), database.session() as session:
        crud.record_answers(session, cid, answers)
    with database.session() as session:
        assert crud.get_conversation(session, cid) is None
        assert crud.get_findings(session, cid) == {}


def test_conversation_fields_are_checked(database: Database, cid: str) -> None:
    with pytest.raises(ValueError, match="respondent"), database.session() as session:
        crud.get_or_create_conversation(session, cid, respondent="doctor")
    with pytest.raises(ValueError, match="conversation id"), database.session() as session:
        crud.get_or_create_conversation(session, "x" * 256)
    with database.session() as session:
        crud.get_or_create_conversation(session, cid)
    with pytest.raises(IntegrityError), database.session() as session:  # the database checks too
        session.execute(
            text("UPDATE conversations SET status = 'lost' WHERE id = :id"), {"id": cid}
        )


def test_get_or_create_keeps_what_is_not_given(database: Database, cid: str) -> None:
    with database.session() as session:
        crud.get_or_create_conversation(
            session, cid, channel="slack", respondent="proxy", consent=True
        )
    with database.session() as session:
        conversation = crud.get_or_create_conversation(session, cid)
        assert (conversation.channel, conversation.respondent, conversation.consent) == (
            "slack",
            "proxy",
            True,
        )
        assert conversation.created_at.tzinfo == timezone.utc
    assert [e.action for e in _audit(database, cid)] == ["conversation_started"]


def test_red_flag_is_recorded_once(database: Database, cid: str) -> None:
    with database.session() as session:
        assert crud.record_red_flag(session, cid, "infected_lesion", "See a doctor today.") is True
    with database.session() as session:
        assert crud.record_red_flag(session, cid, "infected_lesion", "See a doctor today.") is False
        assert crud.record_red_flag(session, cid, "rapid_weakness", "Call 911.") is True
    with database.session() as session:
        flags = crud.get_red_flags(session, cid)
    assert [(f.code, f.advice) for f in flags] == [
        ("infected_lesion", "See a doctor today."),
        ("rapid_weakness", "Call 911."),
    ]
    assert _count(database, RedFlagTold, cid) == 2
    assert [e.detail for e in _audit(database, cid) if e.action == "red_flag_told"] == [
        {"code": "infected_lesion"},
        {"code": "rapid_weakness"},
    ]
    with pytest.raises(ValueError), database.session() as session:
        crud.record_red_flag(session, cid, "Not A Code!", "x")


def test_labs_are_validated_replaced_and_audited(database: Database, cid: str) -> None:
    with pytest.raises(crud.ConversationNotFound), database.session() as session:
        crud.set_labs(session, cid, {"calcium": "high"}, actor="api")
    with database.session() as session:
        crud.get_or_create_conversation(session, cid)
    for bad, message in (({"calcium": "very high"}, "very high"), ({"sodium": "low"}, "sodium")):
        with pytest.raises(ValueError, match=message), database.session() as session:
            crud.set_labs(session, cid, {"pth": "high", **bad}, actor="api")
    assert _count(database, LabResult, cid) == 0
    with database.session() as session:
        crud.set_labs(session, cid, {"calcium": "high", "pth": "normal"}, actor="api")
    with database.session() as session:
        crud.set_labs(session, cid, {"pth": "high"}, actor="dr_who")
    with database.session() as session:
        assert crud.get_labs(session, cid) == {"calcium": "high", "pth": "high"}
        rows = {r.lab: r for r in crud.require_conversation(session, cid).labs}
    assert (rows["calcium"].entered_by, rows["pth"].entered_by) == ("api", "dr_who")
    entries = [(e.actor, e.detail) for e in _audit(database, cid) if e.action == "labs_entered"]
    assert entries == [
        ("api", {"labs": {"calcium": "high", "pth": "normal"}}),
        ("dr_who", {"labs": {"pth": "high"}}),
    ]


def test_status_review_and_a_later_change(database: Database, cid: str) -> None:
    with database.session() as session:
        crud.record_answers(session, cid, {"raynaud": ("yes", "yes")})
        crud.set_status(session, cid, "complete", actor="interview")
    with database.session() as session:
        conversation = crud.set_status(session, cid, "reviewed", actor="dr_who", note="seen")
        assert (conversation.reviewed_by, conversation.review_note) == ("dr_who", "seen")
        assert conversation.reviewed_at is not None and conversation.completed_at is not None
    with pytest.raises(ValueError), database.session() as session:
        crud.set_status(session, cid, "archived", actor="dr_who")
    with database.session() as session:  # same value again: nothing changes
        crud.record_answers(session, cid, {"raynaud": ("yes", "yes")})
        assert crud.require_conversation(session, cid).status == "reviewed"
    with database.session() as session:  # a changed answer: the review no longer covers it
        crud.record_answers(session, cid, {"raynaud": ("no", "I was wrong")})
        assert crud.require_conversation(session, cid).status == "complete"
    assert [e.detail for e in _audit(database, cid) if e.action == "answers_changed"] == [
        {"findings": ["raynaud"], "from": "reviewed", "to": "complete"}
    ]


def test_reset_clears_answers_and_flags_but_keeps_labs_and_audit(
    database: Database, cid: str
) -> None:
    with database.session() as session:
        crud.record_answers(session, cid, {"raynaud": ("yes", "yes")}, respondent="patient")
        crud.record_red_flag(session, cid, "infected_lesion", "advice")
        crud.set_labs(session, cid, {"calcium": "high"}, actor="api")
        crud.set_status(session, cid, "complete", actor="interview")
    with database.session() as session:
        conversation = crud.reset_conversation(session, cid, actor="interview")
        assert conversation.answers == [] and conversation.red_flags == []
    with database.session() as session:
        conversation = crud.require_conversation(session, cid)
        assert (conversation.status, conversation.respondent, conversation.completed_at) == (
            "in_progress",
            None,
            None,
        )
        assert crud.get_findings(session, cid) == {}
        assert crud.get_red_flags(session, cid) == []
        assert crud.get_labs(session, cid) == {"calcium": "high"}
        assert crud.record_red_flag(session, cid, "infected_lesion", "advice") is True  # told again
    actions = [e.action for e in _audit(database, cid)]
    assert actions[:3] == ["conversation_started", "red_flag_told", "labs_entered"]
    assert "conversation_reset" in actions


def test_audit_holds_no_patient_words(database: Database, cid: str) -> None:
    words = f"secret-words-{uuid.uuid4().hex}"
    with database.session() as session:
        crud.record_answers(session, cid, {"raynaud": ("yes", words)})
        crud.set_status(session, cid, "complete", actor="interview")
        crud.record_answers(session, cid, {"raynaud": ("no", words + " no")})
    assert all(words not in repr(e.detail) for e in _audit(database, cid))


def test_audit_rejects_bad_entries(database: Database) -> None:
    with database.session() as session:
        with pytest.raises(ValueError):
            crud.audit(session, "", "viewed")
        with pytest.raises(ValueError):
            crud.audit(session, "api", "Viewed It")


def test_list_conversations_by_status(database: Database, cid: str) -> None:
    with database.session() as session:
        crud.record_answers(session, cid, {"raynaud": ("yes", "yes")})
        crud.set_status(session, cid, "complete", actor="interview")
        listed = crud.list_conversations(session, status="complete", limit=10_000)
        assert cid in {c.id for c in listed}
        assert cid not in {
            c.id for c in crud.list_conversations(session, status="in_progress", limit=10_000)
        }
        assert all(isinstance(c, Conversation) for c in listed)


def _value_strategy(code: str) -> st.SearchStrategy[Any]:
    finding = DICTIONARY.findings[code]
    unknown = st.just("unknown")
    if finding.type in ("bool", "enum"):
        return st.sampled_from(finding.allowed_values()) | unknown
    if finding.type == "multi":
        return st.lists(st.sampled_from(finding.values), min_size=1) | unknown
    if finding.type == "int":
        return st.integers(0, 130) | unknown
    return st.text(max_size=200) | unknown


ANSWER_SETS = st.dictionaries(
    st.sampled_from(sorted(DICTIONARY.findings)), st.just(None), max_size=8
).flatmap(
    lambda codes: st.fixed_dictionaries(
        {
            code: st.tuples(_value_strategy(code), st.none() | st.text(max_size=100))
            for code in codes
        }
    )
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(first=ANSWER_SETS, second=ANSWER_SETS)
def test_stored_findings_are_the_canonical_latest_answers(
    database: Database, first: dict[str, Any], second: dict[str, Any]
) -> None:
    cid = f"prop-{uuid.uuid4().hex}"
    for answers in (first, second):
        with database.session() as session:
            crud.record_answers(session, cid, answers)
    merged = {code: (_no_nul(v), _no_nul(w)) for code, (v, w) in {**first, **second}.items()}
    expected = DICTIONARY.check_findings({code: value for code, (value, _) in merged.items()})
    with database.session() as session:
        answers_now = crud.get_answers(session, cid)
    assert {code: a.value for code, a in answers_now.items()} == expected
    assert {code: a.words for code, a in answers_now.items()} == {
        c: w for c, (_, w) in merged.items()
    }
    assert _count(database, Answer, cid) == len(merged)


def _no_nul(value: Any) -> Any:
    return value.replace("\x00", "") if isinstance(value, str) else value


def _audit(database: Database, cid: str) -> list[Any]:
    with database.session() as session:
        return crud.audit_entries(session, cid)


def test_the_database_keeps_the_audit_log_append_only(database: Database, cid: str) -> None:
    with database.session() as session:
        crud.audit(session, "api", "summary_viewed", cid)
    for statement in (
        "UPDATE audit_log SET actor = 'someone else' WHERE conversation_id = :id",
        "DELETE FROM audit_log WHERE conversation_id = :id",
    ):
        with pytest.raises(DBAPIError, match="append-only"), database.session() as session:
            session.execute(text(statement), {"id": cid})
    assert [(e.actor, e.action) for e in _audit(database, cid)] == [("api", "summary_viewed")]


def test_an_emergency_is_kept_with_its_kind_through_start_over(
    database: Database, cid: str
) -> None:
    with database.session() as session:
        assert crud.record_emergency(session, cid, "stroke", "Call 999 now.", channel="rest")
        assert crud.record_red_flag(session, cid, "infected_lesion", "See a doctor today.")
    with database.session() as session:
        assert not crud.record_emergency(session, cid, "breathing", "Call 999 now.")
    with database.session() as session:
        crud.reset_conversation(session, cid, actor="interview")
    with database.session() as session:
        flags = crud.get_red_flags(session, cid)
        conversation = crud.get_conversation(session, cid)
    assert [(f.code, f.kind) for f in flags] == [("emergency", "stroke")]
    assert conversation is not None and conversation.channel == "rest"
    told = [e.detail for e in _audit(database, cid) if e.action == "emergency_told"]
    assert told == [{"kind": "stroke"}, {"kind": "breathing"}]
    with pytest.raises(ValueError), database.session() as session:
        crud.record_emergency(session, cid, "Not a kind!", "x")
