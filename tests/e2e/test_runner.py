"""The runner behind ``make run``: model fingerprint, endpoints, and the supervisor's life cycle.

These start small stand-in processes (``python -m http.server``), not Calx itself.
"""

from __future__ import annotations

import os
import shutil
import signal
import sys
import threading
import time
from pathlib import Path

import pytest
import yaml
from calx_process import free_port

from bot.runner import model
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


def test_a_service_that_answers_but_cannot_work_fails_fast(tmp_path: Path) -> None:
    port = free_port()
    broken = web_service("rasa", port)
    broken.probe = lambda: False
    broken.broken = lambda: _status(f"http://127.0.0.1:{port}/") == 200
    started = time.monotonic()
    assert Supervisor([broken], tmp_path).run(ready_timeout=120) == 1
    assert time.monotonic() - started < 60
    assert _status(f"http://127.0.0.1:{port}/") is None
