"""Every public vignette end to end, with the figures printed at the end."""

from __future__ import annotations

import statistics

import pytest
from calx_process import Calx
from vignette_runner import interview, load, score

pytestmark = pytest.mark.e2e


def test_every_public_vignette_end_to_end(calx: Calx) -> None:
    vignettes = load()
    rows = []
    for vignette in vignettes:
        run = interview(calx, vignette)
        rows.append((vignette, run, score(vignette, run)))
    n = len(rows)
    pct = lambda key: 100.0 * sum(1 for _, _, s in rows if s[key]) / n  # noqa: E731
    asked = sum(s["asked"] for _, _, s in rows)
    coded = 100.0 * sum(s["coded"] for _, _, s in rows) / max(1, asked)
    latencies = sorted(ms for _, r, _ in rows for ms in r["turn_ms"])
    p50 = latencies[len(latencies) // 2]
    p95 = latencies[min(len(latencies) - 1, int(0.95 * len(latencies)))]
    print()
    for vignette, _, s in rows:
        print(
            f"{vignette['id']}: complete={s['complete']} top1={s['top1']} top3={s['top3']} "
            f"flags={s['flags']} asked={s['asked']} coded={s['coded']}/{s['asked']} "
            f"expected={vignette['expected']['top1']} got={s['top']}"
        )
        for code, got, want in s["miscoded"]:
            print(f"    miscoded {code}: stored {got!r}, vignette {want!r}")
    print(
        f"E2E: completed {pct('complete'):.0f}% | answers coded as the vignette {coded:.1f}% "
        f"| top-1 {pct('top1'):.0f}% | top-3 {pct('top3'):.0f}% | red flags {pct('flags'):.0f}% "
        f"| must-order {pct('must_order'):.0f}% | MRI ordered {pct('mri'):.0f}% "
        f"| median findings asked {statistics.median(s['asked'] for _, _, s in rows):.0f} "
        f"| turn p50 {p50:.0f} ms p95 {p95:.0f} ms (n={n})"
    )
    assert pct("diagnosis_told") == 0, "a patient or proxy was told a diagnosis"
    assert pct("complete") == 100
    assert coded >= 95
    assert pct("flags") == 100
    assert pct("mri") == 0
    assert pct("top3") == 100
    assert pct("top1") >= 85


def test_no_patient_text_in_the_logs(calx: Calx) -> None:
    """What people type never reaches a log (Rasa, actions, web app, supervisor)."""
    vignette = next(v for v in load() if v["id"] == "p03")
    run = interview(calx, vignette)
    assert run["summary"]["status"] == "complete"
    log = calx.logs_text().lower()
    typed = {
        str(answer["say"]).lower()
        for answer in vignette["answers"].values()
        if len(str(answer["say"]).split()) >= 4
    }
    assert len(typed) > 10
    leaked = sorted(text for text in typed if text in log)
    assert not leaked, f"patient text in {calx.log}: {leaked[:3]}"
