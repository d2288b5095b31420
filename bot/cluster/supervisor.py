"""The cluster's supervisor: ``make run``'s, but a replica that dies is started again.

While HAProxy routes around it, a dead Rasa server, action server, web worker or event
worker is restarted (at most once every :data:`RESTART_BACKOFF_S` seconds). HAProxy
itself dying stops everything, as does Ctrl-C or SIGTERM. ``pids`` in the run directory
lists ``name pid`` of every running process.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

from bot.runner.supervisor import ROOT, Service, Supervisor, _die_with_parent

RESTART_BACKOFF_S = 2.0
#: Services whose death stops the cluster.
ESSENTIAL = frozenset({"haproxy"})


class ClusterSupervisor(Supervisor):
    """Runs the cluster's services in the foreground and restarts the replicas that die."""

    def __init__(self, services: Sequence[Service], pids: Path, root: Path = ROOT) -> None:
        super().__init__(services, root)
        self.pids = pids
        self.restarts: dict[str, int] = {}
        self._started_at: dict[str, float] = {}
        self._ready = False

    def _spawn(self, service: Service) -> None:
        env = {**os.environ, "PYTHONPATH": str(self.root), "PYTHONUNBUFFERED": "1"}
        service.process = subprocess.Popen(  # noqa: S603 - fixed argv, no shell
            service.argv, cwd=self.root, env=env, preexec_fn=_die_with_parent
        )
        self._started_at[service.name] = time.monotonic()
        self._write_pids()

    def _write_pids(self) -> None:
        lines = [
            f"{s.name} {s.process.pid}"
            for s in self.services
            if s.process is not None and s.process.poll() is None
        ]
        self.pids.parent.mkdir(parents=True, exist_ok=True)
        self.pids.write_text("\n".join(lines) + "\n")

    def start(self) -> None:
        """Start every service."""
        for service in self.services:
            self._spawn(service)

    def exited(self) -> Service | None:
        """Before all are ready, the first service that exited; then only an essential one.

        Once every service answered, a replica that exited is started again instead.
        """
        for service in self.services:
            process = service.process
            if process is None or process.poll() is None:
                continue
            if not self._ready or service.name in ESSENTIAL:
                return service
            if time.monotonic() - self._started_at.get(service.name, 0.0) >= RESTART_BACKOFF_S:
                self.restarts[service.name] = self.restarts.get(service.name, 0) + 1
                print(
                    f"{service.name} exited with {process.returncode}; restarting it "
                    f"(restart {self.restarts[service.name]})",
                    flush=True,
                )
                self._spawn(service)
        return None

    def print_urls(self) -> None:
        """Say where everything is; from now on replicas that die are restarted."""
        self._ready = True
        super().print_urls()

    def stop(self) -> None:
        """Stop every process and forget their ids."""
        super().stop()
        self.pids.unlink(missing_ok=True)
