"""The summary as plain text, for a clinician in the chat (and the fallback text of Slack/Teams).

Rendered from :class:`bot.export.report.Report`, in its order: red flags, the leading causes
with their main reasons, the workup to order, what is not recommended.
"""

from __future__ import annotations

from bot.export.report import TOP_REASONS, CauseRow, Report, WorkupItem


def with_reason(item: WorkupItem) -> str:
    """``name (reason)``, or the name alone."""
    return f"{item.name} ({item.reason})" if item.reason else item.name


def cause_line(cause: CauseRow) -> str:
    """``1. Name (group): for ...; against ...``: no score (it is a weight, not a chance)."""
    line = f"{cause.rank}. {cause.name} ({cause.group_title})"
    pros = cause.evidence_for[:TOP_REASONS]
    cons = cause.evidence_against[:TOP_REASONS]
    if pros:
        line += " for: " + "; ".join(pros) + "."
    if cons:
        line += " Against: " + "; ".join(cons) + "."
    return line


def workup_facts(report: Report) -> list[tuple[str, str]]:
    """``(heading, tests)`` per workup section: those to order, then those not recommended."""
    facts = []
    for section in report.to_order:
        if section.key == "labs":
            facts.append((section.title, ", ".join(item.name for item in section.items)))
        elif section.key == "imaging":
            facts.append(("Imaging", "; ".join(with_reason(i) for i in section.items)))
        else:
            facts += [(section.title, with_reason(i)) for i in section.items]
    if report.not_recommended:
        facts.append(("Not recommended", "; ".join(with_reason(i) for i in report.not_recommended)))
    return facts


def workup_lines(report: Report) -> list[str]:
    """The workup as ``- heading: tests`` lines."""
    return [f"- {heading}: {tests}" for heading, tests in workup_facts(report)]


def report_text(report: Report) -> str:
    """The report as the chat's plain text."""
    lines = [
        f"Red flag: {flag.title}: {flag.clinician or flag.advice}" for flag in report.red_flags
    ]
    lines.append("Differential (most likely first):")
    lines += [cause_line(cause) for cause in report.leading]
    if not report.leading:
        lines.append("- no cause scores above zero on the findings given")
    lines.append("Workup to order:")
    lines += workup_lines(report)
    return "\n".join(lines)
