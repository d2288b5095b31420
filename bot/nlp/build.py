"""Build the Calx spaCy pipeline into ``var/nlp/calx-<hash>/`` (idempotent).

Usage::

    python -m bot.nlp.build          # build if missing, print the directory
    python -m bot.nlp.build --hash   # print the rule-set hash only (no spaCy import)
    python -m bot.nlp.build --prune  # also remove pipelines of older rule sets

``make setup`` runs the first form; every process then loads that directory (see
``bot.nlp.pipeline``). The Rasa component refuses a model trained on another hash.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time

from bot.nlp.pipeline import NLP_DIR, RuleError, pipeline_dir, pipeline_hash, save_nlp


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    parser = argparse.ArgumentParser(prog="python -m bot.nlp.build", description=__doc__)
    parser.add_argument("--hash", action="store_true", help="print the rule-set hash and exit")
    parser.add_argument("--prune", action="store_true", help="remove older pipelines")
    args = parser.parse_args(argv)
    if args.hash:
        print(pipeline_hash())
        return 0
    started = time.perf_counter()
    existed = pipeline_dir().exists()
    try:
        path = save_nlp()
    except RuleError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.prune:
        for old in NLP_DIR.glob("calx-*"):
            if old != path:
                shutil.rmtree(old, ignore_errors=True)
    state = "up to date" if existed else f"built in {time.perf_counter() - started:.1f} s"
    print(f"{path} ({state})")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
