"""Cluster mode implies the production checks: no default or empty secrets, no DEBUG logs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
STRONG = {"rasa_token": "r" * 24, "api_token": "a" * 24, "secret_key": "k" * 24}


def settings(**values: object) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[arg-type]


@pytest.mark.parametrize("mode", [{"cluster": True}, {"env": "production"}])
@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("rasa_token", ""),
        ("rasa_token", "dev-rasa-token"),
        ("api_token", "   "),
        ("api_token", "changeme"),
        ("secret_key", "dev-secret-key"),
        ("secret_key", "short-secret"),
    ],
)
def test_default_or_empty_secrets_are_refused(
    mode: dict[str, object], field: str, value: str
) -> None:
    weak = settings(**{**STRONG, field: value}, **mode)
    with pytest.raises(ValueError, match=f"CALX_{field.upper()}"):
        weak.check_production()
    with pytest.raises(ValueError, match="refusing to start"):
        weak.check_secrets()


def test_the_defaults_are_refused_in_cluster_mode_and_name_every_secret() -> None:
    with pytest.raises(ValueError) as error:
        settings(cluster=True).check_production()
    for name in ("CALX_RASA_TOKEN", "CALX_API_TOKEN", "CALX_SECRET_KEY"):
        assert name in str(error.value)
    assert "cluster mode" in str(error.value)


def test_strong_secrets_pass_and_development_is_not_checked() -> None:
    settings(**STRONG, cluster=True).check_production()
    settings(**STRONG, env="production").check_production()
    settings(cluster=False).check_production()  # a laptop keeps its defaults
    assert settings().problems()  # ...which check_secrets() would still name


@pytest.mark.parametrize(
    ("field", "url", "refused"),
    [
        ("amqp_url", "amqp://guest:guest@rabbit.internal:5672/", True),
        ("amqp_url", "amqp://guest:guest@127.0.0.1:5672/", False),  # RabbitMQ's local default
        ("amqp_url", "amqp://calx:Zx81-longer-password@rabbit:5672/", False),
        ("redis_url", "redis://:password@redis.internal:6379/0", True),
        ("redis_url", "redis://redis.internal:6379/0", False),
        ("database_url", "postgresql://postgres:postgres@db.internal/calx", True),
        ("database_url", "postgresql://postgres@127.0.0.1:5432/calx", False),
    ],
)
def test_default_passwords_in_service_urls(field: str, url: str, refused: bool) -> None:
    problems = settings(**STRONG, cluster=True, **{field: url}).problems()
    assert any(field.upper() in p for p in problems) is refused


@pytest.mark.parametrize(("level", "refused"), [("DEBUG", True), ("10", True), ("info", False)])
def test_production_log_level_is_info_or_above(level: str, refused: bool) -> None:
    problems = settings(**STRONG, cluster=True, log_level=level).problems()
    assert any("CALX_LOG_LEVEL" in p for p in problems) is refused


@pytest.mark.parametrize(
    "argv",
    [
        ["-m", "uvicorn", "--factory", "bot.web.app:create_app", "--port", "1"],
        ["-m", "bot.runner.rasa_server", "--model", "m.tar.gz", "--endpoints", "e.yml"],
        ["-m", "bot.runner.action_server", "--port", "1"],
        ["-m", "bot.runner", "prepare"],
    ],
)
def test_processes_refuse_to_start_in_cluster_mode_with_default_secrets(argv: list[str]) -> None:
    """Each process checks for itself (a replica started by hand as well)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CALX_")} | {
        "PYTHONPATH": str(ROOT),
        "CALX_CLUSTER": "1",
        "CALX_DATABASE_URL": "sqlite://",
    }
    done = subprocess.run(
        [sys.executable, *argv], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode != 0
    assert "refusing to start in cluster mode" in done.stdout + done.stderr
    if "uvicorn" not in argv:  # ours say why in one line, without a traceback
        assert "Traceback" not in done.stderr
