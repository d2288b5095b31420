"""The Rasa model: named by a hash of what it is trained from, trained only when missing.

Inputs: ``data/``, ``domain.yml``, ``config.yml``, the spaCy component
(``bot/nlp/rasa_component.py``), the hash of the NLP pipeline's rules it loads (the
component refuses a model trained on other rules) and the Rasa version.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parents[2]
MODELS_DIR = ROOT / "models"
MODEL_PREFIX = "calx-"
#: Files and folders a model is trained from (relative to the checkout).
INPUTS = ("data", "domain.yml", "config.yml", "bot/nlp/rasa_component.py")
#: Older models kept besides the current one.
KEEP_OLD = 1

log = logging.getLogger(__name__)


def _files(root: Path) -> Iterator[Path]:
    for name in INPUTS:
        path = root / name
        if path.is_file():
            yield path
        elif path.is_dir():
            yield from sorted(
                p for p in path.rglob("*") if p.is_file() and "__pycache__" not in p.parts
            )


def fingerprint(root: Path = ROOT) -> str:
    """A short hash of every training input (paths and contents) and the Rasa version."""
    from importlib.metadata import version

    from bot.nlp.pipeline import pipeline_hash

    digest = hashlib.sha256(f"rasa {version('rasa')}\nnlp {pipeline_hash()}\n".encode())
    for path in _files(root):
        digest.update(str(path.relative_to(root)).encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:12]


def model_name(root: Path = ROOT) -> str:
    """The model's file name without ``.tar.gz``."""
    return MODEL_PREFIX + fingerprint(root)


def model_path(root: Path = ROOT, models: Path = MODELS_DIR) -> Path:
    """Where the model for the current inputs is (or will be)."""
    return models / f"{model_name(root)}.tar.gz"


def _prune(models: Path, current: Path) -> None:
    old = sorted(
        (p for p in models.glob(f"{MODEL_PREFIX}*.tar.gz") if p != current),
        key=lambda p: p.stat().st_mtime,
        reverse=True,
    )
    for path in old[KEEP_OLD:]:
        path.unlink(missing_ok=True)


def ensure_model(
    root: Path = ROOT, models: Path = MODELS_DIR, output: IO[bytes] | None = None
) -> Path:
    """Train the model if its inputs changed since the last training; return its path.

    ``output``: where ``rasa train`` writes (default: this process's own stdout/stderr).
    """
    models.mkdir(parents=True, exist_ok=True)
    with (models / ".train.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another `make run` may be training
        path = model_path(root, models)
        if path.exists():
            log.info("model up to date: %s", path.name)
            return path
        print(f"Training the Rasa model {path.name} (its inputs changed)...", flush=True)
        command = [
            sys.executable, "-m", "rasa", "train",
            "--data", str(root / "data"),
            "--domain", str(root / "domain.yml"),
            "--config", str(root / "config.yml"),
            "--out", str(models),
            "--fixed-model-name", path.name.removesuffix(".tar.gz"),
        ]  # fmt: skip
        env = {**os.environ, "PYTHONPATH": str(root)}
        subprocess.run(  # noqa: S603 - fixed argv
            command, cwd=root, env=env, check=True, stdout=output, stderr=output
        )
        if not path.exists():
            raise RuntimeError(f"rasa train did not write {path}")
        _prune(models, path)
        return path
