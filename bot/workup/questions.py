"""Which question to ask next, and when to stop (pure, no I/O).

Order (see ``bot/knowledge/questions.yaml``): the opening questions; any finding
that would complete a red flag already half-true; the red-flag screens; then the
finding with the largest expected information gain over the differential, until
no remaining question is likely to change the ranking; the closing question last.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

from bot.knowledge.conditions import Context
from bot.knowledge.loader import Evidence, KnowledgeBase, get_knowledge
from bot.workup.engine import EXCLUDED, cap_mimics, context, raw_logits, softmax

Index = dict[str, dict[str, tuple[Evidence, ...]]]


@lru_cache(maxsize=4)
def _evidence_index(kb: KnowledgeBase) -> Index:
    """Finding code -> cause code -> the evidence items that read that finding."""
    index: Index = {}
    for cause in kb.causes.values():
        for item in cause.evidence:
            for code in item.condition.findings:
                by_cause = index.setdefault(code, {})
                by_cause[cause.code] = (*by_cause.get(cause.code, ()), item)
    return index


def applicable(code: str, findings: Mapping[str, Any], kb: KnowledgeBase | None = None) -> bool:
    """Whether the question still matters.

    A question with an ``ask_if`` condition waits until the findings that condition
    reads are answered, and is skipped for good when the condition is false
    (dialysis when there is no kidney disease).
    """
    kb = kb or get_knowledge()
    condition = kb.questions.ask_if.get(code)
    if condition is None:
        return True
    if any(f not in findings for f in condition.findings):
        return False
    return condition.evaluate(Context(findings)) is not False


def _pending(kb: KnowledgeBase, findings: Mapping[str, Any]) -> list[str]:
    return [c for c in kb.dictionary.findings if c not in findings and applicable(c, findings, kb)]


def _red_flag_follow_up(kb: KnowledgeBase, ctx: Context, pending: set[str]) -> str | None:
    """A finding that decides a red flag of which some part already holds."""
    for flag in kb.red_flags:
        if flag.condition is None or flag.condition.evaluate(ctx) is not None:
            continue
        leaves = flag.condition.leaves()
        if any(leaf.evaluate(ctx) is True for leaf in leaves):
            for leaf in leaves:
                code = next(iter(leaf.findings))
                if code in pending:
                    return code
    return None


def _answers(kb: KnowledgeBase, code: str) -> list[tuple[Any, float]]:
    """Possible answers to a question with their base rates (for prediction only)."""
    finding = kb.dictionary.findings[code]
    rates = kb.questions.base_rates.get(code)
    if finding.type == "bool":
        yes = kb.questions.default_yes
        return [("yes", yes), ("no", 1.0 - yes)]
    if finding.type == "int":
        return [(int(k), float(v)) for k, v in (rates or {}).items()]
    if finding.type in ("enum", "multi"):
        values = finding.values
        weights = [float((rates or {}).get(v, 1.0 / len(values))) for v in values]
        if finding.type == "multi":
            return [([v], w) for v, w in zip(values, weights, strict=True)]
        return list(zip(values, weights, strict=True))
    return []


def _entropy(p: Mapping[str, float]) -> float:
    return -sum(x * math.log(x) for x in p.values() if x > 0)


def _argmax(p: Mapping[str, float]) -> str:
    return max(p, key=lambda k: (p[k], k))


def _value_of(
    kb: KnowledgeBase, ctx: Context, raw: Mapping[str, float], code: str
) -> tuple[float, float]:
    """Expected information gain (nats) and chance of changing the leading cause."""
    answers = _answers(kb, code)
    if not answers:
        return 0.0, 0.0
    consistency = ctx.findings.get("lesion_consistency")
    base = dict(raw)
    cap_mimics(kb, base, consistency)
    p = softmax(base)
    lead = _argmax(p)
    related = _evidence_index(kb).get(code, {})
    outcomes: list[tuple[float, dict[str, float], dict[str, float]]] = []
    for value, rate in answers:
        new_ctx = Context({**ctx.findings, code: value})
        new = dict(raw)
        for cause, items in related.items():
            for item in items:
                before = item.condition.evaluate(ctx) is True
                after = item.condition.evaluate(new_ctx) is True
                if before == after:
                    continue
                if item.exclude:
                    new[cause] = EXCLUDED if after else new[cause]
                else:
                    new[cause] += item.weight if after else -item.weight
        cap_mimics(kb, new, new_ctx.findings.get("lesion_consistency", consistency))
        delta = {
            c: (0.0 if new[c] == EXCLUDED else math.exp(new[c] - base[c]))
            if base[c] != EXCLUDED
            else 0.0
            for c in base
        }
        outcomes.append((rate, delta, softmax(new)))
    # P(answer | cause) from base rates tilted by the evidence, normalised per cause.
    norm = {c: sum(rate * delta[c] for rate, delta, _ in outcomes) for c in base}
    gain = _entropy(p)
    flip = 0.0
    for rate, delta, posterior in outcomes:
        p_answer = sum(p[c] * rate * delta[c] / norm[c] for c in base if norm[c] > 0)
        gain -= p_answer * _entropy(posterior)
        if _argmax(posterior) != lead:
            flip += p_answer
    return gain, flip


def _ranked_by_value(
    kb: KnowledgeBase, ctx: Context, candidates: Sequence[str]
) -> list[tuple[float, float, str]]:
    raw = {c: t.logit for c, t in raw_logits(kb, ctx).items()}
    scored = [(*_value_of(kb, ctx, raw, code), code) for code in candidates]
    return sorted(scored, key=lambda x: (-x[0], -x[1], x[2]))


def _worth_asking(kb: KnowledgeBase, gain: float, flip: float) -> bool:
    return gain >= kb.questions.min_gain or flip >= kb.questions.min_flip


def next_question(findings: Mapping[str, Any], kb: KnowledgeBase | None = None) -> str | None:
    """The finding to ask next, or ``None`` when the interview has enough.

    Never returns a finding that is already answered (``"unknown"`` counts as answered).

    Raises:
        ValueError: An unknown code or a value the dictionary does not allow.
    """
    kb = kb or get_knowledge()
    ctx = context(findings, None, kb)
    pending = _pending(kb, ctx.findings)
    if not pending:
        return None
    pending_set = set(pending)
    policy = kb.questions
    for code in policy.opening:
        if code in pending_set:
            return code
    urgent = _red_flag_follow_up(kb, ctx, pending_set)
    if urgent:
        return urgent
    for code in policy.red_flag_screens:
        if code in pending_set:
            return code
    middle = [c for c in pending if c not in policy.closing]
    ranked = _ranked_by_value(kb, ctx, middle)
    if ranked and _worth_asking(kb, ranked[0][0], ranked[0][1]):
        return ranked[0][2]
    return next((c for c in policy.closing if c in pending_set), None)


def questions_left(findings: Mapping[str, Any], kb: KnowledgeBase | None = None) -> int:
    """Estimate of how many questions remain (for "about N questions left")."""
    kb = kb or get_knowledge()
    ctx = context(findings, None, kb)
    pending = _pending(kb, ctx.findings)
    policy = kb.questions
    fixed = {*policy.opening, *policy.red_flag_screens, *policy.closing}
    left = sum(1 for c in pending if c in fixed)
    middle = [c for c in pending if c not in fixed]
    left += sum(1 for g, f, _ in _ranked_by_value(kb, ctx, middle) if _worth_asking(kb, g, f))
    return left
