"""The summary service: stored answers and labs, run through the workup engine.

``get_summary`` returns the shape of ``GET /api/conversations/{sender}/summary``
(see the contract), extended with ``answers``, ``channel``, ``labs_entered``,
review fields and timestamps, and the engine's extras (names, ``confirm``,
workup ``reasons``, red-flag ``clinician`` lines).

For a finished conversation the engine result stored at completion (or when labs
were last entered) is shown, as long as it was computed from the answers and
labs now stored; otherwise (an interview in progress, or answers changed since)
the result is computed afresh from what is stored.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from bot import workup
from bot.knowledge import get_dictionary
from bot.store import crud
from bot.store.models import Conversation, utcnow


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _valid_findings(findings: Mapping[str, Any]) -> dict[str, Any]:
    """Drop stored values the dictionary no longer allows (rather than fail the summary)."""
    dictionary = get_dictionary()
    valid: dict[str, Any] = {}
    for code, value in findings.items():
        try:
            valid.update(dictionary.check_findings({code: value}))
        except ValueError:
            continue
    return valid


def _run_engine(findings: Mapping[str, Any], labs: Mapping[str, str]) -> dict[str, Any]:
    """Return what ``store_result`` keeps: the inputs and the engine's assessment."""
    assessment = workup.assess(dict(findings), dict(labs)).to_dict()
    return {"findings": dict(findings), "labs": dict(labs), "assessment": assessment}


def _current_result(
    conversation: Conversation, findings: dict[str, Any], labs: dict[str, str]
) -> dict[str, Any]:
    stored = conversation.result
    if (
        conversation.status != "in_progress"
        and isinstance(stored, dict)
        and stored.get("findings") == findings
        and stored.get("labs") == labs
        and isinstance(stored.get("assessment"), dict)
    ):
        return stored
    return _run_engine(findings, labs)


def _summary(session: Session, conversation: Conversation) -> dict[str, Any]:
    cid = conversation.id
    answers = crud.get_answers(session, cid)
    findings = _valid_findings({code: a.value for code, a in answers.items()})
    lab_rows = {row.lab: row for row in conversation.labs}
    labs = crud.get_labs(session, cid)
    assessment = _current_result(conversation, findings, labs)["assessment"]

    differential = sorted(
        (dict(item) for item in assessment.get("differential", []) if item.get("score", 0) > 0),
        key=lambda item: -float(item["score"]),
    )
    told = {flag.code: flag for flag in crud.get_red_flags(session, cid)}
    red_flags: list[dict[str, Any]] = []
    for flag in assessment.get("red_flags", []):
        entry = dict(flag)
        entry["told_at"] = _iso(told[flag["code"]].told_at) if flag["code"] in told else None
        red_flags.append(entry)
    current = {flag["code"] for flag in red_flags}
    for code, row in told.items():
        if code not in current:  # told earlier, no longer true from the answers now stored
            entry = {"code": code, "advice": row.advice, "told_at": _iso(row.told_at)}
            if row.kind:  # an emergency (CONTRACT.md): its kind
                entry["kind"] = row.kind
            red_flags.append(entry)
    # an emergency comes first, as the clinician must see it first
    red_flags.sort(key=lambda flag: flag["code"] != crud.EMERGENCY)

    return {
        "conversation_id": cid,
        "status": conversation.status,
        "respondent": conversation.respondent,
        "findings": findings,
        "labs": labs,
        "differential": differential,
        "workup": dict(assessment.get("workup", {})),
        "red_flags": red_flags,
        "rules_version": assessment.get("rules_version"),
        # extensions
        "answers": {
            code: {"value": a.value, "words": a.words, "updated_at": _iso(a.updated_at)}
            for code, a in answers.items()
        },
        "labs_entered": {
            code: {
                "value": labs[code],
                "entered_by": lab_rows[code].entered_by,
                "entered_at": _iso(lab_rows[code].entered_at),
            }
            for code in labs
        },
        "channel": conversation.channel,
        "consent": conversation.consent,
        "created_at": _iso(conversation.created_at),
        "updated_at": _iso(conversation.updated_at),
        "completed_at": _iso(conversation.completed_at),
        "reviewed_by": conversation.reviewed_by,
        "reviewed_at": _iso(conversation.reviewed_at),
        "review_note": conversation.review_note,
    }


def get_summary(session: Session, conversation_id: str) -> dict[str, Any] | None:
    """Return the conversation's summary (contract shape, extended), or ``None`` if unknown."""
    conversation = crud.get_conversation(session, conversation_id)
    if conversation is None:
        return None
    return _summary(session, conversation)


def _store_assessment(session: Session, conversation: Conversation) -> None:
    findings = _valid_findings(crud.get_findings(session, conversation.id))
    labs = crud.get_labs(session, conversation.id)
    result = _run_engine(findings, labs)
    crud.store_result(
        session, conversation.id, result, str(result["assessment"].get("rules_version"))
    )


def complete_interview(
    session: Session, conversation_id: str, *, actor: str = crud.INTERVIEW_ACTOR
) -> dict[str, Any]:
    """Run the engine on the stored answers and labs, store the result, mark it complete.

    An interview in progress becomes ``complete``; calling it again on a finished
    one refreshes the stored result and keeps the status. Returns the summary.
    Raises :class:`~bot.store.crud.ConversationNotFound` for an unknown id.
    """
    conversation = crud.require_conversation(session, conversation_id)
    _store_assessment(session, conversation)
    if conversation.status == "in_progress":
        crud.set_status(session, conversation_id, "complete", actor=actor)
    else:
        conversation.updated_at = utcnow()
    return _summary(session, conversation)


def add_labs(
    session: Session, conversation_id: str, labs: Mapping[str, Any], actor: str
) -> dict[str, Any]:
    """Store lab values, re-run the engine and return the re-ranked summary (audited).

    Raises ``ValueError`` for an unknown lab code or value (nothing is stored) and
    :class:`~bot.store.crud.ConversationNotFound` for an unknown conversation. A
    finished conversation's stored result is refreshed; one in progress keeps
    being computed from what is stored.
    """
    crud.set_labs(session, conversation_id, labs, actor=actor)
    conversation = crud.require_conversation(session, conversation_id)
    if conversation.status != "in_progress":
        _store_assessment(session, conversation)
    return _summary(session, conversation)
