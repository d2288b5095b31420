"""The bad-input corpus (``tests/data/bad_inputs``) and what is generated at test time."""

from __future__ import annotations

import base64
import copy
import json
import uuid
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from bot.channels.guard import MAX_MESSAGE_CHARS

DATA = Path(__file__).resolve().parents[1] / "data" / "bad_inputs"
DELETE = "__delete__"
ONE_MB = 1_000_000


@cache
def load(name: str) -> Any:
    return yaml.safe_load((DATA / f"{name}.yaml").read_text(encoding="utf-8"))


def messages() -> list[dict[str, Any]]:
    """The message texts of the corpus, then the generated long ones."""
    generated = [
        {
            "id": "one_megabyte",
            "category": "size",
            "text": ("calcinosis " * (ONE_MB // 10))[:ONE_MB],
            "status": 413,
        },
        {
            "id": "just_over_the_limit",
            "category": "size",
            "text": "y" * (MAX_MESSAGE_CHARS + 1),
            "status": 413,
        },
        {
            "id": "at_the_limit_words",
            "category": "size",
            "text": ("my fingers hurt " * 400)[:MAX_MESSAGE_CHARS],
        },
        {"id": "at_the_limit_emoji", "category": "size", "text": "🦴" * MAX_MESSAGE_CHARS},
    ]
    return [*load("messages")["messages"], *generated]


def rest_bodies() -> list[dict[str, Any]]:
    return list(load("rest_bodies")["bodies"])


def raw_bodies() -> list[dict[str, Any]]:
    return list(load("raw_bodies")["bodies"])


def api_requests() -> list[dict[str, Any]]:
    return list(load("api_requests")["requests"])


def platform_events(platform: str) -> list[dict[str, Any]]:
    return list(load("platform_events")[platform])


def size() -> dict[str, int]:
    """How many inputs of each kind the corpus has (files and generated)."""
    events = load("platform_events")
    return {
        "messages": len(messages()),
        "rest_bodies": len(rest_bodies()),
        "raw_bodies": len(raw_bodies()) + len(GENERATED_RAW),
        "api_requests": len(api_requests()),
        "slack_events": len(events["slack"]),
        "teams_activities": len(events["teams"]),
        "flood": 1,
    }


def fresh_sender(prefix: str = "bad") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def substitute(value: Any, names: dict[str, str]) -> Any:
    """``value`` with each placeholder (e.g. ``SENDER``) replaced in every string."""
    if isinstance(value, str):
        for name, replacement in names.items():
            value = value.replace(name, replacement)
        return value
    if isinstance(value, list):
        return [substitute(v, names) for v in value]
    if isinstance(value, dict):
        return {substitute(k, names): substitute(v, names) for k, v in value.items()}
    return value


#: Raw bodies made at test time.
GENERATED_RAW = {
    "INVALID_UTF8": b'{"finding": "raynaud", "text": "\xff\xfe\xfd"}',
    "DEEP_NESTING": b"[" * 30_000 + b"]" * 30_000,
    "TRUNCATED": b'{"finding": "raynaud", "te',
    "FORM": b"finding=raynaud&text=yes",
}


def raw_body(entry: dict[str, Any], sender: str) -> bytes:
    """The bytes of a ``raw_bodies`` entry."""
    if "base64" in entry:
        return base64.b64decode(entry["base64"])
    return substitute(str(entry["json_text"]), {"SENDER": sender}).encode("utf-8")


def merged(base: dict[str, Any], change: dict[str, Any]) -> dict[str, Any]:
    """``base`` with ``change`` merged in (mappings deeply; ``__delete__`` removes a key)."""
    result = copy.deepcopy(base)
    for key, value in change.items():
        if value == DELETE:
            result.pop(key, None)
        elif isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = merged(result[key], value)
        else:
            result[key] = copy.deepcopy(value)
    return result


def body_bytes(body: Any) -> bytes:
    return json.dumps(body, ensure_ascii=False).encode("utf-8")
