"""Serving the web app for tests: uvicorn on a free local port, settings, a client bundle."""

from __future__ import annotations

import secrets
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from bot.settings import Settings
from bot.store.db import Database

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@contextmanager
def serve(app: FastAPI) -> Iterator[str]:
    """Run ``app`` with uvicorn on a free local port in a thread; yield its base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join()
        sock.close()


def make_settings(database_url: str, **overrides: str) -> Settings:
    """Test settings for a database, with a random service token."""
    values = {"env": "test", "database_url": database_url, "api_token": secrets.token_urlsafe(24)}
    return Settings(**{**values, **overrides})


@dataclass
class Api:
    """A running web app: its database, token and an HTTP client that sends the token."""

    app: FastAPI
    db: Database
    token: str
    base_url: str
    client: httpx.Client

    def anonymous(self) -> httpx.Client:
        """A client without the token."""
        return httpx.Client(base_url=self.base_url)
