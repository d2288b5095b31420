"""Scoring of the differential, the workup and the red flags (pure, no I/O).

Each cause starts at its prior (a log-odds offset) and adds the weight of every
evidence item whose condition holds; the scores are the softmax of these logits,
so they lie in 0..1 and sum to 1 over the causes that are not excluded. When the
lumps are rock hard a mimic is capped just below the best calcinosis cause
("similar conditions do not cause lumps as hard as calcinosis", seed).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.knowledge.conditions import Context
from bot.knowledge.loader import Cause, KnowledgeBase, Rule, get_knowledge

#: How far below the best calcinosis cause a mimic is held when the lumps are hard.
MIMIC_CAP_MARGIN = 0.5
EXCLUDED = -math.inf


@dataclass(frozen=True)
class RedFlag:
    """A red flag: plain advice for a patient, a line for a clinician."""

    code: str
    advice: str
    clinician: str

    def to_dict(self) -> dict[str, str]:
        """Contract shape (extended with the clinician line)."""
        return {"code": self.code, "advice": self.advice, "clinician": self.clinician}


@dataclass(frozen=True)
class Candidate:
    """One ranked cause (or mimic) with the reasons for and against it."""

    code: str
    name: str
    group: str
    score: float
    for_: tuple[str, ...] = ()
    against: tuple[str, ...] = ()
    confirm: str = ""

    def to_dict(self) -> dict[str, Any]:
        """Contract shape (extended with name and what would confirm it)."""
        return {
            "code": self.code,
            "name": self.name,
            "group": self.group,
            "score": round(self.score, 4),
            "for": list(self.for_),
            "against": list(self.against),
            "confirm": self.confirm,
        }


@dataclass(frozen=True)
class Workup:
    """Labs and imaging to order, what not to order, and why."""

    labs: tuple[str, ...]
    imaging: tuple[str, ...]
    not_recommended: tuple[str, ...]
    optional: tuple[str, ...] = ()
    other: tuple[str, ...] = ()
    reasons: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Contract shape (extended with optional imaging and reasons)."""
        return {
            "labs": list(self.labs),
            "imaging": list(self.imaging),
            "not_recommended": list(self.not_recommended),
            "optional": list(self.optional),
            "other": list(self.other),
            "reasons": dict(self.reasons),
        }


@dataclass(frozen=True)
class Assessment:
    """The engine's result for one set of findings and labs."""

    differential: tuple[Candidate, ...]
    workup: Workup
    red_flags: tuple[RedFlag, ...]
    rules_version: str

    def to_dict(self) -> dict[str, Any]:
        """Contract shape: differential, workup, red_flags, rules_version."""
        return {
            "differential": [c.to_dict() for c in self.differential],
            "workup": self.workup.to_dict(),
            "red_flags": [f.to_dict() for f in self.red_flags],
            "rules_version": self.rules_version,
        }


@dataclass
class _Tally:
    logit: float
    for_: list[tuple[float, str]] = field(default_factory=list)
    against: list[tuple[float, str]] = field(default_factory=list)


def _tally(cause: Cause, ctx: Context, explain: bool) -> _Tally:
    tally = _Tally(cause.prior)
    for item in cause.evidence:
        if item.condition.evaluate(ctx) is not True:
            continue
        if item.exclude:
            tally.logit = EXCLUDED
            if explain:
                tally.against.append((math.inf, item.text))
            continue
        tally.logit += item.weight
        if explain and item.weight > 0:
            tally.for_.append((item.weight, item.text))
        elif explain and item.weight < 0:
            tally.against.append((-item.weight, item.text))
    return tally


def raw_logits(kb: KnowledgeBase, ctx: Context, explain: bool = False) -> dict[str, _Tally]:
    """Prior plus evidence for every cause, before the mimic cap."""
    return {code: _tally(cause, ctx, explain) for code, cause in kb.causes.items()}


def cap_mimics(kb: KnowledgeBase, values: dict[str, float], consistency: Any) -> list[str]:
    """Hold mimics just below the best calcinosis cause when the lumps are rock hard.

    Changes ``values`` in place and returns the codes that were capped.
    """
    if consistency != "hard":
        return []
    best = max((v for c, v in values.items() if not kb.causes[c].is_mimic), default=EXCLUDED)
    cap = best - MIMIC_CAP_MARGIN
    capped = [c for c, v in values.items() if kb.causes[c].is_mimic and v > cap]
    for code in capped:
        values[code] = cap
    return capped


def softmax(values: Mapping[str, float]) -> dict[str, float]:
    """Normalised exponentials; excluded (-inf) entries get 0."""
    top = max(values.values(), default=EXCLUDED)
    if top == EXCLUDED:
        return dict.fromkeys(values, 0.0)
    exps = {k: (0.0 if v == EXCLUDED else math.exp(v - top)) for k, v in values.items()}
    total = sum(exps.values())
    return {k: e / total for k, e in exps.items()}


def _texts(items: list[tuple[float, str]]) -> tuple[str, ...]:
    return tuple(text for _, text in sorted(items, key=lambda x: -x[0]))


def rank(kb: KnowledgeBase, ctx: Context) -> tuple[Candidate, ...]:
    """The differential, best first, with reasons; only causes scoring above zero."""
    tallies = raw_logits(kb, ctx, explain=True)
    values = {c: t.logit for c, t in tallies.items()}
    for code in cap_mimics(kb, values, ctx.findings.get("lesion_consistency")):
        tallies[code].against.insert(
            0, (math.inf, "rock-hard lumps: held below the leading calcinosis cause")
        )
    scores = softmax(values)
    ranked = sorted(kb.causes, key=lambda c: (-scores[c], c))
    return tuple(
        Candidate(
            code=code,
            name=kb.causes[code].name,
            group=kb.causes[code].group,
            score=scores[code],
            for_=_texts(tallies[code].for_),
            against=_texts(tallies[code].against),
            confirm=kb.causes[code].confirm,
        )
        for code in ranked
        if round(scores[code], 4) > 0
    )


def suspected(
    kb: KnowledgeBase, differential: tuple[Candidate, ...], findings: Mapping[str, Any]
) -> frozenset[str]:
    """Leading causes (top three above the threshold) plus rheumatic diseases already diagnosed."""
    leading = {c.code for c in differential[:3] if c.score >= kb.suspect_min_score}
    known = findings.get("known_diagnoses")
    if isinstance(known, list):
        leading |= {d for d in known if d in kb.causes}
    return frozenset(leading)


def _holds(rule: Rule, ctx: Context) -> bool:
    return rule.condition is not None and rule.condition.evaluate(ctx) is True


def plan_workup(kb: KnowledgeBase, ctx: Context, differential: tuple[Candidate, ...]) -> Workup:
    """Core labs always; conditional labs and imaging by the rules in workup.yaml."""
    mass = sum(c.score for c in differential if not kb.causes[c.code].is_mimic)
    wctx = Context(
        findings=ctx.findings,
        labs=ctx.labs,
        suspected=suspected(kb, differential, ctx.findings),
        calcinosis_mass=mass >= kb.calcinosis_min_mass,
        leading_mimic=bool(differential) and kb.causes[differential[0].code].is_mimic,
    )
    reasons = {code: kb.labs_core_reason for code in kb.labs_core}
    labs = list(kb.labs_core)
    for rule in kb.labs_conditional:
        if _holds(rule, wctx):
            labs.append(rule.code)
            reasons[rule.code] = rule.reason
    other = [rule.code for rule in kb.other if _holds(rule, wctx)]
    reasons.update({rule.code: rule.reason for rule in kb.other if rule.code in other})
    imaging: list[str] = []
    optional: list[str] = []
    if _holds(kb.xray, wctx):
        imaging.append("xray")
        reasons["xray"] = kb.xray.reason
        for rule in kb.imaging_optional:
            optional.append(rule.code)
            reasons[rule.code] = rule.reason
    for rule in kb.not_recommended:
        reasons[rule.code] = rule.reason
    return Workup(
        labs=tuple(labs),
        imaging=tuple(imaging),
        not_recommended=tuple(r.code for r in kb.not_recommended),
        optional=tuple(optional),
        other=tuple(other),
        reasons=reasons,
    )


def red_flags_in(kb: KnowledgeBase, ctx: Context) -> tuple[RedFlag, ...]:
    """Red flags whose condition holds."""
    return tuple(
        RedFlag(flag.code, flag.advice, flag.clinician)
        for flag in kb.red_flags
        if _holds(flag, ctx)
    )


def context(
    findings: Mapping[str, Any], labs: Mapping[str, Any] | None, kb: KnowledgeBase
) -> Context:
    """Validate findings and labs (``ValueError`` on unknown codes or bad values)."""
    return Context(
        findings=kb.dictionary.check_findings(dict(findings)),
        labs=kb.dictionary.check_labs(dict(labs or {})),
    )


def assess(
    findings: Mapping[str, Any],
    labs: Mapping[str, Any] | None = None,
    kb: KnowledgeBase | None = None,
) -> Assessment:
    """Ranked, explained differential, workup and red flags for these findings and labs.

    Args:
        findings: ``{finding code: value}``; ``"unknown"`` is no evidence.
        labs: ``{lab code: value}``, optional.
        kb: The knowledge base (default: this checkout's).

    Raises:
        ValueError: An unknown code or a value the dictionary does not allow.
    """
    kb = kb or get_knowledge()
    ctx = context(findings, labs, kb)
    differential = rank(kb, ctx)
    return Assessment(
        differential=differential,
        workup=plan_workup(kb, ctx, differential),
        red_flags=red_flags_in(kb, ctx),
        rules_version=kb.rules_version,
    )


def check_red_flags(findings: Mapping[str, Any], kb: KnowledgeBase | None = None) -> list[RedFlag]:
    """The red flags these findings raise (cheap: call after every message)."""
    kb = kb or get_knowledge()
    return list(red_flags_in(kb, context(findings, None, kb)))
