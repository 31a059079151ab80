"""Cheaper product writes (issue 16, bulk writes): indexes that every product write paid for and
no query needs go, and PostgreSQL leaves room in the products table for each row's next version.

- ``ix_products_site``, ``ix_crawl_products_site_crawl``: the leading columns of
  ``uq_products_site_product`` and of ``crawl_products``' primary key, which serve the same lookups.
- ``ix_products_last_crawl_id``: rewritten for every product of every crawl (an unchanged product
  too: its ``last_crawl_id`` moves on), and the queries on it all name the shop first (``site``,
  then ``last_crawl_id`` equal or not to a crawl), which the shop's key index serves.
- ``ix_snapshots_crawl_id``, ``ix_changes_change_type``: every query of snapshots and changes names
  the shop and the product or the crawl first (``ix_snapshots_site_product``,
  ``ix_changes_site_crawl``, ``ix_changes_site_product``).

On PostgreSQL, ``products`` gets ``fillfactor = 60``: a crawl rewrites the row of every product
it sees (``last_seen``, ``last_crawl_id``), and with room on its page the new version stays there
without a new entry in any index (a "HOT" update), which is most of what an unchanged product
costs. Pages written from now on keep the room; those written before fill it as they are rewritten.
The table is no larger for it after a second crawl: without the room each crawl's new versions go
to new pages (10,000 products here: 20, 41, then 61 MB after three crawls, until a vacuum), with
it they take the room of the versions before (41 MB from the first crawl on).

No row is touched, and the downgrade builds the indexes again and takes the setting back.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07

Frozen history: spell out the schema here, never import ecommerce_scraper.storage.models.
"""

from __future__ import annotations

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | None = None
depends_on: str | None = None

#: (index, table, columns), as 0001 and 0002 made them.
DROPPED: tuple[tuple[str, str, list[str]], ...] = (
    ("ix_products_site", "products", ["site"]),
    ("ix_products_last_crawl_id", "products", ["last_crawl_id"]),
    ("ix_snapshots_crawl_id", "snapshots", ["crawl_id"]),
    ("ix_changes_change_type", "changes", ["change_type"]),
    ("ix_crawl_products_site_crawl", "crawl_products", ["site", "crawl_id"]),
)


#: products rows are rewritten by every crawl: room for the next version on the same page.
PRODUCTS_FILLFACTOR = 60


def upgrade() -> None:
    for name, table, _columns in DROPPED:
        op.drop_index(name, table_name=table)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"ALTER TABLE products SET (fillfactor = {PRODUCTS_FILLFACTOR})")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE products RESET (fillfactor)")
    for name, table, columns in DROPPED:
        op.create_index(name, table, columns)
