"""Initial schema: crawls, products, snapshots, changes, exports.

Revision ID: 0001
Revises:
Create Date: 2025-11-23

Frozen history: the types are spelled out here, never imported from models.py, so that later
edits to the models cannot rewrite what this revision created.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None

JSON_TYPE = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
MONEY = sa.Numeric(14, 4, asdecimal=True)
# SQLite has no BIGINT autoincrement; INTEGER PRIMARY KEY is its 64-bit rowid.
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TIMESTAMP = sa.DateTime(timezone=True)


def _id() -> sa.Column:
    return sa.Column("id", BIG_ID, primary_key=True, autoincrement=True, nullable=False)


def upgrade() -> None:
    op.create_table(
        "crawls",
        _id(),
        sa.Column("site", sa.String(100), nullable=False),
        sa.Column("crawl_id", sa.String(64), nullable=False),
        sa.Column("spider", sa.String(100), nullable=False),
        sa.Column("job_id", sa.String(100), nullable=True),
        sa.Column("started_at", TIMESTAMP, nullable=False),
        sa.Column("finished_at", TIMESTAMP, nullable=True),
        sa.Column("finish_reason", sa.String(100), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("status_note", sa.Text(), nullable=True),
        sa.Column("items_count", sa.Integer(), nullable=False),
        sa.Column("errors_count", sa.Integer(), nullable=False),
        sa.Column("changes_count", sa.Integer(), nullable=False),
        sa.Column("stats", JSON_TYPE, nullable=True),
        sa.UniqueConstraint("site", "crawl_id", name="uq_crawls_site_crawl"),
    )
    op.create_index("ix_crawls_site", "crawls", ["site"])

    op.create_table(
        "products",
        _id(),
        sa.Column("site", sa.String(100), nullable=False),
        sa.Column("product_id", sa.String(255), nullable=False),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("sku", sa.String(255), nullable=True),
        sa.Column("price", MONEY, nullable=True),
        sa.Column("regular_price", MONEY, nullable=True),
        sa.Column("currency", sa.String(3), nullable=True),
        sa.Column("availability", sa.String(20), nullable=True),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("data", JSON_TYPE, nullable=False),
        sa.Column("first_seen", TIMESTAMP, nullable=False),
        sa.Column("last_seen", TIMESTAMP, nullable=False),
        sa.Column("first_crawl_id", sa.String(64), nullable=False),
        sa.Column("last_crawl_id", sa.String(64), nullable=False),
        sa.Column("removed_at", TIMESTAMP, nullable=True),
        sa.UniqueConstraint("site", "product_id", name="uq_products_site_product"),
    )
    op.create_index("ix_products_site", "products", ["site"])
    op.create_index("ix_products_last_crawl_id", "products", ["last_crawl_id"])

    op.create_table(
        "snapshots",
        _id(),
        sa.Column("site", sa.String(100), nullable=False),
        sa.Column("product_id", sa.String(255), nullable=False),
        sa.Column("crawl_id", sa.String(64), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("data", JSON_TYPE, nullable=False),
        sa.Column("scraped_at", TIMESTAMP, nullable=False),
    )
    op.create_index("ix_snapshots_crawl_id", "snapshots", ["crawl_id"])
    op.create_index("ix_snapshots_site_product", "snapshots", ["site", "product_id", "id"])

    op.create_table(
        "changes",
        _id(),
        sa.Column("site", sa.String(100), nullable=False),
        sa.Column("crawl_id", sa.String(64), nullable=False),
        sa.Column("product_id", sa.String(255), nullable=False),
        sa.Column("change_type", sa.String(40), nullable=False),
        sa.Column("field", sa.String(100), nullable=True),
        sa.Column("variant_sku", sa.String(255), nullable=True),
        sa.Column("old_value", sa.Text(), nullable=True),
        sa.Column("new_value", sa.Text(), nullable=True),
        sa.Column("delta_pct", sa.Numeric(9, 2, asdecimal=True), nullable=True),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("detected_at", TIMESTAMP, nullable=False),
    )
    op.create_index("ix_changes_change_type", "changes", ["change_type"])
    op.create_index("ix_changes_site_crawl", "changes", ["site", "crawl_id"])
    op.create_index("ix_changes_site_product", "changes", ["site", "product_id"])

    op.create_table(
        "exports",
        _id(),
        sa.Column("site", sa.String(100), nullable=True),
        sa.Column("crawl_id", sa.String(64), nullable=True),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("checksum", sa.String(64), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
    )
    op.create_index("ix_exports_site", "exports", ["site"])
    op.create_index("ix_exports_crawl_id", "exports", ["crawl_id"])


def downgrade() -> None:
    # Dropping a table drops its indexes and constraints with it, on both engines.
    for table in ("exports", "changes", "snapshots", "products", "crawls"):
        op.drop_table(table)
