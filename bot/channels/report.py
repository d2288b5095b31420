"""The clinician's end-of-interview report, from the stored summary, for rich channels.

Slack renders it as Block Kit and Teams as an Adaptive Card; both link to the
summary in the review console. It is built only for a clinician respondent: a
patient or proxy is never shown a diagnosis.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from bot.channels.base import completed_in_turn
from bot.export import bodymap
from bot.export import report as view
from bot.export.text import report_text


@dataclass(frozen=True)
class Report:
    """What a clinician is shown at the end: the one summary view, its text and its link."""

    view: view.Report
    url: str
    #: The same report as plain text: the interview's own wording of it.
    text: str
    #: The body map (PNG, public: only the sites), when the sites are known.
    map_url: str | None = None

    @property
    def map_text(self) -> str:
        """The body map's alternative text."""
        return "Body map, front and back, the lumps marked on: " + ", ".join(self.view.site_labels)

    @property
    def conversation_id(self) -> str:
        """The conversation the report is of."""
        return self.view.conversation_id


def console_url(web_url: str, conversation_id: str) -> str:
    """The conversation's summary page in the review console."""
    return f"{web_url.rstrip('/')}/conversations/{quote(conversation_id, safe='')}"


def build_report(summary: Mapping[str, Any], web_url: str) -> Report:
    """The report for a stored summary (the contract's shape)."""
    built = view.build_report(summary)
    return Report(
        view=built,
        url=console_url(web_url, built.conversation_id),
        text=report_text(built),
        map_url=bodymap.url(web_url, built.sites) if built.sites else None,
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


async def report_if_completed(tracker: Any, web_url: str) -> Report | None:
    """The clinician's report if the latest message of ``tracker`` completed the interview."""
    if tracker is None or not completed_in_turn(tracker):
        return None
    return await clinician_report(tracker.sender_id, web_url)
