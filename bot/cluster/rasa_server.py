"""One Rasa replica of the cluster: ``bot.runner.rasa_server`` with a fail-fast tracker store.

Rasa wraps every tracker store in ``FailSafeTrackerStore``, which on a database error
carries on with an empty in-memory tracker: on one server that only forgets a
conversation, but with several replicas it starts the interview over and keeps the
turn in one replica's memory. Here the error is raised instead (Rasa's own
``on_tracker_store_error`` hook), so the turn fails, nothing is stored, and the REST
channel (:mod:`bot.cluster.rest`) asks the person to try again.

``python -m bot.cluster.rasa_server --model M --endpoints E --credentials C --port P``
"""

from __future__ import annotations

import sys
from typing import Any, NoReturn


class TrackerStoreUnavailable(RuntimeError):
    """The tracker store failed; the message is not handled (and not stored)."""


def _raise(error: Exception) -> NoReturn:
    raise TrackerStoreUnavailable(type(error).__name__) from error


def fail_fast_tracker_store() -> None:
    """Make Rasa's agent raise on tracker store errors instead of falling back to memory."""
    from rasa.core.agent import Agent
    from rasa.core.tracker_store import FailSafeTrackerStore

    def create(store: Any, domain: Any) -> Any:
        if store is not None:
            store.domain = domain
            return FailSafeTrackerStore(store, on_tracker_store_error=_raise)
        return original(store, domain)  # no store configured: Rasa's in-memory default

    original = Agent._create_tracker_store
    Agent._create_tracker_store = staticmethod(create)


def main(argv: list[str] | None = None) -> None:
    """Patch, then run the Rasa server as ``make run`` does (does not return until it stops)."""
    from bot.runner.rasa_server import main as run_rasa

    fail_fast_tracker_store()
    run_rasa(sys.argv[1:] if argv is None else argv)


if __name__ == "__main__":
    main()
