"""Which known products a clean crawl marks removed: only those with evidence that they are gone.

A known product the crawl did not see is removed when its page answered 404 or 410, or no longer
shows that product (``page_outcomes`` rows ``gone``, by URL or by product id). One whose page
could not be read is *unverified*: it keeps its state, is counted (``crawls.unverified_count``),
and the next crawl fetches it first.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from ..normalize import canonicalize_url
from .models import PageOutcome, Product


def unseen(site: str, crawl_id: str) -> Any:
    """Known, not removed products of the shop that the crawl has not seen (a ``WHERE`` clause)."""
    return and_(Product.site == site, Product.removed_at.is_(None), Product.last_crawl_id != crawl_id)


def unseen_count(session: Session, site: str, crawl_id: str) -> int:
    return session.scalar(select(func.count()).where(unseen(site, crawl_id))) or 0


def gone_products(session: Session, site: str, crawl_id: str) -> tuple[list[tuple[str, dict[str, Any]]], int]:
    """The unseen products whose page is gone, as ``(product_id, state)`` pairs, and how many are unseen."""
    unseen_rows = session.execute(select(Product.product_id, Product.data).where(unseen(site, crawl_id))).all()
    if not unseen_rows:
        return [], 0
    gone_urls: set[str] = set()
    gone_ids: set[str] = set()
    for url, product_id in session.execute(
        select(PageOutcome.url, PageOutcome.product_id).where(
            PageOutcome.site == site, PageOutcome.crawl_id == crawl_id, PageOutcome.outcome == "gone"
        )
    ):
        gone_urls.add(url)
        if product_id:
            gone_ids.add(product_id)
    gone = [
        (pid, data)
        for pid, data in unseen_rows
        if pid in gone_ids or any(canonicalize_url(u) in gone_urls for u in _urls_of(data))
    ]
    return gone, len(unseen_rows)


def _urls_of(state: dict[str, Any]) -> list[str]:
    return [u for u in (state.get("url"), state.get("canonical_url")) if isinstance(u, str) and u]
