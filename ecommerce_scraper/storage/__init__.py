"""Storage: the schema (``models``), the database plumbing (``db``) and its migrations."""

from ecommerce_scraper.storage.db import (
    DatabaseError,
    create_engine_for,
    database_url,
    downgrade,
    mask_url,
    open_database,
    session_factory,
    upgrade,
)

__all__ = [
    "DatabaseError",
    "create_engine_for",
    "database_url",
    "downgrade",
    "mask_url",
    "open_database",
    "session_factory",
    "upgrade",
]
