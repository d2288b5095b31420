"""The Rasa server's logs as Calx's: JSON lines, request ids, no message text.

``rasa run`` sets up logging its own way (coloured console lines, Sanic's default
handlers, structlog). :func:`prepare`, called by ``bot.runner.rasa_server`` before it
hands over to ``rasa run``, makes all of it go through :mod:`bot.obs.logs`:

- the process's logging is configured as JSON, and the same configuration is passed
  as ``--logging-config-file`` (Rasa applies it again) and given to Sanic as its
  default (Sanic applies its own when the app is made);
- Rasa's coloured console handler is not installed;
- Rasa's structlog events lose the fields that may hold message text
  (:func:`bot.obs.logs.redact_structlog_event`), whatever their level;
- the Sanic app gets request ids and access lines (:mod:`bot.obs.sanic`) and a cap
  on request bodies (:data:`MAX_BODY_BYTES`, 413 above it);
- Rasa's ``LOG_LEVEL`` is ``CALX_LOG_LEVEL`` (INFO: Rasa logs message text only at DEBUG,
  which production refuses) and TensorFlow's C++ notices are silenced.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot.obs import logs
from bot.obs import sanic as sanic_obs
from bot.settings import Settings

#: Largest request body the Rasa server reads (its HTTP API included): 413 above it.
MAX_BODY_BYTES = 256 * 1024


def _no_coloured_logging(*_args: Any, **_kwargs: Any) -> None:
    """Stands in for Rasa's ``configure_colored_logging`` (it adds a plain-text handler)."""


def _after(original: Callable[..., Any], then: Callable[[Any], Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        result = original(*args, **kwargs)
        then(result)
        return result

    wrapper.calx_wrapped = True  # type: ignore[attr-defined]
    return wrapper


def _patch(module: Any, name: str, then: Callable[[Any], Any]) -> None:
    original = getattr(module, name)
    if not getattr(original, "calx_wrapped", False):
        setattr(module, name, _after(original, then))


def prepare(settings: Settings, run_dir: Path, port: int) -> list[str]:
    """Set up this process before ``rasa run``; returns the extra ``rasa run`` arguments."""
    level = settings.log_level.upper()
    redact = settings.env != "development"
    os.environ["LOG_LEVEL"] = level
    logs.configure("rasa", level, redact_exceptions=redact)
    config_file = logs.write_config(
        "rasa", run_dir / f"logging-rasa-{port}.json", level, redact_exceptions=redact
    )

    import rasa.__main__
    import rasa.core.run
    import rasa.utils.io
    import sanic.log

    defaults = sanic.log.LOGGING_CONFIG_DEFAULTS
    defaults.clear()
    defaults.update(logs.logging_config("rasa", level, redact_exceptions=redact))
    rasa.utils.io.configure_colored_logging = _no_coloured_logging
    _patch(rasa.__main__, "configure_structlog", lambda _: logs.redact_structlog())
    _patch(
        rasa.core.run,
        "configure_app",
        lambda app: sanic_obs.install(app, max_body_bytes=MAX_BODY_BYTES),
    )
    return ["--logging-config-file", str(config_file)]
