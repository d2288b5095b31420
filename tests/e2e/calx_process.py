"""Running Calx for end-to-end tests: the same supervisor as ``make run``, on free ports.

``Calx`` starts ``python -m bot.runner`` in its own process group with a fresh SQLite
database (or the one given), waits until the Rasa server and the web app answer, and
talks to them only through the public contract (REST channel, Rasa HTTP API, web API).
``log`` is what ``make run`` shows on the terminal; ``service_log`` the processes' JSON logs
(``CALX_RUN_LOG``).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[2]
#: Generous: the first start may build the NLP pipeline and train the model.
READY_TIMEOUT_S = 900.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def group_members(pgid: int) -> list[int]:
    """Live processes (not zombies) of process group ``pgid``, from /proc."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        state, group = fields[0], int(fields[2])
        if group == pgid and state != "Z":
            members.append(int(stat.parent.name))
    return members


@dataclass
class Calx:
    """One running Calx (supervisor + Rasa + actions + web) for tests."""

    database_url: str
    log: Path
    rasa_port: int = field(default_factory=free_port)
    action_port: int = field(default_factory=free_port)
    web_port: int = field(default_factory=free_port)
    rasa_token: str = "e2e-rasa-token"
    api_token: str = "e2e-api-token"
    process: subprocess.Popen[bytes] | None = None
    #: More ``CALX_*`` settings (e.g. a channel's secrets).
    extra_env: dict[str, str] | None = None

    @property
    def service_log(self) -> Path:
        """The processes' JSON logs, beside the terminal's capture."""
        return self.log.with_name(f"{self.log.stem}.services.log")

    def logs_text(self) -> str:
        """What the terminal showed and what the processes logged."""
        return "\n".join(
            p.read_text(errors="replace") for p in (self.log, self.service_log) if p.is_file()
        )

    @property
    def rasa(self) -> str:
        return f"http://127.0.0.1:{self.rasa_port}"

    @property
    def web(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "CALX_ENV": "test",
            "CALX_DATABASE_URL": self.database_url,
            "CALX_RASA_TOKEN": self.rasa_token,
            "CALX_API_TOKEN": self.api_token,
            "CALX_RASA_PORT": str(self.rasa_port),
            "CALX_ACTION_PORT": str(self.action_port),
            "CALX_WEB_PORT": str(self.web_port),
            "CALX_RUN_LOG": str(self.service_log),
            **(self.extra_env or {}),
        }

    def start(self, timeout: float = READY_TIMEOUT_S) -> Calx:
        """Start the supervisor and wait until everything answers."""
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "bot.runner"],
                cwd=ROOT,
                env=self.env(),
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"bot.runner exited with {self.process.returncode}; see {self.log}"
                )
            if self.ready():
                return self
            time.sleep(1)
        self.kill()
        raise RuntimeError(f"not ready after {timeout:.0f}s; see {self.log}")

    def ready(self) -> bool:
        try:
            rasa = httpx.get(f"{self.rasa}/status", params={"token": self.rasa_token}, timeout=2)
            web = httpx.get(
                f"{self.web}/api/conversations/__none__/summary", headers=self.auth(), timeout=2
            )
            actions = httpx.get(f"http://127.0.0.1:{self.action_port}/health", timeout=2)
        except httpx.HTTPError:
            return False
        return rasa.status_code == 200 and web.status_code in (200, 404) and actions.is_success

    def stop(self) -> int:
        """Ctrl-C, as a person stops ``make run``; returns the supervisor's exit code."""
        assert self.process is not None
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGINT)
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                self.kill()
        return int(self.process.returncode)

    def kill(self) -> None:
        """kill -9 the supervisor and every process it started."""
        if self.process is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(30)

    def group_alive(self, wait: float = 15.0) -> bool:
        """Whether a process of the group is still running (zombies don't count) after ``wait``."""
        assert self.process is not None
        deadline = time.monotonic() + wait
        while group_members(self.process.pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        return bool(group_members(self.process.pid))

    # -- the public contract ------------------------------------------------------------------

    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_token}"}

    def say(self, sender: str, text: str, *, staff: bool = False) -> list[str]:
        """One REST turn; ``staff`` sends the service token (a clinician respondent needs it)."""
        response = httpx.post(
            f"{self.rasa}/webhooks/rest/webhook",
            json={"sender": sender, "message": text},
            headers=self.auth() if staff else {},
            timeout=60,
        )
        response.raise_for_status()
        return [m["text"] for m in response.json() if m.get("text")]

    def tracker(self, sender: str) -> dict[str, Any]:
        response = httpx.get(
            f"{self.rasa}/conversations/{sender}/tracker",
            params={"token": self.rasa_token},
            timeout=30,
        )
        response.raise_for_status()
        tracker: dict[str, Any] = response.json()
        return tracker

    def requested(self, sender: str) -> str | None:
        slot: str | None = self.tracker(sender)["slots"].get("requested_slot")
        return slot

    def summary(self, sender: str) -> dict[str, Any] | None:
        response = httpx.get(
            f"{self.web}/api/conversations/{sender}/summary", headers=self.auth(), timeout=30
        )
        if response.status_code == 404:
            return None
        response.raise_for_status()
        summary: dict[str, Any] = response.json()
        return summary
