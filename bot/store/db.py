"""The database handle: engine and sessions made on first use, Alembic migrations.

SQLite runs in WAL mode with a busy timeout because Rasa's tracker store, the
action server and the web app write the same file; every SQLite transaction
starts with ``BEGIN IMMEDIATE`` so that concurrent writers wait for each other
instead of failing when a read turns into a write. PostgreSQL is used as is.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ProgrammingError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
#: How long a SQLite writer waits for another one before giving up.
SQLITE_BUSY_TIMEOUT_S = 30.0
#: The database every PostgreSQL server has, used to create ours.
PG_ADMIN_DATABASE = "postgres"


class Database:
    """A database at ``url``; nothing connects until the first use.

    Example::

        db = Database("sqlite:///var/calx.db")
        db.migrate()
        with db.session() as session:
            crud.record_answers(session, "sender-1", {"raynaud": ("yes", "my fingers go white")})
    """

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        self.echo = echo
        self._engine: Engine | None = None
        self._sessionmaker: sessionmaker | None = None
        self._lock = threading.Lock()
        self._head: str | None = None

    def __repr__(self) -> str:
        return f"Database({make_url(self.url).render_as_string(hide_password=True)!r})"

    @property
    def backend(self) -> str:
        """``sqlite`` or ``postgresql`` (the SQLAlchemy backend name)."""
        return str(make_url(self.url).get_backend_name())

    @property
    def engine(self) -> Engine:
        """The SQLAlchemy engine, created on first access."""
        if self._engine is None:
            with self._lock:
                if self._engine is None:
                    self._engine = self._create_engine()
        return self._engine

    def _create_engine(self) -> Engine:
        if self.backend != "sqlite":
            return create_engine(self.url, echo=self.echo, future=True, pool_pre_ping=True)
        self._ensure_sqlite_dir()
        engine = create_engine(
            self.url,
            echo=self.echo,
            future=True,
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S, "check_same_thread": False},
        )
        configure_sqlite_engine(engine)
        return engine

    def _ensure_sqlite_dir(self) -> None:
        database = make_url(self.url).database
        if database and database != ":memory:" and not database.startswith("file:"):
            Path(database).expanduser().resolve().parent.mkdir(parents=True, exist_ok=True)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """Open a session that commits when the block succeeds and rolls back otherwise."""
        if self._sessionmaker is None:
            self._sessionmaker = sessionmaker(bind=self.engine, future=True, expire_on_commit=False)
        session = self._sessionmaker()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def ping(self) -> bool:
        """Whether the database answers a trivial query."""
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except Exception:  # any failure means "not reachable"
            return False
        return True

    def dispose(self) -> None:
        """Close pooled connections (the engine is re-created on next use)."""
        with self._lock:
            if self._engine is not None:
                self._engine.dispose()
            self._engine = None
            self._sessionmaker = None

    # -- creating the database and migrating it ------------------------------------------

    def create_database_if_missing(self) -> bool:
        """Create the PostgreSQL database (or the SQLite file's directory); True if created."""
        url = make_url(self.url)
        if self.backend == "sqlite":
            self._ensure_sqlite_dir()
            return False
        if self.backend != "postgresql" or not url.database:
            return False
        admin = create_engine(
            url.set(database=PG_ADMIN_DATABASE), isolation_level="AUTOCOMMIT", poolclass=NullPool
        )
        try:
            with admin.connect() as conn:
                exists = conn.execute(
                    text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": url.database}
                ).scalar()
                if exists:
                    return False
                quoted = admin.dialect.identifier_preparer.quote(url.database)
                try:
                    conn.execute(text(f"CREATE DATABASE {quoted}"))
                except ProgrammingError as exc:  # created by another process meanwhile
                    if "already exists" not in str(exc):
                        raise
                    return False
                return True
        finally:
            admin.dispose()

    def drop_database(self) -> None:
        """Drop the PostgreSQL database or delete the SQLite file (tests and tooling only)."""
        url = make_url(self.url)
        self.dispose()
        if self.backend == "sqlite":
            if url.database and url.database != ":memory:":
                for suffix in ("", "-wal", "-shm"):
                    Path(url.database + suffix).unlink(missing_ok=True)
            return
        admin = create_engine(
            url.set(database=PG_ADMIN_DATABASE), isolation_level="AUTOCOMMIT", poolclass=NullPool
        )
        try:
            with admin.connect() as conn:
                quoted = admin.dialect.identifier_preparer.quote(url.database)
                conn.execute(text(f"DROP DATABASE IF EXISTS {quoted} WITH (FORCE)"))
        finally:
            admin.dispose()

    def alembic_config(self) -> Config:
        """Build an Alembic configuration for this database, without any ``alembic.ini``."""
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS_DIR))
        config.set_main_option("sqlalchemy.url", self.url.replace("%", "%%"))
        config.attributes["database"] = self
        return config

    def migrate(self, revision: str = "head") -> None:
        """Create the database if missing and upgrade its schema to ``revision``."""
        self.create_database_if_missing()
        command.upgrade(self.alembic_config(), revision)

    def downgrade(self, revision: str) -> None:
        """Downgrade the schema to ``revision`` (``base`` removes every Calx table)."""
        command.downgrade(self.alembic_config(), revision)

    def current_revision(self) -> str | None:
        """Return the schema revision the database is at (``None`` before the first one)."""
        with self.engine.connect() as conn:
            rev: str | None = MigrationContext.configure(conn).get_current_revision()
            return rev

    def head_revision(self) -> str | None:
        """Return the newest revision among the migrations (``None`` if there are none)."""
        if self._head is None:
            self._head = ScriptDirectory.from_config(self.alembic_config()).get_current_head()
        return self._head

    def check(self) -> None:
        """Raise if the models and the migrated schema differ (an autogenerate diff)."""
        command.check(self.alembic_config())


def configure_sqlite_engine(engine: Engine) -> None:
    """Make a SQLite engine share the file safely: WAL, busy timeout, ``BEGIN IMMEDIATE``.

    Call it on any other engine that writes the same file (e.g. Rasa's tracker
    store) right after creating it, before it is used from several processes.
    """
    event.listen(engine, "connect", _sqlite_on_connect)
    event.listen(engine, "begin", _sqlite_on_begin)


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy's "begin" event (below) start transactions, not pysqlite.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout = {int(SQLITE_BUSY_TIMEOUT_S * 1000)}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
    finally:
        cursor.close()


def _sqlite_on_begin(connection: Any) -> None:
    connection.exec_driver_sql("BEGIN IMMEDIATE")


@lru_cache(maxsize=8)
def get_database(url: str | None = None) -> Database:
    """Return the process-wide :class:`Database` for ``url`` (default: ``CALX_DATABASE_URL``)."""
    if url is None:
        from bot.settings import get_settings

        url = get_settings().database_url
    return Database(url)
