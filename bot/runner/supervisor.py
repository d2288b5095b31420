"""Start Calx's processes, wait until each answers, stop them all together.

The Rasa server, the action server and the web app run as children of this process
(each also dies if this process is killed: Linux parent-death signal). Ctrl-C or
SIGTERM stops them all; if one of them exits on its own, the others are stopped too
and the exit code is non-zero.
"""

from __future__ import annotations

import ctypes
import http.client
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import IO, Any

import yaml

from bot.obs.logs import write_config as write_log_config
from bot.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
RUN_DIR = ROOT / "var" / "run"
#: Seconds each process gets to stop after SIGTERM before it is killed.
STOP_GRACE_S = 15.0
#: Seconds to wait for every process to answer.
READY_TIMEOUT_S = 300.0
#: Lines of the run log shown when Calx could not start.
TAIL_LINES = 25
_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    """Ask Linux to SIGTERM this child when the supervisor dies, even by SIGKILL."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def _status(url: str, headers: dict[str, str] | None = None) -> int | None:
    request = urllib.request.Request(url, headers=headers or {})  # noqa: S310 - our own URLs
    try:
        with urllib.request.urlopen(request, timeout=3) as response:  # noqa: S310
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)
    except (urllib.error.URLError, OSError, http.client.HTTPException):
        # HTTPException: not (yet) an HTTP server there, e.g. a probe of a port nobody
        # listens on that was given that port as its own source and read its own request
        return None


@dataclass
class Service:
    """One process: how to start it and how to know it answers."""

    name: str
    argv: list[str]
    probe: Callable[[], bool]
    urls: list[tuple[str, str]] = field(default_factory=list)
    #: Whether it answers but can't work (e.g. Rasa up without a model): stop at once.
    broken: Callable[[], bool] = lambda: False
    process: subprocess.Popen[bytes] | None = None


def write_endpoints(settings: Settings, root: Path = ROOT, run_dir: Path = RUN_DIR) -> Path:
    """``endpoints.yml`` with the action server's URL from the settings, under ``var/run``."""
    endpoints: dict[str, Any] = yaml.safe_load((root / "endpoints.yml").read_text()) or {}
    endpoints["action_endpoint"] = {"url": f"http://{settings.host}:{settings.action_port}/webhook"}
    run_dir.mkdir(parents=True, exist_ok=True)
    path = run_dir / f"endpoints-{settings.rasa_port}.yml"
    path.write_text(yaml.safe_dump(endpoints, sort_keys=False))
    return path


def action_argv(port: int) -> list[str]:
    """The action server on ``port`` (JSON logs: :mod:`bot.runner.action_server`)."""
    return [sys.executable, "-m", "bot.runner.action_server", "--port", str(port)]


def web_argv(settings: Settings, port: int, run_dir: Path = RUN_DIR) -> list[str]:
    """A web app worker on ``port``, its logs (uvicorn's access lines too) as JSON."""
    log_config = write_log_config(
        "web",
        run_dir / f"logging-web-{port}.json",
        settings.log_level.upper(),
        redact_exceptions=settings.env != "development",
    )
    return [
        sys.executable, "-m", "uvicorn", "--factory", "bot.web.app:create_app",
        "--host", settings.host, "--port", str(port), "--log-config", str(log_config),
    ]  # fmt: skip


def services(settings: Settings, model: Path, endpoints: Path, root: Path = ROOT) -> list[Service]:
    """The three processes of Calx for these settings."""
    host = settings.host
    rasa = f"http://{host}:{settings.rasa_port}"
    actions = f"http://{host}:{settings.action_port}"
    web = f"http://{host}:{settings.web_port}"
    python = sys.executable
    api_auth = {"Authorization": f"Bearer {settings.api_token}"}
    chat = [
        ("chat (REST)", f"{rasa}/webhooks/rest/webhook"),
        ("widget (socket.io)", f"{rasa}/socket.io/"),
    ]
    if settings.slack_bot_token and settings.slack_signing_secret:
        chat += [
            ("Slack events", f"{rasa}/webhooks/slack/webhook"),
            ("Slack buttons", f"{rasa}/webhooks/slack/interactive"),
        ]
    if settings.teams_app_id:
        chat += [("Teams", f"{rasa}/webhooks/botframework/webhook")]
    return [
        Service(
            "rasa",
            [python, "-m", "bot.runner.rasa_server", "--model", str(model),
             "--endpoints", str(endpoints), "--credentials", str(root / "credentials.yml"),
             "--port", str(settings.rasa_port)],
            lambda: _status(f"{rasa}/status?token={settings.rasa_token}") == 200,
            [*chat, ("Rasa HTTP API", f"{rasa}/  (token: CALX_RASA_TOKEN)")],
            # 409: the server runs but could not load the model (see its log)
            broken=lambda: _status(f"{rasa}/status?token={settings.rasa_token}") == 409,
        ),
        Service(
            "actions",
            action_argv(settings.action_port),
            lambda: _status(f"{actions}/health") == 200,
            [("action server", f"{actions}/webhook")],
        ),
        Service(
            "web",
            web_argv(settings, settings.web_port),
            lambda: _status(f"{web}/api/conversations/__none__/summary", api_auth) in (200, 404),
            [("clinician console", f"{web}/"), ("patient portal", f"{web}/portal"),
             ("JSON API", f"{web}/api/")],
        ),
    ]  # fmt: skip


class Supervisor:
    """Runs services in the foreground until a signal or until one of them exits."""

    def __init__(
        self,
        services: Sequence[Service],
        root: Path = ROOT,
        *,
        output: IO[bytes] | None = None,
        log_path: Path | None = None,
    ) -> None:
        """``output``: where the processes write (default: this terminal), ``log_path`` its name."""
        self.services = list(services)
        self.root = root
        self.output = output
        self.log_path = log_path
        self._stopping = False

    def start(self) -> None:
        """Start every service (they share this process group, so Ctrl-C reaches them)."""
        env = {**os.environ, "PYTHONPATH": str(self.root), "PYTHONUNBUFFERED": "1"}
        for service in self.services:
            service.process = subprocess.Popen(  # noqa: S603 - fixed argv, no shell
                service.argv,
                cwd=self.root,
                env=env,
                preexec_fn=_die_with_parent,
                stdout=self.output,
                stderr=self.output,
            )

    def exited(self) -> Service | None:
        """The first service whose process has exited, if any."""
        for service in self.services:
            if service.process is not None and service.process.poll() is not None:
                return service
        return None

    def wait_ready(self, timeout: float = READY_TIMEOUT_S) -> None:
        """Wait until every service answers; raise if one exits or time runs out."""
        deadline = time.monotonic() + timeout
        pending = list(self.services)
        while pending:
            if self._stopping:
                raise KeyboardInterrupt
            dead = self.exited()
            if dead is not None:
                raise RuntimeError(f"{dead.name} exited with {dead.process.returncode}")  # type: ignore[union-attr]
            pending = [s for s in pending if not s.probe()]
            for service in pending:
                if service.broken():
                    raise RuntimeError(f"{service.name} is up but not working (see its log above)")
            if pending and time.monotonic() > deadline:
                names = ", ".join(s.name for s in pending)
                raise TimeoutError(f"not answering after {timeout:.0f}s: {names}")
            if pending:
                time.sleep(0.5)

    def stop(self) -> None:
        """SIGTERM every service still running, then SIGKILL what is left after a grace time."""
        self._stopping = True
        running = [s.process for s in self.services if s.process and s.process.poll() is None]
        for process in running:
            process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_S
        for process in running:
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        self._stopping = True

    def run(self, ready_timeout: float = READY_TIMEOUT_S) -> int:
        """Start, wait until ready, print the URLs, then wait; return the exit code."""
        previous = {s: signal.signal(s, self._on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
        code = 0
        try:
            self.start()
            self.wait_ready(ready_timeout)
            self.print_urls()
            while not self._stopping:
                dead = self.exited()
                if dead is not None:
                    print(f"{dead.name} stopped unexpectedly; stopping the others", flush=True)
                    code = 1
                    break
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
        except (RuntimeError, TimeoutError) as error:
            print(f"could not start Calx: {error}", file=sys.stderr, flush=True)
            self.print_log_tail()
            code = 1
        finally:
            print("stopping Calx...", flush=True)
            self.stop()
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        return code

    def print_urls(self) -> None:
        """Say where everything is."""
        shown = [pair for service in self.services for pair in service.urls]
        if self.log_path is not None:
            shown.append(("logs (JSON lines)", str(self.log_path)))
        width = max((len(label) for label, _ in shown), default=0) + 2
        lines = ["", "Calx is running:", *(f"  {label:<{width}}{url}" for label, url in shown)]
        lines += ["Press Ctrl-C to stop.", ""]
        print("\n".join(lines), flush=True)

    def print_log_tail(self) -> None:
        """The end of the run log, where the reason a process stopped is (no patient text)."""
        if self.log_path is None or not self.log_path.is_file():
            return
        if self.output is not None:
            self.output.flush()
        with self.log_path.open("rb") as log:
            log.seek(max(0, self.log_path.stat().st_size - 64 * 1024))
            tail = log.read().decode("utf-8", "replace").splitlines()[-TAIL_LINES:]
        print(f"last lines of {self.log_path}:", *tail, sep="\n", file=sys.stderr, flush=True)
