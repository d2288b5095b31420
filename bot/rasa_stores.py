"""Rasa's SQL tracker store on ``CALX_DATABASE_URL``, for ``endpoints.yml``.

Rasa's ``SQLTrackerStore`` wants dialect, host and database as separate fields;
this subclass takes the one URL of Calx's settings instead, so conversations live in
the same database as the summaries (SQLite by default, PostgreSQL in production) and
survive a restart of every process::

    tracker_store:
      type: bot.rasa_stores.CalxSQLTrackerStore
"""

from __future__ import annotations

import logging
from typing import Any

from rasa.core.tracker_store import SQLTrackerStore

from bot.settings import get_settings
from bot.store.db import Database, configure_sqlite_engine

log = logging.getLogger(__name__)


class CalxSQLTrackerStore(SQLTrackerStore):
    """``SQLTrackerStore`` on ``CALX_DATABASE_URL`` (or the ``url`` of the endpoint)."""

    def __init__(
        self,
        domain: Any = None,
        host: str | None = None,
        event_broker: Any = None,
        **kwargs: Any,
    ) -> None:
        url = host if host and "://" in host else get_settings().database_url
        database = Database(url)
        database.create_database_if_missing()  # PostgreSQL database, or SQLite's folder
        log.info("tracker store on %r", database)
        super().__init__(
            domain=domain,
            host=url,
            event_broker=event_broker,
            **kwargs,
        )
        if database.backend == "sqlite":
            # WAL, busy timeout and BEGIN IMMEDIATE, like Calx's own engine on this file
            configure_sqlite_engine(self.engine)
            self.engine.dispose()
