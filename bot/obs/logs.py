"""JSON log lines for every Calx process (stdlib ``logging``; Rasa's structlog events too).

Each record becomes one line on stdout::

    {"ts": "2026-11-25T14:00:00.123Z", "level": "INFO", "logger": "calx.access",
     "message": "POST /webhooks/rest/webhook 200", "request_id": "3f2c...",
     "process": "rasa", "pid": 4242, "method": "POST", "path": "/webhooks/rest/webhook",
     "status": 200, "duration_ms": 87.1}

:func:`configure` installs it in the calling process; :func:`logging_config` is the same
configuration as a ``dictConfig`` dict and :func:`write_config` writes it as JSON for
``uvicorn --log-config`` and ``rasa run --logging-config-file``.
"""

from __future__ import annotations

import json
import logging
import logging.config
import os
import re
import sys
import time
import traceback
from collections.abc import Mapping, MutableMapping
from pathlib import Path
from typing import Any

from bot.obs import context

#: Environment variable naming the process in its log lines (set by the runner).
PROCESS_ENV = "CALX_PROCESS"
#: ``extra={EXTRA: {...}}`` adds structured fields to a line (e.g. an access line).
EXTRA = "calx"
#: Fields of Rasa's structured events that may carry what a person typed.
SENSITIVE_FIELDS = frozenset(
    {
        "text", "response_text", "user_text", "slot_values", "parse_data_text",
        "parse_data_entities", "prediction_events", "tracker_latest_message",
        "prefilled_slots", "message", "response", "slot_candidates", "rasa_event",
        "rasa_events", "tracker_states", "current_states", "old_states", "successes",
        "current_entity", "next_entity", "states", "entity", "token_text", "user_message",
        "json_message", "events", "tracker", "slots", "metadata", "entities",
    }
)  # fmt: skip
REDACTED = "[redacted]"
#: A secret in a URL's query string, as Rasa's HTTP API takes its token (``?token=``):
#: Sanic quotes the URL of a request that failed.
_QUERY_SECRET = re.compile(
    r"([?&](?:token|access_token|api_key|apikey|key|secret|password)=)[^&#\s'\"]*", re.I
)
#: Libraries that are chatty at INFO (engine.io would log packets, i.e. messages).
QUIET_LOGGERS = (
    "engineio", "socketio", "PyRuSH", "medspacy", "aiormq", "aio_pika", "pika",
    "urllib3", "asyncio", "apscheduler", "matplotlib", "tensorflow", "absl", "httpx",
)  # fmt: skip
_STANDARD = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}


def process_name() -> str:
    """This process's name in log lines (``CALX_PROCESS``, else the program's)."""
    return os.environ.get(PROCESS_ENV) or Path(sys.argv[0] or "python").stem


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` (the request being handled, if any) to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Never drops a record."""
        if getattr(record, "request_id", None) is None:
            record.request_id = context.current()
        return True


def _exception_fields(record: logging.LogRecord, redact: bool) -> dict[str, Any]:
    exc_type, exc, _tb = record.exc_info or (None, None, None)
    if exc_type is None or exc is None:
        return {}
    if not redact:
        return {"exc_type": exc_type.__name__, "exc_text": "".join(traceback.format_exception(exc))}
    # Types and frames only: an exception's message may quote what a person typed.
    chain: list[str] = []
    frames: list[str] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        chain.append(type(current).__name__)
        for frame in traceback.extract_tb(current.__traceback__):
            frames.append(f"{frame.filename}:{frame.lineno} in {frame.name}")
        current = current.__cause__ or current.__context__
    return {"exc_type": chain[0], "exc_chain": chain, "exc_frames": frames}


def _structlog_event(message: str) -> dict[str, Any] | None:
    """A structlog event rendered as JSON by Rasa, or ``None``."""
    if not (message.startswith("{") and message.endswith("}")):
        return None
    try:
        event = json.loads(message)
    except ValueError:
        return None
    return event if isinstance(event, dict) and "event" in event else None


def hide_query_secrets(text: str) -> str:
    """``text`` with the values of secret-looking query parameters replaced."""
    return _QUERY_SECRET.sub(rf"\1{REDACTED}", text)


def redact(fields: Mapping[str, Any]) -> dict[str, Any]:
    """``fields`` with every value that may hold a person's words replaced."""
    return {k: (REDACTED if k in SENSITIVE_FIELDS else v) for k, v in fields.items()}


def _uvicorn_access(record: logging.LogRecord) -> dict[str, Any] | None:
    args = record.args
    if record.name != "uvicorn.access" or not isinstance(args, tuple) or len(args) != 5:
        return None
    client, method, full_path, _version, status = args
    path = str(full_path).split("?", 1)[0]
    return {
        "message": f"{method} {path} {status}",
        "method": method,
        "path": path,
        "status": status,
        "client": client,
    }


class JsonFormatter(logging.Formatter):
    """One JSON object per record (see the module's docstring)."""

    def __init__(self, process_name: str | None = None, redact_exceptions: bool = True) -> None:
        super().__init__()
        self.process_name = process_name
        self.redact_exceptions = redact_exceptions

    def format(self, record: logging.LogRecord) -> str:
        """The record as a JSON line (no newline inside)."""
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            message = str(record.msg)
        entry: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": hide_query_secrets(message),
            "request_id": getattr(record, "request_id", None) or context.current(),
            "process": self.process_name or process_name(),
            "pid": record.process,
        }
        event = _structlog_event(message)
        if event is not None:
            entry["message"] = str(event.pop("event"))
            event.pop("level", None)
            entry["fields"] = redact(event)
        access = _uvicorn_access(record)
        if access is not None:
            entry.update(access)
        extra = getattr(record, EXTRA, None)
        if isinstance(extra, Mapping):
            entry.update({k: v for k, v in extra.items() if k not in entry or k == "message"})
        entry.update(_exception_fields(record, self.redact_exceptions))
        return json.dumps(entry, ensure_ascii=False, default=str)


def logging_config(
    process: str,
    level: str = "INFO",
    *,
    redact_exceptions: bool = True,
    stream: str = "stdout",
    path: Path | None = None,
) -> dict[str, Any]:
    """The ``logging.config.dictConfig`` of a Calx process: JSON lines on ``stream``.

    With ``path``, the lines are appended to that file instead.
    """
    handler = ["stdout"]
    own = {"handlers": handler, "level": level, "propagate": False}
    loggers: dict[str, Any] = {
        name: dict(own)
        for name in ("sanic.root", "sanic.error", "sanic.access", "uvicorn", "uvicorn.access")
    }
    loggers["uvicorn.error"] = {"level": level}
    loggers.update({name: {"level": "WARNING"} for name in QUIET_LOGGERS})
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": "bot.obs.logs.RequestIdFilter"}},
        "formatters": {
            "json": {
                "()": "bot.obs.logs.JsonFormatter",
                "process_name": process,
                "redact_exceptions": redact_exceptions,
            }
        },
        "handlers": {
            "stdout": {
                **(
                    {"class": "logging.FileHandler", "filename": str(path), "encoding": "utf-8"}
                    if path is not None
                    else {"class": "logging.StreamHandler", "stream": f"ext://sys.{stream}"}
                ),
                "formatter": "json",
                "filters": ["request_id"],
            }
        },
        "root": {"level": level, "handlers": handler},
        "loggers": loggers,
    }


def silence_loguru() -> None:
    """Keep medspaCy's PyRuSH from logging tokens (patient text) through loguru."""
    try:
        from loguru import logger
    except ImportError:  # pragma: no cover - medspaCy brings loguru
        return
    for name in ("PyRuSH", "medspacy"):
        logger.disable(name)


def configure(
    process: str,
    level: str = "INFO",
    *,
    redact_exceptions: bool = True,
    stream: str = "stdout",
    path: Path | None = None,
) -> None:
    """Send this process's logs (and Python warnings) to ``stream`` (or ``path``) as JSON lines.

    Call it before TensorFlow is imported (directly or through Rasa), so that its C++
    notices are silenced.
    """
    os.environ[PROCESS_ENV] = process
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TensorFlow's C++ notices (not JSON)
    config = logging_config(
        process, level, redact_exceptions=redact_exceptions, stream=stream, path=path
    )
    logging.config.dictConfig(config)
    logging.captureWarnings(True)
    silence_loguru()


def write_config(
    process: str, path: Path, level: str = "INFO", *, redact_exceptions: bool = True
) -> Path:
    """Write :func:`logging_config` as JSON (read by uvicorn and by Rasa as YAML)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    config = logging_config(process, level, redact_exceptions=redact_exceptions)
    path.write_text(json.dumps(config, indent=1))
    return path


def redact_structlog_event(
    _logger: Any, _method: str, event: MutableMapping[str, Any]
) -> Mapping[str, Any]:
    """A structlog processor: Rasa's events lose the fields that may hold message text."""
    return redact(event)


def redact_structlog() -> None:
    """Put :func:`redact_structlog_event` first in structlog's processors (idempotent)."""
    import structlog

    processors = list(structlog.get_config()["processors"])
    if redact_structlog_event not in processors:
        structlog.configure(processors=[redact_structlog_event, *processors])
