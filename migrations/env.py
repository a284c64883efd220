"""Alembic's environment for the corrections database: the app's engine and its models' metadata.

Runs inside the Flask app (Flask-Migrate), so `DATABASE_URL` picks the database as it does for
the server. Logging is configured from alembic.ini only when nothing configured it before (the
command line), never over a running server's own logging.
"""

import logging
from logging.config import fileConfig

from alembic import context
from flask import current_app

config = context.config
if config.config_file_name and not logging.getLogger().handlers:
    fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")

migrate_ext = current_app.extensions["migrate"]
engine = migrate_ext.db.engine
config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%"))
metadata = migrate_ext.db.metadata


def skip_empty_revisions(_context, _revision, directives) -> None:
    """`db migrate` writes no revision when the models did not change."""
    if getattr(config.cmd_opts, "autogenerate", False) and directives[0].upgrade_ops.is_empty():
        directives[:] = []
        logger.info("No changes in schema detected.")


def run_offline() -> None:
    """Emit the SQL instead of running it (`db upgrade --sql`)."""
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    """Run the migrations on a connection from the app's engine."""
    args = dict(migrate_ext.configure_args)
    args.setdefault("process_revision_directives", skip_empty_revisions)
    args.setdefault("render_as_batch", engine.dialect.name == "sqlite")
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=metadata, **args)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
