"""Alembic environment: runs migrations on the app's own engine (Flask-Migrate)."""

import logging
from logging.config import fileConfig

from alembic import context
from flask import current_app

config = context.config
if config.config_file_name and not current_app.config.get("TESTING"):
    fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")

db = current_app.extensions["migrate"].db
config.set_main_option("sqlalchemy.url", db.engine.url.render_as_string(hide_password=False).replace("%", "%%"))


def run_migrations_offline() -> None:
    """Write the SQL to standard output instead of running it."""
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=db.metadata,
                      literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Run the migrations on a connection of the app's engine."""

    def skip_empty_autogenerate(context_, revision, directives):  # type: ignore[no-untyped-def]
        if getattr(config.cmd_opts, "autogenerate", False) and directives[0].upgrade_ops.is_empty():
            directives[:] = []
            logger.info("No changes in schema detected.")

    options = dict(current_app.extensions["migrate"].configure_args)
    options.setdefault("process_revision_directives", skip_empty_autogenerate)
    with db.engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # Batch operations rebuild a table (copy, drop, rename): with foreign keys on, dropping the
            # old table deletes every row that refers to it (ON DELETE CASCADE). The pragma is ignored
            # inside a transaction, so it goes to the driver's connection before anything begins.
            connection.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")
        try:
            context.configure(connection=connection, target_metadata=db.metadata, **options)
            with context.begin_transaction():
                context.run_migrations()
                if sqlite and connection.exec_driver_sql("PRAGMA foreign_key_check").first() is not None:
                    raise RuntimeError(
                        "The migration left rows whose references point nowhere (PRAGMA foreign_key_check).")
        finally:
            if sqlite:
                # Alembic commits each SQLite migration itself; what is still open is the check's read.
                connection.rollback()
                connection.connection.driver_connection.execute("PRAGMA foreign_keys=ON")


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
