"""Alembic environment, for the ``alembic`` CLI (``make migrate``) and for ``storage.db``.

Which database: the connection ``storage.db`` hands over (it already holds the migration
lock), else ``-x url=...``, else ``DATABASE_URL``, else the default SQLite file
(``storage.db.database_url``). A PostgreSQL schema is chosen in the URL, e.g.
``?options=-csearch_path%3Dmy_schema``: tables and ``alembic_version`` go to that schema.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from ecommerce_scraper.storage.db import connect, create_engine_for, database_url, lock_for_migration, normalize_url
from ecommerce_scraper.storage.models import Base

config = context.config
target_metadata = Base.metadata

if config.config_file_name is not None and config.get_section("loggers") is not None:
    # Only the CLI reads alembic.ini's logging setup; inside a crawl, Scrapy owns logging.
    from logging.config import fileConfig

    fileConfig(config.config_file_name, disable_existing_loggers=False)


def target_url() -> str:
    url = config.attributes.get("url") or context.get_x_argument(as_dictionary=True).get("url")
    return normalize_url(url) if url else database_url()


def run_migrations(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite can't ALTER most things: later revisions copy-and-move tables instead.
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        run_migrations(connection)  # the caller commits
        return
    engine = create_engine_for(target_url())
    try:
        with connect(engine) as connection:
            lock_for_migration(connection)
            run_migrations(connection)
            connection.commit()
    finally:
        engine.dispose()


def run_migrations_offline() -> None:
    url = target_url()
    context.configure(
        url=url,
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=url.startswith("sqlite"),
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
