"""Benchmark of the NLP layer: ``python -m bot.nlp.bench [repeat]``.

Prints the one-off pipeline load time and p50/p95/p99 milliseconds per ``interpret`` call
(every answer of the public vignettes, with its finding) and per ``extract`` call (their
free-text stories). ``bench`` can call ``run()`` as a suite.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

import yaml

from bot.nlp.interpret import extract, interpret
from bot.nlp.pipeline import get_nlp

VIGNETTES = Path(__file__).resolve().parents[2] / "tests" / "data" / "vignettes-public.yaml"
_FALLBACK = [
    ("lesion_pain", "a bit sore if I lean on them"),
    ("dialysis", "HD x3y"),
    ("lesion_locations", "on my knuckles, elbows and bum"),
    ("age", "62F"),
    ("free_text_story", "hard lumps on my elbows for 2 years, fingers go white in the cold"),
]


def _answers() -> list[tuple[str, str, dict[str, Any]]]:
    if not VIGNETTES.exists():
        return [(code, text, {}) for code, text in _FALLBACK]
    out: list[tuple[str, str, dict[str, Any]]] = []
    for vignette in yaml.safe_load(VIGNETTES.read_text(encoding="utf-8"))["vignettes"]:
        answers = vignette["answers"]
        context = {"age": answers["age"]["value"]} if "age" in answers else {}
        out.extend((code, a["say"], context) for code, a in answers.items())
    return out


def _time(calls: Sequence[Callable[[], object]], repeat: int) -> list[float]:
    for call in calls:
        call()  # warm-up
    samples = []
    for _ in range(repeat):
        for call in calls:
            started = time.perf_counter()
            call()
            samples.append((time.perf_counter() - started) * 1000)
    return samples


def _row(name: str, samples: list[float]) -> str:
    data = sorted(samples)

    def pct(q: float) -> float:
        return data[min(len(data) - 1, int(q * len(data)))]

    return (
        f"{name:34} {len(data):>7} {statistics.median(data):>9.3f} {pct(0.95):>9.3f} "
        f"{pct(0.99):>9.3f}"
    )


def run(repeat: int = 3) -> None:
    """Print the table."""
    started = time.perf_counter()
    get_nlp()
    load_ms = (time.perf_counter() - started) * 1000
    answers = _answers()
    stories = [text for code, text, _ in answers if code == "free_text_story"]
    rows = [
        (
            "interpret (every vignette answer)",
            _time([partial(interpret, c, t, context=x) for c, t, x in answers], repeat),
        ),
        ("extract (vignette stories)", _time([partial(extract, t) for t in stories], repeat)),
    ]
    print(f"\nNLP (bot.nlp): pipeline load {load_ms:.0f} ms once per process")
    header = f"{'what':34} {'n':>7} {'p50 ms':>9} {'p95 ms':>9} {'p99 ms':>9}"
    print(header)
    print("-" * len(header))
    for name, samples in rows:
        print(_row(name, samples))


if __name__ == "__main__":  # pragma: no cover
    run(int(sys.argv[1]) if len(sys.argv) > 1 else 3)
