"""The web app: the JSON API under ``/api/`` (later the clinician console and ``/portal``).

Run it with ``uvicorn --factory bot.web.app:create_app``. Nothing connects to the
database at import time.
"""
