"""The database schema: one for SQLite and PostgreSQL (Alembic migrations mirror it).

- ``crawls``: one row per spider run and shop.
- ``products``: the current state of each product (site + product_id), with first/last seen
  and ``removed_at`` once a clean crawl no longer finds it.
- ``snapshots``: a product's full state, written only when its fingerprint changed.
- ``changes``: one row per detected change (new, price_down, ..., removed).
- ``crawl_products``: which products each crawl saw, with the fingerprint it saw (a
  *sighting*): with the snapshots this regenerates any stored crawl's product list.
- ``exports``: files written from a crawl (path, kind, rows, checksum).
- ``ai_extractions``: the AI extraction cache (one answer per model, prompt and product text).
- ``page_outcomes``: the product pages a crawl could not read, or found gone: the evidence a
  removal rests on, and what keeps an unread product's state.
- ``match_units``, ``match_members``, ``match_state``: the same product across shops, persisted
  (:mod:`ecommerce_scraper.matching.store`): each unit's identity, the current match groups, and
  what they were computed with.

Money is ``Numeric`` (``Decimal`` in Python). Full product states are JSON with prices as
decimal strings, so nothing passes through a float.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, Float, Index, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

JSONType = JSON().with_variant(JSONB(), "postgresql")
Money = Numeric(14, 4, asdecimal=True)
# SQLite has no BIGINT autoincrement; INTEGER PRIMARY KEY is its 64-bit rowid.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    pass


class Crawl(Base):
    __tablename__ = "crawls"
    __table_args__ = (UniqueConstraint("site", "crawl_id", name="uq_crawls_site_crawl"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    site: Mapped[str] = mapped_column(String(100), index=True)
    crawl_id: Mapped[str] = mapped_column(String(64))
    spider: Mapped[str] = mapped_column(String(100))
    job_id: Mapped[str | None] = mapped_column(String(100))  # Scrapyd's job id when run there
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finish_reason: Mapped[str | None] = mapped_column(String(100))
    #: running, finished, partial (clean removals not trusted), failed, cancelled, aborted
    status: Mapped[str] = mapped_column(String(20), default="running")
    status_note: Mapped[str | None] = mapped_column(Text)  # why partial/failed, in words
    items_count: Mapped[int] = mapped_column(Integer, default=0)
    errors_count: Mapped[int] = mapped_column(Integer, default=0)
    changes_count: Mapped[int] = mapped_column(Integer, default=0)
    #: known products this crawl neither saw nor found gone (their pages failed): kept as they were
    unverified_count: Mapped[int] = mapped_column(Integer, default=0)
    stats: Mapped[dict[str, Any] | None] = mapped_column(JSONType)


class Product(Base):
    __tablename__ = "products"
    # The unique key serves every lookup by shop; no other index (migration 0006): each one is
    # written again for every product of every crawl. Every crawl rewrites the row of each product
    # it sees: on PostgreSQL its page keeps room for that (an update without index entries).
    __table_args__ = (
        UniqueConstraint("site", "product_id", name="uq_products_site_product"),
        {"postgresql_with": {"fillfactor": 60}},
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    site: Mapped[str] = mapped_column(String(100))
    product_id: Mapped[str] = mapped_column(String(255))
    url: Mapped[str | None] = mapped_column(Text)
    name: Mapped[str | None] = mapped_column(Text)
    sku: Mapped[str | None] = mapped_column(String(255))
    price: Mapped[Decimal | None] = mapped_column(Money)
    regular_price: Mapped[Decimal | None] = mapped_column(Money)
    currency: Mapped[str | None] = mapped_column(String(3))
    availability: Mapped[str | None] = mapped_column(String(20))
    fingerprint: Mapped[str] = mapped_column(String(64))
    data: Mapped[dict[str, Any]] = mapped_column(JSONType)  # the full item, JSON-safe
    first_seen: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_seen: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    first_crawl_id: Mapped[str] = mapped_column(String(64))
    last_crawl_id: Mapped[str] = mapped_column(String(64))
    removed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Snapshot(Base):
    __tablename__ = "snapshots"
    __table_args__ = (Index("ix_snapshots_site_product", "site", "product_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    site: Mapped[str] = mapped_column(String(100))
    product_id: Mapped[str] = mapped_column(String(255))
    crawl_id: Mapped[str] = mapped_column(String(64))
    fingerprint: Mapped[str] = mapped_column(String(64))
    data: Mapped[dict[str, Any]] = mapped_column(JSONType)
    scraped_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Change(Base):
    __tablename__ = "changes"
    __table_args__ = (
        Index("ix_changes_site_crawl", "site", "crawl_id"),
        Index("ix_changes_site_product", "site", "product_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    site: Mapped[str] = mapped_column(String(100))
    crawl_id: Mapped[str] = mapped_column(String(64))
    product_id: Mapped[str] = mapped_column(String(255))
    #: new, removed, price_down, price_up, sale_started, sale_ended, back_in_stock,
    #: out_of_stock, renamed, variant_added, variant_removed, variant_price_changed,
    #: variant_stock_changed, shop_moved (once per crawl, product_id "*": the shop's host changed)
    change_type: Mapped[str] = mapped_column(String(40))
    field: Mapped[str | None] = mapped_column(String(100))
    variant_sku: Mapped[str | None] = mapped_column(String(255))
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)
    delta_pct: Mapped[Decimal | None] = mapped_column(Numeric(9, 2, asdecimal=True))
    url: Mapped[str | None] = mapped_column(Text)
    name: Mapped[str | None] = mapped_column(Text)
    detected_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class CrawlProduct(Base):
    """A sighting: ``crawl_id`` saw ``product_id`` with this ``fingerprint``.

    The product's state in that crawl is the snapshot with that fingerprint (snapshots are
    written only when a fingerprint changes), or the ``products`` row while it still has it.
    """

    __tablename__ = "crawl_products"
    # The primary key (site, crawl_id, product_id) serves a crawl's sightings.

    site: Mapped[str] = mapped_column(String(100), primary_key=True)
    crawl_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    product_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))


class Export(Base):
    __tablename__ = "exports"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    site: Mapped[str | None] = mapped_column(String(100), index=True)
    crawl_id: Mapped[str | None] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(40))  # full_csv, seo_csv, diff_csv, xlsx, master_xlsx, ...
    path: Mapped[str] = mapped_column(Text)
    rows: Mapped[int] = mapped_column(Integer, default=0)
    checksum: Mapped[str] = mapped_column(String(64))  # sha256 of the file
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class AIExtraction(Base):
    """One model answer, by what was asked: a product text unchanged since (same model, same
    prompt) is answered from here, so recrawling an unchanged shop costs no API call.

    ``status`` is ``ok``, or a failure that asking again would repeat (``refusal``,
    ``content_filter``, ``invalid``): transient failures (timeouts, 429, 5xx) are not stored.
    """

    __tablename__ = "ai_extractions"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 of model, prompt version, text
    model: Mapped[str] = mapped_column(String(100))
    prompt_version: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20))
    result: Mapped[dict[str, Any] | None] = mapped_column(JSONType)  # the attributes found (found_values form)
    input_tokens: Mapped[int] = mapped_column(Integer, default=0)
    output_tokens: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class PageOutcome(Base):
    """A product page of a crawl that failed (``failed``: its product keeps its state) or is gone
    (``gone``: 404/410, or no product there any more: evidence for a removal)."""

    __tablename__ = "page_outcomes"

    site: Mapped[str] = mapped_column(String(100), primary_key=True)
    crawl_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    url: Mapped[str] = mapped_column(Text, primary_key=True)
    outcome: Mapped[str] = mapped_column(String(10))
    cause: Mapped[str] = mapped_column(String(100))
    product_id: Mapped[str | None] = mapped_column(String(255))  # the known product the fetch checked


class MatchUnit(Base):
    """A unit of matching (today one per product; the matcher's key is kept opaque, as JSON) and
    its identity as the matcher computed it, so an unchanged product is never read again.

    ``stamp`` says which stored state the identity was computed from (the product's fingerprint
    and its AI attributes): a product whose stamp differs is re-read and re-matched.
    """

    __tablename__ = "match_units"
    __table_args__ = (Index("ix_match_units_site_product", "site", "product_id"),)

    unit_key: Mapped[str] = mapped_column(String(600), primary_key=True)
    site: Mapped[str] = mapped_column(String(100))
    product_id: Mapped[str] = mapped_column(String(255))
    stamp: Mapped[str] = mapped_column(String(64))
    identity: Mapped[dict[str, Any]] = mapped_column(JSONType)
    #: what the matcher compares by name within (brand, colour and, for a short line, the line; as
    #: JSON) and the valid GTIN: an incremental matching reads only units sharing them with a changed one
    name_block: Mapped[str | None] = mapped_column(String(700), index=True)
    gtin: Mapped[str | None] = mapped_column(String(14), index=True)


class MatchMember(Base):
    """A unit in a match group (a unit is in one group at most), with what put it there."""

    __tablename__ = "match_members"

    unit_key: Mapped[str] = mapped_column(String(600), primary_key=True)
    match_id: Mapped[str] = mapped_column(String(32), index=True)
    confidence: Mapped[float] = mapped_column(Float)
    reason: Mapped[str] = mapped_column(String(20))
    #: a hash of what the group is (its identity key): groups of one key get their match_id together
    group_key: Mapped[str] = mapped_column(String(40), index=True)


class MatchState(Base):
    """The one row (``id`` 1, made by the migration) saying what the stored groups were computed
    with: a result computed with another controls file, matcher or threshold is redone from scratch.

    ``generation`` grows with each write: a writer that read generation N writes only while it is
    still N (two processes matching at once never interleave their results).
    """

    __tablename__ = "match_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    computed_with: Mapped[str | None] = mapped_column(String(64))  # sha256 of all of the below
    controls_sha256: Mapped[str | None] = mapped_column(String(64))  # the controls file's content
    matcher_version: Mapped[str | None] = mapped_column(String(20))
    threshold: Mapped[float | None] = mapped_column(Float)
    generation: Mapped[int] = mapped_column(Integer, default=0)
    full_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))  # the last match from scratch
    updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
