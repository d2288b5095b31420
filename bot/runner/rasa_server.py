"""The Rasa server, with the HTTP API token taken from the settings (not the command line).

``python -m bot.runner.rasa_server --model M --endpoints E [--port P]`` runs ``rasa run``
with the REST and socket.io channels of ``credentials.yml``, the HTTP API enabled
(``CALX_RASA_TOKEN``) and CORS for the widget's sites (``CALX_CORS_ORIGINS``; ``*`` by
default outside production, required in production).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from bot.obs.rasa import prepare as prepare_logging
from bot.runner.supervisor import RUN_DIR
from bot.settings import get_settings


def rasa_argv(
    model: str,
    endpoints: str,
    credentials: str,
    port: int,
    host: str,
    cors: Sequence[str] = ("*",),
) -> list[str]:
    """The ``rasa run`` arguments (without the token); ``cors``: the allowed origins."""
    return [
        "rasa", "run",
        "--model", model,
        "--endpoints", endpoints,
        "--credentials", credentials,
        "--interface", host,
        "--port", str(port),
        "--enable-api",
        "--cors", *cors,
    ]  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    """Start the Rasa server (does not return until it stops)."""
    parser = argparse.ArgumentParser(prog="python -m bot.runner.rasa_server")
    parser.add_argument("--model", required=True)
    parser.add_argument("--endpoints", required=True)
    parser.add_argument("--credentials", default="credentials.yml")
    parser.add_argument("--port", type=int)
    args = parser.parse_args(argv)
    try:
        settings = get_settings()  # refuses placeholder secrets in production / cluster mode
        settings.check_cors()
    except ValueError as error:
        sys.exit(str(error))
    port = args.port or settings.rasa_port
    # JSON logs with request ids, no message text, a cap on request bodies (bot.obs.rasa)
    log_argv = prepare_logging(settings, RUN_DIR, port)
    run_argv = rasa_argv(
        args.model,
        args.endpoints,
        args.credentials,
        port,
        settings.host,
        settings.cors_origin_list,
    )
    # only this process's memory sees the token; /proc/<pid>/cmdline does not
    sys.argv = [*run_argv, *log_argv, "--auth-token", settings.rasa_token]
    from rasa.__main__ import main as rasa_main

    rasa_main()


if __name__ == "__main__":
    main()
