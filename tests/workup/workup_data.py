"""Shared data for the engine tests: the public vignettes as coded findings."""

from pathlib import Path
from typing import Any

import yaml

VIGNETTES_FILE = Path(__file__).resolve().parents[1] / "data" / "vignettes-public.yaml"


def load_vignettes() -> list[dict[str, Any]]:
    return yaml.safe_load(VIGNETTES_FILE.read_text())["vignettes"]


def coded(vignette: dict[str, Any]) -> dict[str, Any]:
    return {code: answer["value"] for code, answer in vignette["answers"].items()}
