"""``python -m bot.events [--queue Q] [--no-sweep] [--sweep-once] [--heartbeat F]``: the worker.

The database is ``CALX_DATABASE_URL``, the broker ``CALX_AMQP_URL``. ``--sweep-once``
only records what Rasa's ``events`` table has that is not recorded yet, then exits.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from bot.events.record import sweep
from bot.events.worker import QUEUE, SWEEP_EVERY_S, Worker, run_worker
from bot.settings import get_settings
from bot.store.db import Database


def main(argv: list[str] | None = None) -> int:
    """Run the worker (or one sweep); return the exit code."""
    parser = argparse.ArgumentParser(prog="python -m bot.events", description=__doc__)
    parser.add_argument("--queue", default=QUEUE, help=f"queue to consume (default {QUEUE})")
    parser.add_argument("--no-sweep", action="store_true", help="only the broker, no sweep")
    parser.add_argument("--sweep-every", type=float, default=SWEEP_EVERY_S, metavar="S")
    parser.add_argument("--sweep-once", action="store_true", help="one sweep, then exit")
    parser.add_argument(
        "--heartbeat", type=Path, metavar="FILE", help="touched every 5 s while connected"
    )
    args = parser.parse_args(argv)
    settings = get_settings()
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("aio_pika").setLevel(logging.WARNING)
    logging.getLogger("aiormq").setLevel(logging.WARNING)
    if args.sweep_once:
        database = Database(settings.database_url)
        with database.session() as session:
            print(f"{sweep(session, lag_s=0)} events recorded")
        database.dispose()
        return 0
    worker = Worker(
        settings.database_url,
        settings.amqp_url,
        queue=args.queue,
        sweep_every=None if args.no_sweep else args.sweep_every,
        heartbeat=args.heartbeat,
    )
    run_worker(worker)
    return 0


if __name__ == "__main__":
    sys.exit(main())
