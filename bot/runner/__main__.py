"""``python -m bot.runner [run|prepare|train|model]``: what ``make run`` does.

- ``run`` (default): prepare, then start every process in the foreground.
- ``prepare``: build the NLP pipeline if needed, migrate the database, train the model
  if its inputs changed.
- ``train``: only the model step; ``model``: print the current model's path.

``run`` and ``prepare`` are quiet: the terminal shows a line per step and the ready block
(every URL, every channel that is on); the processes' JSON logs, Rasa's training output and
Python's warnings go to ``CALX_RUN_LOG`` (``var/log/calx.log``; ``-``: the terminal).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import logging
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from bot.obs.logs import configure as configure_logging
from bot.runner import model as rasa_model
from bot.runner.supervisor import ROOT, Supervisor, services, write_endpoints
from bot.settings import Settings, get_settings

log = logging.getLogger("bot.runner")

#: Build the spaCy pipeline, removing those of older rule sets so they don't pile up.
NLP_BUILD = ("-m", "bot.nlp.build", "--prune")
#: A run log larger than this is moved to ``<name>.1`` when Calx starts.
ROTATE_BYTES = 50 * 1024 * 1024


def say(text: str) -> None:
    """A progress line for the person who started Calx."""
    print(text, flush=True)


def _build_nlp(output: IO[bytes] | None = None) -> None:
    """Build the spaCy pipeline when the NLP package has a build step (it is idempotent)."""
    if importlib.util.find_spec("bot.nlp.build") is not None:
        subprocess.run(  # noqa: S603
            [sys.executable, *NLP_BUILD], cwd=ROOT, check=True, stdout=output, stderr=output
        )


def _check_domain() -> None:
    from bot.interview.domain import DOMAIN_FILE, render_domain

    if DOMAIN_FILE.read_text(encoding="utf-8") != render_domain():
        print(
            "WARNING: domain.yml does not match the data dictionary: run `make domain`",
            file=sys.stderr,
            flush=True,
        )


def run_log_path(settings: Settings, root: Path = ROOT) -> Path | None:
    """The file the processes log to, or ``None`` for the terminal (``CALX_RUN_LOG=-``)."""
    if settings.run_log.strip() in ("", "-"):
        return None
    path = Path(settings.run_log)
    return path if path.is_absolute() else root / path


@contextlib.contextmanager
def run_log(path: Path | None) -> Iterator[IO[bytes] | None]:
    """The run log opened for appending (rotated once when too large), or ``None``."""
    if path is None:
        yield None
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists() and path.stat().st_size > ROTATE_BYTES:
        path.replace(path.with_name(path.name + ".1"))
    with path.open("ab") as sink:
        yield sink


def prepare(output: IO[bytes] | None = None) -> Path:
    """Everything before the processes start; returns the model to serve."""
    from bot.store.db import Database

    _check_domain()
    say("Preparing the language pipeline...")
    _build_nlp(output)
    say("Migrating the database...")
    Database(get_settings().database_url).migrate()
    model = rasa_model.ensure_model(output=output)
    say(f"Model: {model.name}")
    return model


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
    level = settings.log_level.upper()
    if args.command in ("model", "train"):
        # stderr: `model` and `train` print a path on stdout for scripts
        configure_logging("runner", level, stream="stderr")
        if args.command == "train":
            _build_nlp()
            print(rasa_model.ensure_model())
        else:
            print(rasa_model.model_path())
        return 0
    path = run_log_path(settings)
    with run_log(path) as sink:
        configure_logging("runner", level, stream="stderr", path=path)
        model = prepare(sink)
        if args.command == "prepare":
            return 0
        endpoints = write_endpoints(settings)
        if path is not None:
            say(f"Starting Rasa, the action server and the web app (logs: {_shown(path)})...")
        supervisor = Supervisor(services(settings, model, endpoints), output=sink, log_path=path)
        return supervisor.run()


def _shown(path: Path) -> str:
    """``path`` relative to the checkout when it is inside it."""
    try:
        return str(path.relative_to(ROOT))
    except ValueError:
        return str(path)


if __name__ == "__main__":
    sys.exit(main())
