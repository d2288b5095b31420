"""Doubt around an answer: "yes I think so?" is no yes (``rules/doubt.yaml``)."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any

_DOUBT_FILE = Path(__file__).resolve().parent / "rules" / "doubt.yaml"


@lru_cache(maxsize=1)
def _doubt() -> tuple[tuple[re.Pattern[str], ...], tuple[re.Pattern[str], ...]]:
    """The doubt patterns of ``rules/doubt.yaml`` (checked: a bad one names file and line)."""
    from bot import datafile

    raw = datafile.load(_DOUBT_FILE)

    def compiled(key: str) -> tuple[re.Pattern[str], ...]:
        out = []
        for text in raw.get(key) or []:
            try:
                out.append(re.compile(str(text), re.IGNORECASE))
            except re.error as error:
                raise ValueError(f"{_DOUBT_FILE.name}: {key}: {text!r}: {error}") from None
        return tuple(out)

    return compiled("patterns"), compiled("against_no")


def doubted(message: str, value: Any) -> bool:
    """Whether doubt around the answer makes ``value`` unknown (see ``rules/doubt.yaml``)."""
    patterns, against_no = _doubt()
    if value == "no":
        return any(p.search(message) for p in against_no)
    return any(p.search(message) for p in patterns)
