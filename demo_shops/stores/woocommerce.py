"""WooCommerce demo store: WordPress 6.7 + WooCommerce 9.4 + Storefront theme + Yoast SEO.

What a browser and a crawler see of such a shop:

* pretty permalinks with trailing slashes (``product/<slug>/``, ``product-category/<parent>/<child>/``,
  ``shop/page/2/``); a URL without its slash gets WordPress's 301, a leaf category alone gets
  redirected to its full path;
* Storefront markup: ``ul.products li.product`` loops with ``?add-to-cart=ID`` buttons,
  ``woocommerce-Price-amount`` price HTML with ``<del>``/``<ins>`` for sales, ``p.stock`` texts,
  ``form.variations_form`` with ``data-product_variations``, tabs, related products;
* Yoast SEO head (title, description, canonical, robots, OpenGraph, ``@graph`` JSON-LD) and
  sitemaps (``sitemap_index.xml`` -> ``product-sitemap.xml``, ``product-sitemap2.xml`` ...);
* WooCommerce's own Product JSON-LD (Offer / AggregateOffer, no offers at all without a price);
* the public Store API (``wp-json/wc/store/v1/products``) with ``X-WP-Total``/``X-WP-TotalPages``,
  prices as strings in minor units, and ``"0"`` for a product with an empty price, as WooCommerce
  really answers (its money formatter turns ``''`` into ``0``).
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import partial
from typing import Any, ClassVar
from urllib.parse import urlencode, urlsplit

from markupsafe import Markup

from ..catalog import Catalog, Category, DemoProduct, DemoVariant
from ..store import DemoRequest, DemoResponse, Store, format_price

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
_EPOCH = datetime(2024, 9, 2, 9, 30, tzinfo=UTC)

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


class _Stock:
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


def product_stock(product: DemoProduct) -> _Stock:
    # Some products don't manage stock: then an in-stock product shows no stock line at all.
    managed = product.index % 4 != 3 and not product.variants
    return _Stock(product.availability, product.stock_qty if managed and product.availability == "in_stock" else None)


def variant_stock(variant: DemoVariant) -> _Stock:
    return _Stock(variant.availability, 2 + variant.variant_id * 7 % 23 if variant.availability == "in_stock" else None)


def _modified(product: DemoProduct, day: int) -> datetime:
    return _EPOCH + timedelta(days=product.index % 97 + day, hours=product.index % 11)


def _created(product: DemoProduct) -> datetime:
    return _EPOCH + timedelta(hours=product.index * 5)


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S+00:00")


class WooCommerceStore(Store):
    platform = "woocommerce"

    def __init__(self, catalog: Catalog) -> None:
        super().__init__(catalog)
        self._category_by_path: dict[str, Category] = {}
        self._category_by_slug: dict[str, Category] = {}
        self._lists: dict[str, list[DemoProduct]] = {}  # listing key ("shop" or a category path) -> products
        self._sorted: dict[tuple[str, str], list[DemoProduct]] = {}
        self._position: dict[tuple[str, str], int] = {}  # (category path, product id) -> index in its listing
        self._counts: dict[int, int] = {}
        self._fragments: dict[tuple[str, str], Markup] = {}  # (template, store URL) -> HTML shared by all pages
        categories = {c for p in catalog.products for cat in p.categories for c in cat.path()}
        self._categories = sorted(categories, key=lambda c: c.id)
        for category in self._categories:
            key = self.category_key(category)
            self._category_by_path[key] = category
            self._category_by_slug[category.slug] = category
            members = sorted(catalog.in_category(category), key=self._menu_order)
            self._lists[key] = members
            self._counts[category.id] = len(members)
            for n, product in enumerate(members):
                self._position[(key, product.product_id)] = n
        self._lists["shop"] = sorted(catalog.products, key=self._menu_order)
        self._newest_first = sorted(catalog.products, key=lambda p: p.numeric_id, reverse=True)
        self._on_sale = [p for p in self._lists["shop"] if p.on_sale][:4]

    # --- Store interface ---------------------------------------------------------------

    def product_path(self, product: DemoProduct) -> str:
        return f"product/{product.slug}/"

    def robots_disallow(self) -> list[str]:
        return ["wp-admin/", *WC_PAGES, "*?add-to-cart=*", self.trap_path]

    def sitemap_paths(self) -> list[str]:
        return ["sitemap_index.xml"]

    def handle(self, request: DemoRequest) -> DemoResponse:
        path = request.path
        if path == "wp-json" or path.startswith("wp-json/"):
            return self._rest(request, path[len("wp-json") :])
        if path == "" and request.arg("rest_route"):
            return self._rest(request, request.arg("rest_route") or "/")
        view = self._route(path)
        if view is None and self._wants_slash(path):  # WordPress's redirect_canonical adds the slash
            return self._redirect(request, path + "/")
        if view is None:
            return self._not_found(request)
        return view(request)

    # --- routing -----------------------------------------------------------------------

    def _route(self, path: str) -> Callable[[DemoRequest], DemoResponse] | None:
        if path == "":
            return self._home
        if path.startswith("product/"):
            slug = path[len("product/") :].rstrip("/")
            product = self.catalog.by_slug.get(slug)
            return partial(self._product, product=product) if product and path.endswith("/") else None
        if path == "shop/" or path.startswith("shop/page/"):
            page = self._page_number(path, "shop/")
            return partial(self._archive, category=None, page=page, base="shop/") if page else None
        if path.startswith("product-category/"):
            return self._category_route(path[len("product-category/") :])
        if path.startswith("page/") and path.endswith("/"):
            page = self._page_number(path, "")
            return partial(self._search, page=page) if page else None
        if path.endswith(".xml") or path.endswith(".xsl"):
            return self._sitemap_route(path)
        if path in PAGES:
            return partial(self._static_page, slug=path)
        if path in WC_PAGES:
            return partial(self._wc_page, slug=path)
        if path.rstrip("/") == self.trap_path:
            return self._trap
        if path.startswith("wp-admin"):
            return lambda request: self._redirect(request, "wp-login.php", status=302)
        if path == "wp-login.php":
            return self._login
        return None

    def _wants_slash(self, path: str) -> bool:
        is_file = "." in path.rsplit("/", 1)[-1]
        return bool(path) and not path.endswith("/") and not is_file and self._route(path + "/") is not None

    @staticmethod
    def _page_number(path: str, base: str) -> int | None:
        rest = path[len(base) :]
        if rest == "":
            return 1
        match = re.fullmatch(r"page/(\d+)/", rest)
        return int(match.group(1)) if match and int(match.group(1)) >= 1 else None

    def _category_route(self, rest: str) -> Callable[[DemoRequest], DemoResponse] | None:
        if not rest.endswith("/"):
            return None
        page = 1
        match = re.fullmatch(r"(.+?)/page/(\d+)/", rest)
        if match:
            rest, page = match.group(1) + "/", int(match.group(2))
        key = rest.rstrip("/")
        category = self._category_by_path.get(key)
        if category is not None and page >= 1:
            return partial(self._archive, category=category, page=page, base=f"product-category/{key}/")
        leaf = self._category_by_slug.get(key.rsplit("/", 1)[-1])
        if leaf is not None and "/" not in key:  # WordPress finds a child term by its slug alone
            target = f"product-category/{self.category_key(leaf)}/"
            return lambda request: self._redirect(request, target)
        return None

    def _sitemap_route(self, path: str) -> Callable[[DemoRequest], DemoResponse] | None:
        if path == "sitemap_index.xml":
            return self._sitemap_index
        if path == "sitemap.xml":
            return lambda request: self._redirect(request, "sitemap_index.xml")
        if path == "main-sitemap.xsl":
            return lambda request: DemoResponse(_XSL, 200, "text/xsl; charset=utf-8")
        if path == "product_cat-sitemap.xml":
            return self._category_sitemap
        if path == "page-sitemap.xml":
            return self._page_sitemap
        match = re.fullmatch(r"product-sitemap(\d*)\.xml", path)
        if match and match.group(1) != "1":
            number = int(match.group(1) or 1)
            if number <= self._product_sitemap_count():
                return partial(self._product_sitemap, number=number)
        return None

    # --- helpers -----------------------------------------------------------------------

    @staticmethod
    def category_key(category: Category) -> str:
        return "/".join(c.slug for c in category.path())

    @staticmethod
    def _menu_order(product: DemoProduct) -> tuple[str, int]:
        # WooCommerce's default sorting: menu_order (all 0 here), then title.
        return (product.name.casefold(), product.numeric_id)

    def _redirect(self, request: DemoRequest, path: str, status: int = 301) -> DemoResponse:
        query = urlencode(request.query, doseq=True)
        target = request.store_url + path + (f"?{query}" if query and "?" not in path else "")
        response = DemoResponse.redirect(target, status)
        response.headers["X-Redirect-By"] = "WordPress"
        return response

    def _root_path(self, request: DemoRequest) -> str:
        return urlsplit(request.store_url).path

    def _headers(self, request: DemoRequest, shortlink_id: int | None = None) -> dict[str, str]:
        links = [f'<{request.store_url}wp-json/>; rel="https://api.w.org/"']
        if shortlink_id is not None:
            links.append(f"<{request.store_url}?p={shortlink_id}>; rel=shortlink")
        return {"Link": ", ".join(links), "X-Powered-By": "PHP/8.2.26", "Vary": "Accept-Encoding"}

    def _menu(self, request: DemoRequest) -> list[dict[str, Any]]:
        top = [c for c in self._categories if c.parent is None]
        return [
            {
                "name": c.name_el,
                "url": self._category_url(request, c),
                "id": c.id,
                "children": [
                    {"name": s.name_el, "url": self._category_url(request, s), "id": s.id}
                    for s in self._categories
                    if s.parent == c
                ],
            }
            for c in top
        ]

    def _category_url(self, request: DemoRequest, category: Category) -> str:
        return f"{request.store_url}product-category/{self.category_key(category)}/"

    def _product_url(self, request: DemoRequest, product: DemoProduct) -> str:
        return request.store_url + self.product_path(product)

    def _image(self, request: DemoRequest, path: str, size: str = "") -> str:
        stem, _, ext = path.rpartition(".")
        return request.store_url + (f"{stem}-{size}.{ext}" if size else path)

    def _loop_item(self, request: DemoRequest, product: DemoProduct, n: int, utm: str = "") -> dict[str, Any]:
        """One ``li.product`` of a Storefront loop, with its add-to-cart button."""
        stock = product_stock(product)
        purchasable = product.price is not None
        kind = "variable" if product.variants else "simple"
        url = self._product_url(request, product)
        if kind == "variable":
            button = {
                "href": url,
                "classes": "button wp-element-button product_type_variable add_to_cart_button",
                "text": "Επιλογή επιλογών",
                "label": f"Επιλέξτε επιλογές για “{product.name}”",
            }
        elif purchasable and stock.is_in_stock:
            # add_query_arg() on the current request URI: the listing itself plus ?add-to-cart=ID
            button = {
                "href": f"{self._root_path(request)}{request.path}?add-to-cart={product.numeric_id}",
                "classes": "button wp-element-button product_type_simple add_to_cart_button ajax_add_to_cart",
                "text": "Προσθήκη στο καλάθι",
                "label": f"Προσθήκη στο καλάθι: “{product.name}”",
            }
        else:
            button = {
                "href": url,
                "classes": "button wp-element-button product_type_simple",
                "text": "Διαβάστε περισσότερα",
                "label": f"Διαβάστε περισσότερα για “{product.name}”",
            }
        position = " first" if n % COLUMNS == 0 else " last" if n % COLUMNS == COLUMNS - 1 else ""
        return {
            "id": product.numeric_id,
            "sku": product.sku,
            "name": product.name,
            "url": url + utm,
            "thumb": self._image(request, product.images[0], "324x324"),
            "price_html": product_price_html(product),
            "on_sale": product.on_sale,
            "classes": f"{self._post_classes(product, stock)}{position}",
            "button": button,
        }

    def _post_classes(self, product: DemoProduct, stock: _Stock) -> str:
        kind = "variable" if product.variants else "simple"
        cats = " ".join(f"product_cat-{c.slug}" for c in product.categories)
        sale = " sale" if product.on_sale else ""
        purchasable = " purchasable" if product.price is not None else ""
        return (
            f"product type-product post-{product.numeric_id} status-publish {stock.status} {cats} "
            f"has-post-thumbnail{sale} shipping-taxable{purchasable} product-type-{kind}"
        )

    def _page(self, request: DemoRequest, template: str, status: int = 200, **context: Any) -> DemoResponse:
        context.setdefault("canonical", request.url(request.path))
        context.setdefault("robots", "index, follow, max-image-preview:large, max-snippet:-1, max-video-preview:-1")
        context.setdefault("hreflang", self._hreflang(context["canonical"]))
        context.setdefault("notice", self._cart_notice(request))
        response = self.render(
            template,
            store_url=request.store_url,
            shop_name=SHOP_NAME,
            tagline=SHOP_TAGLINE,
            wc_version=WC_VERSION,
            wp_version=WP_VERSION,
            storefront_version=STOREFRONT_VERSION,
            yoast_version=YOAST_VERSION,
            menu_html=self._fragment(request, "woocommerce/_menu.html", menu=self._menu),
            root_path=self._root_path(request),
            **context,
        )
        response.status = status
        response.headers.update(self._headers(request, context.get("shortlink_id")))
        return response

    def _fragment(self, request: DemoRequest, template: str, **builders: Callable[[DemoRequest], Any]) -> Markup:
        """A piece of HTML every page of the store repeats (menu, widgets), rendered once per store URL."""
        key = (template, request.store_url)
        cached = self._fragments.get(key)
        if cached is None:
            if len(self._fragments) > 64:  # store URLs come from Host headers: keep the cache bounded
                self._fragments.clear()
            context = {name: build(request) for name, build in builders.items()}
            body = self.render(template, store_url=request.store_url, **context).body
            cached = self._fragments[key] = trusted_html(body if isinstance(body, str) else body.decode())
        return cached

    @staticmethod
    def _hreflang(url: str) -> list[tuple[str, str]]:
        # WPML with the language as a parameter: ?lang=en serves the English version.
        return [("el", url), ("en", f"{url}?lang=en"), ("x-default", url)]

    def _cart_notice(self, request: DemoRequest) -> str:
        added = request.arg("add-to-cart")
        product = self.catalog.by_id.get(added or "")
        return f"Το «{product.name}» προστέθηκε στο καλάθι σας." if product else ""

    def _website_graph(self, request: DemoRequest) -> list[dict[str, Any]]:
        home = request.store_url
        return [
            {
                "@type": "WebSite",
                "@id": f"{home}#website",
                "url": home,
                "name": SHOP_NAME,
                "description": SHOP_TAGLINE,
                "publisher": {"@id": f"{home}#organization"},
                "potentialAction": [
                    {
                        "@type": "SearchAction",
                        "target": {"@type": "EntryPoint", "urlTemplate": f"{home}?s={{search_term_string}}"},
                        "query-input": {
                            "@type": "PropertyValueSpecification",
                            "valueRequired": True,
                            "valueName": "search_term_string",
                        },
                    }
                ],
                "inLanguage": "el",
            },
            {
                "@type": "Organization",
                "@id": f"{home}#organization",
                "name": SHOP_NAME,
                "url": home,
                "logo": {"@type": "ImageObject", "@id": f"{home}#/schema/logo/image/", "url": f"{home}media/logo.png"},
                "sameAs": [
                    "https://www.facebook.com/atmosphere.knitting",
                    "https://www.instagram.com/atmosphere.knitting",
                ],
            },
        ]

    def _yoast(
        self, request: DemoRequest, url: str, name: str, kind: Any, crumbs: list[tuple[str, str | None]]
    ) -> Markup:
        page = {
            "@type": kind,
            "@id": url,
            "url": url,
            "name": name,
            "isPartOf": {"@id": f"{request.store_url}#website"},
            "breadcrumb": {"@id": f"{url}#breadcrumb"},
            "inLanguage": "el",
            "potentialAction": [{"@type": "ReadAction", "target": [url]}],
        }
        items = []
        for n, (label, link) in enumerate(crumbs, start=1):
            item: dict[str, Any] = {"@type": "ListItem", "position": n, "name": label}
            if link:
                item["item"] = link
            items.append(item)
        breadcrumb = {"@type": "BreadcrumbList", "@id": f"{url}#breadcrumb", "itemListElement": items}
        graph = {"@context": "https://schema.org", "@graph": [page, breadcrumb, *self._website_graph(request)]}
        return script_json(graph)

    # --- HTML pages --------------------------------------------------------------------

    def _home(self, request: DemoRequest) -> DemoResponse:
        if request.arg("wc-ajax"):
            return self._wc_ajax(request)
        post_id = request.arg("p")
        if post_id is not None:  # the ?p=ID shortlink
            product = self.catalog.by_id.get(post_id)
            return self._redirect_to(request, product) if product else self._not_found(request)
        if request.arg("s") is not None:
            return self._search(request, page=1)
        top = [c for c in self._categories if c.parent is None]
        utm = "?utm_source=homepage&utm_medium=banner&utm_campaign=prosfores"
        return self._page(
            request,
            "woocommerce/home.html",
            title=f"{SHOP_NAME} - {SHOP_TAGLINE}",
            description="Νήματα, βελόνες, βελονάκια και αξεσουάρ πλεκτικής με αποστολή σε όλη την Ελλάδα.",
            body_class="home page-template page-template-template-homepage page page-id-7 wp-custom-logo "
            "theme-storefront woocommerce-no-js storefront-align-wide right-sidebar woocommerce-active",
            canonical=request.store_url,
            og_type="website",
            yoast=self._yoast(
                request, request.store_url, f"{SHOP_NAME} - {SHOP_TAGLINE}", "WebPage", [("Αρχική", None)]
            ),
            top_categories=[
                {"name": c.name_el, "url": self._category_url(request, c), "count": self._counts[c.id], "slug": c.slug}
                for c in top
            ],
            newest=[self._loop_item(request, p, n) for n, p in enumerate(self._newest_first[:4])],
            on_sale=[self._loop_item(request, p, n, utm) for n, p in enumerate(self._on_sale)],
        )

    def _redirect_to(self, request: DemoRequest, product: DemoProduct) -> DemoResponse:
        response = DemoResponse.redirect(self._product_url(request, product), 301)
        response.headers["X-Redirect-By"] = "WordPress"
        return response

    def _ordered(self, key: str, products: list[DemoProduct], orderby: str) -> list[DemoProduct]:
        if orderby not in ("date", "price", "price-desc", "popularity"):
            return products
        cached = self._sorted.get((key, orderby))
        if cached is None:
            if orderby == "date":
                cached = sorted(products, key=lambda p: p.numeric_id, reverse=True)
            elif orderby == "popularity":
                cached = sorted(products, key=lambda p: (p.numeric_id * 7919) % 101)
            else:
                cached = sorted(products, key=lambda p: p.price or Decimal(0), reverse=orderby == "price-desc")
            self._sorted[(key, orderby)] = cached
        return cached

    def _archive(self, request: DemoRequest, category: Category | None, page: int, base: str) -> DemoResponse:
        key = self.category_key(category) if category else "shop"
        orderby = request.arg("orderby") or "menu_order"
        products = self._ordered(key, self._lists.get(key, []), orderby)
        last_page = max(1, -(-len(products) // PER_PAGE))
        if page > last_page:
            return self._not_found(request)
        if page == 1 and request.path != base:
            return self._redirect(request, base)
        chunk = products[(page - 1) * PER_PAGE : page * PER_PAGE]
        name = category.name_el if category else "Κατάστημα"
        crumbs: list[tuple[str, str | None]] = [("Αρχική", request.store_url)]
        if category:
            crumbs += [(c.name_el, self._category_url(request, c)) for c in category.path()[:-1]]
        crumbs.append((name, None))
        base_url = request.store_url + base
        canonical = base_url if page == 1 else f"{base_url}page/{page}/"
        body = (
            f"archive tax-product_cat term-{category.slug} term-{category.id}"
            if category
            else "archive post-type-archive post-type-archive-product"
        )
        subcategories = (
            [
                {"name": c.name_el, "url": self._category_url(request, c), "count": self._counts[c.id], "slug": c.slug}
                for c in self._categories
                if c.parent == category and self._counts.get(c.id)
            ]
            if category and page == 1
            else []
        )
        return self._page(
            request,
            "woocommerce/archive.html",
            title=f"{name}{f' - Σελίδα {page} από {last_page}' if page > 1 else ''} - {SHOP_NAME}",
            description=f"{name}: αγοράστε online στο {SHOP_NAME}.",
            body_class=f"{body} wp-custom-logo theme-storefront woocommerce-shop woocommerce woocommerce-page "
            "woocommerce-no-js storefront-align-wide right-sidebar woocommerce-active",
            canonical=canonical,
            og_type="website",
            yoast=self._yoast(request, canonical, name, "CollectionPage", crumbs),
            heading=name,
            crumbs=crumbs,
            items=[self._loop_item(request, p, n) for n, p in enumerate(chunk)],
            subcategories=subcategories,
            result_count=self._result_count(page, len(chunk), len(products)),
            pagination=self._pagination(request, base_url, page, last_page),
            prev_url=(base_url if page == 2 else f"{base_url}page/{page - 1}/") if page > 1 else None,
            next_url=f"{base_url}page/{page + 1}/" if page < last_page else None,
            orderby=orderby,
            orderby_options=ORDERBY_OPTIONS,
            category_widget_html=self._fragment(
                request, "woocommerce/_category_widget.html", category_widget=self._category_widget
            ),
            sale_widget=self._sale_widget(request),
        )

    def _search(self, request: DemoRequest, page: int | None) -> DemoResponse:
        term = (request.arg("s") or "").strip().casefold()
        if page is None or request.arg("s") is None:
            return self._not_found(request)
        found = [p for p in self._lists["shop"] if term in p.name.casefold()] if term else []
        last_page = max(1, -(-len(found) // PER_PAGE))
        if page > last_page:
            return self._not_found(request)
        chunk = found[(page - 1) * PER_PAGE : page * PER_PAGE]
        heading = f"Αποτελέσματα αναζήτησης: “{request.arg('s')}”"
        return self._page(
            request,
            "woocommerce/archive.html",
            title=f"{heading} - {SHOP_NAME}",
            description="",
            robots="noindex, follow",
            body_class="search search-results wp-custom-logo theme-storefront woocommerce woocommerce-page "
            "woocommerce-no-js storefront-align-wide right-sidebar woocommerce-active",
            og_type="website",
            yoast=trusted_html(""),
            heading=heading,
            crumbs=[("Αρχική", request.store_url), (heading, None)],
            items=[self._loop_item(request, p, n) for n, p in enumerate(chunk)],
            subcategories=[],
            result_count=self._result_count(page, len(chunk), len(found)),
            pagination=self._pagination(request, request.store_url, page, last_page),
            prev_url=None,
            next_url=None,
            orderby=request.arg("orderby") or "menu_order",
            orderby_options=ORDERBY_OPTIONS,
            category_widget_html=self._fragment(
                request, "woocommerce/_category_widget.html", category_widget=self._category_widget
            ),
            sale_widget=self._sale_widget(request),
        )

    @staticmethod
    def _result_count(page: int, shown: int, total: int) -> str:
        if total == 0:
            return ""
        if total <= PER_PAGE:
            return "Εμφάνιση του μοναδικού αποτελέσματος" if total == 1 else f"Προβολή όλων των {total} αποτελεσμάτων"
        first = (page - 1) * PER_PAGE + 1
        return f"Προβολή {first}&ndash;{first + shown - 1} από {total} αποτελέσματα"

    def _pagination(self, request: DemoRequest, base_url: str, page: int, last_page: int) -> list[dict[str, Any]]:
        """``paginate_links()`` items: numbers around the current page, dots, and prev/next arrows."""
        if last_page <= 1:
            return []
        query = {k: v for k, v in request.query.items() if k in ("orderby", "s", "post_type")}
        suffix = f"?{urlencode(query, doseq=True)}" if query else ""

        def link(n: int) -> str:
            return (base_url if n == 1 else f"{base_url}page/{n}/") + suffix

        items: list[dict[str, Any]] = []
        if page > 1:
            items.append({"kind": "prev", "url": link(page - 1), "text": "&larr;"})
        shown = sorted({1, last_page, *range(max(1, page - 2), min(last_page, page + 2) + 1)})
        previous = 0
        for n in shown:
            if n - previous > 1:
                items.append({"kind": "dots", "text": "&hellip;"})
            items.append({"kind": "current" if n == page else "page", "url": link(n), "text": str(n)})
            previous = n
        if page < last_page:
            items.append({"kind": "next", "url": link(page + 1), "text": "&rarr;"})
        return items

    def _category_widget(self, request: DemoRequest) -> list[dict[str, Any]]:
        return [
            {
                "name": c.name_el,
                "url": self._category_url(request, c),
                "count": self._counts[c.id],
                "id": c.id,
                "child": c.parent is not None,
            }
            for c in sorted(
                self._categories, key=lambda c: (c.parent.id if c.parent else c.id, c.parent is not None, c.id)
            )
        ]

    def _sale_widget(self, request: DemoRequest) -> list[dict[str, Any]]:
        # A sidebar "featured offers" widget with tracked links and prices of OTHER products.
        utm = "?utm_source=sidebar&utm_medium=widget&utm_campaign=prosfores"
        return [
            {
                "url": self._product_url(request, p) + utm,
                "name": p.name,
                "thumb": self._image(request, p.images[0], "150x150"),
                "price_html": product_price_html(p),
            }
            for p in self._on_sale[:3]
        ]

    def _related(self, product: DemoProduct) -> list[DemoProduct]:
        key = self.category_key(product.category)
        members = self._lists.get(key, [])
        if len(members) <= RELATED_COUNT:
            members = self._lists["shop"]
            key = "shop"
        start = self._position.get((key, product.product_id), product.index % max(1, len(members)))
        picked: list[DemoProduct] = []
        for step in range(1, len(members)):
            candidate = members[(start + step) % len(members)]
            if candidate.product_id != product.product_id:
                picked.append(candidate)
            if len(picked) == RELATED_COUNT:
                break
        return picked

    def _product(self, request: DemoRequest, product: DemoProduct) -> DemoResponse:
        url = self._product_url(request, product)
        stock = product_stock(product)
        kind = "variable" if product.variants else "simple"
        crumbs: list[tuple[str, str | None]] = [("Αρχική", request.store_url)]
        crumbs += [(c.name_el, self._category_url(request, c)) for c in product.category.path()]
        crumbs.append((product.name, None))
        short = short_description(product)
        variation_attrs = self._variation_attributes(product)
        images = [
            {"full": self._image(request, path), "thumb": self._image(request, path, "100x100")}
            for path in product.images
        ]
        return self._page(
            request,
            "woocommerce/product.html",
            title=f"{product.name} - {SHOP_NAME}",
            description=product.description[:155],
            canonical=url,
            og_type="product",
            og_image=images[0]["full"],
            modified=_iso(_modified(product, self.catalog.day)),
            shortlink_id=product.numeric_id,
            body_class=f"product-template-default single single-product postid-{product.numeric_id} wp-custom-logo "
            "theme-storefront woocommerce woocommerce-page woocommerce-no-js storefront-align-wide right-sidebar "
            "woocommerce-active",
            yoast=self._yoast(request, url, f"{product.name} - {SHOP_NAME}", ["WebPage", "ItemPage"], crumbs),
            product_ld=self._product_ld(request, product, url, crumbs),
            crumbs=crumbs,
            product=product,
            product_classes=self._post_classes(product, stock),
            kind=kind,
            price_html=product_price_html(product),
            short_description=short,
            stock=stock,
            stock_html=trusted_html(stock.html),
            purchasable=product.price is not None,
            max_qty=stock.quantity if stock.quantity is not None else "",
            images=images,
            variation_attrs=variation_attrs,
            variations_json=php_json(self._variations_data(product)) if product.variants else "",
            attribute_rows=self._attribute_rows(product, variation_attrs),
            categories=[(c.name_el, self._category_url(request, c)) for c in product.categories],
            related=[self._loop_item(request, p, n) for n, p in enumerate(self._related(product))],
        )

    @staticmethod
    def _variation_attributes(product: DemoProduct) -> list[dict[str, Any]]:
        """Global attributes (``pa_*`` taxonomies) the variations are made of, with their terms."""
        names: list[str] = []
        for variant in product.variants:
            names += [name for name in variant.options if name not in names]
        return [
            {
                "label": name,
                "taxonomy": f"pa_{wp_slug(name)}",
                "terms": [
                    {"slug": wp_slug(v.options[name]), "name": v.options[name]}
                    for v in product.variants
                    if name in v.options
                ],
            }
            for name in names
        ]

    @staticmethod
    def _attribute_rows(product: DemoProduct, variation_attrs: list[dict[str, Any]]) -> list[dict[str, str]]:
        rows = [
            {
                "key": f"attribute_{attr['taxonomy']}",
                "label": attr["label"],
                "value": ", ".join(t["name"] for t in attr["terms"]),
            }
            for attr in variation_attrs
        ]
        rows += [
            {"key": f"attribute_{wp_slug(name)}", "label": name, "value": value}
            for name, value in product.attributes.items()
        ]
        return rows

    def _variations_data(self, product: DemoProduct) -> list[dict[str, Any]]:
        """``data-product_variations``: ``WC_Product_Variable::get_available_variations()``."""
        data = []
        # WooCommerce prints a variation's own price only when the variations' prices differ.
        show_price = len({(v.price, v.regular_price) for v in product.variants}) > 1
        for variant in product.variants:
            stock = variant_stock(variant)
            regular = variant.regular_price or variant.price
            data.append(
                {
                    "attributes": {f"attribute_pa_{wp_slug(k)}": wp_slug(v) for k, v in variant.options.items()},
                    "availability_html": stock.html,
                    "backorders_allowed": False,
                    "dimensions": {"length": "", "width": "", "height": ""},
                    "dimensions_html": "Μ/Δ",
                    "display_price": variant.price,
                    "display_regular_price": regular,
                    "image": {"title": product.name, "caption": "", "url": "", "alt": product.name},
                    "image_id": 0,
                    "is_downloadable": False,
                    "is_in_stock": stock.is_in_stock,
                    "is_purchasable": variant.price is not None,
                    "is_sold_individually": "no",
                    "is_virtual": False,
                    "max_qty": stock.quantity if stock.quantity is not None else "",
                    "min_qty": 1,
                    "price_html": (
                        f'<span class="price">{simple_price_html(variant.price, variant.regular_price)}</span>'
                        if show_price
                        else ""
                    ),
                    "sku": variant.sku,
                    "variation_description": "",
                    "variation_id": variant.variant_id,
                    "variation_is_active": True,
                    "variation_is_visible": True,
                    "weight": "",
                    "weight_html": "Μ/Δ",
                }
            )
        return data

    def _product_ld(
        self, request: DemoRequest, product: DemoProduct, url: str, crumbs: list[tuple[str, str | None]]
    ) -> Markup:
        """WooCommerce's own structured data block (``WC_Structured_Data``), printed in the footer."""
        breadcrumb = {
            "@context": "https://schema.org/",
            "@type": "BreadcrumbList",
            "itemListElement": [
                {"@type": "ListItem", "position": n, "item": {"name": label, "@id": link or url}}
                for n, (label, link) in enumerate(crumbs, start=1)
            ],
        }
        graph: list[dict[str, Any]] = [breadcrumb]
        offer = self._offer(request, product, url)
        if offer is not None:  # without a price WooCommerce prints no Product markup at all
            markup: dict[str, Any] = {
                "@context": "https://schema.org/",
                "@type": "Product",
                "@id": f"{url}#product",
                "name": product.name,
                "url": url,
                "description": short_description(product),
                "image": self._image(request, product.images[0]),
                "sku": product.sku,
            }
            if product.gtin:
                markup["gtin"] = product.gtin
            markup["brand"] = {"@type": "Brand", "name": product.brand}
            markup["offers"] = [offer]
            graph.append(markup)
        return script_json({"@context": "https://schema.org/", "@graph": graph})

    def _offer(self, request: DemoRequest, product: DemoProduct, url: str) -> dict[str, Any] | None:
        if product.price is None:
            return None
        valid_until = f"{_EPOCH.year + 2}-12-31"
        offer: dict[str, Any]
        prices = [v.price for v in product.variants if v.price is not None]
        if prices and min(prices) != max(prices):
            offer = {
                "@type": "AggregateOffer",
                "lowPrice": f"{min(prices):.2f}",
                "highPrice": f"{max(prices):.2f}",
                "offerCount": len(product.variants),
            }
        else:
            price = min(prices) if prices else product.price
            regular = product.regular_price
            spec = [
                {
                    "@type": "UnitPriceSpecification",
                    "price": f"{price:.2f}",
                    "priceCurrency": "EUR",
                    "valueAddedTaxIncluded": True,
                    "validThrough": valid_until,
                }
            ]
            if regular is not None:
                spec.append({**spec[0], "price": f"{regular:.2f}", "priceType": "https://schema.org/ListPrice"})
            offer = {"@type": "Offer", "price": f"{price:.2f}", "priceSpecification": spec}
        schema = {"in_stock": "InStock", "out_of_stock": "OutOfStock", "backorder": "BackOrder"}
        offer.update(
            {
                "priceValidUntil": valid_until,
                "availability": f"https://schema.org/{schema.get(product.availability, 'InStock')}",
                "url": url,
                "seller": {"@type": "Organization", "name": SHOP_NAME, "url": request.store_url},
                "priceCurrency": "EUR",
            }
        )
        return offer

    def _static_page(self, request: DemoRequest, slug: str) -> DemoResponse:
        title, body = PAGES[slug]
        url = request.store_url + slug
        return self._page(
            request,
            "woocommerce/page.html",
            title=f"{title} - {SHOP_NAME}",
            description=body[:155],
            body_class="page-template-default page wp-custom-logo theme-storefront woocommerce-no-js "
            "storefront-align-wide right-sidebar woocommerce-active",
            og_type="article",
            yoast=self._yoast(request, url, title, "WebPage", [("Αρχική", request.store_url), (title, None)]),
            heading=title,
            content=body,
        )

    def _wc_page(self, request: DemoRequest, slug: str) -> DemoResponse:
        title = WC_PAGES[slug]
        return self._page(
            request,
            "woocommerce/page.html",
            title=f"{title} - {SHOP_NAME}",
            description="",
            robots="noindex, follow",
            body_class=f"page-template-default page woocommerce-{slug.rstrip('/')} woocommerce-page theme-storefront "
            "woocommerce-no-js woocommerce-active",
            og_type="article",
            yoast=trusted_html(""),
            heading=title,
            content="Το καλάθι σας είναι άδειο." if slug == "cart/" else "Συνδεθείτε για να συνεχίσετε.",
        )

    def _trap(self, request: DemoRequest) -> DemoResponse:
        links = "".join(f'<a href="{request.store_url}{self.trap_path}/{n}/">{n}</a> ' for n in range(1, 6))
        return DemoResponse(f"<html><body><p>Nothing to see here.</p>{links}</body></html>")

    def _login(self, request: DemoRequest) -> DemoResponse:
        return DemoResponse(
            '<html><head><meta name="robots" content="noindex, nofollow"><title>Σύνδεση</title></head>'
            '<body class="login">'
            '<form name="loginform" id="loginform" method="post"><input type="text" name="log" id="user_login">'
            '<input type="password" name="pwd" id="user_pass"></form></body></html>'
        )

    def _wc_ajax(self, request: DemoRequest) -> DemoResponse:
        empty = '<div class="widget_shopping_cart_content"><p class="woocommerce-mini-cart__empty-message">'
        empty += "Δεν υπάρχουν προϊόντα στο καλάθι.</p></div>"
        return DemoResponse.json({"fragments": {"div.widget_shopping_cart_content": empty}, "cart_hash": ""})

    def _not_found(self, request: DemoRequest) -> DemoResponse:
        return self._page(
            request,
            "woocommerce/404.html",
            status=404,
            title=f"Η σελίδα δεν βρέθηκε - {SHOP_NAME}",
            description="",
            robots="noindex, follow",
            canonical="",
            hreflang=[],
            body_class="error404 wp-custom-logo theme-storefront woocommerce-no-js storefront-align-wide right-sidebar "
            "woocommerce-active",
            og_type="website",
            yoast=trusted_html(""),
        )

    # --- sitemaps (Yoast) --------------------------------------------------------------

    def _product_sitemap_count(self) -> int:
        return max(1, -(-len(self.catalog.products) // SITEMAP_ENTRIES))

    def _xml(self, request: DemoRequest, template: str, **context: Any) -> DemoResponse:
        response = self.render(template, store_url=request.store_url, **context)
        response.content_type = "text/xml; charset=UTF-8"
        response.headers["X-Robots-Tag"] = "noindex, follow"
        return response

    def _sitemap_index(self, request: DemoRequest) -> DemoResponse:
        day_stamp = _iso(_EPOCH + timedelta(days=120 + self.catalog.day))
        names = [
            "page-sitemap.xml",
            *(
                "product-sitemap.xml" if n == 1 else f"product-sitemap{n}.xml"
                for n in range(1, self._product_sitemap_count() + 1)
            ),
            "product_cat-sitemap.xml",
        ]
        return self._xml(
            request, "woocommerce/sitemap_index.xml", sitemaps=[(request.store_url + n, day_stamp) for n in names]
        )

    def _product_sitemap(self, request: DemoRequest, number: int) -> DemoResponse:
        chunk = self.catalog.products[(number - 1) * SITEMAP_ENTRIES : number * SITEMAP_ENTRIES]
        urls: list[dict[str, Any]] = []
        if number == 1:  # Yoast lists the post type archive first
            urls.append(
                {"loc": request.store_url + "shop/", "lastmod": _iso(_EPOCH + timedelta(days=120)), "images": []}
            )
        urls += [
            {
                "loc": self._product_url(request, p),
                "lastmod": _iso(_modified(p, self.catalog.day)),
                "images": [self._image(request, path) for path in p.images],
            }
            for p in chunk
        ]
        return self._xml(request, "woocommerce/urlset.xml", urls=urls)

    def _category_sitemap(self, request: DemoRequest) -> DemoResponse:
        stamp = _iso(_EPOCH + timedelta(days=100 + self.catalog.day))
        urls = [
            {"loc": self._category_url(request, c), "lastmod": stamp, "images": []}
            for c in self._categories
            if self._counts.get(c.id)
        ]
        return self._xml(request, "woocommerce/urlset.xml", urls=urls)

    def _page_sitemap(self, request: DemoRequest) -> DemoResponse:
        stamp = _iso(_EPOCH + timedelta(days=30))
        urls = [{"loc": request.store_url + slug, "lastmod": stamp, "images": []} for slug in ("", "shop/", *PAGES)]
        return self._xml(request, "woocommerce/urlset.xml", urls=urls)

    # --- REST API (wp-json) ------------------------------------------------------------

    def _rest(self, request: DemoRequest, route: str) -> DemoResponse:
        route = "/" + route.strip("/")
        if route == "/":
            return self._rest_json(request, self._rest_index(request))
        match = re.fullmatch(r"/wc/store(?:/v1)?(/.*)?", route)
        if match:
            return self._store_api(request, match.group(1) or "/")
        if route.startswith(("/wc/v1", "/wc/v2", "/wc/v3")):
            return self._rest_error(
                request, "woocommerce_rest_cannot_view", "Λυπούμαστε, δεν μπορείτε να δείτε αυτόν τον πόρο.", 401
            )
        return self._rest_error(request, "rest_no_route", NO_ROUTE, 404)

    def _rest_index(self, request: DemoRequest) -> dict[str, Any]:
        namespaces = [
            "oembed/1.0",
            "yoast/v1",
            "wc/store",
            "wc/store/v1",
            "wc/v1",
            "wc/v2",
            "wc/v3",
            "wc-analytics",
            "wp/v2",
            "wp-site-health/v1",
        ]
        base = request.store_url + "wp-json/"
        return {
            "name": SHOP_NAME,
            "description": SHOP_TAGLINE,
            "url": request.store_url.rstrip("/"),
            "home": request.store_url.rstrip("/"),
            "gmt_offset": "2",
            "timezone_string": "Europe/Athens",
            "namespaces": namespaces,
            "authentication": {},
            "routes": {
                "/wc/store/v1/products": {
                    "namespace": "wc/store/v1",
                    "methods": ["GET"],
                    "_links": {"self": [{"href": base + "wc/store/v1/products"}]},
                },
                "/wc/store/v1/products/categories": {
                    "namespace": "wc/store/v1",
                    "methods": ["GET"],
                    "_links": {"self": [{"href": base + "wc/store/v1/products/categories"}]},
                },
            },
            "site_logo": 0,
            "site_icon": 0,
            "_links": {"help": [{"href": "https://developer.wordpress.org/rest-api/"}]},
        }

    def _rest_json(self, request: DemoRequest, data: Any, status: int = 200, **headers: str) -> DemoResponse:
        body = json.dumps(data, separators=(",", ":")).replace("/", "\\/")  # PHP's escaped slashes and \uXXXX
        base_headers = {
            "X-Robots-Tag": "noindex",
            "Link": f'<{request.store_url}wp-json/>; rel="https://api.w.org/"',
            "X-Content-Type-Options": "nosniff",
            "Access-Control-Expose-Headers": "X-WP-Total, X-WP-TotalPages, Link",
            "Access-Control-Allow-Headers": "Authorization, X-WP-Nonce, Content-Disposition, Content-MD5, Content-Type",
            "Allow": "GET",
        }
        base_headers.update(headers)
        return DemoResponse(body, status, "application/json; charset=UTF-8", base_headers)

    def _rest_error(self, request: DemoRequest, code: str, message: str, status: int, **data: Any) -> DemoResponse:
        return self._rest_json(request, {"code": code, "message": message, "data": {"status": status, **data}}, status)

    def _store_api(self, request: DemoRequest, route: str) -> DemoResponse:
        if route == "/":
            return self._rest_json(request, {"namespace": "wc/store/v1", "routes": {}})
        if route == "/products":
            return self._api_products(request)
        if route == "/products/categories":
            return self._rest_json(request, [self._api_category(request, c) for c in self._categories])
        match = re.fullmatch(r"/products/(\d+)", route)
        if match:
            product = self.catalog.by_id.get(match.group(1))
            if product is None:
                return self._rest_error(request, "woocommerce_rest_product_invalid_id", "Μη έγκυρο ID προϊόντος.", 404)
            return self._rest_json(request, self._api_product(request, product))
        return self._rest_error(request, "rest_no_route", NO_ROUTE, 404)

    def _api_int(self, request: DemoRequest, name: str, default: int, low: int, high: int | None) -> int | str:
        """A validated integer parameter, or the WordPress error message for it."""
        raw = request.arg(name)
        if raw is None or raw == "":
            return default
        if not re.fullmatch(r"-?\d+", raw):
            return f"{name} is not of type integer."
        value = int(raw)
        if value < low or (high is not None and value > high):
            if high is None:
                return f"{name} must be greater than or equal to {low}"
            return f"{name} must be between {low} (inclusive) and {high} (inclusive)"
        return value

    def _api_products(self, request: DemoRequest) -> DemoResponse:
        page = self._api_int(request, "page", 1, 1, None)
        per_page = self._api_int(request, "per_page", API_DEFAULT_PER_PAGE, 1, API_MAX_PER_PAGE)
        for name, value in (("page", page), ("per_page", per_page)):
            if isinstance(value, str):
                return self._rest_error(
                    request, "rest_invalid_param", f"Invalid parameter(s): {name}", 400, params={name: value}
                )
        assert isinstance(page, int) and isinstance(per_page, int)
        products = self._api_listing(request)
        total = len(products)
        total_pages = -(-total // per_page)
        chunk = products[(page - 1) * per_page : page * per_page]
        links = []
        base = request.store_url + "wp-json/wc/store/v1/products"
        query = {k: v[0] for k, v in request.query.items() if k != "page"}
        if page > 1:
            links.append(f'<{base}?{urlencode({**query, "page": min(page - 1, max(total_pages, 1))})}>; rel="prev"')
        if page < total_pages:
            links.append(f'<{base}?{urlencode({**query, "page": page + 1})}>; rel="next"')
        headers = {"X-WP-Total": str(total), "X-WP-TotalPages": str(total_pages)}
        response = self._rest_json(request, [self._api_product(request, p) for p in chunk], **headers)
        if links:
            response.headers["Link"] += ", " + ", ".join(links)
        return response

    def _api_listing(self, request: DemoRequest) -> list[DemoProduct]:
        products = self._newest_first  # the Store API's default: orderby=date, order=desc
        category = request.arg("category")
        if category:
            found = self._category_by_slug.get(category) or next(
                (c for c in self._categories if str(c.id) == category), None
            )
            products = [p for p in products if found and found in {c for cat in p.categories for c in cat.path()}]
        orderby, order = request.arg("orderby") or "date", (request.arg("order") or "desc").lower()
        if orderby in ("price", "title", "id"):
            keys: dict[str, Callable[[DemoProduct], Any]] = {
                "price": lambda p: p.price or Decimal(0),
                "title": lambda p: p.name.casefold(),
                "id": lambda p: p.numeric_id,
            }
            products = sorted(products, key=keys[orderby], reverse=order == "desc")
        elif order == "asc":
            products = products[::-1]
        return products

    def _api_category(self, request: DemoRequest, category: Category) -> dict[str, Any]:
        return {
            "id": category.id,
            "name": category.name_el,
            "slug": category.slug,
            "description": "",
            "parent": category.parent.id if category.parent else 0,
            "count": self._counts.get(category.id, 0),
            "image": None,
            "review_count": 0,
            "permalink": self._category_url(request, category),
        }

    def _api_prices(self, product: DemoProduct) -> dict[str, Any]:
        """``prepare_product_price_response``: minor units; variable products give their cheapest variation."""
        prices = [v.price for v in product.variants if v.price is not None]
        if prices:
            price = min(prices)
            regular = min((v.regular_price or v.price) for v in product.variants if v.price is not None)
            price_range = (
                {"min_amount": minor_units(min(prices)), "max_amount": minor_units(max(prices))}
                if min(prices) != max(prices)
                else None
            )
        else:
            price, regular, price_range = product.price, product.regular_price or product.price, None
        return {
            "price": minor_units(price),
            "regular_price": minor_units(regular),
            "sale_price": minor_units(price),
            "price_range": price_range,
            "currency_code": "EUR",
            "currency_symbol": "€",
            "currency_minor_unit": 2,
            "currency_decimal_separator": ",",
            "currency_thousand_separator": ".",
            "currency_prefix": "",
            "currency_suffix": " €",
        }

    def _api_product(self, request: DemoRequest, product: DemoProduct) -> dict[str, Any]:
        """One product of the Store API (``ProductSchema::get_item_response``)."""
        stock = product_stock(product)
        url = self._product_url(request, product)
        variation_attrs = self._variation_attributes(product)
        purchasable = product.price is not None
        kind = "variable" if product.variants else "simple"
        if kind == "variable":
            add_text, add_url = "Επιλογή επιλογών", url
        elif purchasable and stock.is_in_stock:
            add_text, add_url = "Προσθήκη στο καλάθι", f"?add-to-cart={product.numeric_id}"
        else:
            add_text, add_url = "Διαβάστε περισσότερα", url
        low_stock = stock.quantity if stock.quantity is not None and stock.quantity <= LOW_STOCK_AMOUNT else None
        return {
            "id": product.numeric_id,
            "name": html.escape(product.name, quote=False),  # wp_kses_post turns & into &amp;
            "slug": product.slug,
            "parent": 0,
            "type": kind,
            "variation": "",
            "permalink": url,
            "sku": product.sku,
            "short_description": f"<p>{html.escape(short_description(product), quote=False)}</p>\n",
            "description": f"<p>{html.escape(product.description, quote=False)}</p>\n",
            "on_sale": product.on_sale,
            "prices": self._api_prices(product),
            "price_html": str(product_price_html(product)),
            "average_rating": "0",
            "review_count": 0,
            "images": [
                {
                    "id": product.numeric_id * 10 + n,
                    "src": self._image(request, path),
                    "thumbnail": self._image(request, path, "324x324"),
                    "srcset": f"{self._image(request, path)} 800w, {self._image(request, path, '324x324')} 324w",
                    "sizes": "(max-width: 800px) 100vw, 800px",
                    "name": path.rsplit("/", 1)[-1],
                    "alt": "",
                }
                for n, path in enumerate(product.images, start=1)
            ],
            "categories": [
                {"id": c.id, "name": c.name_el, "slug": c.slug, "link": self._category_url(request, c)}
                for c in sorted(product.categories, key=lambda c: c.name_el)
            ],
            "tags": [],
            "attributes": [
                {
                    "id": n,
                    "name": attr["label"],
                    "taxonomy": attr["taxonomy"],
                    "has_variations": True,
                    "terms": [
                        {"id": 100 + i, "name": t["name"], "slug": t["slug"], "default": False}
                        for i, t in enumerate(attr["terms"])
                    ],
                }
                for n, attr in enumerate(variation_attrs, start=1)
            ]
            + [
                {
                    "id": 0,
                    "name": name,
                    "taxonomy": None,
                    "has_variations": False,
                    "terms": [{"id": 0, "name": value, "slug": value}],
                }
                for name, value in product.attributes.items()
            ],
            "variations": [
                {
                    "id": v.variant_id,
                    "attributes": [{"name": k, "value": wp_slug(value)} for k, value in v.options.items()],
                }
                for v in product.variants
            ],
            "grouped_products": [],
            "has_options": kind == "variable",
            "is_purchasable": purchasable,
            "is_in_stock": stock.is_in_stock,
            "is_on_backorder": stock.availability == "backorder",
            "low_stock_remaining": low_stock,
            "stock_availability": {"text": stock.text, "class": stock.css_class},
            "sold_individually": False,
            "add_to_cart": {
                "text": add_text,
                "description": f"Προσθήκη στο καλάθι: “{html.escape(product.name, quote=False)}”",
                "url": add_url,
                "single_text": "Προσθήκη στο καλάθι",
                "minimum": 1,
                "maximum": stock.quantity if stock.quantity is not None else 9999,
                "multiple_of": 1,
            },
            "extensions": {},
        }


_XSL = """<?xml version="1.0" encoding="UTF-8"?>
<xsl:stylesheet version="2.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
  xmlns:sitemap="http://www.sitemaps.org/schemas/sitemap/0.9">
<xsl:output method="html" encoding="UTF-8" indent="yes"/>
<xsl:template match="/"><html><head><title>XML Sitemap</title></head><body>
<xsl:for-each select="//sitemap:loc"><p><xsl:value-of select="."/></p></xsl:for-each>
</body></html></xsl:template>
</xsl:stylesheet>
"""
