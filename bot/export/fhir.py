"""FHIR R4 export (fhir.resources 6.4): a Bundle a receiving EHR can read, validated on output.

The ``collection`` Bundle holds:

- a ``Patient`` known only by the conversation id (Calx keeps no names);
- the ``QuestionnaireResponse`` of the interview: one item per finding answered,
  ``linkId`` = the finding code, the person's own words in an extension; "I don't
  know" is the data-absent-reason ``asked-unknown``; findings never asked are absent;
- an ``Observation`` per lab entered (local codes, with an HL7 interpretation);
- a ``ClinicalImpression``: the differential as ``finding`` entries (best first, the
  evidence for and against and what would confirm or exclude it in ``basis``),
  red flags and the recommended workup as notes, the review as assessor and note,
  and a readable narrative.

Codes that are Calx's own use ``urn:calx:...`` systems. Identifiers are stable for
a conversation (UUID 5), so exporting twice gives the same resource ids.
"""

from __future__ import annotations

import html
import json
import re
import uuid
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from bot.export.report import FindingRow, Report, build_report
from bot.knowledge import get_dictionary

SYSTEM_CONVERSATION = "urn:calx:conversation"
SYSTEM_FINDING = "urn:calx:finding"
SYSTEM_LAB = "urn:calx:lab"
SYSTEM_LAB_VALUE = "urn:calx:lab-value"
SYSTEM_DIFFERENTIAL = "urn:calx:differential"
SYSTEM_WORKUP = "urn:calx:workup"
QUESTIONNAIRE = "urn:calx:questionnaire:calcinosis-history"
EXT_OWN_WORDS = "urn:calx:fhir:StructureDefinition:own-words"
EXT_RED_FLAG = "urn:calx:fhir:StructureDefinition:red-flag"
DATA_ABSENT = "http://terminology.hl7.org/CodeSystem/data-absent-reason"
INTERPRETATION = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
_NAMESPACE = uuid.UUID("3c7d1e0a-6f0b-4f59-9b8e-2c1a5b7f4d10")

QR_STATUS = {"in_progress": "in-progress", "complete": "completed", "reviewed": "completed"}
CI_STATUS = {"in_progress": "in-progress", "complete": "completed", "reviewed": "completed"}
INTERPRETATIONS = {
    "high": ("H", "High"),
    "low": ("L", "Low"),
    "normal": ("N", "Normal"),
    "positive": ("POS", "Positive"),
    "negative": ("NEG", "Negative"),
    "acidotic": ("A", "Abnormal"),
    "alkalotic": ("A", "Abnormal"),
    "anti_centromere": ("POS", "Positive"),
    "anti_scl70": ("POS", "Positive"),
    "anti_ro_la_sm_rnp": ("POS", "Positive"),
    "other": ("POS", "Positive"),
}


def _urn(conversation_id: str, kind: str) -> str:
    return f"urn:uuid:{uuid.uuid5(_NAMESPACE, f'{kind}:{conversation_id}')}"


def _instant(value: str | None) -> str:
    """An ISO timestamp with a zone (FHIR ``instant``/``dateTime``), now if missing."""
    if value:
        parsed = datetime.fromisoformat(value)
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=timezone.utc)
        return parsed.isoformat()
    return datetime.now(timezone.utc).isoformat()


def _narrative(lines: list[str]) -> dict[str, str]:
    body = "".join(f"<p>{html.escape(line)}</p>" for line in lines if line)
    return {"status": "generated", "div": f'<div xmlns="http://www.w3.org/1999/xhtml">{body}</div>'}


def _answers(row: FindingRow) -> list[dict[str, Any]]:
    finding = get_dictionary().findings[row.code]
    if row.state == "unknown":
        coding = {"system": DATA_ABSENT, "code": "asked-unknown", "display": "Asked But Unknown"}
        return [{"valueCoding": coding}]
    if finding.type == "bool":
        return [{"valueBoolean": row.value == "yes"}]
    if finding.type == "int":
        return [{"valueInteger": int(row.value)}]
    if finding.type == "text":
        return [{"valueString": str(row.value)}] if str(row.value) else []
    values = row.value if isinstance(row.value, list) else [row.value]
    system = f"{SYSTEM_FINDING}:{row.code}"
    return [
        {"valueCoding": {"system": system, "code": v, "display": str(v).replace("_", " ")}}
        for v in values
    ]


def _questionnaire_response(report: Report, patient: str) -> dict[str, Any]:
    items = []
    for group in report.groups:
        for row in group.rows:
            if row.state == "not_asked":
                continue
            item: dict[str, Any] = {"linkId": row.code, "text": row.question}
            answers = _answers(row)
            if answers:  # an empty free text has none
                item["answer"] = answers
            if row.words:
                item["extension"] = [{"url": EXT_OWN_WORDS, "valueString": row.words}]
            items.append(item)
    resource: dict[str, Any] = {
        "resourceType": "QuestionnaireResponse",
        "identifier": {"system": SYSTEM_CONVERSATION, "value": report.conversation_id},
        "questionnaire": QUESTIONNAIRE,
        "status": QR_STATUS.get(report.status, "in-progress"),
        "subject": {"reference": patient},
        "authored": _instant(report.completed_at or report.updated_at),
        "author": {"display": report.respondent_label},
        "item": items,
    }
    if report.respondent == "patient":
        resource["source"] = {"reference": patient}
    return resource


def _observation(report: Report, code: str, value: str, patient: str) -> dict[str, Any]:
    lab = get_dictionary().labs[code]
    entered = (report.summary.get("labs_entered") or {}).get(code) or {}
    resource: dict[str, Any] = {
        "resourceType": "Observation",
        "status": "final",
        "category": [
            {"coding": [{"system": OBSERVATION_CATEGORY, "code": "laboratory"}]},
        ],
        "code": {
            "coding": [{"system": SYSTEM_LAB, "code": code, "display": lab.name}],
            "text": lab.name,
        },
        "subject": {"reference": patient},
        "issued": _instant(entered.get("entered_at")),
        "valueCodeableConcept": {
            "coding": [{"system": f"{SYSTEM_LAB_VALUE}:{code}", "code": value}],
            "text": value.replace("_", " "),
        },
    }
    if entered.get("entered_by"):
        resource["performer"] = [{"display": str(entered["entered_by"])}]
    if value in INTERPRETATIONS:
        flag, display = INTERPRETATIONS[value]
        coding = {"system": INTERPRETATION, "code": flag, "display": display}
        resource["interpretation"] = [{"coding": [coding]}]
    return resource


def _clinical_impression(
    report: Report, patient: str, observations: list[str], response: str
) -> dict[str, Any]:
    findings = [
        {
            "itemCodeableConcept": {
                "coding": [{"system": SYSTEM_DIFFERENTIAL, "code": c.code, "display": c.name}],
                "text": c.name,
            },
            "basis": (
                f"Rank {c.rank}, score {c.score:.2f}, group {c.group}. "
                f"For: {'; '.join(c.evidence_for) or 'none'}. "
                f"Against: {'; '.join(c.evidence_against) or 'none'}. "
                f"Confirm or exclude: {c.confirm or 'not stated'}."
            ),
        }
        for c in report.differential
    ]
    notes: list[dict[str, Any]] = [
        {"text": f"RED FLAG {f.title}: {f.clinician or ''} Advice given: {f.advice}".strip()}
        for f in report.red_flags
    ]
    workup_lines = [
        f"{section.title}: "
        + "; ".join(f"{i.name}" + (f" ({i.reason})" if i.reason else "") for i in section.items)
        for section in report.workup
    ]
    if workup_lines:
        notes.append({"text": "Recommended workup. " + " | ".join(workup_lines)})
    if report.reviewed_by:
        review: dict[str, Any] = {
            "authorString": report.reviewed_by,
            "text": f"Reviewed by {report.reviewed_by}. {report.review_note or ''}".strip(),
        }
        if report.reviewed_at:
            review["time"] = _instant(report.reviewed_at)
        notes.append(review)
    top = report.top_cause
    summary = (
        f"Leading cause: {top.name} ({top.percent})." if top else "No cause scores above zero."
    )
    if report.red_flags:
        summary = f"{len(report.red_flags)} red flag(s). " + summary
    narrative = [
        f"Calcinosis history-taking summary, conversation {report.conversation_id}.",
        *(f"RED FLAG: {f.title}. {f.clinician or ''}" for f in report.red_flags),
        *(f"{c.rank}. {c.name} ({c.percent}, {c.group_title})" for c in report.differential[:10]),
        *workup_lines,
        f"Rules version {report.rules_version}.",
    ]
    investigation = [
        {"code": {"text": "Interview answers"}, "item": [{"reference": response}]},
    ]
    if observations:
        investigation.append(
            {
                "code": {"text": "Laboratory results entered"},
                "item": [{"reference": ref} for ref in observations],
            }
        )
    resource: dict[str, Any] = {
        "resourceType": "ClinicalImpression",
        "text": _narrative(narrative),
        "identifier": [{"system": SYSTEM_CONVERSATION, "value": report.conversation_id}],
        "status": CI_STATUS.get(report.status, "in-progress"),
        "description": "Differential diagnosis of calcinosis from a guided history (Calx).",
        "subject": {"reference": patient},
        "date": _instant(report.reviewed_at or report.completed_at or report.updated_at),
        "summary": summary,
        "investigation": investigation,
        "protocol": [f"urn:calx:rules:{report.rules_version}"] if report.rules_version else [],
        "finding": findings,
        "note": notes,
    }
    if report.reviewed_by:
        resource["assessor"] = {"display": report.reviewed_by}
    return {key: value for key, value in resource.items() if value not in ([], None)}


#: Whitespace FHIR strings may not hold (only space, tab, CR and LF are allowed).
_ODD_SPACE = re.compile(r"[^\S \r\n\t]")


def _clean(value: Any) -> Any:
    """Replace whitespace FHIR does not allow (e.g. U+0085, U+2028) by spaces, everywhere."""
    if isinstance(value, str):
        return _ODD_SPACE.sub(" ", value)
    if isinstance(value, dict):
        return {key: _clean(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_clean(item) for item in value]
    return value


def bundle(summary: Mapping[str, Any]) -> dict[str, Any]:
    """Build the Bundle for a summary, validate it with fhir.resources, return it as JSON data.

    Raises ``pydantic.ValidationError`` if the result is not valid FHIR R4 (a bug).
    """
    from fhir.resources.bundle import Bundle

    report = build_report(summary)
    cid = report.conversation_id
    patient = _urn(cid, "patient")
    response = _urn(cid, "questionnaire-response")
    lab_refs = {code: _urn(cid, f"observation:{code}") for code in report.summary.get("labs") or {}}
    entries: list[tuple[str, dict[str, Any]]] = [
        (
            patient,
            {
                "resourceType": "Patient",
                "identifier": [{"system": SYSTEM_CONVERSATION, "value": cid}],
            },
        ),
        (response, _questionnaire_response(report, patient)),
    ]
    for code, value in (report.summary.get("labs") or {}).items():
        entries.append((lab_refs[code], _observation(report, code, value, patient)))
    entries.append(
        (
            _urn(cid, "clinical-impression"),
            _clinical_impression(report, patient, list(lab_refs.values()), response),
        )
    )
    data = {
        "resourceType": "Bundle",
        "identifier": {"system": SYSTEM_CONVERSATION, "value": cid},
        "type": "collection",
        "timestamp": datetime.now(timezone.utc).isoformat(),
        "entry": [{"fullUrl": url, "resource": resource} for url, resource in entries],
    }
    validated = Bundle.parse_obj(_clean(data))
    result: dict[str, Any] = json.loads(validated.json())
    return result


def bundle_json(summary: Mapping[str, Any]) -> bytes:
    """The validated Bundle as UTF-8 JSON bytes."""
    return json.dumps(bundle(summary), ensure_ascii=False, indent=2).encode("utf-8")
