"""PrestaShop 1.6 demo store (default-bootstrap theme, friendly URLs, gsitemap): the ``knitshop`` shop.

What a browser and a crawler see on a real PrestaShop 1.6.1 shop:

* Friendly URLs: categories ``<id>-<rewrite>`` (``11-malli``, pages ``?p=N``, ``?n=`` products
  per page), products ``<category>/<id>-<rewrite>-<ean13>.html`` (1.6's default product route
  ``{category:/}{id}-{rewrite}{-:ean13}.html``: the EAN-13 part only when the product has one),
  CMS pages ``content/<id>-<rewrite>``, ``prices-drop``, ``new-products``, ``contact-us``,
  ``sitemap``, the cart ``order``. The legacy ``index.php?controller=...&id_product=N`` URLs
  301 to the friendly ones. Unknown paths get the ``pagenotfound`` page with status 404.
* No public catalog API (the webservice needs a key). The gsitemap module writes
  ``1_index_sitemap.xml`` -> ``1_el_0_sitemap.xml`` (home, products with ``<image:image>``,
  categories, CMS pages; ``<loc>`` in CDATA, CRLF line ends), which robots.txt announces.
* Product pages: ``body#product``, schema.org microdata, ``#our_price_display`` /
  ``#old_price_display`` / ``#reduction_percent_display``, ``#availability_value`` with its
  ``label-success/-warning/-danger`` class, ``#product_reference``, the ``#buy_block`` form with
  ``id_product``, attribute groups (``select[name=group_1]`` for sizes, the colour-picker list
  with a hidden ``group_3`` input for colours) and the ``addJsDef`` globals at the end of the
  body: ``combinationsFromController`` (impacts tax excluded, 6 decimals), ``productPriceTaxExcluded``,
  ``taxRate``, ``reduction_percent``, ``product_specific_price``, ``allowBuyWhenOutOfStock``...
  exactly as ``product.tpl``/``product.js`` use them.
* Prices: every amount is stored tax excluded with 6 decimals, derived from the truth
  (``round6(price_incl / 1.24)``), so ``round2((base + impact) * 1.24)`` is the truth's regular
  price and a percentage ``specific_price`` (product level: a sale discounts every combination)
  gives the sale price. The theme's quirk is kept: microdata says InStock for a product that
  can be ordered out of stock (a backorder); the availability label says what it is.
* Price on request: ``show_price=0``, ``available_for_order=0``: no price block, no add to cart,
  while the JS globals still carry ``productPrice = 0`` (as real shops do).

Deviations from a stock install, on purpose: a canonical link, OpenGraph tags and hreflang
alternates (Greek shops add an SEO module for them); ``en/`` pages mirror the Greek ones; a
product in a second category is linked from that category's listing under that category's
path (some themes build links from the current category), and that URL is served with the
canonical of the default category; other wrong category/rewrite parts 301 to the canonical URL.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from urllib.parse import urlsplit

from markupsafe import Markup

from ..catalog import CATEGORIES, Catalog, Category, DemoProduct, DemoVariant
from ..store import DemoRequest, DemoResponse, Store, format_price

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
_COLOUR_HEX = {
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
_CMS_BY_ID = {page.id_cms: page for page in CMS_PAGES}

_PRODUCT_PATH = re.compile(r"(?P<category>[a-z0-9-]+)/(?P<id>\d+)-(?P<rewrite>[^/]+)\.html")
_CATEGORY_PATH = re.compile(r"(?P<id>\d+)-(?P<rewrite>[a-z0-9-]+)")
_CMS_PATH = re.compile(r"content/(?P<id>\d+)-(?P<rewrite>[a-z0-9-]+)")
_IMAGE_PATH = re.compile(r"(?P<id>\d+)-(?P<type>[a-z]+_default)/[a-z0-9-]+\.jpg")
_SITEMAP_PATH = re.compile(rf"{ID_SHOP}_(?P<lang>[a-z]{{2}})_(?P<index>\d+)_sitemap\.xml")
# Controllers a stock 1.6 shop answers at index.php?controller=X, and their friendly path.
_PAGE_CONTROLLERS = {
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
_SIMPLE_PAGES = {
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


def _reduction(regular: Decimal, price: Decimal) -> tuple[str, Decimal] | None:
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


class PrestaShopStore(Store):
    platform = "prestashop"

    def __init__(self, catalog: Catalog) -> None:
        super().__init__(catalog)
        self.categories: dict[int, Category] = {c.id: c for c in CATEGORIES}
        self.top_categories = [c for c in CATEGORIES if c.parent is None]
        self.children: dict[int, list[Category]] = {c.id: [] for c in CATEGORIES}
        for category in CATEGORIES:
            if category.parent:
                self.children[category.parent.id].append(category)
        # Listing membership (a product sits in its categories and their parents), built once.
        self.category_products: dict[int, list[DemoProduct]] = {c.id: [] for c in CATEGORIES}
        for product in catalog.products:
            member_of = {c.id for own in product.categories for c in own.path()}
            for category_id in member_of:
                self.category_products[category_id].append(product)
        self.category_position: dict[int, dict[str, int]] = {
            category_id: {p.product_id: n for n, p in enumerate(products)}
            for category_id, products in self.category_products.items()
        }
        self.on_sale = [p for p in catalog.products if p.on_sale]
        self.newest = sorted(catalog.products, key=lambda p: -p.numeric_id)[: PER_PAGE * 2]
        self.attribute_ids = self._attribute_ids(catalog)
        self.static_token = hashlib.md5(f"{catalog.site}-{catalog.seed}".encode()).hexdigest()  # noqa: S324
        self.cookie_name = "PrestaShop-" + hashlib.md5(f"{catalog.site}cookie".encode()).hexdigest()  # noqa: S324
        self._sitemaps: dict[str, list[dict[str, Any]]] = {}
        self._ps_products: dict[str, PsProduct] = {}
        self._global_js: dict[tuple[str, str, str], list[str]] = {}
        self._chrome: dict[str, dict[str, Markup]] = {}

    # --- model ------------------------------------------------------------------------

    @staticmethod
    def _attribute_ids(catalog: Catalog) -> dict[tuple[int, str], int]:
        """``id_attribute`` of every option value, numbered group by group in a natural order."""
        values: dict[int, set[str]] = {}
        for product in catalog.products:
            for variant in product.variants:
                for name, value in variant.options.items():
                    values.setdefault(_group_of(name)[0], set()).add(value)

        def natural(value: str) -> tuple[Decimal, str]:
            number = re.search(r"\d+(?:,\d+)?", value)
            return (Decimal(number.group().replace(",", ".")) if number else Decimal(0), value)

        ids: dict[tuple[int, str], int] = {}
        for group_id in sorted(values):
            for value in sorted(values[group_id], key=natural):
                ids[(group_id, value)] = len(ids) + 1
        return ids

    def ps_product(self, product: DemoProduct) -> PsProduct:
        """Memoized: listings and carousels ask for the same products over and over."""
        cached = self._ps_products.get(product.product_id)
        if cached is None:
            cached = self._ps_products[product.product_id] = self._build_ps_product(product)
        return cached

    def _build_ps_product(self, product: DemoProduct) -> PsProduct:
        if product.price is None:  # price on request: show_price = 0, price 0
            return PsProduct(product, False, Decimal(0), None, product.stock_qty, False, None, (), None)
        default_variant = min(product.variants, key=lambda v: (v.price, v.variant_id)) if product.variants else None
        regular = _regular(default_variant) if default_variant else (product.regular_price or product.price)
        base_excl = micro(regular / TAX_FACTOR)
        combinations = tuple(self._combination(product, v, base_excl) for v in product.variants)
        default = next((c for c in combinations if c.variant is default_variant), None)
        reduction = default.reduction if default else _reduction(regular, product.price)
        orderable_out_of_stock = product.availability in ("backorder", "preorder") and not combinations
        quantity = sum(c.quantity for c in combinations) if combinations else product.stock_qty
        if orderable_out_of_stock or product.availability == "out_of_stock":
            quantity = 0
        available_date = None
        if product.availability == "preorder":
            available_date = DATE_BASE + timedelta(days=self.catalog.day + 20)
        return PsProduct(
            product, True, base_excl, reduction, quantity, orderable_out_of_stock, available_date, combinations, default
        )

    def _combination(self, product: DemoProduct, variant: DemoVariant, base_excl: Decimal) -> PsCombination:
        """The impact makes ``base + impact`` the variant's own price excl. tax, 6 decimals."""
        regular = _regular(variant)
        groups = tuple(
            (_group_of(name)[0], name, self.attribute_ids[(_group_of(name)[0], value)], value)
            for name, value in variant.options.items()
        )
        in_stock = variant.availability != "out_of_stock" and product.availability != "out_of_stock"
        return PsCombination(
            variant,
            variant.variant_id,
            micro(regular / TAX_FACTOR) - base_excl,
            2 + variant.variant_id % 9 if in_stock else 0,
            _reduction(regular, variant.price) if variant.price is not None else None,
            groups,
        )

    # --- URLs -------------------------------------------------------------------------

    def product_path(self, product: DemoProduct, category: Category | None = None) -> str:
        rewrite = product.slug + (f"-{product.gtin}" if product.gtin else "")
        return f"{(category or product.category).slug}/{product.numeric_id}-{rewrite}.html"

    @staticmethod
    def category_path(category: Category) -> str:
        return f"{category.id}-{category.slug}"

    @staticmethod
    def cms_path(page: CmsPage) -> str:
        return f"content/{page.id_cms}-{page.rewrite}"

    @staticmethod
    def image_path(product: DemoProduct, n: int, image_type: str) -> str:
        return f"{product.numeric_id * 10 + n}-{image_type}/{product.slug}.jpg"

    def robots_disallow(self) -> list[str]:
        """What PrestaShop's generated robots.txt disallows (one language: no ``el/`` prefix).

        Not ``*p=``: listing pages stay crawlable, as in the generated file.
        """
        private = ["orderby=", "orderway=", "tag=", "id_currency=", "search_query=", "back=", "n="]
        controllers = [
            "addresses", "address", "authentication", "cart", "discount", "footer", "get-file", "header",
            "history", "identity", "images.inc", "init", "my-account", "order", "order-opc", "order-slip",
            "order-detail", "order-follow", "order-return", "order-confirmation", "pagination", "password",
            "pdf-invoice", "pdf-order-return", "pdf-order-slip", "product-sort", "search", "statistics",
            "attachment", "guest-tracking",
        ]  # fmt: skip
        directories = ["classes/", "config/", "download/", "mails/", "modules/", "translations/", "tools/"]
        files = [
            "address", "addresses", "login", "cart", "discount", "order-history", "identity", "my-account",
            "order-follow", "credit-slip", "order", "search", "guest-tracking", "password-recovery", "quick-order",
        ]  # fmt: skip
        return [
            *(f"*{rule}" for rule in private),
            *(f"*controller={name}" for name in controllers),
            *(f"*{directory}" for directory in directories),
            *files,
            self.trap_path,
        ]

    def sitemap_paths(self) -> list[str]:
        return [f"{ID_SHOP}_index_sitemap.xml"]

    # --- dispatch ---------------------------------------------------------------------

    def handle(self, request: DemoRequest) -> DemoResponse:
        path, lang = request.path, "el"
        if path.startswith("en/"):
            path, lang = path[3:], "en"
        page = Page(self, request, path, lang)
        response = self._route(page)
        if response.content_type.startswith("text/html"):
            response.headers.update(self._headers(request))
        return response

    def _route(self, page: Page) -> DemoResponse:
        path = page.path
        if path in ("", "index.php"):
            return self._home(page) if path == "" else self._legacy(page)
        if path == f"{ID_SHOP}_index_sitemap.xml":
            return self._sitemap_index(page)
        if match := _SITEMAP_PATH.fullmatch(path):
            return self._sitemap(page, match.group("lang"), int(match.group("index")))
        if match := _IMAGE_PATH.fullmatch(path):
            return self._image(match.group("type"))
        if match := _PRODUCT_PATH.fullmatch(path):
            return self._product(page, int(match.group("id")), match.group("category"), match.group("rewrite"))
        if match := _CATEGORY_PATH.fullmatch(path):
            return self._category(page, int(match.group("id")), match.group("rewrite"))
        if match := _CMS_PATH.fullmatch(path):
            return self._cms(page, int(match.group("id")), match.group("rewrite"))
        if path in ("prices-drop", "new-products"):
            return self._special_listing(page, path)
        if path == "search":
            return self._search(page)
        if path == "sitemap":
            return self._html_sitemap(page)
        if path in _SIMPLE_PAGES:
            return self._simple(page, path)
        if path == self.trap_path:
            return page.render("page.html", page_name="trap", title="Trap", text="A polite crawler never gets here.")
        return self._not_found(page)

    def _headers(self, request: DemoRequest) -> dict[str, str]:
        cookie_path = urlsplit(request.store_url).path
        token = hashlib.sha1(f"{self.cookie_name}{request.path}".encode()).hexdigest()  # noqa: S324
        return {
            "Powered-By": "PrestaShop",
            "P3P": 'CP="IDC DSP COR CURa ADMa OUR IND PHY ONL COM STA"',
            "X-Powered-By": "PHP/5.6.40",
            "Set-Cookie": f"{self.cookie_name}=def502{token}; Max-Age=1728000; path={cookie_path}; HttpOnly",
        }

    def _legacy(self, page: Page) -> DemoResponse:
        """``index.php?controller=...``: 301 to the friendly URL, as canonical redirection does."""
        request = page.request
        controller = (request.arg("controller") or "index").lower()
        target: str | None = None
        if controller == "product":
            product = self.catalog.by_id.get(request.arg("id_product") or "")
            target = self.product_path(product) if product else None
        elif controller == "category":
            category = self.categories.get(request.int_arg("id_category", 0))
            target = self.category_path(category) if category else None
            if category and request.int_arg("p", 1) > 1:
                target += f"?p={request.int_arg('p', 1)}"
        elif controller == "cms":
            cms = _CMS_BY_ID.get(request.int_arg("id_cms", 0))
            target = self.cms_path(cms) if cms else None
        elif controller in _PAGE_CONTROLLERS:
            target = _PAGE_CONTROLLERS[controller]
        if target is None:
            return self._not_found(page)
        return DemoResponse.redirect(page.url(target))

    # --- pages ------------------------------------------------------------------------

    def _home(self, page: Page) -> DemoResponse:
        featured = self.catalog.products[:FEATURED_COUNT]
        return page.render(
            "home.html",
            page_name="index",
            meta_title=SHOP_NAME,
            meta_description="Νήματα, βελόνες και αξεσουάρ πλεκτικής με αποστολή σε όλη την Ελλάδα.",
            canonical=page.url(""),
            featured=[page.list_item(p) for p in featured],
        )

    def _category(self, page: Page, category_id: int, rewrite: str) -> DemoResponse:
        category = self.categories.get(category_id)
        if category is None:
            return self._not_found(page, "Η κατηγορία δεν είναι διαθέσιμη.")
        if rewrite != category.slug:
            return DemoResponse.redirect(page.url(self.category_path(category), **page.query_args("p", "n")))
        products = self.category_products[category.id]
        return self._listing(
            page,
            self.category_path(category),
            products,
            page_name="category",
            heading=category.name_el,
            category=category,
            subcategories=self.children[category.id],
            breadcrumbs=page.category_crumbs(category),
            left_column=True,
        )

    def _special_listing(self, page: Page, path: str) -> DemoResponse:
        products = self.on_sale if path == "prices-drop" else self.newest
        heading = "Προσφορές" if path == "prices-drop" else "Νέα προϊόντα"
        return self._listing(page, path, products, page_name=path, heading=heading, breadcrumbs=[(heading, None)])

    def _listing(
        self, page: Page, path: str, products: list[DemoProduct], page_name: str, heading: str, **context: Any
    ) -> DemoResponse:
        per_page = page.request.int_arg("n", PER_PAGE)
        per_page = per_page if per_page in PER_PAGE_CHOICES else PER_PAGE
        pages = max(1, -(-len(products) // per_page))
        current = page.request.int_arg("p", 1)
        if current < 1 or current > pages:  # FrontController::pagination() sends these back to page 1
            return DemoResponse.redirect(page.url(path, **page.query_args("n")), status=302)
        shown = products[(current - 1) * per_page : current * per_page]
        category = context.get("category")
        extra = {"n": per_page} if per_page != PER_PAGE else {}
        canonical = page.url(path, **({"p": current} if current > 1 else {}))
        return page.render(
            "category.html",
            page_name=page_name,
            meta_title=f"{heading}{f' (σελίδα {current})' if current > 1 else ''} - {SHOP_NAME}",
            meta_description=f"{heading}: {len(products)} προϊόντα στο {SHOP_NAME}.",
            canonical=canonical,
            heading=heading,
            total=len(products),
            first=(current - 1) * per_page + 1 if shown else 0,
            last=(current - 1) * per_page + len(shown),
            products=[page.list_item(p, category) for p in shown],
            pagination=page.pagination(path, current, pages, extra),
            **context,
        )

    def _product(self, page: Page, product_id: int, category_slug: str, rewrite: str) -> DemoResponse:
        product = self.catalog.by_id.get(str(product_id))
        if product is None:
            return self._not_found(page, "Αυτό το προϊόν δεν είναι διαθέσιμο.")
        own_slugs = {c.slug for c in product.categories}
        if category_slug not in own_slugs or rewrite not in (product.slug, f"{product.slug}-{product.gtin}"):
            return DemoResponse.redirect(page.url(self.product_path(product)))
        return page.render_product(product)

    def _cms(self, page: Page, cms_id: int, rewrite: str) -> DemoResponse:
        cms = _CMS_BY_ID.get(cms_id)
        if cms is None:
            return self._not_found(page)
        if rewrite != cms.rewrite:
            return DemoResponse.redirect(page.url(self.cms_path(cms)))
        return page.render(
            "page.html",
            page_name="cms",
            meta_title=f"{cms.title} - {SHOP_NAME}",
            canonical=page.url(self.cms_path(cms)),
            title=cms.title,
            text=cms.text,
            breadcrumbs=[(cms.title, None)],
        )

    def _simple(self, page: Page, path: str) -> DemoResponse:
        page_name, title, text, robots = _SIMPLE_PAGES[path]
        return page.render(
            "page.html",
            page_name=page_name,
            meta_title=f"{title} - {SHOP_NAME}",
            meta_robots=robots,
            canonical=page.url(path),
            title=title,
            text=text,
            breadcrumbs=[(title, None)],
        )

    def _search(self, page: Page) -> DemoResponse:
        query = (page.request.arg("search_query") or "").strip().lower()
        found = [p for p in self.catalog.products if query and query in p.name.lower()][:PER_PAGE]
        return page.render(
            "category.html",
            page_name="search",
            meta_title=f"Αναζήτηση - {SHOP_NAME}",
            meta_robots="noindex,nofollow",
            heading="Αναζήτηση",
            total=len(found),
            first=1 if found else 0,
            last=len(found),
            products=[page.list_item(p) for p in found],
            pagination=None,
            breadcrumbs=[("Αναζήτηση", None)],
        )

    def _html_sitemap(self, page: Page) -> DemoResponse:
        return page.render(
            "sitemap.html",
            page_name="sitemap",
            meta_title=f"Χάρτης ιστότοπου - {SHOP_NAME}",
            canonical=page.url("sitemap"),
            cms_pages=[(c.title, page.url(self.cms_path(c))) for c in CMS_PAGES],
            breadcrumbs=[("Χάρτης ιστότοπου", None)],
        )

    def _not_found(self, page: Page, message: str = "Η σελίδα που ζητήσατε δεν βρέθηκε.") -> DemoResponse:
        response = page.render(
            "page.html",
            page_name="pagenotfound",
            meta_title=f"404 - {SHOP_NAME}",
            meta_robots="noindex,nofollow",
            title="Η σελίδα δεν είναι διαθέσιμη",
            text=message,
        )
        response.status = 404
        return response

    @staticmethod
    def _image(image_type: str) -> DemoResponse:
        if image_type not in IMAGE_TYPES:
            return DemoResponse.not_found()
        return DemoResponse(_PIXEL, 200, "image/gif")

    # --- sitemaps (gsitemap) ----------------------------------------------------------

    def _sitemap_entries(self, store_url: str) -> list[dict[str, Any]]:
        """Built once per host name (the catalog of a store never changes)."""
        if store_url not in self._sitemaps:
            self._sitemaps[store_url] = self._build_sitemap_entries(store_url)
        return self._sitemaps[store_url]

    def _build_sitemap_entries(self, store_url: str) -> list[dict[str, Any]]:
        """Home, then products, categories and CMS pages: gsitemap's ``type_array`` order."""
        entries: list[dict[str, Any]] = [{"loc": store_url, "priority": "1.0", "lastmod": None, "image": None}]
        for product in self.catalog.products:
            entries.append(
                {
                    "loc": store_url + self.product_path(product),
                    "priority": "0.9",
                    "lastmod": self._date_upd(product.numeric_id),
                    "image": {
                        "loc": store_url + self.image_path(product, 1, "large_default"),
                        "title": product.name,
                        "caption": product.description[:350],
                    },
                }
            )
        for category in CATEGORIES:
            entries.append(
                {
                    "loc": store_url + self.category_path(category),
                    "priority": "0.8",
                    "lastmod": self._date_upd(category.id),
                    "image": None,
                }
            )
        for cms in CMS_PAGES:
            entries.append({"loc": store_url + self.cms_path(cms), "priority": "0.7", "lastmod": None, "image": None})
        return entries

    def _date_upd(self, object_id: int) -> str:
        day = DATE_BASE + timedelta(days=self.catalog.day - 1 + object_id % 17)
        return f"{day.isoformat()}T09:{object_id % 60:02d}:00+02:00"

    def _sitemap_index(self, page: Page) -> DemoResponse:
        count = max(1, -(-len(self._sitemap_entries(page.request.store_url)) // SITEMAP_LINKS_PER_FILE))
        lastmod = self._date_upd(0)
        return _xml(
            self.render(
                "prestashop/sitemap_index.xml",
                sitemaps=[page.url(f"{ID_SHOP}_el_{n}_sitemap.xml") for n in range(count)],
                lastmod=lastmod,
            )
        )

    def _sitemap(self, page: Page, lang: str, index: int) -> DemoResponse:
        entries = self._sitemap_entries(page.request.store_url)
        chunk = entries[index * SITEMAP_LINKS_PER_FILE : (index + 1) * SITEMAP_LINKS_PER_FILE]
        if lang != "el" or not chunk:
            return self._not_found(page)
        body = self.render("prestashop/sitemap.xml", entries=chunk).body
        return _xml(DemoResponse(str(body).replace("\n", "\r\n")))


class Page:
    """One request being answered: URL building and the context every template needs."""

    def __init__(self, store: PrestaShopStore, request: DemoRequest, path: str, lang: str) -> None:
        self.store = store
        self.request = request
        self.path = path
        self.lang = lang

    def url(self, path: str, **query: Any) -> str:
        return self.request.url(path, **query)

    def query_args(self, *names: str) -> dict[str, str]:
        return {name: value for name in names if (value := self.request.arg(name))}

    def render(self, template: str, **context: Any) -> DemoResponse:
        store = self.store
        canonical = context.get("canonical")
        alternates = None
        if canonical:
            relative = canonical[len(self.request.store_url) :]
            alternates = [("el", self.url(relative)), ("en", self.url("en/" + relative))]
            if self.lang == "en":
                canonical = self.url("en/" + relative)
        page_js = js_lines(context.pop("js", {}))
        js = "\n".join(sorted([*self._global_js_lines(context.get("page_name", "")), *page_js], key=_var_name))
        defaults = {
            **self._shared_context(),
            "lang_iso": self.lang,
            "meta_description": "",
            "meta_robots": "index,follow",
            "breadcrumbs": [],
            "og": None,
            "chrome": self._chrome(),
        }
        context = {**defaults, **context, "canonical": canonical, "alternates": alternates, "js_defs": js}
        return store.render(f"prestashop/{template}", **context)

    def _shared_context(self) -> dict[str, Any]:
        store = self.store
        return {
            "store_url": self.request.store_url,
            "shop_name": SHOP_NAME,
            "top_categories": store.top_categories,
            "children": store.children,
            "category_path": store.category_path,
            "cms_pages": [(c.title, self.url(store.cms_path(c))) for c in CMS_PAGES],
            "static_token": store.static_token,
            "trap_url": self.url(store.trap_path),
            "year": DATE_BASE.year,
        }

    def _chrome(self) -> dict[str, Markup]:
        """Header and footer, the same on every page: rendered once per shop URL."""
        cache = self.store._chrome
        key = self.request.store_url
        if key not in cache:
            shared = self._shared_context()
            cache[key] = {
                # Safe: autoescaped template output.
                part: Markup(self.store.render(f"prestashop/_{part}.html", **shared).body)  # noqa: S704
                for part in ("header", "footer")
            }
        return cache[key]

    def _global_js_lines(self, page_name: str) -> list[str]:
        key = (self.request.store_url, self.lang, page_name)
        cache = self.store._global_js
        if key not in cache:
            cache[key] = js_lines(self._global_js(page_name))
        return cache[key]

    def _global_js(self, page_name: str) -> dict[str, Any]:
        """The globals every 1.6 front page defines (header, blockcart, blocksearch...)."""
        store_url = self.request.store_url
        return {
            "CUSTOMIZE_TEXTFIELD": 1,
            "FancyboxI18nClose": "Κλείσιμο",
            "FancyboxI18nNext": "Επόμενο",
            "FancyboxI18nPrev": "Προηγούμενο",
            "ajax_allowed": True,
            "ajaxsearch": True,
            "baseDir": store_url,
            "baseUri": store_url,
            "blocksearch_type": "top",
            "contentOnly": False,
            "currency": {
                "id": 1,
                "name": "Ευρώ",
                "iso_code": "EUR",
                "iso_code_num": "978",
                "sign": "€",
                "blank": "1",
                "conversion_rate": "1.000000",
                "deleted": "0",
                "format": "2",
                "decimals": "1",
                "active": "1",
                "prefix": "",
                "suffix": " €",
                "id_shop_list": None,
                "force_id": False,
            },
            "currencyBlank": 1,
            "currencyFormat": 2,
            "currencyRate": 1,
            "currencySign": "€",
            "customizationIdMessage": "Προσαρμογή #",
            "delete_txt": "Διαγραφή",
            "displayList": False,
            "freeProductTranslation": "Δωρεάν!",
            "freeShippingTranslation": "Δωρεάν αποστολή!",
            "generated_date": 1709283600 + self.store.catalog.day * 86400,
            "hasDeliveryAddress": False,
            "highDPI": False,
            "id_lang": 1 if self.lang == "el" else 2,
            "img_dir": store_url + "themes/default-bootstrap/img/",
            "instantsearch": False,
            "isGuest": 0,
            "isLogged": 0,
            "isMobile": False,
            "page_name": page_name,
            "priceDisplayMethod": 0,
            "priceDisplayPrecision": 2,
            "quickView": True,
            "removingLinkText": "αφαίρεση αυτού του προϊόντος από το καλάθι μου",
            "roundMode": 2,
            "search_url": store_url + "search",
            "static_token": self.store.static_token,
            "toBeDetermined": "Προς καθορισμό",
            "token": hashlib.md5(self.store.static_token.encode()).hexdigest(),  # noqa: S324
            "usingSecureMode": False,
        }

    # --- pieces -----------------------------------------------------------------------

    def category_crumbs(self, category: Category) -> list[tuple[str, str | None]]:
        path = category.path()
        return [(c.name_el, self.url(self.store.category_path(c)) if c is not path[-1] else None) for c in path]

    def product_url(self, product: DemoProduct, listing: Category | None = None) -> str:
        """A product link; from one of its non-default categories, under that category's path."""
        own = listing if listing is not None and listing in product.categories[1:] else None
        return self.url(self.store.product_path(product, own))

    def list_item(self, product: DemoProduct, listing: Category | None = None) -> dict[str, Any]:
        """What ``product-list.tpl`` shows of a product."""
        ps = self.store.ps_product(product)
        price = money(ps.price()) if ps.show_price else None
        regular = money(ps.price_without_reduction()) if ps.show_price and ps.reduction else None
        return {
            "id": product.numeric_id,
            "name": product.name,
            "url": self.product_url(product, listing),
            "image": self.url(self.store.image_path(product, 1, "home_default")),
            "description": product.description[:120],
            "price": price,
            "regular": regular,
            "reduction": _reduction_label(ps.reduction),
            "show_price": ps.show_price,
            "available_for_order": ps.show_price,
            "quantity": ps.quantity,
            "allow_oosp": ps.allow_oosp,
            "has_combinations": bool(ps.combinations),
            "on_sale": ps.reduction is not None,
        }

    def pagination(self, path: str, current: int, pages: int, extra: dict[str, Any]) -> dict[str, Any] | None:
        """``pagination.tpl``: page 1 has no ``p``; far pages collapse into "..."."""

        def link(n: int) -> str:
            return self.url(path, **extra, **({"p": n} if n > 1 else {}))

        shown = sorted({1, pages, *range(max(1, current - 2), min(pages, current + 2) + 1)})
        items: list[dict[str, Any]] = []
        for n in shown:
            if items and n - items[-1]["n"] > 1:
                items.append({"n": n - 1, "truncate": True})
            items.append({"n": n, "url": link(n), "current": n == current, "truncate": False})
        return {
            "items": items,
            "previous": link(current - 1) if current > 1 else None,
            "next": link(current + 1) if current < pages else None,
            "pages": pages,
        }

    def render_product(self, product: DemoProduct) -> DemoResponse:
        store = self.store
        ps = store.ps_product(product)
        canonical = self.url(store.product_path(product))
        category_id = product.category.id
        at = store.category_position[category_id].get(product.product_id, 0)
        related = [self.list_item(p) for p in _neighbours(store.category_products[category_id], at, RELATED_COUNT)]
        images = [
            {
                "id": product.numeric_id * 10 + n,
                "large": self.url(store.image_path(product, n, "large_default")),
                "thickbox": self.url(store.image_path(product, n, "thickbox_default")),
                "cart": self.url(store.image_path(product, n, "cart_default")),
            }
            for n in (1, 2)
        ]
        groups = self._attribute_groups(ps)
        description_short = product.description.split(". ")[0].rstrip(".") + "."
        meta_description = description_short[:160]
        availability = self._availability(ps)
        return self.render(
            "product.html",
            page_name="product",
            meta_title=f"{product.name} - {SHOP_NAME}",
            meta_description=meta_description,
            canonical=canonical,
            og={
                "type": "product",
                "title": product.name,
                "description": meta_description,
                "image": images[0]["large"],
                "url": canonical,
            },
            breadcrumbs=[
                *[(c.name_el, self.url(store.category_path(c))) for c in product.category.path()],
                (product.name, None),
            ],
            product=product,
            ps=ps,
            price=money(ps.price()) if ps.show_price else None,
            price_content=php_float(ps.price()),
            regular=money(ps.price_without_reduction()) if ps.show_price and ps.reduction else None,
            reduction_label=_reduction_label(ps.reduction),
            availability=availability,
            description_short=description_short,
            images=images,
            groups=groups,
            related=related,
            js=self._product_js(ps, availability),
        )

    @staticmethod
    def _availability(ps: PsProduct) -> dict[str, Any]:
        """``#availability_value``: its text and label class, as ``product.tpl`` picks them."""
        if ps.quantity > 0:
            text, label = AVAILABLE_NOW, "label-success"
        elif ps.allow_oosp:
            text, label = (PREORDER_LATER if ps.available_date else AVAILABLE_LATER), "label-warning"
        else:
            text, label = NO_LONGER_IN_STOCK, "label-danger"
        return {
            "text": text,
            "label": label,
            "hidden": not ps.show_price,  # not available for order: the block is hidden
            "schema_in_stock": ps.quantity > 0 or ps.allow_oosp,
            "date": ps.available_date.strftime("%d/%m/%Y") if ps.available_date else None,
        }

    def _attribute_groups(self, ps: PsProduct) -> list[dict[str, Any]]:
        """``$groups``: one entry per attribute group, its values and the default one."""
        groups: dict[int, dict[str, Any]] = {}
        for combination in ps.combinations:
            for group_id, name, attribute_id, value in combination.groups:
                group = groups.setdefault(
                    group_id,
                    {"id": group_id, "name": name, "type": _group_of(name)[1], "values": {}, "default": None},
                )
                group["values"].setdefault(
                    attribute_id, {"id": attribute_id, "name": value, "hex": _COLOUR_HEX.get(value.split()[0])}
                )
                if combination is ps.default:
                    group["default"] = attribute_id
        return [
            {**group, "values": sorted(group["values"].values(), key=lambda v: v["id"])}
            for group in sorted(groups.values(), key=lambda g: g["id"])
        ]

    def _product_js(self, ps: PsProduct, availability: dict[str, Any]) -> dict[str, Any]:
        """The ``addJsDef`` variables of ``product.tpl`` (1.6.1)."""
        product = ps.product
        specific = _specific_price_row(product, ps.reduction, 0) if ps.reduction else None
        combinations = {str(c.id_product_attribute): self._combination_js(ps, c) for c in ps.combinations}
        kind, amount = ps.reduction or ("", Decimal(0))
        price_excl = micro(ps.base_excl)
        defs: dict[str, Any] = {
            "PS_CATALOG_MODE": False,
            "allowBuyWhenOutOfStock": ps.allow_oosp,
            "attribute_anchor_separator": "-",
            "attributesCombinations": [
                {
                    "id_attribute": str(attribute_id),
                    "id_attribute_group": str(group_id),
                    "attribute": link_rewrite(value),
                    "group": _group_of(name)[2],
                }
                for group_id, name, attribute_id, value in _unique_attributes(ps)
            ],
            "availableLaterValue": PREORDER_LATER if ps.available_date else AVAILABLE_LATER,
            "availableNowValue": AVAILABLE_NOW,
            "currentDate": f"{(DATE_BASE + timedelta(days=self.store.catalog.day - 1)).isoformat()} 10:00:00",
            "customerGroupWithoutTax": False,
            "customizationFields": False,
            "customizationId": None,
            "default_eco_tax": Decimal(0),
            "displayPrice": 0,
            "doesntExist": "Ο συνδυασμός αυτός δεν υπάρχει για αυτό το προϊόν. Παρακαλώ επιλέξτε άλλο συνδυασμό.",
            "doesntExistNoMore": NO_LONGER_IN_STOCK,
            "doesntExistNoMoreBut": "με αυτά τα χαρακτηριστικά αλλά είναι διαθέσιμο με άλλα.",
            "ecotaxTax_rate": Decimal(0),
            "fieldRequired": "Παρακαλούμε συμπληρώστε όλα τα απαιτούμενα πεδία πριν την αποθήκευση.",
            "groupReduction": False,
            "idDefaultImage": product.numeric_id * 10 + 1,
            "id_product": product.numeric_id,
            "img_prod_dir": self.request.store_url + "img/p/",
            "img_ps_dir": self.request.store_url + "img/",
            "jqZoomEnabled": False,
            "maxQuantityToAllowDisplayOfLastQuantityMessage": LAST_QUANTITIES,
            "minimalQuantity": 1,
            "noTaxForThisProduct": False,
            "oosHookJsCodeFunctions": [],
            "productAvailableForOrder": ps.show_price,
            "productBasePriceTaxExcl": micro(ps.base_excl + ps.default_impact),
            "productBasePriceTaxExcluded": micro(ps.base_excl + ps.default_impact),
            "productBasePriceTaxIncl": micro((ps.base_excl + ps.default_impact) * TAX_FACTOR),
            "productHasAttributes": bool(ps.combinations),
            "productPrice": ps.price(),
            "productPriceTaxExcluded": price_excl,
            "productPriceTaxIncluded": micro(price_excl * TAX_FACTOR),
            "productPriceWithoutReduction": ps.price_without_reduction(),
            "productReference": product.sku,
            "productShowPrice": ps.show_price,
            "productUnitPriceRatio": Decimal(0),
            "product_fileButtonHtml": "Επιλογή αρχείου",
            "product_fileDefaultHtml": "Δεν επιλέχθηκε αρχείο",
            "product_specific_price": specific or [],
            "quantitiesDisplayAllowed": False,
            "quantityAvailable": 0,
            "reduction_percent": amount * 100 if kind == "percentage" else 0,
            "reduction_price": amount if kind == "amount" else 0,
            "specific_currency": False,
            "specific_price": -1 if specific else 0,
            "stock_management": 1,
            "taxRate": TAX_RATE,
            "uploading_in_progress": "Η μεταφόρτωση είναι σε εξέλιξη, παρακαλώ περιμένετε.",
        }
        if combinations:
            encoded = RawJs(php_json(combinations))
            defs.update(
                combinations=encoded,
                combinationsFromController=encoded,
                displayDiscountPrice="0",
                upToTxt="Έως",
            )
        return defs

    @staticmethod
    def _combination_js(ps: PsProduct, combination: PsCombination) -> dict[str, Any]:
        """One entry of ``combinationsFromController`` (``ProductController::assignAttributesGroups``)."""
        shared = combination.reduction == ps.reduction  # a product-level specific price applies to all
        attribute = 0 if shared else combination.id_product_attribute
        specific = _specific_price_row(ps.product, combination.reduction, attribute) if combination.reduction else False
        return {
            "attributes_values": {str(group_id): value for group_id, _, _, value in combination.groups},
            "attributes": [attribute_id for _, _, attribute_id, _ in combination.groups],
            "price": micro(combination.impact),
            "specific_price": specific,
            "ecotax": 0,
            "weight": 0,
            "quantity": combination.quantity,
            "reference": combination.variant.sku,
            "unit_impact": 0,
            "minimal_quantity": "1",
            "date_formatted": "",
            "available_date": "",
            "id_image": -1,
            "list": ",".join(f"'{attribute_id}'" for _, _, attribute_id, _ in combination.groups),
        }


# --- helpers -----------------------------------------------------------------------------

_PIXEL = bytes.fromhex("47494638396101000100800000000000ffffff21f90401000000002c00000000010001000002024401003b")


def _var_name(line: str) -> str:
    return line[4 : line.index(" ", 4)]


def _xml(response: DemoResponse) -> DemoResponse:
    return DemoResponse(response.body, 200, "application/xml; charset=utf-8")


def _regular(variant: DemoVariant) -> Decimal:
    regular = variant.regular_price if variant.regular_price is not None else variant.price
    assert regular is not None  # a priced product's variants are priced
    return regular


def _group_of(option_name: str) -> tuple[int, str, str]:
    """(id_attribute_group, group_type, rewrite) of an option name; unknown names get their own group."""
    if option_name in _GROUPS:
        return _GROUPS[option_name]
    return (4 + int(hashlib.md5(option_name.encode()).hexdigest()[:4], 16) % 50, "select", link_rewrite(option_name))  # noqa: S324


def _unique_attributes(ps: PsProduct) -> list[tuple[int, str, int, str]]:
    seen: dict[int, tuple[int, str, int, str]] = {}
    for combination in ps.combinations:
        for group in combination.groups:
            seen.setdefault(group[2], group)
    return sorted(seen.values(), key=lambda g: (g[0], g[2]))


def _specific_price_row(product: DemoProduct, reduction: tuple[str, Decimal], id_product_attribute: int) -> dict:
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


def _reduction_label(reduction: tuple[str, Decimal] | None) -> str | None:
    if reduction is None:
        return None
    kind, amount = reduction
    if kind == "percentage":
        return f"-{php_float(amount * 100)}%"
    return "-" + format_price(money(amount))


def _neighbours(products: list[DemoProduct], at: int, count: int) -> list[DemoProduct]:
    """Up to ``count`` products around position ``at`` but not it, those after it first (productscategory)."""
    return (products[at + 1 : at + 1 + count] + products[max(0, at - count) : at])[:count]
