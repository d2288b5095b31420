"""Alembic migrations of Calx's tables (run with ``python -m bot.store upgrade``)."""
