"""The action server: rasa_sdk's app with Calx's logs, on the settings' host.

``python -m bot.runner.action_server [--port P]`` serves ``actions/`` as
``python -m rasa_sdk --actions actions`` does, except that:

- logs are JSON lines with request ids (:mod:`bot.obs`), never a message's text;
- it listens on ``CALX_HOST`` (rasa_sdk's default is every interface);
- an action that fails answers 500 ``{"error": "<exception type>"}``: rasa_sdk's own
  handler echoes the request body (the tracker: what the person said) and logs it;
- the NLP pipeline is loaded before it listens (the first answer is not slow, and a
  balancer sends it nothing until it is ready).
"""

from __future__ import annotations

import argparse
import logging
import sys
from typing import Any

from sanic import response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.obs import logs
from bot.obs import sanic as sanic_obs
from bot.settings import get_settings

log = logging.getLogger("calx.actions")


async def _failed(request: Request, error: Exception) -> HTTPResponse:
    log.error("action request failed", exc_info=error)
    return response.json({"error": type(error).__name__}, status=500)


def create_app(action_package: str = "actions") -> Any:
    """rasa_sdk's Sanic app for ``action_package``, with request ids and access lines."""
    from rasa_sdk.endpoint import create_app as sdk_app

    app = sdk_app(action_package, cors_origins=None)
    app.error_handler.add(Exception, _failed)
    return sanic_obs.install(app)


def main(argv: list[str] | None = None) -> None:
    """Start the action server (does not return until it stops)."""
    parser = argparse.ArgumentParser(prog="python -m bot.runner.action_server")
    parser.add_argument("--actions", default="actions")
    parser.add_argument("--port", type=int)
    args = parser.parse_args(argv)
    try:
        settings = get_settings()
    except ValueError as error:
        sys.exit(str(error))
    logs.configure("actions", settings.log_level, redact_exceptions=settings.env != "development")
    from rasa_sdk.utils import number_of_sanic_workers

    port = args.port or settings.action_port
    from bot.nlp import interpret  # heavy: loaded before serving, never at import

    interpret("lesion_pain", "no")
    log.info("action server on http://%s:%s", settings.host, port)
    create_app(args.actions).run(
        settings.host, port, workers=number_of_sanic_workers(), access_log=False
    )


if __name__ == "__main__":
    main()
