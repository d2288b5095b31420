"""The clinician's end-of-interview report, from the stored summary, for rich channels.

Slack renders it as Block Kit and Teams as an Adaptive Card; both link to the
summary in the review console. It is built only for a clinician respondent: a
patient or proxy is never shown a diagnosis.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from bot.channels.base import AgentAccess, completed_in_turn
from bot.interview import readback
from bot.knowledge import get_dictionary


@dataclass(frozen=True)
class Cause:
    """One cause of the differential, best first."""

    rank: int
    name: str
    group: str
    score: float
    reasons_for: tuple[str, ...]
    reasons_against: tuple[str, ...]


@dataclass(frozen=True)
class Report:
    """What a clinician is shown at the end: differential, workup, red flags, link."""

    conversation_id: str
    causes: tuple[Cause, ...]
    labs: tuple[str, ...]
    also: tuple[tuple[str, str], ...]
    imaging: tuple[tuple[str, str], ...]
    not_recommended: tuple[tuple[str, str], ...]
    red_flags: tuple[str, ...]
    url: str
    rules_version: str
    #: The same report as plain text: the interview's own wording of it.
    text: str


def console_url(web_url: str, conversation_id: str) -> str:
    """The conversation's summary page in the review console."""
    return f"{web_url.rstrip('/')}/conversations/{quote(conversation_id, safe='')}"


def _lab_name(code: str) -> str:
    lab = get_dictionary().labs.get(code)
    return lab.name if lab is not None else code.replace("_", " ")


def _imaging(codes: Sequence[str], reasons: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    dictionary = get_dictionary()
    return tuple(
        (
            readback.IMAGING_NAMES.get(code, code),
            str(reasons.get(code) or dictionary.imaging.get(code) or ""),
        )
        for code in codes
    )


def build_report(summary: Mapping[str, Any], web_url: str) -> Report:
    """The report for a stored summary (the contract's shape)."""
    dictionary = get_dictionary()
    scored = [c for c in summary.get("differential") or [] if float(c.get("score", 0)) > 0]
    causes = tuple(
        Cause(
            rank=rank,
            name=str(cause.get("name") or str(cause["code"]).replace("_", " ")),
            group=str(cause.get("group") or ""),
            score=float(cause.get("score", 0)),
            reasons_for=tuple(str(r) for r in (cause.get("for") or [])[: readback.TOP_REASONS]),
            reasons_against=tuple(
                str(r) for r in (cause.get("against") or [])[: readback.TOP_REASONS]
            ),
        )
        for rank, cause in enumerate(scored[: readback.TOP_CAUSES], start=1)
    )
    work = summary.get("workup") or {}
    reasons = work.get("reasons") or {}
    labs = list(work.get("labs") or [])
    core = [code for code in labs if code in dictionary.labs_core]
    also = tuple(
        (_lab_name(code), str(reasons.get(code) or dictionary.labs_conditional.get(code, "")))
        for code in labs
        if code not in core
    )
    conversation_id = str(summary["conversation_id"])
    return Report(
        conversation_id=conversation_id,
        causes=causes,
        labs=tuple(_lab_name(code) for code in core),
        also=also,
        imaging=_imaging(work.get("imaging") or [], reasons),
        not_recommended=_imaging(work.get("not_recommended") or [], reasons),
        red_flags=tuple(
            str(flag.get("clinician") or flag.get("advice") or flag.get("code"))
            for flag in summary.get("red_flags") or []
        ),
        url=console_url(web_url, conversation_id),
        rules_version=str(summary.get("rules_version") or ""),
        text=readback.clinician_report(summary),
    )


def _load_summary(conversation_id: str) -> dict[str, Any] | None:
    from bot.settings import get_settings
    from bot.store.db import get_database
    from bot.summary import get_summary

    with get_database(get_settings().database_url).session() as session:
        return get_summary(session, conversation_id)


async def clinician_report(conversation_id: str, web_url: str) -> Report | None:
    """The report of a stored interview answered by a clinician, else ``None``."""
    summary = await asyncio.to_thread(_load_summary, conversation_id)
    if summary is None or summary.get("respondent") != "clinician":
        return None
    return build_report(summary, web_url)


async def report_if_completed(agent: AgentAccess, sender_id: str, web_url: str) -> Report | None:
    """The clinician's report if the latest message completed ``sender_id``'s interview."""
    tracker = await agent.tracker(sender_id)
    if tracker is None or not completed_in_turn(tracker):
        return None
    return await clinician_report(sender_id, web_url)


def with_reasons(name: str, reason: str) -> str:
    """``name (reason)``, or the name alone."""
    return f"{name} ({reason})" if reason else name
