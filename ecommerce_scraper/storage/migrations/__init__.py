"""Alembic migrations (a package so that eggs and wheels ship them with the code)."""
