"""PrestaShop's settings and data model: prices tax excluded with 6 decimals, specific prices and
combinations, attribute groups, CMS pages, the URL patterns; PHP-style JSON and the ``addJsDef`` JavaScript.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from ...catalog import DemoProduct, DemoVariant
from ...store import DemoResponse, format_price

SHOP_NAME = "Knitshop"
ID_SHOP = 1
PER_PAGE = 12
PER_PAGE_CHOICES = (12, 24, 60)
FEATURED_COUNT = 8
RELATED_COUNT = 8
SITEMAP_LINKS_PER_FILE = 50_000
TAX_RATE = Decimal(24)  # Greek VAT
TAX_FACTOR = 1 + TAX_RATE / 100
CENT = Decimal("0.01")
MICRO = Decimal("0.000001")  # PrestaShop keeps prices with 6 decimals
LAST_QUANTITIES = 3
DATE_BASE = date(2024, 3, 1)

AVAILABLE_NOW = "Διαθέσιμο"
AVAILABLE_LATER = "Διαθέσιμο κατόπιν παραγγελίας"
PREORDER_LATER = "Προπαραγγελία"
NO_LONGER_IN_STOCK = "Εξαντλημένο"
IMAGE_TYPES = ("cart_default", "small_default", "medium_default", "home_default", "large_default", "thickbox_default")

# Attribute groups as a stock install creates them: 1 Size (select), 3 Color (colour picker).
_GROUPS: dict[str, tuple[int, str, str]] = {  # option name -> (id_attribute_group, group_type, public rewrite)
    "Μέγεθος": (1, "select", "megethos"),
    "Size": (1, "select", "size"),
    "Χρώμα": (3, "color", "xroma"),
    "Colour": (3, "color", "color"),
}
COLOUR_HEX = {
    "Κόκκινο": "#E84C3D",
    "Μπλε": "#5D9CEC",
    "Πράσινο": "#A0D468",
    "Λευκό": "#ffffff",
    "Μαύρο": "#434A54",
    "Γκρι": "#AAB2BD",
    "Μπεζ": "#f5f5dc",
    "Ροζ": "#FCCACD",
}
_GREEK_LATIN = dict(
    zip(
        "αβγδεζηθικλμνξοπρσςτυφχψωάέήίόύώϊϋΐΰ",
        ["a", "v", "g", "d", "e", "z", "i", "th", "i", "k", "l", "m", "n", "x", "o", "p", "r", "s", "s", "t", "y",
         "f", "ch", "ps", "o", "a", "e", "i", "i", "o", "y", "o", "i", "y", "i", "y"],
        strict=True,
    )
)  # fmt: skip


@dataclass(frozen=True)
class CmsPage:
    id_cms: int
    rewrite: str
    title: str
    text: str


CMS_PAGES: tuple[CmsPage, ...] = (
    CmsPage(1, "apostoli", "Αποστολή", "Αποστέλλουμε με ACS και ΕΛΤΑ Courier σε όλη την Ελλάδα σε 1-3 εργάσιμες."),
    CmsPage(2, "nomiki-simeiosi", "Νομική σημείωση", "Knitshop Ι.Κ.Ε., Αθήνα. ΑΦΜ 000000000, ΓΕΜΗ 000000000000."),
    CmsPage(3, "oroi-kai-proypotheseis", "Όροι και προϋποθέσεις", "Οι τιμές περιλαμβάνουν ΦΠΑ 24%."),
    CmsPage(4, "sxetika-me-emas", "Σχετικά με εμάς", "Νήματα και εργαλεία πλεκτικής από το 2009."),
    CmsPage(5, "asfalis-pliromi", "Ασφαλής πληρωμή", "Πληρωμή με κάρτα μέσω τράπεζας, PayPal ή αντικαταβολή."),
)
CMS_BY_ID = {page.id_cms: page for page in CMS_PAGES}

PRODUCT_PATH = re.compile(r"(?P<category>[a-z0-9-]+)/(?P<id>\d+)-(?P<rewrite>[^/]+)\.html")
CATEGORY_PATH = re.compile(r"(?P<id>\d+)-(?P<rewrite>[a-z0-9-]+)")
CMS_PATH = re.compile(r"content/(?P<id>\d+)-(?P<rewrite>[a-z0-9-]+)")
IMAGE_PATH = re.compile(r"(?P<id>\d+)-(?P<type>[a-z]+_default)/[a-z0-9-]+\.jpg")
SITEMAP_PATH = re.compile(rf"{ID_SHOP}_(?P<lang>[a-z]{{2}})_(?P<index>\d+)_sitemap\.xml")
# Controllers a stock 1.6 shop answers at index.php?controller=X, and their friendly path.
PAGE_CONTROLLERS = {
    "index": "",
    "order": "order",
    "order-opc": "quick-order",
    "cart": "cart",
    "authentication": "login",
    "my-account": "my-account",
    "contact": "contact-us",
    "search": "search",
    "sitemap": "sitemap",
    "prices-drop": "prices-drop",
    "new-products": "new-products",
}
# Pages behind robots.txt or of no interest to a crawler: (page_name, title, text, meta robots).
SIMPLE_PAGES = {
    "order": ("order", "Καλάθι αγορών", "Το καλάθι αγορών σας είναι άδειο.", "noindex,nofollow"),
    "quick-order": ("order-opc", "Γρήγορη παραγγελία", "Το καλάθι αγορών σας είναι άδειο.", "noindex,nofollow"),
    "cart": ("order", "Καλάθι αγορών", "Το καλάθι αγορών σας είναι άδειο.", "noindex,nofollow"),
    "login": ("authentication", "Σύνδεση", "Συνδεθείτε ή δημιουργήστε λογαριασμό.", "noindex,nofollow"),
    "my-account": ("authentication", "Σύνδεση", "Συνδεθείτε ή δημιουργήστε λογαριασμό.", "noindex,nofollow"),
    "contact-us": (
        "contact",
        "Επικοινωνία",
        "Τηλ. 210 0000000, info@knitshop.invalid, Δευτ.-Παρ. 9:00-17:00.",
        "index,follow",
    ),
}


def money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def micro(value: Decimal) -> Decimal:
    return value.quantize(MICRO, rounding=ROUND_HALF_UP)


def php_float(value: Decimal) -> str:
    """A number as PHP prints a float: no trailing zeros (``7.9``, ``24``, ``-0.403226``)."""
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "0") else text


def php_json(value: Any) -> str:
    """PHP ``json_encode``: non-ASCII as ``\\uXXXX``, ``/`` as ``\\/``, empty arrays as ``[]``."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        return php_float(value)
    if isinstance(value, str):
        return json.dumps(value).replace("/", "\\/")
    if isinstance(value, dict):
        if not value:
            return "[]"
        return "{" + ",".join(f"{php_json(str(k))}:{php_json(v)}" for k, v in value.items()) + "}"
    return "[" + ",".join(php_json(v) for v in value) + "]"


class RawJs(str):
    """A value already written as JavaScript (encoded once, printed under several names)."""


def js_literal(value: Any) -> str:
    """A value as PrestaShop's ``javascript.tpl`` prints an ``addJsDef`` variable."""
    if isinstance(value, RawJs):
        return str(value)
    if isinstance(value, str):
        escaped = value.replace("\\", "\\\\").replace("'", "\\'").replace("</", "<\\/")
        return f"'{escaped}'"
    return php_json(value)


def js_lines(defs: dict[str, Any]) -> list[str]:
    """The ``var name = value;`` lines, sorted by name as ``Media::getJsDef()`` sorts them."""
    return [f"var {name} = {js_literal(defs[name])};" for name in sorted(defs)]


def link_rewrite(text: str) -> str:
    """``Tools::str2url``: lower case, Greek transliterated, anything else a dash."""
    out: list[str] = []
    for ch in text.lower():
        ch = _GREEK_LATIN.get(ch, ch)
        if ch.isascii() and ch.isalnum():
            out.append(ch)
        elif out and out[-1] != "-":
            out.append("-")
    return "".join(out).strip("-")


def reduction_of(regular: Decimal, price: Decimal) -> tuple[str, Decimal] | None:
    """The specific price that turns ``regular`` into ``price`` (both tax included)."""
    if price >= regular:
        return None
    percent = ((regular - price) / regular).quantize(CENT, rounding=ROUND_HALF_UP)
    if money(regular * (1 - percent)) == price:
        return ("percentage", percent)
    return ("amount", regular - price)


@dataclass(frozen=True)
class PsCombination:
    """One ``product_attribute`` row: a variant as PrestaShop stores it."""

    variant: DemoVariant
    id_product_attribute: int
    impact: Decimal  # price impact, tax excluded, 6 decimals
    quantity: int
    reduction: tuple[str, Decimal] | None
    groups: tuple[tuple[int, str, int, str], ...]  # (id_attribute_group, group name, id_attribute, value)


@dataclass(frozen=True)
class PsProduct:
    """A catalog product as a PrestaShop 1.6 database would hold it."""

    product: DemoProduct
    show_price: bool
    base_excl: Decimal  # product price, tax excluded, 6 decimals
    reduction: tuple[str, Decimal] | None  # the default combination's (or the product's) specific price
    quantity: int
    allow_oosp: bool
    available_date: date | None
    combinations: tuple[PsCombination, ...]
    default: PsCombination | None

    @property
    def default_impact(self) -> Decimal:
        return self.default.impact if self.default else Decimal(0)

    def price_without_reduction(self, impact: Decimal | None = None) -> Decimal:
        """Tax included, 6 decimals (``Product::getPriceWithoutReduct``)."""
        return micro((self.base_excl + (self.default_impact if impact is None else impact)) * TAX_FACTOR)

    def price(self, combination: PsCombination | None = None) -> Decimal:
        """Tax included with the specific price applied, 6 decimals (``Product::getPrice``)."""
        combination = combination or self.default
        regular = self.price_without_reduction(combination.impact if combination else None)
        reduction = combination.reduction if combination else self.reduction
        if reduction is None:
            return regular
        kind, amount = reduction
        return micro(regular * (1 - amount)) if kind == "percentage" else micro(regular - amount)


# --- helpers -----------------------------------------------------------------------------

PIXEL = bytes.fromhex("47494638396101000100800000000000ffffff21f90401000000002c00000000010001000002024401003b")


def js_var_name(line: str) -> str:
    return line[4 : line.index(" ", 4)]


def xml_response(response: DemoResponse) -> DemoResponse:
    return DemoResponse(response.body, 200, "application/xml; charset=utf-8")


def regular_price_of(variant: DemoVariant) -> Decimal:
    regular = variant.regular_price if variant.regular_price is not None else variant.price
    assert regular is not None  # a priced product's variants are priced
    return regular


def attribute_group_of(option_name: str) -> tuple[int, str, str]:
    """(id_attribute_group, group_type, rewrite) of an option name; unknown names get their own group."""
    if option_name in _GROUPS:
        return _GROUPS[option_name]
    return (4 + int(hashlib.md5(option_name.encode()).hexdigest()[:4], 16) % 50, "select", link_rewrite(option_name))  # noqa: S324


def unique_attributes(ps: PsProduct) -> list[tuple[int, str, int, str]]:
    seen: dict[int, tuple[int, str, int, str]] = {}
    for combination in ps.combinations:
        for group in combination.groups:
            seen.setdefault(group[2], group)
    return sorted(seen.values(), key=lambda g: (g[0], g[2]))


def specific_price_row(product: DemoProduct, reduction: tuple[str, Decimal], id_product_attribute: int) -> dict:
    """A ``specific_price`` table row as MySQL returns it to PHP: every value a string."""
    kind, amount = reduction
    return {
        "id_specific_price": str(product.numeric_id * 7 + id_product_attribute),
        "id_specific_price_rule": "0",
        "id_cart": "0",
        "id_product": str(product.numeric_id),
        "id_shop": "0",
        "id_shop_group": "0",
        "id_currency": "0",
        "id_country": "0",
        "id_group": "0",
        "id_customer": "0",
        "id_product_attribute": str(id_product_attribute),
        "price": "-1.000000",
        "from_quantity": "1",
        "reduction": f"{amount:.6f}",
        "reduction_tax": "1",
        "reduction_type": kind,
        "from": "0000-00-00 00:00:00",
        "to": "0000-00-00 00:00:00",
        "score": "48",
    }


def reduction_label(reduction: tuple[str, Decimal] | None) -> str | None:
    if reduction is None:
        return None
    kind, amount = reduction
    if kind == "percentage":
        return f"-{php_float(amount * 100)}%"
    return "-" + format_price(money(amount))


def neighbours_of(products: list[DemoProduct], at: int, count: int) -> list[DemoProduct]:
    """Up to ``count`` products around position ``at`` but not it, those after it first (productscategory)."""
    return (products[at + 1 : at + 1 + count] + products[max(0, at - count) : at])[:count]
