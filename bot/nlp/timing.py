"""When a finding's answer holds: what "stopped" or "used to" means for each finding.

A finding asked about the whole past ("have you ever had ...") still happened if it stopped;
one about what is taken now did not; one about a recent time says nothing. Used by every
coder of ``bot.nlp.interpret`` and ``bot.nlp.values`` through :func:`evidence_of`.
"""

from __future__ import annotations

from collections.abc import Iterable

from bot.nlp.analysis import Mention
from bot.nlp.pipeline import Evidence

#: Findings about the present: something the person only used to do is not a "yes".
CURRENT_ONLY = frozenset(
    {"chemotherapy_recent", "calcium_or_antacid_intake", "vitamin_d_high_dose"}
)
#: Findings asked about the whole past (the question says "or have you been", "have you
#: had", "have you been told", "did you have", "has ... broken open"): what stopped
#: ("not on dialysis anymore", "I used to") still happened, so it is a "yes".
EVER = frozenset(
    {
        "lesion_ulceration", "prior_injury_at_site", "injections_or_infusions", "kidney_disease",
        "dialysis", "organ_transplant", "cancer_history", "parathyroid_disease", "sarcoidosis",
        "short_stature_or_short_fingers", "digital_ulcers", "mouth_ulcers_or_hair_loss",
        "hypercalcemia_symptoms", "constitutional_symptoms", "high_cholesterol",
    }
)  # fmt: skip
#: Findings about what the person takes now ("Do you take ..."): what stopped is a "no".
TAKES_NOW = frozenset({"calcium_or_antacid_intake", "vitamin_d_high_dose"})
#: Findings about a recent time: "stopped" is no "no" (only "years ago" is), and "not on
#: it anymore" says nothing about when it stopped.
RECENT = frozenset({"chemotherapy_recent"})


def timed_status(m: Mention, e: Evidence) -> str:
    """The mention's status for ``e.finding`` once a "stopped" in its clause is read.

    For a finding about the whole past, something stopped happened ("affirmed"); for what
    is taken now it is a "negated"; for a recent time "not ... anymore" says nothing
    ("stale"); for a present state "not ... anymore" is "negated" and "used to" says
    nothing ("stale").
    """
    if not m.ceased or m.status not in ("affirmed", "hedged", "negated"):
        return m.status
    code = e.finding
    if code in EVER:
        if m.status == "negated":
            return "affirmed" if e.value == "yes" else "stale"
        return m.status
    if code in TAKES_NOW:
        return "negated" if e.value == "yes" else "stale"
    if code in RECENT:
        return "stale" if m.status == "negated" else m.status
    return "negated" if m.status == "negated" else "stale"


def evidence_of(mentions: Iterable[Mention], code: str) -> list[tuple[Mention, Evidence, str]]:
    """Each mention's evidence for ``code`` with its status once time is read (no family's)."""
    return [
        (m, e, timed_status(m, e))
        for m in mentions
        for e in m.entry.evidence
        if e.finding == code and e.policy != "none" and m.status != "family"
    ]
