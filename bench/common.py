"""Timing helpers and table printing shared by the benchmark suites."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Row:
    name: str
    samples_ms: Sequence[float]

    def pct(self, q: float) -> float:
        data = sorted(self.samples_ms)
        return data[min(len(data) - 1, int(q * len(data)))]

    @property
    def p50(self) -> float:
        return statistics.median(self.samples_ms)


def time_calls(fn: Callable[[], object], repeat: int) -> list[float]:
    """Milliseconds per call of ``fn``, ``repeat`` times (after one warm-up call)."""
    fn()
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def print_table(title: str, rows: Sequence[Row], baseline: str) -> None:
    """Print p50/p95/p99 per row and the ratio of each p50 to the baseline row's p50."""
    base = next(r for r in rows if r.name == baseline).p50
    print(f"\n{title}")
    header = f"{'what':44} {'n':>6} {'p50 ms':>9} {'p95 ms':>9} {'p99 ms':>9} {'x baseline':>11}"
    print(header)
    print("-" * len(header))
    for r in rows:
        ratio = r.p50 / base if base > 0 else float("nan")
        print(
            f"{r.name:44} {len(r.samples_ms):>6} {r.p50:>9.3f} {r.pct(0.95):>9.3f} "
            f"{r.pct(0.99):>9.3f} {ratio:>11.1f}"
        )
    print(f"(baseline: {baseline})")
