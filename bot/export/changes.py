"""What entering labs changed in a summary: moves in the differential, tests added or dropped.

:func:`compare` takes two engine results for the same findings; the console shows the
result after a lab entry (the moves, with the evidence that moved them).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bot.export.report import WorkupItem, code_words, workup_name


@dataclass(frozen=True)
class Move:
    """How one cause moved when labs changed, and the evidence that moved it."""

    code: str
    name: str
    rank_before: int | None
    rank_after: int | None
    score_before: float
    score_after: float
    gained_for: tuple[str, ...]
    gained_against: tuple[str, ...]
    lost_for: tuple[str, ...]
    lost_against: tuple[str, ...]

    @property
    def ranks(self) -> str:
        """The rank before and after ("2 → 1"), or the one rank it kept ("stays 1")."""
        if self.rank_before == self.rank_after:
            return f"stays {self.rank_after or '-'}"
        return f"{self.rank_before or '-'} → {self.rank_after or '-'}"

    @property
    def direction(self) -> str:
        """``up``, ``down`` or ``same`` (by rank, then by score)."""
        before = self.rank_before or 10_000
        after = self.rank_after or 10_000
        if after != before:
            return "up" if after < before else "down"
        if abs(self.score_after - self.score_before) < 0.005:
            return "same"
        return "up" if self.score_after > self.score_before else "down"


@dataclass(frozen=True)
class Changes:
    """What entering labs changed: labs, moves in the differential, tests added or dropped."""

    labs_before: dict[str, str]
    labs_after: dict[str, str]
    moves: tuple[Move, ...]
    tests_added: tuple[WorkupItem, ...]
    tests_dropped: tuple[WorkupItem, ...]

    @property
    def labs_changed(self) -> dict[str, tuple[str | None, str]]:
        """``{lab: (old value or None, new value)}`` for the labs that changed."""
        return {
            code: (self.labs_before.get(code), value)
            for code, value in self.labs_after.items()
            if self.labs_before.get(code) != value
        }


def _workup_codes(workup: Mapping[str, Any]) -> list[str]:
    keys = ("imaging", "optional", "labs", "other")
    return [code for key in keys for code in workup.get(key) or []]


def compare(
    before: Mapping[str, Any],
    after: Mapping[str, Any],
    labs_before: Mapping[str, str],
    labs_after: Mapping[str, str],
    *,
    top: int = 5,
) -> Changes:
    """Compare two engine results (``Assessment.to_dict()``) for the same findings.

    A cause is listed when it is among the first ``top`` before or after and its
    rank or score moved; the evidence it gained or lost says why.
    """
    ranked_before = [c for c in before.get("differential", []) if c.get("score", 0) > 0]
    ranked_after = [c for c in after.get("differential", []) if c.get("score", 0) > 0]
    Ranked = dict[str, tuple[int | None, Mapping[str, Any]]]
    old: Ranked = {c["code"]: (rank, c) for rank, c in enumerate(ranked_before, start=1)}
    new: Ranked = {c["code"]: (rank, c) for rank, c in enumerate(ranked_after, start=1)}
    absent: tuple[int | None, Mapping[str, Any]] = (None, {})
    moves: list[Move] = []
    for code in dict.fromkeys(
        [c["code"] for c in ranked_after] + [c["code"] for c in ranked_before]
    ):
        rank_b, item_b = old.get(code, absent)
        rank_a, item_a = new.get(code, absent)
        if min(rank_b or 10_000, rank_a or 10_000) > top:
            continue
        move = Move(
            code=code,
            name=(item_a or item_b).get("name") or code_words(code),
            rank_before=rank_b,
            rank_after=rank_a,
            score_before=float(item_b.get("score", 0.0)),
            score_after=float(item_a.get("score", 0.0)),
            gained_for=_new(item_a.get("for"), item_b.get("for")),
            gained_against=_new(item_a.get("against"), item_b.get("against")),
            lost_for=_new(item_b.get("for"), item_a.get("for")),
            lost_against=_new(item_b.get("against"), item_a.get("against")),
        )
        if move.direction != "same" or move.gained_for or move.gained_against:
            moves.append(move)
    added_codes = _new(
        _workup_codes(after.get("workup", {})), _workup_codes(before.get("workup", {}))
    )
    dropped_codes = _new(
        _workup_codes(before.get("workup", {})), _workup_codes(after.get("workup", {}))
    )
    reasons_after = after.get("workup", {}).get("reasons", {})
    reasons_before = before.get("workup", {}).get("reasons", {})
    return Changes(
        labs_before=dict(labs_before),
        labs_after=dict(labs_after),
        moves=tuple(moves),
        tests_added=tuple(
            WorkupItem(code=c, name=workup_name(c), reason=reasons_after.get(c, ""))
            for c in added_codes
        ),
        tests_dropped=tuple(
            WorkupItem(code=c, name=workup_name(c), reason=reasons_before.get(c, ""))
            for c in dropped_codes
        ),
    )


def _new(items: Sequence[str] | None, than: Sequence[str] | None) -> tuple[str, ...]:
    """Items of ``items`` not in ``than``, in order."""
    seen = set(than or ())
    return tuple(item for item in items or () if item not in seen)
