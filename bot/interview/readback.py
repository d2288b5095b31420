"""The read-back of what the interview understood, and what is said at the end.

A patient or proxy is told what happens next and never a diagnosis; a clinician gets
the ranked differential with its main reasons and the workup to order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bot.interview import wording
from bot.knowledge import get_dictionary

#: Longest free text quoted back in the read-back.
MAX_QUOTE = 240


def _quote(value: str) -> str:
    value = " ".join(value.split())
    return f'"{value[:MAX_QUOTE]}…"' if len(value) > MAX_QUOTE else f'"{value}"'


def card(findings: Mapping[str, Any], respondent: str | None) -> list[dict[str, Any]]:
    """The answers grouped as in the dictionary, each group a ``title`` and its ``items``.

    An item has ``code``, ``label``, ``answer`` and ``payload`` (the words that go back to
    that question to change it). The one view of the read-back: the text of
    :func:`readback` and the widget's card.
    """
    dictionary = get_dictionary()
    groups: list[dict[str, Any]] = []
    for code, finding in dictionary.findings.items():
        if code not in findings:
            continue
        title = dictionary.groups.get(finding.group, finding.group.capitalize())
        group = next((g for g in groups if g["title"] == title), None)
        if group is None:  # each topic once, in the order it first comes
            group = {"title": title, "items": []}
            groups.append(group)
        value = findings[code]
        shown = (
            _quote(value)
            if finding.type == "text" and value != "unknown"
            else wording.value_text(code, value, respondent)
        )
        label = wording.label(code, respondent)
        group["items"].append(
            {
                "code": code,
                "label": label,
                "answer": shown,
                # the everyday label names its question best ("Pain" alone is ambiguous)
                "payload": wording.text("change_answer", label=wording.label(code, None)),
            }
        )
    return groups


def readback(
    findings: Mapping[str, Any], respondent: str | None, *, card_shown: bool = False
) -> str:
    """What was understood, in plain words, grouped as in the dictionary.

    ``card_shown``: the channel shows the answers as a card (:func:`card`): one line only.
    """
    if card_shown:
        return wording.text("readback_card", respondent)
    lines = [wording.text("readback_intro", respondent)]
    for group in card(findings, respondent):
        lines.append(group["title"] + ":")
        lines += [f"- {item['label']}: {item['answer']}" for item in group["items"]]
    return "\n".join(lines)


def change_list(findings: Mapping[str, Any], respondent: str | None) -> str:
    """The answers as a numbered list to pick the one to change (after "no" to the read-back)."""
    from bot.interview.turn import answer_choices

    lines = [wording.text("ask_change", respondent)]
    for number, code in enumerate(answer_choices(findings), 1):
        shown = wording.value_text(code, findings[code], respondent)
        if get_dictionary().finding(code).type == "text":
            shown = _quote(findings[code])
        lines.append(f"{number}. {wording.label(code, respondent)}: {shown}")
    return "\n".join(lines)


def clinician_report(summary: Mapping[str, Any]) -> str:
    """The leading causes, the workup and the red flags, for a clinician (the one report)."""
    from bot.export.report import build_report
    from bot.export.text import report_text

    return report_text(build_report(summary))


def closing(
    respondent: str | None, summary: Mapping[str, Any] | None, told: Sequence[str]
) -> list[str]:
    """The messages at the end of a confirmed interview."""
    messages = [wording.text("end", respondent)]
    if respondent == "clinician":
        if summary is not None:
            messages.append(clinician_report(summary))
        return messages
    advice = {
        str(f["code"]): str(f.get("advice") or "") for f in (summary or {}).get("red_flags") or []
    }
    for code in told:
        if advice.get(code):
            messages.append(wording.text("end_red_flags", respondent, advice=advice[code]))
    return messages
