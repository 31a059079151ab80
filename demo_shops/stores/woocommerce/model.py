"""The shop's settings and WooCommerce's formatting: WordPress slugs, price HTML and minor units, PHP-style
JSON, stock texts, post dates.
"""

from __future__ import annotations

import html
import json
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, ClassVar

from markupsafe import Markup

from ...catalog import DemoProduct, DemoVariant
from ...store import format_price

SHOP_NAME = "Atmosphere"
SHOP_TAGLINE = "Νήματα και αξεσουάρ πλεκτικής"
WC_VERSION = "9.4.2"
WP_VERSION = "6.7.1"
STOREFRONT_VERSION = "4.6.0"
YOAST_VERSION = "23.9"
PER_PAGE = 12  # Storefront's default products per listing page
COLUMNS = 3
RELATED_COUNT = 3
SITEMAP_ENTRIES = 1000  # Yoast's default entries per sitemap
API_DEFAULT_PER_PAGE = 10
API_MAX_PER_PAGE = 100
LOW_STOCK_AMOUNT = 2

#: Static pages (slug -> title, body); they are what page-sitemap.xml lists besides home and shop.
PAGES: dict[str, tuple[str, str]] = {
    "sxetika-me-emas/": ("Σχετικά με εμάς", "Το Atmosphere είναι ένα μικρό κατάστημα για όσους αγαπούν το πλέξιμο."),
    "epikoinonia/": ("Επικοινωνία", "Τηλέφωνο: 210 0000000 · Email: info@atmosphere.invalid"),
    "tropoi-apostolis-pliromis/": ("Τρόποι αποστολής & πληρωμής", "Αποστολή σε όλη την Ελλάδα με courier."),
    "politiki-aporritou/": ("Πολιτική απορρήτου", "Σεβόμαστε τα προσωπικά σας δεδομένα."),
}
#: WooCommerce's own pages: real, but noindex and kept out of sitemaps (robots.txt disallows them here).
WC_PAGES: dict[str, str] = {"cart/": "Καλάθι", "checkout/": "Ολοκλήρωση αγοράς", "my-account/": "Ο λογαριασμός μου"}
ORDERBY_OPTIONS: tuple[tuple[str, str], ...] = (
    ("menu_order", "Προεπιλεγμένη ταξινόμηση"),
    ("popularity", "Ταξινόμηση κατά δημοφιλία"),
    ("date", "Ταξινόμηση κατά νεότερο"),
    ("price", "Ταξινόμηση κατά τιμή: χαμηλή προς υψηλή"),
    ("price-desc", "Ταξινόμηση κατά τιμή: υψηλή προς χαμηλή"),
)
NO_ROUTE = "No route was found matching the URL and request method."
EPOCH = datetime(2024, 9, 2, 9, 30, tzinfo=UTC)

_GREEK_TO_LATIN = {
    "α": "a", "ά": "a", "β": "v", "γ": "g", "δ": "d", "ε": "e", "έ": "e", "ζ": "z", "η": "i", "ή": "i",
    "θ": "th", "ι": "i", "ί": "i", "ϊ": "i", "ΐ": "i", "κ": "k", "λ": "l", "μ": "m", "ν": "n", "ξ": "x",
    "ο": "o", "ό": "o", "π": "p", "ρ": "r", "σ": "s", "ς": "s", "τ": "t", "υ": "y", "ύ": "y", "ϋ": "y",
    "ΰ": "y", "φ": "f", "χ": "x", "ψ": "ps", "ω": "o", "ώ": "o",
}  # fmt: skip


def wp_slug(text: str) -> str:
    """A slug as a Greek-slugs plugin makes it: transliterated, lowercase, hyphenated."""
    latin = "".join(_GREEK_TO_LATIN.get(ch, ch) for ch in text.lower())
    return re.sub(r"[^a-z0-9]+", "-", latin).strip("-")


def minor_units(amount: Decimal | None) -> str:
    """Store API money: an integer string in cents; WooCommerce turns an empty price into "0"."""
    return str(int((amount or Decimal(0)).scaleb(2)))


_DECIMAL_TOKEN = re.compile(r'"@@decimal:(-?[0-9.]+)@@"')


def _php_float(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text if "." in text else f"{text}.0"


def php_json(value: Any) -> str:
    """JSON as PHP's ``wp_json_encode`` writes it: escaped slashes and non-ASCII, floats like ``5.0``."""
    # Decimals go through a string token so the C encoder does the work, then become bare numbers.
    text = json.dumps(value, separators=(",", ":"), default=lambda d: f"@@decimal:{_php_float(d)}@@")
    return _DECIMAL_TOKEN.sub(r"\1", text).replace("/", "\\/")


def trusted_html(text: str) -> Markup:
    """HTML this module built itself from escaped parts, so Jinja must not escape it again."""
    return Markup(text)  # noqa: S704 - every caller escapes the text it puts in


def script_json(value: Any) -> Markup:
    """JSON safe inside ``<script>``: no ``</script>`` can close the block early."""
    return trusted_html(php_json(value).replace("<", "\\u003c"))


def _amount_html(amount: Decimal) -> str:
    number = html.escape(format_price(amount, "el", symbol="")).replace("\u00a0", "&nbsp;")
    return (
        f'<span class="woocommerce-Price-amount amount"><bdi>{number}'
        '<span class="woocommerce-Price-currencySymbol">&euro;</span></bdi></span>'
    )


def _plain_price(amount: Decimal) -> str:
    return html.escape(format_price(amount, "el")).replace("\u00a0", "&nbsp;").replace("€", "&euro;")


def sale_price_html(regular: Decimal, price: Decimal) -> str:
    """``wc_format_sale_price``: the struck-through regular price, then the sale price."""
    return (
        f'<del aria-hidden="true">{_amount_html(regular)}</del> '
        f'<span class="screen-reader-text">Η αρχική τιμή ήταν: {_plain_price(regular)}.</span>'
        f'<ins aria-hidden="true">{_amount_html(price)}</ins>'
        f'<span class="screen-reader-text">Η τρέχουσα τιμή είναι: {_plain_price(price)}.</span>'
    )


def price_range_html(low: Decimal, high: Decimal) -> str:
    """``wc_format_price_range``."""
    return (
        f'<span aria-hidden="true">{_amount_html(low)} &ndash; {_amount_html(high)}</span>'
        f'<span class="screen-reader-text">Εύρος τιμών: {_plain_price(low)} έως {_plain_price(high)}</span>'
    )


def simple_price_html(price: Decimal | None, regular: Decimal | None) -> str:
    if price is None:
        return ""  # an empty price shows nothing at all, not "0"
    return sale_price_html(regular, price) if regular is not None else _amount_html(price)


def product_price_html(product: DemoProduct) -> Markup:
    """``WC_Product::get_price_html`` (simple) and ``WC_Product_Variable::get_price_html``."""
    if not product.variants:
        return trusted_html(simple_price_html(product.price, product.regular_price))
    prices = sorted(v.price for v in product.variants if v.price is not None)
    regulars = sorted((v.regular_price or v.price) for v in product.variants if v.price is not None)
    if not prices:
        return trusted_html("")
    if prices[0] != prices[-1]:
        return trusted_html(price_range_html(prices[0], prices[-1]))
    if product.on_sale and regulars[0] == regulars[-1]:
        return trusted_html(sale_price_html(regulars[-1], prices[0]))
    return trusted_html(_amount_html(prices[0]))


def short_description(product: DemoProduct) -> str:
    """The excerpt shown next to the price: the description's first sentence."""
    return product.description.split(". ")[0].rstrip(".") + "."


class Stock:
    """Stock as WooCommerce keeps it: status, managed quantity, and the texts it prints."""

    TEXTS: ClassVar[dict[str, str]] = {"out_of_stock": "Εξαντλήθηκε", "backorder": "Διαθέσιμο για παραγγελία"}
    CLASSES: ClassVar[dict[str, str]] = {
        "in_stock": "in-stock",
        "out_of_stock": "out-of-stock",
        "backorder": "available-on-backorder",
    }
    STATUS: ClassVar[dict[str, str]] = {"in_stock": "instock", "out_of_stock": "outofstock", "backorder": "onbackorder"}

    def __init__(self, availability: str | None, quantity: int | None) -> None:
        self.availability = availability or "in_stock"
        self.quantity = quantity  # None: stock not managed

    @property
    def is_in_stock(self) -> bool:
        return self.availability != "out_of_stock"

    @property
    def css_class(self) -> str:
        return self.CLASSES[self.availability]

    @property
    def status(self) -> str:
        return self.STATUS[self.availability]

    @property
    def text(self) -> str:
        if self.availability in self.TEXTS:
            return self.TEXTS[self.availability]
        if self.quantity is None:
            return ""  # unmanaged stock in stock: WooCommerce prints nothing
        if self.quantity <= LOW_STOCK_AMOUNT:
            return f"Μόνο {self.quantity} σε απόθεμα"
        return f"{self.quantity} σε απόθεμα"

    @property
    def html(self) -> str:
        return f'<p class="stock {self.css_class}">{html.escape(self.text)}</p>' if self.text else ""


def product_stock(product: DemoProduct) -> Stock:
    # Some products don't manage stock: then an in-stock product shows no stock line at all.
    managed = product.index % 4 != 3 and not product.variants
    return Stock(product.availability, product.stock_qty if managed and product.availability == "in_stock" else None)


def variant_stock(variant: DemoVariant) -> Stock:
    return Stock(variant.availability, 2 + variant.variant_id * 7 % 23 if variant.availability == "in_stock" else None)


def modified_at(product: DemoProduct, day: int) -> datetime:
    return EPOCH + timedelta(days=product.index % 97 + day, hours=product.index % 11)


def created_at(product: DemoProduct) -> datetime:
    return EPOCH + timedelta(hours=product.index * 5)


def iso_timestamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S+00:00")
