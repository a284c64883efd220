"""The corrections database: SQLAlchemy 2 through Flask-SQLAlchemy, migrations through Flask-Migrate.

`DATABASE_URL` picks the database (any SQLAlchemy URL; `postgresql://` runs on psycopg 3); without
it, SQLite in `instance/corrections.sqlite3`, in WAL mode with a busy timeout so that every
gunicorn worker can write. The schema comes from the migrations in `migrations/`: run
`flask --app webapp db upgrade`, or let a worker bring it to the latest migration on its first
use (creating it in an empty database).
"""

from __future__ import annotations

import fcntl
import os
import threading
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

from alembic.script import ScriptDirectory
from flask import Flask, current_app
from flask_migrate import Migrate, upgrade
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import CheckConstraint, DateTime, Float, Integer, LargeBinary, SmallInteger, String, event, inspect, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from recognition import PROJECT_ROOT

MIGRATIONS = PROJECT_ROOT / "migrations"
SQLITE_FILE = "corrections.sqlite3"
BUSY_TIMEOUT_S = 30  # how long a SQLite writer waits for another worker's write to finish
CONNECT_TIMEOUT_S = 5  # a PostgreSQL server that does not answer: give up, answer 503
POOL_TIMEOUT_S = 15  # every pooled connection busy this long: answer 503
SCHEMA_LOCK_KEY = 0x646967697473  # PostgreSQL advisory lock held while one process creates the schema
NOT_A_DIGIT = 10  # the label stored for "not a digit", the model's eleventh class
_schema_checked = threading.Lock()  # one request per process checks the schema; the others wait


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)
migrate = Migrate()


class Correction(db.Model):
    """One drawing a person labelled: the 28x28 the model saw, the right answer and the model's."""

    __tablename__ = "corrections"
    __table_args__ = (
        CheckConstraint("label BETWEEN 0 AND 10", name="label_range"),
        CheckConstraint("answer BETWEEN 0 AND 10", name="answer_range"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pixels: Mapped[bytes] = mapped_column(LargeBinary(784))  # uint8 28x28, row-major, 0 = no ink
    label: Mapped[int] = mapped_column(SmallInteger)  # 0-9, or 10 for "not a digit"
    answer: Mapped[int] = mapped_column(SmallInteger)  # what the model answered, 10 for "not a digit"
    confidence: Mapped[float] = mapped_column(Float)  # the model's calibrated probability of its answer
    model: Mapped[str] = mapped_column(String(120))  # model file name and content hash
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=lambda: datetime.now(timezone.utc))
    idempotency_key: Mapped[str | None] = mapped_column(String(128), unique=True, index=True)  # the client's, if sent


def database_url(app: Flask) -> str:
    """`DATABASE_URL` (config or environment) as a SQLAlchemy URL; SQLite under instance/ by default."""
    url = app.config.get("DATABASE_URL") or os.environ.get("DATABASE_URL")
    if not url:
        Path(app.instance_path).mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{Path(app.instance_path) / SQLITE_FILE}"
    parsed = make_url(url.replace("postgres://", "postgresql://", 1) if url.startswith("postgres://") else url)
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def engine_options(url: str) -> dict:
    """Connection settings: SQLite's busy timeout, PostgreSQL's connect timeout and liveness check."""
    if url.startswith("sqlite"):
        return {"connect_args": {"timeout": BUSY_TIMEOUT_S}}
    return {"pool_pre_ping": True, "pool_size": 5, "max_overflow": 10, "pool_timeout": POOL_TIMEOUT_S,
            "connect_args": {"connect_timeout": CONNECT_TIMEOUT_S}}


def sqlite_pragmas(connection, _record) -> None:
    """WAL (readers never block the writer), a busy timeout, and a full sync on every commit."""
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_S * 1000}")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.close()


def init_app(app: Flask) -> None:
    """Configure the database and migrations; connects to nothing until first use."""
    url = database_url(app)
    app.config["SQLALCHEMY_DATABASE_URI"] = url
    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", engine_options(url))
    db.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS))
    if url.startswith("sqlite"):
        with app.app_context():
            event.listen(db.engine, "connect", sqlite_pragmas)


@contextmanager
def schema_lock(engine: Engine) -> Iterator[None]:
    """One process at a time creates the schema: an advisory lock on PostgreSQL, a file lock beside SQLite."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": SCHEMA_LOCK_KEY})
            try:
                yield
            finally:
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": SCHEMA_LOCK_KEY})
                connection.commit()
    elif engine.dialect.name == "sqlite" and engine.url.database not in (None, "", ":memory:"):
        with open(f"{engine.url.database}.lock", "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            yield
    else:
        yield


def ensure_schema() -> None:
    """Bring the schema to the latest migration on first use (once per process): create it in an
    empty database, or migrate one an earlier version of this app made.

    A database with a corrections table but no migration history is left as it is.
    """
    if current_app.extensions.get("corrections_schema_ready"):
        return
    with _schema_checked:
        if current_app.extensions.get("corrections_schema_ready"):
            return
        engine = db.engine
        if behind(engine):
            with schema_lock(engine):
                if behind(engine):  # another process may have migrated it meanwhile
                    upgrade(directory=str(MIGRATIONS))
        current_app.extensions["corrections_schema_ready"] = True


def behind(engine: Engine) -> bool:
    """Whether the database lacks the schema, or has it at a migration older than the latest (or is
    being migrated by another process: the migration history is there, the latest mark not yet)."""
    tables = inspect(engine)
    if not tables.has_table("alembic_version"):
        return not tables.has_table(Correction.__tablename__)  # a table without history is left as it is
    with engine.connect() as connection:
        current = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    return current != ScriptDirectory(str(MIGRATIONS)).get_current_head()
