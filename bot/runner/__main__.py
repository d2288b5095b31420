"""``python -m bot.runner [run|prepare|train|model]``: what ``make run`` does.

- ``run`` (default): prepare, then start every process in the foreground.
- ``prepare``: build the NLP pipeline if needed, migrate the database, train the model
  if its inputs changed.
- ``train``: only the model step; ``model``: print the current model's path.
"""

from __future__ import annotations

import argparse
import importlib.util
import logging
import subprocess
import sys
from pathlib import Path

from bot.obs.logs import configure as configure_logging
from bot.runner import model as rasa_model
from bot.runner.supervisor import ROOT, Supervisor, services, write_endpoints
from bot.settings import get_settings

log = logging.getLogger("bot.runner")


#: Build the spaCy pipeline, removing those of older rule sets so they don't pile up.
NLP_BUILD = ("-m", "bot.nlp.build", "--prune")


def _build_nlp() -> None:
    """Build the spaCy pipeline when the NLP package has a build step (it is idempotent)."""
    if importlib.util.find_spec("bot.nlp.build") is not None:
        subprocess.run([sys.executable, *NLP_BUILD], cwd=ROOT, check=True)  # noqa: S603


def _check_domain() -> None:
    from bot.interview.domain import DOMAIN_FILE, render_domain

    if DOMAIN_FILE.read_text(encoding="utf-8") != render_domain():
        print(
            "WARNING: domain.yml does not match the data dictionary: run `make domain`",
            file=sys.stderr,
            flush=True,
        )


def prepare() -> Path:
    """Everything before the processes start; returns the model to serve."""
    from bot.store.db import Database

    _check_domain()
    _build_nlp()
    Database(get_settings().database_url).migrate()
    return rasa_model.ensure_model()


def main(argv: list[str] | None = None) -> int:
    """Run one command; return the exit code."""
    parser = argparse.ArgumentParser(prog="python -m bot.runner", description=__doc__)
    parser.add_argument(
        "command", nargs="?", default="run", choices=("run", "prepare", "train", "model")
    )
    args = parser.parse_args(argv)
    try:
        settings = get_settings()  # refuses placeholder secrets in production / cluster mode
    except ValueError as error:
        print(f"calx: {error}", file=sys.stderr, flush=True)
        return 2
    # stderr: `model` and `train` print a path on stdout for scripts
    configure_logging("runner", settings.log_level.upper(), stream="stderr")
    if args.command == "model":
        print(rasa_model.model_path())
        return 0
    if args.command == "train":
        _build_nlp()
        print(rasa_model.ensure_model())
        return 0
    model = prepare()
    if args.command == "prepare":
        return 0
    endpoints = write_endpoints(settings)
    return Supervisor(services(settings, model, endpoints)).run()


if __name__ == "__main__":
    sys.exit(main())
