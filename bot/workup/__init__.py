"""The workup rules engine: pure functions over findings and labs, no I/O, no Rasa.

Public API::

    assess(findings, labs=None) -> Assessment      # ranked differential, workup, red flags
    check_red_flags(findings) -> list[RedFlag]     # just the red flags (cheap, every turn)
    next_question(findings) -> str | None          # the finding to ask next, None = stop
    questions_left(findings) -> int                # estimate for a progress indicator
    applicable(code, findings) -> bool             # whether a question still matters

``findings`` maps finding codes to coded values (``"unknown"`` is allowed for
every finding and is no evidence); ``labs`` maps lab codes to values.
"""

from bot.workup.engine import (
    Assessment,
    Candidate,
    RedFlag,
    Workup,
    assess,
    check_red_flags,
)
from bot.workup.questions import applicable, next_question, questions_left

__all__ = [
    "Assessment",
    "Candidate",
    "RedFlag",
    "Workup",
    "applicable",
    "assess",
    "check_red_flags",
    "next_question",
    "questions_left",
]
