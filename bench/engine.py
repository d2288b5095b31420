"""Engine benchmark: time per assess / next_question / red-flag check over the public vignettes."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import yaml

from bench.common import Row, print_table, time_calls
from bot.knowledge import get_dictionary
from bot.knowledge.loader import get_knowledge
from bot.workup import assess, check_red_flags, next_question

VIGNETTES = Path(__file__).resolve().parent.parent / "tests" / "data" / "vignettes-public.yaml"


def _cases() -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, str]]]:
    """Full findings, mid-interview findings and labs of every vignette.

    Mid-interview: the opening questions and red-flag screens answered, so the next
    question is chosen by information gain over every remaining finding.
    """
    vignettes = yaml.safe_load(VIGNETTES.read_text())["vignettes"]
    full = [{c: a["value"] for c, a in v["answers"].items()} for v in vignettes]
    policy = get_knowledge().questions
    first = [*policy.opening, *policy.red_flag_screens]
    partial = [{c: f[c] for c in first} for f in full]
    labs = [v.get("labs") or {} for v in vignettes]
    return full, partial, labs


def run(repeat: int = 2000) -> None:
    full, partial, labs = _cases()
    cycle = itertools.cycle(range(len(full)))
    dictionary = get_dictionary()

    def each(fn: Any) -> Any:
        return lambda: fn(next(cycle))

    rows = [
        Row(
            "baseline: validate findings only",
            time_calls(each(lambda i: dictionary.check_findings(full[i])), repeat),
        ),
        Row("assess (all findings)", time_calls(each(lambda i: assess(full[i])), repeat)),
        Row(
            "assess (all findings + labs)",
            time_calls(each(lambda i: assess(full[i], labs[i])), repeat),
        ),
        Row("check_red_flags", time_calls(each(lambda i: check_red_flags(full[i])), repeat)),
        Row(
            "next_question (mid-interview, by info gain)",
            time_calls(each(lambda i: next_question(partial[i])), repeat // 4),
        ),
        Row(
            "next_question (all answered: stop)",
            time_calls(each(lambda i: next_question(full[i])), repeat),
        ),
    ]
    print_table(
        "Workup engine, per call (22 public vignettes, round robin)",
        rows,
        "baseline: validate findings only",
    )
