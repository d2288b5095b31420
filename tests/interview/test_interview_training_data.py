"""Training data: every intent has varied examples, none copied from the test vignettes."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
VIGNETTES = ROOT / "tests" / "data" / "vignettes-public.yaml"


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9 ]", "", text.lower()).strip()


def examples() -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for path in sorted((ROOT / "data" / "nlu").glob("*.yml")):
        for block in yaml.safe_load(path.read_text())["nlu"]:
            lines = [line[2:].strip() for line in block["examples"].splitlines() if line.strip()]
            out.setdefault(block["intent"], []).extend(lines)
    return out


def test_every_intent_of_the_domain_has_enough_examples(domain: dict[str, Any]) -> None:
    data = examples()
    assert set(data) == set(domain["intents"])
    thin = {intent: len(lines) for intent, lines in data.items() if len(lines) < 20}
    assert not thin


def test_no_example_is_a_vignette_answer() -> None:
    vignettes = yaml.safe_load(VIGNETTES.read_text())["vignettes"]
    said = {
        _norm(str(answer["say"]))
        for v in vignettes
        for answer in v["answers"].values()
        if len(_norm(str(answer["say"])).split()) >= 2
    }
    copied = [line for lines in examples().values() for line in lines if _norm(line) in said]
    assert not copied, f"training examples copied from the test vignettes: {copied}"
