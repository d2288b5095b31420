"""The engine on the public vignettes, all findings given as coded values (as the CLI sees them)."""

from typing import Any

import pytest
from workup_data import coded, load_vignettes

from bot.workup import assess
from bot.workup.__main__ import with_story

VIGNETTES = load_vignettes()
IDS = [v["id"] for v in VIGNETTES]


def _codes(result: Any) -> list[str]:
    return [c.code for c in result.differential]


def test_top1_for_at_least_90_percent(vignettes: list[dict[str, Any]]) -> None:
    misses = []
    for v in vignettes:
        top = _codes(assess(with_story(coded(v))))[0]
        if top != v["expected"]["top1"]:
            misses.append((v["id"], v["expected"]["top1"], top))
    rate = 1 - len(misses) / len(vignettes)
    print(f"engine top-1 {rate:.0%} on {len(vignettes)} public vignettes; misses {misses}")
    assert rate >= 0.90, misses


@pytest.mark.parametrize("v", VIGNETTES, ids=IDS)
def test_top3_acceptable(v: dict[str, Any]) -> None:
    top3 = _codes(assess(with_story(coded(v))))[:3]
    acceptable = {v["expected"]["top1"], *v["expected"]["top3_acceptable"]}
    assert acceptable & set(top3), top3


@pytest.mark.parametrize("v", VIGNETTES, ids=IDS)
def test_red_flags_exactly_as_expected(v: dict[str, Any]) -> None:
    flags = {f.code for f in assess(with_story(coded(v))).red_flags}
    assert flags == set(v["expected"]["red_flags"])


@pytest.mark.parametrize("v", VIGNETTES, ids=IDS)
def test_workup_orders_what_must_be_ordered_and_never_mri(v: dict[str, Any]) -> None:
    for labs in ({}, v.get("labs") or {}):
        workup = assess(with_story(coded(v)), labs).workup
        ordered = set(workup.labs) | set(workup.imaging)
        assert set(v["expected"]["must_order"]) <= ordered
        assert "mri" not in ordered and "mri" in workup.not_recommended
        if "xray" in ordered:
            assert workup.imaging[0] == "xray", "X-ray is the first imaging"


@pytest.mark.parametrize("v", [v for v in VIGNETTES if v.get("labs")], ids=lambda v: v["id"])
def test_top1_with_labs(v: dict[str, Any]) -> None:
    assert _codes(assess(with_story(coded(v)), v["labs"]))[0] == v["expected"]["top1_with_labs"]


def test_other_workup_follows_the_leading_causes() -> None:
    xanthoma = {
        "lesion_consistency": "soft_paste",
        "lesion_locations": ["elbows", "knees"],
        "lesion_color_white_yellow": "yes",
        "lesion_count": "many",
    }
    assert "lipid_panel" in assess(xanthoma).workup.other
    infected = {"lesion_consistency": "hard", "lesion_infection_signs": "yes"}
    assert "discharge_culture" in assess(infected).workup.other
    assert assess({"lesion_consistency": "hard"}).workup.other == ()
