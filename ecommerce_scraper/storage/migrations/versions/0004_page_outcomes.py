"""Page outcomes (the evidence for removals) and each crawl's count of unverified products.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07

Frozen history: spell out the schema here, never import ecommerce_scraper.storage.models.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "page_outcomes",
        sa.Column("site", sa.String(100), nullable=False),
        sa.Column("crawl_id", sa.String(64), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("outcome", sa.String(10), nullable=False),
        sa.Column("cause", sa.String(100), nullable=False),
        sa.Column("product_id", sa.String(255), nullable=True),
        sa.PrimaryKeyConstraint("site", "crawl_id", "url"),
    )
    with op.batch_alter_table("crawls") as batch:
        batch.add_column(sa.Column("unverified_count", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("crawls") as batch:
        batch.drop_column("unverified_count")
    op.drop_table("page_outcomes")
