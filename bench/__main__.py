"""Run every benchmark suite: ``python -m bench [suite ...]``."""

from __future__ import annotations

import sys

from bench import dialogue, engine
from bot.nlp import bench as nlp

SUITES = {"engine": engine.run, "nlp": nlp.run, "dialogue": dialogue.run}


def main(argv: list[str]) -> int:
    names = argv or list(SUITES)
    unknown = [n for n in names if n not in SUITES]
    if unknown:
        print(f"unknown suite(s) {unknown}; choose from {sorted(SUITES)}", file=sys.stderr)
        return 2
    for name in names:
        SUITES[name]()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
