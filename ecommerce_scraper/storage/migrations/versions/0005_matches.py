"""The same product across shops, persisted: each unit's identity, the match groups, and what
they were computed with (one ``match_state`` row, made here).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07

Frozen history: spell out the schema here, never import ecommerce_scraper.storage.models.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | None = None
depends_on: str | None = None

JSONType = sa.JSON().with_variant(JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "match_units",
        sa.Column("unit_key", sa.String(600), nullable=False),
        sa.Column("site", sa.String(100), nullable=False),
        sa.Column("product_id", sa.String(255), nullable=False),
        sa.Column("stamp", sa.String(64), nullable=False),
        sa.Column("identity", JSONType, nullable=False),
        sa.Column("name_block", sa.String(700), nullable=True),
        sa.Column("gtin", sa.String(14), nullable=True),
        sa.PrimaryKeyConstraint("unit_key"),
    )
    op.create_index("ix_match_units_site_product", "match_units", ["site", "product_id"])
    op.create_index("ix_match_units_name_block", "match_units", ["name_block"])
    op.create_index("ix_match_units_gtin", "match_units", ["gtin"])
    op.create_table(
        "match_members",
        sa.Column("unit_key", sa.String(600), nullable=False),
        sa.Column("match_id", sa.String(32), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("reason", sa.String(20), nullable=False),
        sa.Column("group_key", sa.String(40), nullable=False),
        sa.PrimaryKeyConstraint("unit_key"),
    )
    op.create_index("ix_match_members_match_id", "match_members", ["match_id"])
    op.create_index("ix_match_members_group_key", "match_members", ["group_key"])
    state = op.create_table(
        "match_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("computed_with", sa.String(64), nullable=True),
        sa.Column("controls_sha256", sa.String(64), nullable=True),
        sa.Column("matcher_version", sa.String(20), nullable=True),
        sa.Column("threshold", sa.Float(), nullable=True),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("full_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    # Never computed: the first matching is from scratch.
    op.bulk_insert(state, [{"id": 1, "generation": 0}])


def downgrade() -> None:
    op.drop_table("match_state")
    op.drop_index("ix_match_members_group_key", table_name="match_members")
    op.drop_index("ix_match_members_match_id", table_name="match_members")
    op.drop_table("match_members")
    op.drop_index("ix_match_units_gtin", table_name="match_units")
    op.drop_index("ix_match_units_name_block", table_name="match_units")
    op.drop_index("ix_match_units_site_product", table_name="match_units")
    op.drop_table("match_units")
