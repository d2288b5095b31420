"""bot.obs: JSON lines with a request id; no message text in exceptions or Rasa's events."""

from __future__ import annotations

import io
import json
import logging
import sys

import pytest
import structlog

from bot.obs import context, logs

MARKER = "my thumb has a chalky lump since the zeppelin summer"


@pytest.fixture
def capture() -> logging.Logger:
    """A logger writing JSON lines into ``logger.stream`` (the process's config untouched)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.JsonFormatter("test-process"))
    handler.addFilter(logs.RequestIdFilter())
    logger = logging.getLogger(f"calx.test.{id(stream)}")
    logger.handlers = [handler]
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    logger.stream = stream  # type: ignore[attr-defined]
    return logger


def lines(logger: logging.Logger) -> list[dict[str, object]]:
    text = logger.stream.getvalue()  # type: ignore[attr-defined]
    return [json.loads(line) for line in text.splitlines()]


def test_a_line_has_the_fields_and_the_request_id(capture: logging.Logger) -> None:
    capture.info("plain")
    token = context.bind("req-42")
    try:
        capture.warning("with %s", "args")
    finally:
        context.reset(token)
    first, second = lines(capture)
    assert set(first) >= {"ts", "level", "logger", "message", "request_id", "process", "pid"}
    assert first["request_id"] is None and first["process"] == "test-process"
    assert second["request_id"] == "req-42" and second["message"] == "with args"
    assert second["level"] == "WARNING" and str(second["ts"]).endswith("Z")


@pytest.mark.parametrize(
    ("url", "kept"),
    [
        (
            "http://127.0.0.1:5005/conversations/p1/tracker?token=s3cr3t-value",
            "/conversations/p1/tracker?token=",
        ),
        ("'http://h/x?include_events=ALL&token=s3cr3t-value'", "include_events=ALL&token="),
        ("/api/x?api_key=s3cr3t-value&page=2", "&page=2"),
        ("/webhooks/teams?Password=s3cr3t-value#top", "#top"),
    ],
)
def test_secrets_in_query_strings_are_hidden(capture: logging.Logger, url: str, kept: str) -> None:
    # Sanic logs the URL of a request that failed: Rasa's HTTP API takes its token there
    capture.error("Exception occurred while handling uri: %s", url)
    message = str(lines(capture)[0]["message"])
    assert "s3cr3t-value" not in message
    assert kept in message and logs.REDACTED in message


def test_a_multiline_message_stays_one_line(capture: logging.Logger) -> None:
    capture.info("one\ntwo\r\nthree \u202e")
    raw = capture.stream.getvalue()  # type: ignore[attr-defined]
    assert raw.count("\n") == 1
    assert lines(capture)[0]["message"] == "one\ntwo\r\nthree \u202e"


def test_exception_messages_are_left_out(capture: logging.Logger) -> None:
    try:
        try:
            raise KeyError(MARKER)
        except KeyError as inner:
            raise ValueError(f"bad answer {MARKER!r}") from inner
    except ValueError:
        capture.exception("could not store the answers")
    [line] = lines(capture)
    assert MARKER not in json.dumps(line)
    assert line["exc_type"] == "ValueError" and line["exc_chain"] == ["ValueError", "KeyError"]
    assert any("test_logs.py" in frame for frame in line["exc_frames"])  # type: ignore[union-attr]


def test_development_keeps_exception_messages(capture: logging.Logger) -> None:
    capture.handlers[0].setFormatter(logs.JsonFormatter("dev", redact_exceptions=False))
    try:
        raise RuntimeError("details for the developer")
    except RuntimeError:
        capture.exception("failed")
    assert "details for the developer" in str(lines(capture)[0]["exc_text"])


def test_rasa_structlog_events_lose_their_text_fields(capture: logging.Logger) -> None:
    event = {"event": "rest.message.received.failure", "text": MARKER, "sender_id": "abc"}
    rendered = logs.redact_structlog_event(None, "error", dict(event))
    assert rendered == {**event, "text": logs.REDACTED}
    capture.error(json.dumps({**event, "rasa_event": {"text": MARKER}, "level": "error"}))
    [line] = lines(capture)
    assert MARKER not in json.dumps(line)
    assert line["message"] == "rest.message.received.failure"
    assert line["fields"] == {
        "text": logs.REDACTED,
        "sender_id": "abc",
        "rasa_event": logs.REDACTED,
    }


def test_redact_structlog_puts_the_processor_first_once() -> None:
    before = structlog.get_config()["processors"]
    try:
        logs.redact_structlog()
        logs.redact_structlog()
        processors = structlog.get_config()["processors"]
        assert processors[0] is logs.redact_structlog_event
        assert processors.count(logs.redact_structlog_event) == 1
    finally:
        structlog.configure(processors=before)


def test_uvicorn_access_lines_lose_the_query(capture: logging.Logger) -> None:
    access = logging.getLogger("uvicorn.access")
    record = access.makeRecord(
        "uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", "/conversations/x/tracker?token=s3cret", "1.1", 200), None,
    )  # fmt: skip
    capture.handle(record)
    [line] = lines(capture)
    assert line["path"] == "/conversations/x/tracker" and line["status"] == 200
    assert "s3cret" not in json.dumps(line)


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("abc-123", True),
        ("0f" * 16, True),
        ("", False),
        ("a" * 200, False),
        ("evil\r\nX-Injected: 1", False),
        ('"}{"level": "CRITICAL', False),
        (b"\xff\xfe", False),
    ],
)
def test_request_ids_from_clients_are_kept_only_when_well_formed(
    given: str | bytes, kept: bool
) -> None:
    accepted = context.accept(given)
    assert (accepted == given) is kept
    assert len(accepted) <= 128 and accepted.isprintable()


def test_the_config_dict_names_the_process_and_the_level() -> None:
    config = logs.logging_config("web", "WARNING", stream="stderr")
    assert config["formatters"]["json"]["process_name"] == "web"
    assert config["root"]["level"] == "WARNING"
    assert config["handlers"]["stdout"]["stream"] == "ext://sys.stderr"
    for name in ("sanic.access", "uvicorn.access"):
        assert config["loggers"][name]["handlers"] == ["stdout"]
    assert config["loggers"]["engineio"]["level"] == "WARNING"  # would log packets (messages)
    assert sys.stdout  # the config is data: nothing was configured here
