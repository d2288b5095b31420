"""Command line: ``python -m bot.workup --findings F.json [--labs L.json]``.

Prints ``{"differential": [...], "workup": {...}, "red_flags": [...], "rules_version": ...}``
as JSON. Findings the free-text story states explicitly (``free_text_story``) fill in
findings that are absent, as the interview does with answers given in passing
(``--no-story`` turns that off). Exit code 2 with a one-line message on an unreadable
file, an unknown code or a value the dictionary does not allow.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from bot.workup.engine import assess

EXIT_USAGE = 2


class InputError(Exception):
    """A file that cannot be used; the message says why."""


def _read_json(path: str, what: str) -> dict[str, Any]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"cannot read {what} file {path}: {exc.strerror or exc}") from exc
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{what} file {path} is not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise InputError(f"{what} file {path} must hold a JSON object of code: value")
    return data


def with_story(findings: dict[str, Any]) -> dict[str, Any]:
    """Add findings stated in ``free_text_story`` that are not already given."""
    story = findings.get("free_text_story")
    if not isinstance(story, str) or not story.strip():
        return findings
    from bot.nlp import extract  # the NLP pipeline loads only when a story is given

    stated = extract(story, context=findings)
    return {**{k: v for k, v in stated.items() if k not in findings}, **findings}


def main(argv: list[str] | None = None) -> int:
    """Run the engine on JSON files; return the process exit code."""
    parser = argparse.ArgumentParser(
        prog="python -m bot.workup", description="Calx workup rules engine"
    )
    parser.add_argument("--findings", required=True, help="JSON file {finding code: value}")
    parser.add_argument("--labs", help="JSON file {lab code: value}")
    parser.add_argument(
        "--no-story", action="store_true", help="do not read findings from free_text_story"
    )
    args = parser.parse_args(argv)
    try:
        findings = _read_json(args.findings, "findings")
        labs = _read_json(args.labs, "labs") if args.labs else {}
        if not args.no_story:
            findings = with_story(findings)
        result = assess(findings, labs)
    except (InputError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    json.dump(result.to_dict(), sys.stdout, indent=1)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
