"""Running a vignette through the REST channel as the person would, and scoring it.

For whatever ``requested_slot`` the tracker shows: the vignette's ``say`` text for that
finding (then the plain value if asked again, then "I don't know"); "yes, I agree" to
consent; the role to "who is answering"; "yes" to the read-back. Then the stored
summary is read through the web API and scored.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from calx_process import Calx

from bench.load import load_vignettes, plain, who
from bot.knowledge import get_dictionary

MAX_TURNS = 120
FINDINGS = set(get_dictionary().contract_findings)
load = load_vignettes


def interview(calx: Calx, vignette: dict[str, Any]) -> dict[str, Any]:
    sender = f"e2e-{vignette['id']}-{uuid.uuid4().hex[:8]}"
    asked: list[str] = []
    turn_ms: list[float] = []
    bot: list[str] = []
    replies: list[str] = []
    text, last, same = "hello", None, 0
    for _ in range(MAX_TURNS):
        started = time.perf_counter()
        replies = calx.say(sender, text, staff=True)  # as the evaluation tools send it
        bot += replies
        turn_ms.append((time.perf_counter() - started) * 1000)
        slot = calx.requested(sender)
        if slot is None:
            break
        same = same + 1 if slot == last else 0
        last = slot
        if slot in FINDINGS:
            if same == 0:
                asked.append(slot)
            answer = vignette["answers"].get(slot, {"say": "I'm not sure", "value": "unknown"})
            if same > 2:
                break
            text = [str(answer["say"]), plain(answer["value"]), "I don't know"][same]
        elif slot == "consent":
            text = "yes, I agree"
        elif slot == "respondent":
            text = who(vignette)
        elif slot == "summary_confirmed":
            text = "yes, that's all correct"
        else:  # Calx's own follow-ups (not in the vignettes)
            text = "I'm not sure"
            if same > 2:
                break
    return {
        "sender": sender,
        "asked": asked,
        "turn_ms": turn_ms,
        "bot": bot,
        "closing": replies,
        "summary": calx.summary(sender) or {},
    }


def same_value(stored: Any, expected: Any) -> bool:
    if isinstance(stored, list) or isinstance(expected, list):
        return sorted(stored or []) == sorted(expected or [])
    return str(stored) == str(expected)


def score(vignette: dict[str, Any], run: dict[str, Any]) -> dict[str, Any]:
    summary = run["summary"]
    expected = vignette["expected"]
    ranked = [c["code"] for c in summary.get("differential", [])]
    flags = {f["code"] for f in summary.get("red_flags", [])}
    workup = summary.get("workup", {})
    ordered = set(workup.get("labs", [])) | set(workup.get("imaging", []))
    found = summary.get("findings", {})
    coded = [c for c in run["asked"] if same_value(found.get(c), vignette["answers"][c]["value"])]
    return {
        "complete": summary.get("status") in ("complete", "reviewed"),
        "coded": len(coded),
        "asked": len(run["asked"]),
        "miscoded": [
            (c, found.get(c), vignette["answers"][c]["value"])
            for c in run["asked"]
            if c not in coded
        ],
        "top1": bool(ranked) and ranked[0] == expected["top1"],
        "top3": bool(set(ranked[:3]) & {expected["top1"], *expected["top3_acceptable"]}),
        "flags": set(expected["red_flags"]) <= flags,
        "mri": "mri" in ordered,
        "must_order": set(expected["must_order"]) <= ordered,
        "top": ranked[:3],
        "diagnosis_told": vignette["role"] != "clinician" and _names_a_cause(run, summary),
    }


def _names_a_cause(run: dict[str, Any], summary: dict[str, Any]) -> bool:
    """Whether the end of the interview named any cause of the differential."""
    said = " ".join(run["closing"]).lower()
    names = {str(c.get("name", "")).lower() for c in summary.get("differential", [])}
    names |= {str(c["code"]).replace("_", " ") for c in summary.get("differential", [])}
    return any(name and name in said for name in names)
