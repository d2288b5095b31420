"""Exports of a conversation's summary: a PDF for people, FHIR R4 JSON for an EHR.

Both start from :func:`bot.export.report.build_report` (the same layout as the
console page). ``reportlab`` and ``fhir.resources`` are imported on first use.
"""

from __future__ import annotations

from typing import Any

FORMATS: dict[str, str] = {"pdf": "application/pdf", "fhir": "application/fhir+json"}
EXTENSIONS: dict[str, str] = {"pdf": "pdf", "fhir": "fhir.json"}


def render(summary: dict[str, Any], export_format: str) -> bytes:
    """Return the summary exported as ``pdf`` or ``fhir`` (validated) bytes."""
    if export_format == "pdf":
        from bot.export.pdf import summary_pdf

        return summary_pdf(summary)
    if export_format == "fhir":
        from bot.export.fhir import bundle_json

        return bundle_json(summary)
    raise ValueError(f"export format must be one of {', '.join(FORMATS)}, not {export_format!r}")


def filename(conversation_id: str, export_format: str) -> str:
    """A safe download name for a conversation's export (the id reduced to safe characters)."""
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in conversation_id)[:64]
    return f"calx-{safe or 'summary'}.{EXTENSIONS[export_format]}"
