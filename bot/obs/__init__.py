"""Observability shared by every Calx process: JSON log lines with a request id.

- :mod:`bot.obs.context`: the request id of the request being handled (a context
  variable), taken from ``X-Request-ID`` when it is well formed, else generated.
- :mod:`bot.obs.logs`: :func:`~bot.obs.logs.configure` (JSON lines on stdout:
  ``ts``, ``level``, ``logger``, ``message``, ``request_id``, ``process``, ``pid``),
  :func:`~bot.obs.logs.logging_config` (the same as a ``dictConfig`` for uvicorn's
  ``--log-config`` and Rasa's ``--logging-config-file``).
- :mod:`bot.obs.sanic` (Rasa server, action server) and :mod:`bot.obs.asgi` (web app):
  the request id on every request and response, and one access line per request
  (method, path without its query, status, duration; never a body).

No log line carries what a person typed: Calx's code never logs message text, Rasa's
structured events have their text fields redacted, and exception messages are left out
outside development (a traceback keeps its types and frames).
"""
