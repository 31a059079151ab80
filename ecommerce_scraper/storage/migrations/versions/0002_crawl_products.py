"""Sightings: which products each crawl saw, with their fingerprints.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23

Frozen history: spell out the schema here, never import ecommerce_scraper.storage.models.
Crawls stored before this revision have no sightings: their files can't be regenerated.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "crawl_products",
        sa.Column("site", sa.String(100), nullable=False),
        sa.Column("crawl_id", sa.String(64), nullable=False),
        sa.Column("product_id", sa.String(255), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("site", "crawl_id", "product_id"),
    )
    op.create_index("ix_crawl_products_site_crawl", "crawl_products", ["site", "crawl_id"])


def downgrade() -> None:
    op.drop_table("crawl_products")
