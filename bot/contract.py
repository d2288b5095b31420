"""Constants of the outside contract (CONTRACT.md) that several packages share."""

from __future__ import annotations

#: The kinds of an emergency (CONTRACT.md "Emergencies"): ``red_flags[].kind``.
EMERGENCY_KINDS = (
    "chest_pain",
    "stroke",
    "breathing",
    "anaphylaxis",
    "bleeding",
    "seizure",
    "unresponsive",
    "self_harm",
    "poisoning",
    "other",
)
