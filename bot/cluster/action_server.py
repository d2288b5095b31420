"""One action server of the cluster: the NLP pipeline loaded before it answers.

``python -m bot.cluster.action_server [rasa_sdk arguments]``: the first interview
answer of a fresh ``rasa_sdk`` process loads the spaCy pipeline (seconds); here that
happens before the server listens, so HAProxy sends it nothing until it is fast, and a
replica restarted after a crash does not make someone's turn slow.
"""

from __future__ import annotations

import sys


def warm_up() -> None:
    """Load the NLP pipeline as an interview answer would."""
    from bot.nlp import interpret

    interpret("lesion_pain", "no")


def main(argv: list[str] | None = None) -> None:
    """Warm up, then run ``python -m rasa_sdk`` with ``argv``."""
    from rasa_sdk.__main__ import main as run_sdk

    warm_up()
    sys.argv = ["rasa_sdk", *(sys.argv[1:] if argv is None else argv)]
    run_sdk()


if __name__ == "__main__":
    main()
