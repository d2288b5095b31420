"""``make eval-emergencies``: the emergency screen on the corpora of ``tests/data/emergencies``.

Every message is screened as the interview screens it (:func:`bot.nlp.emergency.screen`).
Printed per batch: emergencies caught (the target is all of them), false alarms among the
near-misses (at most 2%), the kind named right, and the first (untouched) score beside the
current one. Usage: ``python -m evals.emergencies [--record-first] [--misses] [FILE ...]``.
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

SUITE = "emergencies"
CORPUS_DIR = record.DATA / "emergencies"


def batches() -> list[Path]:
    """The corpora, oldest first."""
    return sorted(CORPUS_DIR.glob("*.yaml"))


@dataclass
class Score:
    """What the screen did with one corpus."""

    emergencies: int = 0
    caught: int = 0
    kind_right: int = 0
    near_misses: int = 0
    false_alarms: int = 0
    missed_by_kind: Counter[str] = field(default_factory=Counter)
    misses: list[str] = field(default_factory=list)

    def add(self, other: Score) -> None:
        """Add another corpus's counts."""
        for name in ("emergencies", "caught", "kind_right", "near_misses", "false_alarms"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.missed_by_kind.update(other.missed_by_kind)
        self.misses += other.misses

    def figures(self) -> dict[str, Any]:
        """The figures recorded and printed."""
        return {
            "messages": self.emergencies + self.near_misses,
            "emergencies_caught": round(self.caught / max(1, self.emergencies), 4),
            "kind_right": round(self.kind_right / max(1, self.caught), 4),
            "false_alarms": round(self.false_alarms / max(1, self.near_misses), 4),
            "missed": self.emergencies - self.caught,
            "false_alarm_count": self.false_alarms,
        }


def score(path: Path) -> Score:
    """Screen every message of the corpus at ``path``."""
    from bot.nlp.emergency import screen

    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    result = Score()
    for item in data.get("messages") or []:
        found = screen(str(item["text"]))
        if item.get("emergency"):
            result.emergencies += 1
            if found is None:
                result.missed_by_kind[str(item.get("kind"))] += 1
                result.misses.append(f"MISSED {item['id']} [{item.get('kind')}]: {item['text']!r}")
                continue
            result.caught += 1
            result.kind_right += found.kind == item.get("kind") or item.get("kind") in found.kinds
        else:
            result.near_misses += 1
            if found is not None:
                result.false_alarms += 1
                result.misses.append(
                    f"FALSE {item['id']} [{item.get('style')}] as {found.kind}: {item['text']!r}"
                )
    return result


def _row(label: str, figures: dict[str, Any]) -> str:
    return (
        f"| {label} | {figures['messages']} | {figures['emergencies_caught']:.1%} "
        f"({figures['missed']} missed) | {figures['false_alarms']:.1%} "
        f"({figures['false_alarm_count']}) | {figures['kind_right']:.1%} |"
    )


def main(argv: list[str] | None = None) -> int:
    """Score the corpora; print the first and the current figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path)
    parser.add_argument("--record-first", action="store_true")
    parser.add_argument("--misses", action="store_true")
    args = parser.parse_args(argv)
    total = Score()
    lines = [
        "| corpus | messages | emergencies caught | false alarms | kind named right |",
        "|---|---|---|---|---|",
    ]
    for path in args.files or batches():
        result = score(path)
        total.add(result)
        if args.record_first and record.record_first(SUITE, path.stem, result.figures()):
            print(f"recorded the first score of {path.stem}")
        first = record.first(SUITE, path.stem)
        if first:
            lines.append(_row(f"{path.stem} untouched ({first['date']})", first))
        lines.append(_row(f"{path.stem} now", result.figures()))
    lines.append(_row("all now", total.figures()))
    print("\n".join(lines))
    if total.missed_by_kind:
        print("missed by kind: " + ", ".join(f"{k} {n}" for k, n in total.missed_by_kind.items()))
    if args.misses:
        print("\n".join(total.misses))
    return 0


if __name__ == "__main__":
    sys.exit(main())
