"""The runner behind ``make run``: model fingerprint, endpoints, and the supervisor's life cycle.

These start small stand-in processes (``python -m http.server``), not Calx itself.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import yaml
from calx_process import free_port

from bot.runner import __main__ as runner_main
from bot.runner import model
from bot.runner.rasa_server import rasa_argv
from bot.runner.supervisor import Service, Supervisor, _status, write_endpoints
from bot.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """A copy of what the model is trained from."""
    for name in model.INPUTS:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, tmp_path / name)
        elif source.is_file():
            (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(source, tmp_path / name)
    return tmp_path


def test_the_model_is_named_by_its_inputs(checkout: Path) -> None:
    first = model.fingerprint(checkout)
    assert model.fingerprint(checkout) == first
    assert model.model_path(checkout, checkout / "models").name == f"calx-{first}.tar.gz"
    nlu = checkout / "data" / "nlu" / "greetings.yml"
    nlu.write_text(nlu.read_text() + "    - howdy\n")
    assert model.fingerprint(checkout) != first
    (checkout / "data" / "nlu" / "extra.yml").write_text("version: '3.1'\n")
    assert len({first, model.fingerprint(checkout)}) == 2


def test_an_existing_model_is_not_trained_again(checkout: Path, tmp_path: Path) -> None:
    models = tmp_path / "trained"
    models.mkdir()
    path = model.model_path(checkout, models)
    path.write_bytes(b"a model")
    assert model.ensure_model(checkout, models) == path


def test_endpoints_point_at_the_configured_action_server(tmp_path: Path) -> None:
    settings = Settings(action_port=6123, rasa_port=6124)
    path = write_endpoints(settings, ROOT, tmp_path)
    endpoints = yaml.safe_load(path.read_text())
    assert endpoints["action_endpoint"]["url"] == "http://127.0.0.1:6123/webhook"
    assert endpoints["tracker_store"]["type"] == "bot.rasa_stores.CalxSQLTrackerStore"


def web_service(name: str, port: int) -> Service:
    return Service(
        name,
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"],
        lambda: _status(f"http://127.0.0.1:{port}/") == 200,
        [(name, f"http://127.0.0.1:{port}/")],
    )


def test_ready_then_sigterm_stops_every_process(tmp_path: Path) -> None:
    ports = [free_port(), free_port()]
    supervisor = Supervisor([web_service(f"s{i}", p) for i, p in enumerate(ports)], tmp_path)

    def terminate_when_ready() -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if all(_status(f"http://127.0.0.1:{p}/") == 200 for p in ports):
                break
            time.sleep(0.2)
        os.kill(os.getpid(), signal.SIGTERM)  # as `kill <pid of make run>` would

    threading.Thread(target=terminate_when_ready, daemon=True).start()
    assert supervisor.run(ready_timeout=60) == 0
    assert all(s.process is not None and s.process.poll() is not None for s in supervisor.services)
    assert all(_status(f"http://127.0.0.1:{p}/") is None for p in ports)
    assert signal.getsignal(signal.SIGTERM) != supervisor._on_signal  # handlers restored


def test_one_process_dying_stops_the_others(tmp_path: Path) -> None:
    port = free_port()
    dying = Service("dies", [sys.executable, "-c", "import time; time.sleep(3)"], lambda: True)
    supervisor = Supervisor([web_service("web", port), dying], tmp_path)
    assert supervisor.run(ready_timeout=60) == 1
    assert _status(f"http://127.0.0.1:{port}/") is None


def test_output_goes_to_the_run_log_and_its_end_is_shown_when_start_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = tmp_path / "run.log"
    code = "import sys; print('loaded the model'); sys.exit('cannot bind the port')"
    failing = Service("dies", [sys.executable, "-c", code], lambda: False)
    with log.open("ab") as sink:
        assert Supervisor([failing], tmp_path, output=sink, log_path=log).run(ready_timeout=60) == 1
    shown = capsys.readouterr()
    assert "loaded the model" in log.read_text() and "cannot bind the port" in log.read_text()
    assert "could not start Calx: dies exited with 1" in shown.err
    assert f"last lines of {log}:" in shown.err and "cannot bind the port" in shown.err
    assert "loaded the model" not in shown.out


@pytest.mark.parametrize(
    ("value", "expected"),
    [("var/log/calx.log", ROOT / "var/log/calx.log"), ("/tmp/x.log", Path("/tmp/x.log")),
     ("-", None), ("", None)],
)  # fmt: skip
def test_the_run_log_setting(no_calx_env: pytest.MonkeyPatch, value: str, expected: Path) -> None:
    assert runner_main.run_log_path(settings_of(run_log=value), ROOT) == expected


def test_a_service_that_answers_but_cannot_work_fails_fast(tmp_path: Path) -> None:
    port = free_port()
    broken = web_service("rasa", port)
    broken.probe = lambda: False
    broken.broken = lambda: _status(f"http://127.0.0.1:{port}/") == 200
    started = time.monotonic()
    assert Supervisor([broken], tmp_path).run(ready_timeout=120) == 1
    assert time.monotonic() - started < 60
    assert _status(f"http://127.0.0.1:{port}/") is None


@pytest.mark.parametrize(
    "reply", [b"GET /api/health HTTP/1.1\r\n\r\n", b"\x00\xff junk\r\n\r\n", b""]
)
def test_a_port_that_does_not_speak_http_is_not_ready(reply: bytes) -> None:
    """Not ready, never a crash of the supervisor: e.g. a probe connected to itself."""
    import socket

    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]

        def answer() -> None:
            connection, _ = server.accept()
            with connection:
                connection.recv(4096)
                connection.sendall(reply)

        thread = threading.Thread(target=answer, daemon=True)
        thread.start()
        assert _status(f"http://127.0.0.1:{port}/api/health") is None
        thread.join(5)


# -- settings the runner passes on: URLs that follow the ports, CORS, the NLP build -----------


@pytest.fixture
def no_calx_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No ``CALX_*`` variable of the calling shell leaks into the settings under test."""
    for name in list(os.environ):
        if name.startswith("CALX_"):
            monkeypatch.delenv(name)
    return monkeypatch


def settings_of(**values: object) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("values", "rasa_url", "web_url"),
    [
        ({}, "http://127.0.0.1:5005", "http://127.0.0.1:8000"),
        ({"rasa_port": 6005, "web_port": 9000}, "http://127.0.0.1:6005", "http://127.0.0.1:9000"),
        ({"host": "0.0.0.0", "web_port": 8080}, "http://127.0.0.1:5005", "http://127.0.0.1:8080"),
        ({"host": "calx.internal"}, "http://calx.internal:5005", "http://calx.internal:8000"),
        ({"host": "::", "rasa_port": 7000}, "http://[::1]:7000", "http://[::1]:8000"),
        (
            {"rasa_url": "https://chat.example.org/", "rasa_port": 1},
            "https://chat.example.org",
            "http://127.0.0.1:8000",
        ),
    ],
)
def test_urls_follow_the_host_and_ports_unless_set(
    no_calx_env: pytest.MonkeyPatch, values: dict[str, object], rasa_url: str, web_url: str
) -> None:
    settings = settings_of(**values)
    assert (settings.rasa_url, settings.web_url) == (rasa_url, web_url)


def test_changing_the_rasa_port_moves_the_portal_with_it(no_calx_env: pytest.MonkeyPatch) -> None:
    from fastapi.testclient import TestClient

    from bot.web.app import create_app

    no_calx_env.setenv("CALX_RASA_PORT", "6111")
    no_calx_env.setenv("CALX_DATABASE_URL", "sqlite://")
    page = TestClient(create_app(Settings(_env_file=None))).get("/portal")
    assert page.status_code == 200
    assert '"serverUrl": "http://127.0.0.1:6111"' in page.text
    assert "http://127.0.0.1:6111" in page.headers["content-security-policy"]
    assert ":5005" not in page.text + page.headers["content-security-policy"]


@pytest.mark.parametrize(
    ("env", "origins", "expected"),
    [
        ("development", "", ["*"]),
        ("test", "", ["*"]),
        ("production", "", []),
        ("production", "*", ["*"]),
        (
            "production",
            "https://portal.example.org, http://localhost:3000/",
            ["https://portal.example.org", "http://localhost:3000"],
        ),
    ],
)
def test_cors_origins(
    no_calx_env: pytest.MonkeyPatch, env: str, origins: str, expected: list[str]
) -> None:
    settings = settings_of(env=env, cors_origins=origins)
    assert settings.cors_origin_list == expected
    argv = rasa_argv("m.tar.gz", "e.yml", "c.yml", 5005, "127.0.0.1", settings.cors_origin_list)
    assert argv[argv.index("--cors") + 1 :] == expected
    if expected:
        settings.check_cors()
    else:
        with pytest.raises(ValueError, match="CALX_CORS_ORIGINS"):
            settings.check_cors()


@pytest.mark.parametrize(
    "origin", ["portal.example.org", "https://portal.example.org/widget", "ftp://x", "https://"]
)
def test_an_origin_that_is_not_one_is_refused(no_calx_env: pytest.MonkeyPatch, origin: str) -> None:
    with pytest.raises(ValueError, match="CALX_CORS_ORIGINS"):
        settings_of(cors_origins=f"https://ok.example.org, {origin}")


def test_the_rasa_server_refuses_production_without_cors_origins() -> None:
    strong = "s" * 24
    env = {k: v for k, v in os.environ.items() if not k.startswith("CALX_")} | {
        "PYTHONPATH": str(ROOT),
        "CALX_ENV": "production",
        "CALX_RASA_TOKEN": strong,
        "CALX_API_TOKEN": strong,
        "CALX_SECRET_KEY": strong,
        "CALX_DATABASE_URL": "sqlite://",
    }
    argv = ["-m", "bot.runner.rasa_server", "--model", "m.tar.gz", "--endpoints", "e.yml"]
    done = subprocess.run(
        [sys.executable, *argv], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode != 0
    assert "without CALX_CORS_ORIGINS" in done.stderr


def test_preparing_prunes_older_nlp_pipelines() -> None:
    from bot.nlp.pipeline import NLP_DIR, pipeline_dir

    stale = NLP_DIR / "calx-0000000000000000"
    stale.mkdir(parents=True, exist_ok=True)
    (stale / "meta.json").write_text("{}")
    runner_main._build_nlp()
    assert not stale.exists()
    assert pipeline_dir().is_dir()
