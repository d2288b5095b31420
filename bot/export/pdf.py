"""PDF export of a summary (reportlab): the console page on paper.

In the order of :class:`bot.export.report.Report`: urgency and red flags, the
leading causes with their evidence, the workup checklist, the findings present,
absent and not known (coded answer beside the person's own words; "not asked" in
one line; the body map beside them), the labs and the review. Every string is escaped before it
reaches reportlab's paragraph markup, so patient text is printed, never parsed.
The Bitstream Vera font shipped with reportlab covers accented Latin text.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from bot.export import bodymap
from bot.export.report import Report, build_report, when

FONT = "CalxVera"
FONT_BOLD = "CalxVera-Bold"


@lru_cache(maxsize=1)
def _register_fonts() -> None:
    import reportlab
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    fonts = Path(reportlab.__file__).resolve().parent / "fonts"
    pdfmetrics.registerFont(TTFont(FONT, str(fonts / "Vera.ttf")))
    pdfmetrics.registerFont(TTFont(FONT_BOLD, str(fonts / "VeraBd.ttf")))
    pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=FONT_BOLD)


def _text(value: Any) -> str:
    """Escape any value for a reportlab Paragraph (``<`` ``>`` ``&``), keeping line breaks."""
    return escape("" if value is None else str(value)).replace("\n", "<br/>")


def summary_pdf(summary: Mapping[str, Any]) -> bytes:
    """Render the summary (shape of :func:`bot.summary.get_summary`) as PDF bytes."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
    from reportlab.lib.units import mm
    from reportlab.platypus import (
        Image,
        Paragraph,
        SimpleDocTemplate,
        Spacer,
        Table,
        TableStyle,
    )

    _register_fonts()
    report = build_report(summary)
    base = getSampleStyleSheet()
    body = ParagraphStyle("body", parent=base["BodyText"], fontName=FONT, fontSize=9, leading=12)
    small = ParagraphStyle("small", parent=body, fontSize=8, leading=10, textColor=colors.grey)
    h1 = ParagraphStyle("h1", parent=base["Heading1"], fontName=FONT_BOLD, fontSize=16)
    h2 = ParagraphStyle("h2", parent=base["Heading2"], fontName=FONT_BOLD, fontSize=12)
    h3 = ParagraphStyle("h3", parent=base["Heading3"], fontName=FONT_BOLD, fontSize=10)
    flag = ParagraphStyle("flag", parent=body, textColor=colors.HexColor("#8a1c1c"))

    def para(value: Any, style: ParagraphStyle = body) -> Paragraph:
        return Paragraph(_text(value), style)

    def table(rows: Iterable[list[Any]], widths: list[float], header: list[str]) -> Table:
        data = [[Paragraph(f"<b>{_text(h)}</b>", body) for h in header]]
        data += [[c if isinstance(c, Paragraph) else para(c) for c in row] for row in rows]
        result = Table(data, colWidths=widths, repeatRows=1)
        result.setStyle(
            TableStyle(
                [
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.black),
                    ("LINEBELOW", (0, 1), (-1, -1), 0.25, colors.lightgrey),
                    ("LEFTPADDING", (0, 0), (-1, -1), 3),
                    ("RIGHTPADDING", (0, 0), (-1, -1), 3),
                ]
            )
        )
        return result

    width = A4[0] - 30 * mm
    story: list[Any] = [
        para("Calx: calcinosis history summary", h1),
        para(report.urgency_label, h2 if report.red_flags else body),
        para(
            f"Conversation {report.conversation_id} · status {report.status_label} · "
            f"answered by {report.respondent_label}",
        ),
        para(
            f"Started {when(report.created_at)} · completed {when(report.completed_at)} · "
            f"rules version {report.rules_version or '-'}",
            small,
        ),
        para(
            "Decision support for a clinician: not a diagnosis. Check every finding.",
            small,
        ),
        Spacer(1, 4 * mm),
    ]
    story += _red_flags(report, para, h2, flag)
    story.append(para("Differential", h2))
    if report.differential:
        rows = [
            [
                f"{c.rank}. {c.name}\n{c.group_title} · {c.percent}",
                "\n".join(f"+ {e}" for e in c.evidence_for) or "-",
                "\n".join(f"- {e}" for e in c.evidence_against) or "-",
                c.confirm or "-",
            ]
            for c in report.leading
        ]
        widths = [0.28 * width, 0.24 * width, 0.2 * width, 0.28 * width]
        story.append(table(rows, widths, ["Cause", "For", "Against", "Confirm or exclude"]))
        rest = report.differential[len(report.leading) :]
        if rest:
            story.append(
                para("Less likely: " + "; ".join(f"{c.name} ({c.percent})" for c in rest), small)
            )
    else:
        story.append(para("No cause scores above zero yet."))
    story.append(para("Workup checklist", h2))
    for section in report.workup:
        story.append(para(section.title, h3))
        if section.note:
            story.append(para(section.note, small))
        for item in section.items:
            line = f"{item.mark_text} {item.name}"
            if item.result:
                line += f" (result: {item.result})"
            if item.reason and item.reason != section.note:
                line += f": {item.reason}"
            story.append(para(line))
    story.append(para("Findings", h2))
    if report.sites:
        # the body map beside its words: where the lumps are, front and back
        map_png = io.BytesIO(bodymap.png(report.sites))
        drawing = Image(map_png, width=55 * mm, height=55 * mm * bodymap.aspect())
        caption = para("Where the lumps are: " + ", ".join(report.site_labels))
        beside = Table([[drawing, caption]], colWidths=[60 * mm, width - 60 * mm])
        beside.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "MIDDLE")]))
        story.append(beside)
    parts = (("Present", report.positives), ("Absent", report.negatives))
    for title, found in (*parts, ("Did not know", report.unknown)):
        if not found:
            continue
        lines = [[row.label, row.answer, row.words or ""] for row in found]
        widths = [0.34 * width, 0.26 * width, 0.4 * width]
        story.append(para(f"{title} ({len(found)})", h3))
        story.append(table(lines, widths, ["Finding", "Coded answer", "In their own words"]))
    if report.not_asked:
        names = ", ".join(row.label for row in report.not_asked)
        story.append(para(f"Not asked ({len(report.not_asked)}): {names}", small))
    story.append(para("Labs entered", h2))
    if report.labs:
        rows = [
            [lab.name, lab.value, lab.entered_by or "", when(lab.entered_at)] for lab in report.labs
        ]
        widths = [0.3 * width, 0.2 * width, 0.2 * width, 0.3 * width]
        story.append(table(rows, widths, ["Lab", "Value", "Entered by", "When"]))
    else:
        story.append(para("None yet."))
    story.append(para("Review", h2))
    if report.reviewed_by:
        story.append(para(f"Signed off by {report.reviewed_by} on {when(report.reviewed_at)}."))
        if report.review_note:
            story.append(para(report.review_note))
    else:
        story.append(para("Not reviewed yet."))

    def footer(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont(FONT, 7)
        canvas.drawString(15 * mm, 10 * mm, f"Calx summary · page {doc.page}")
        canvas.restoreState()

    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=15 * mm,
        bottomMargin=18 * mm,
        title="Calx summary",
        author="Calx",
        subject="Calcinosis history summary",
    )
    document.build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()


def _red_flags(report: Report, para: Any, heading: Any, style: Any) -> list[Any]:
    if not report.red_flags:
        return []
    story = [para("Red flags", heading)]
    for flag in report.red_flags:
        story.append(para(f"RED FLAG: {flag.title}. {flag.clinician or ''}", style))
        told = (
            f"Advice given to the person ({when(flag.told_at)})"
            if flag.told_at
            else "Advice for the person (not recorded as told)"
        )
        story.append(para(f"{told}: {flag.advice}"))
    return story
