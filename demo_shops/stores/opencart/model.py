"""The OpenCart shop's settings and records: information pages, manufacturers, listings, prices as the
theme prints them, SEO keywords.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from ...catalog import DemoProduct
from ...store import format_price

LISTING_LIMIT = 12
FEATURED_COUNT = 8
RELATED_COUNT = 4
TAX_RATE = Decimal("1.24")  # Greek VAT; OpenCart prints the price with tax and "Χωρίς ΦΠΑ" without
PRICE_ON_REQUEST_TEXT = "Τιμή κατόπιν επικοινωνίας"
STOCK_STATUS_TEXT = {
    "in_stock": "Άμεσα Διαθέσιμο",
    "out_of_stock": "Εξαντλημένο",
    "preorder": "Προ-παραγγελία",
    "backorder": "2-3 Ημέρες",
}
GOOGLE_SITEMAP_ROUTE = "extension/feed/google_sitemap"
LAST_MODIFIED_EPOCH = datetime(2024, 3, 1, 9, 0, 0)


@dataclass(frozen=True)
class Information:
    information_id: int
    keyword: str
    title: str
    text: str


INFORMATION_PAGES: tuple[Information, ...] = (
    Information(
        4, "about_us", "Σχετικά με εμάς", "Το ili ili είναι ένα μικρό κατάστημα νημάτων και εργαλείων πλεκτικής."
    ),
    Information(6, "delivery", "Πληροφορίες Αποστολής", "Αποστολή σε όλη την Ελλάδα σε 1-3 εργάσιμες ημέρες."),
    Information(
        3, "privacy", "Πολιτική Απορρήτου", "Τα προσωπικά σας δεδομένα χρησιμοποιούνται μόνο για την παραγγελία σας."
    ),
    Information(5, "terms", "Όροι Χρήσης", "Οι τιμές περιλαμβάνουν ΦΠΑ 24%."),
)


@dataclass(frozen=True)
class Manufacturer:
    manufacturer_id: int
    name: str
    keyword: str


@dataclass(frozen=True)
class Listing:
    """One page of products with OpenCart's pagination (``url`` holds ``{page}``)."""

    products: list[DemoProduct]
    total: int
    page: int
    url: str  # e.g. "http://host/ili_ili/nimata/malli?page={page}"

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // LISTING_LIMIT))

    def page_url(self, page: int) -> str:
        if page == 1:  # OpenCart 3.0.3 drops the page parameter for page 1
            for marker in ("&page={page}", "?page={page}"):
                if marker in self.url:
                    return self.url.replace(marker, "")
        return self.url.replace("{page}", str(page))


def oc_price(amount: Decimal | None) -> str:
    """OpenCart's Euro format on Greek shops: ``1.234,50€`` (symbol right, no space)."""
    return format_price(amount, "el").replace("\u00a0", "")


def meta_description(text: str, limit: int = 155) -> str:
    """What a shop owner types into OpenCart's meta description: the first words of the text."""
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0].rstrip(".,;:") + "..."


def seo_keyword(name: str) -> str:
    return "-".join("".join(ch if ch.isascii() and ch.isalnum() else " " for ch in name.lower()).split())
