"""``make eval-nlu``: answers of the blind batches coded by ``bot.nlp.interpret``, per kind.

For every answer of ``tests/data/nlu/*.yaml`` (the finding asked, the person's words, the
expected coded value), ``interpret`` is run as the interview runs it. Scoring:

- a value is right when it equals the expected one (lists as sets; ``{range: [a, b]}``
  any whole number in it); ``null`` expected means "not an answer": only ``None`` (ask
  again) is right;
- for ``lesion_consistency`` the dictionary's own ``unsure`` and ``unknown`` are the same
  (neither is evidence: Calx codes "I don't know" there as ``unsure``);
- ``also`` (other findings stated in passing) is scored apart, as recall of the mentions;
- a hedge coded ``yes`` is counted on its own (the target is none).

Usage: ``python -m evals.nlu [--record-first] [--misses] [FILE ...]``.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from evals import record

SUITE = "nlu"
NLU_DIR = record.DATA / "nlu"
KINDS = ("plain_yes", "plain_no", "plain", "unsure", "indirect", "typo", "extra_detail")
EQUIVALENT = {"lesion_consistency": {"unknown": "unsure"}}


def batches() -> list[Path]:
    """The blind NLU batches, oldest first."""
    return sorted(NLU_DIR.glob("*.yaml"))


def load(path: Path) -> dict[str, Any]:
    """A batch file (``answers`` and ``turns``)."""
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return data


def _canonical(finding: str, value: Any) -> Any:
    mapped = EQUIVALENT.get(finding, {})
    if isinstance(value, list):
        return sorted(str(v) for v in value)
    if isinstance(value, bool):  # YAML's yes/no, should a writer have left them unquoted
        return "yes" if value else "no"
    return mapped.get(value, value) if isinstance(value, str) else value


def right(finding: str, got: Any, want: Any) -> bool:
    """Whether ``got`` is the expected coded value ``want`` (see the module's docstring)."""
    if isinstance(want, dict) and "range" in want:
        low, high = want["range"]
        return isinstance(got, int) and low <= got <= high
    if want is None:
        return got is None
    return bool(_canonical(finding, got) == _canonical(finding, want))


@dataclass
class Score:
    """Counts of one batch (or of several)."""

    total: Counter[str] = field(default_factory=Counter)
    ok: Counter[str] = field(default_factory=Counter)
    also_total: int = 0
    also_ok: int = 0
    hedged_yes: int = 0
    misses: list[str] = field(default_factory=list)

    def add(self, other: Score) -> None:
        """Add another batch's counts."""
        self.total.update(other.total)
        self.ok.update(other.ok)
        self.also_total += other.also_total
        self.also_ok += other.also_ok
        self.hedged_yes += other.hedged_yes
        self.misses += other.misses

    @property
    def rate(self) -> float:
        """Answers coded right, all kinds."""
        total = sum(self.total.values())
        return sum(self.ok.values()) / total if total else 0.0

    def kind_rate(self, kind: str) -> float | None:
        """Answers of ``kind`` coded right (``None`` if there are none)."""
        return self.ok[kind] / self.total[kind] if self.total[kind] else None

    def figures(self) -> dict[str, Any]:
        """What is recorded as a batch's first score."""
        return {
            "answers": sum(self.total.values()),
            "coded_right": round(self.rate, 4),
            "by_kind": {k: round(v, 4) for k in KINDS if (v := self.kind_rate(k)) is not None},
            "also_recall": round(self.also_ok / self.also_total, 4) if self.also_total else None,
            "hedges_coded_yes": self.hedged_yes,
        }


def score(path: Path) -> Score:
    """Run every answer of the batch at ``path`` through ``interpret``."""
    from bot.nlp import interpret

    result = Score()
    for item in load(path).get("answers") or []:
        finding, kind, text = item["finding"], str(item.get("kind")), str(item["text"])
        want = item.get("expected")
        try:
            got = interpret(finding, text, context=item.get("context") or {})
        except ValueError:
            result.total[kind] += 1
            result.misses.append(f"{item.get('id')}: unknown finding {finding!r}")
            continue
        result.total[kind] += 1
        if right(finding, got.value, want):
            result.ok[kind] += 1
        else:
            result.misses.append(
                f"{item.get('id')} [{kind}] {finding}: {text!r} -> {got.value!r} (want {want!r})"
            )
        if kind == "unsure" and want == "unknown" and got.value == "yes":
            result.hedged_yes += 1
        for code, value in (item.get("also") or {}).items():
            result.also_total += 1
            result.also_ok += right(code, got.mentions.get(code), value)
    return result


def _pct(value: float | None) -> str:
    return "" if value is None else f"{value:.1%}"


def table(rows: dict[str, dict[str, Any]]) -> str:
    """A text table of figures by kind, one column per row label."""
    labels = list(rows)
    lines = ["| kind | " + " | ".join(labels) + " |", "|---" * (len(labels) + 1) + "|"]
    for kind in (*KINDS, "all", "also (mentions)", "hedges coded yes"):
        cells = []
        for label in labels:
            figures = rows[label]
            if kind == "all":
                cells.append(_pct(figures.get("coded_right")))
            elif kind == "also (mentions)":
                cells.append(_pct(figures.get("also_recall")))
            elif kind == "hedges coded yes":
                cells.append(str(figures.get("hedges_coded_yes", "")))
            else:
                cells.append(_pct(figures.get("by_kind", {}).get(kind)))
        if any(cells):
            lines.append(f"| {kind} | " + " | ".join(cells) + " |")
    answers = " | ".join(str(rows[label].get("answers", "")) for label in labels)
    lines.append(f"| answers | {answers} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Score the batches; print first and current figures per kind."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path)
    parser.add_argument("--record-first", action="store_true", help="keep new first scores")
    parser.add_argument("--misses", action="store_true", help="list every answer coded wrong")
    args = parser.parse_args(argv)
    paths = args.files or batches()
    total = Score()
    current: dict[str, dict[str, Any]] = {}
    for path in paths:
        result = score(path)
        total.add(result)
        current[path.stem] = result.figures()
        if args.record_first and record.record_first(SUITE, path.stem, result.figures()):
            print(f"recorded the first score of {path.stem}: {result.rate:.1%}")
    latest = record.latest_batch(SUITE)
    rows: dict[str, dict[str, Any]] = {}
    if latest and (first := record.first(SUITE, latest)):
        rows[f"{latest} untouched ({first['date']})"] = first
    rows.update({f"{name} now": figures for name, figures in current.items()})
    rows["all batches now"] = total.figures()
    print(table(rows))
    if args.misses:
        print("\n".join(total.misses))
    return 0


if __name__ == "__main__":
    sys.exit(main())
