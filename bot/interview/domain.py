"""Render Rasa's ``domain.yml`` from the data dictionary, so slots never drift from codes.

``python -m bot.interview.domain`` writes ``domain.yml``; ``--check`` exits 1 if the
file differs from what the dictionary gives (a test runs the same check).

Every finding is a slot of exactly its code (``any``: coded values, lists, numbers),
filled only by the form's validation action (``custom`` mapping), with an
``action_ask_<code>`` that words the question for the respondent.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import yaml

from bot.interview.turn import CONTROL_REQUESTS, CONTROL_SLOTS, INTERVIEW_OVER
from bot.knowledge import get_dictionary

ROOT = Path(__file__).resolve().parents[2]
DOMAIN_FILE = ROOT / "domain.yml"
FORM = "interview_form"

INTENTS = (
    "greet",
    "goodbye",
    "affirm",
    "deny",
    "dont_know",
    "inform",
    "identify_respondent",
    "correct",
    "ask_why",
    "ask_calcinosis",
    "ask_about",
    "out_of_scope",
    "pause",
    "resume",
    "start_over",
    "emergency",
)
#: Custom actions besides the form's validation and ``action_ask_*``.
ACTIONS = (
    "action_welcome",
    "action_welcome_back",
    "action_explain_why",
    "action_answer_calcinosis",
    "action_answer_about",
    "action_out_of_scope",
    "action_pause",
    "action_start_over",
    "action_correct",
    "action_submit_interview",
    "action_after_interview",
    "action_emergency",
)
HEADER = (
    "# GENERATED from bot/knowledge/ by `python -m bot.interview.domain` (make domain).\n"
    "# Edit bot/interview/domain.py or the dictionary instead of this file.\n"
)


def _slot() -> dict[str, Any]:
    return {"type": "any", "influence_conversation": False, "mappings": [{"type": "custom"}]}


def build_domain() -> dict[str, Any]:
    """The domain as a mapping (dictionary order for findings)."""
    findings = list(get_dictionary().findings)
    requested = [*CONTROL_REQUESTS[:2], *findings, CONTROL_REQUESTS[2]]
    slots: dict[str, Any] = {name: _slot() for name in requested}
    for name, initial in CONTROL_SLOTS.items():
        if name not in slots:
            slots[name] = {**_slot(), "initial_value": initial} if initial is not None else _slot()
    # the one slot the rules read: whether the interview is over
    slots[INTERVIEW_OVER] = {
        "type": "bool",
        "influence_conversation": True,
        "mappings": [{"type": "custom"}],
    }
    return {
        "version": "3.1",
        "session_config": {
            # sessions never expire: a paused interview resumes whenever the person returns
            "session_expiration_time": 0,
            "carry_over_slots_to_new_session": True,
        },
        "intents": list(INTENTS),
        "slots": slots,
        "forms": {FORM: {"required_slots": requested}},
        "actions": [
            f"validate_{FORM}",
            *[f"action_ask_{name}" for name in requested],
            *ACTIONS,
        ],
    }


def render_domain() -> str:
    """``domain.yml`` as text."""
    body = yaml.safe_dump(build_domain(), sort_keys=False, width=100, allow_unicode=True)
    return HEADER + body


def main(argv: list[str] | None = None) -> int:
    """Write (or ``--check``) ``domain.yml``."""
    parser = argparse.ArgumentParser(prog="python -m bot.interview.domain", description=__doc__)
    parser.add_argument("--check", action="store_true", help="exit 1 if domain.yml is stale")
    parser.add_argument("--path", type=Path, default=DOMAIN_FILE)
    args = parser.parse_args(argv)
    text = render_domain()
    if args.check:
        current = args.path.read_text(encoding="utf-8") if args.path.exists() else ""
        if current != text:
            print(f"{args.path} is out of date: run `make domain`", file=sys.stderr)
            return 1
        return 0
    args.path.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
