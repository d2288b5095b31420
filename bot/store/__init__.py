"""Storage: SQLAlchemy models, Alembic migrations and a small CRUD API.

Nothing connects at import time: :class:`Database` makes its engine on first use.
"""

from bot.store.db import Database, get_database

__all__ = ["Database", "get_database"]
