"""PrestaShop: 1.6 (default-bootstrap and the many themes built on it) and 1.7/8 (classic).

PrestaShop has no public catalog API (the webservice needs a key), so products come from the
gsitemap module's sitemaps or the listings. What a product page tells, by version:

* 1.6: ``body#product``, microdata (``#our_price_display[itemprop=price][content]``), the
  ``#buy_block`` form (``id_product``), ``#availability_value`` whose ``label-success`` /
  ``label-warning`` / ``label-danger`` class is the stock state whatever the shop's wording,
  and the ``addJsDef`` globals ``product.js`` prices combinations with:
  ``combinationsFromController`` (per ``id_product_attribute``: ``attributes_values``, price
  impact tax excluded, ``specific_price``, ``quantity``, ``reference``), ``productPriceTaxExcluded``,
  ``taxRate``, ``allowBuyWhenOutOfStock``... A variant's price is computed the way ``product.js``'s
  ``updatePrice()`` does, in Decimal: ``(base + impact) * (1 + taxRate/100)`` (plus ecotax), then
  the specific price's reduction, each rounded half-up to cents as the shop displays it.
* 1.7/8: ``#product-details[data-product]`` (the product's ``embedded_attributes`` as JSON),
  ``.current-price [itemprop=price][content]``, ``#product-availability``; the combinations
  are not embedded (the theme asks the server for each one), so no variants from there.

Quirk worth knowing: 1.6 microdata says InStock for a product that can be ordered while out
of stock; the label class (or ``allowBuyWhenOutOfStock``) tells a backorder apart.
"""

from __future__ import annotations

import json
import logging
import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any
from urllib.parse import parse_qs, urlsplit

from parsel import Selector, SelectorList
from scrapy.http import TextResponse

from ..normalize import map_availability, parse_price
from .base import ListingLinks, PartialProduct, Platform

logger = logging.getLogger(__name__)

CENT = Decimal("0.01")

# Friendly product URLs: 1.6 ``{category:/}{id}-{rewrite}{-:ean13}.html``, 1.7 ``{id}-{id_product_attribute}-...``.
_PRODUCT_PATH = re.compile(r"/\d+-[^/]+\.html$")
_CATEGORY_PATH = re.compile(r"/\d+-[^/.]+/?$")
_NOT_PRODUCT_PATH = re.compile(
    r"(/content/\d+-|/content/category/|_sitemap\.xml$|/\d+_[^/]+$|/\d+__[^/]+$|\.(jpe?g|png|gif|webp|css|js)$)"
)
_PS_PAGE_NAMES = frozenset(
    {
        "index", "category", "cms", "search", "prices-drop", "new-products", "best-sales", "manufacturer",
        "supplier", "contact", "sitemap", "pagenotfound", "order", "order-opc", "authentication", "my-account",
        "stores", "cart", "password", "history", "identity", "addresses", "address", "products-comparison",
    }
)  # fmt: skip
_JS_VAR = r"\bvar\s+{name}\s*=\s*"
_GENERATOR = re.compile(r"prestashop", re.I)
_JSON = json.JSONDecoder(parse_float=Decimal, strict=False)


class PrestaShopPlatform(Platform):
    name = "prestashop"

    # --- detection --------------------------------------------------------------------

    @classmethod
    def detect(cls, response: TextResponse) -> int:
        score = 0
        cookies = b" ".join(response.headers.getlist(b"Set-Cookie"))
        if b"PrestaShop-" in cookies:
            score += 60
        if b"prestashop" in (response.headers.get(b"Powered-By") or b"").lower():
            score += 60
        generator = response.xpath("//meta[@name='generator']/@content").get() or ""
        if _GENERATOR.search(generator):
            score += 60
        text = response.text
        if re.search(r"\bvar\s+prestashop\s*=\s*\{", text):  # 1.7+ front-office global
            score += 60
        if re.search(_JS_VAR.format(name="static_token"), text):
            score += 30
        if re.search(_JS_VAR.format(name="priceDisplayPrecision"), text) and re.search(
            _JS_VAR.format(name="baseDir"), text
        ):
            score += 20
        if re.search(r"/modules/(blockcart|ps_shoppingcart|blocktopmenu|ps_mainmenu)/", text):
            score += 30
        if re.search(r"/themes/(default-bootstrap|classic)/", text):
            score += 30
        elif re.search(r"/themes/[^/\"']+/(js|css|cache|assets)/", text) and "/modules/" in text:
            score += 10
        if response.css("#product_page_product_id, #add-to-cart-or-refresh input[name=id_product]"):
            score += 20
        elif response.css("input[name=id_product]"):
            score += 10
        if re.search(r"(?:Powered by|by|από)\s*(?:<[^>]+>\s*)?PrestaShop", text, re.I):
            score += 20
        return min(score, 100)

    # --- URLs and pages ---------------------------------------------------------------

    def is_product_url(self, url: str) -> bool | None:
        parts = urlsplit(url)
        path = parts.path
        query = parse_qs(parts.query)
        if path.endswith("index.php") or query.get("controller"):  # friendly URLs off, or a legacy link
            controller = (query.get("controller") or [""])[0].lower()
            return bool(query.get("id_product")) and controller in ("", "product")
        if _PRODUCT_PATH.search(path):
            return True
        if _NOT_PRODUCT_PATH.search(path) or _CATEGORY_PATH.search(path):
            return False
        if url.rstrip("/") + "/" == self.base_url or path.rstrip("/") == urlsplit(self.base_url).path.rstrip("/"):
            return False
        return None

    def is_product_page(self, response: TextResponse) -> bool | None:
        body_id = (response.xpath("//body/@id").get() or "").strip()
        if body_id == "product":
            return True
        if body_id in _PS_PAGE_NAMES or body_id.startswith("module-"):
            return False
        if response.css("#product_page_product_id, #add-to-cart-or-refresh, #product-details[data-product]"):
            return True
        return None

    # --- product pages ----------------------------------------------------------------

    def extract_product(self, response: TextResponse) -> PartialProduct:
        try:
            return self._extract(response)
        except Exception:  # a theme we have not seen: give the spider the other sources
            logger.exception("prestashop: could not read product page %s", response.url)
            return {}

    def _extract(self, response: TextResponse) -> PartialProduct:
        js = JsGlobals(response)
        embedded = _embedded_attributes(response)  # 1.7+
        product: PartialProduct = {}
        _put(product, "product_id", self._product_id(response, js, embedded))
        _put(product, "name", _text(response.css("h1[itemprop=name]")) or _text(response.css("h1")[:1]))
        _put(product, "sku", self._sku(response, js, embedded))
        _put(product, "brand", self._brand(response))
        _put(product, "gtin", _first(response, "[itemprop=gtin13]::attr(content)", "[itemprop=gtin]::attr(content)"))
        currency = self._currency(response, js)
        _put(product, "currency", currency)
        show_price = js.get("productShowPrice", embedded.get("show_price", True))
        if show_price not in (False, 0, "0"):
            price, regular = self._prices(response, js, currency or self.currency)
            _put(product, "price", price)
            if price is not None and regular is not None and regular > price:
                product["regular_price"] = regular
        _put(product, "availability", self._availability(response, js, embedded))
        _put(product, "variants", self._variants(response, js, show_price not in (False, 0, "0")))
        crumbs = self._breadcrumbs(response, product.get("name"))
        if crumbs:
            product["breadcrumbs"] = crumbs
            product["category"] = crumbs[-1]
        _put(product, "description", self._description(response))
        _put(product, "images", self._images(response))
        _put(product, "attributes", self._attributes(response))
        return product

    @staticmethod
    def _product_id(response: TextResponse, js: JsGlobals, embedded: dict[str, Any]) -> str | None:
        value = _first(
            response,
            "#product_page_product_id::attr(value)",
            "#buy_block input[name=id_product]::attr(value)",
            "#add-to-cart-or-refresh input[name=id_product]::attr(value)",
        )
        value = (
            value
            or js.get("id_product")
            or embedded.get("id_product")
            or _first(response, "input[name=id_product]::attr(value)")
        )
        text = str(value).strip() if value is not None else ""
        return text if text.isdigit() and text != "0" else None

    @staticmethod
    def _sku(response: TextResponse, js: JsGlobals, embedded: dict[str, Any]) -> str | None:
        # 1.6 leaves the span empty for products with combinations (product.js fills it in).
        sku = _first(response, "#product_reference [itemprop=sku]::attr(content)") or _text(
            response.css("#product_reference span, .product-reference span")
        )
        sku = sku or js.get("productReference") or embedded.get("reference")
        text = str(sku).strip() if sku else ""
        return text or None

    @staticmethod
    def _brand(response: TextResponse) -> str | None:
        return (
            _text(response.css("#product_manufacturer [itemprop=name]"))
            or _first(response, "[itemprop=brand]::attr(content)", ".product-manufacturer img::attr(alt)")
            or _text(response.css("[itemprop=brand] [itemprop=name], .product-manufacturer a"))
            or None
        )

    @staticmethod
    def _currency(response: TextResponse, js: JsGlobals) -> str | None:
        code = _first(
            response,
            ".our_price_display [itemprop=priceCurrency]::attr(content)",
            ".product-prices [itemprop=priceCurrency]::attr(content)",
            "meta[property='product:price:currency']::attr(content)",
        )
        currency = js.get("currency")
        if not code and isinstance(currency, dict):
            code = currency.get("iso_code")
        return str(code).strip().upper() if code else None

    def _prices(self, response: TextResponse, js: JsGlobals, currency: str) -> tuple[Decimal | None, Decimal | None]:
        """(price, regular price), tax included, as the page displays them."""
        price = _machine_price(
            _first(
                response,
                "#our_price_display::attr(content)",
                ".current-price [itemprop=price]::attr(content)",
                ".current-price [content]::attr(content)",
                "meta[property='product:price:amount']::attr(content)",
            )
        )
        if price is None:
            price = _shown_price(_text(response.css("#our_price_display, .current-price > span")), currency)
        if price is None:
            price = _money(js.get("productPrice"))
        regular = None
        if _has_reduction(js):
            regular = _money(js.get("productPriceWithoutReduction"))
        if regular is None and not response.css("#old_price.hidden"):
            regular = _shown_price(
                _text(response.css("#old_price_display .price, .product-discount .regular-price")), currency
            )
        return price, regular

    @staticmethod
    def _availability(response: TextResponse, js: JsGlobals, embedded: dict[str, Any]) -> str | None:
        label = response.css("#availability_value")
        if label:
            classes = (label.attrib.get("class") or "").split()
            if "label-success" in classes:
                return "in_stock"
            if "label-danger" in classes:
                return "out_of_stock"
            if "label-warning" in classes and js.get("allowBuyWhenOutOfStock") is True:
                return _orderable_out_of_stock(js, response.css("#availability_date_value::text").get())
            return map_availability(_text(label))
        if embedded:
            quantity = _int(embedded.get("quantity"))
            if quantity is not None and quantity > 0:
                return "in_stock"
            if quantity is not None:
                return "backorder" if str(embedded.get("allow_oosp")) in ("1", "True", "true") else "out_of_stock"
        return map_availability(_text(response.css("#product-availability")))

    def _variants(self, response: TextResponse, js: JsGlobals, show_price: bool) -> list[dict[str, Any]]:
        combinations = js.get("combinationsFromController")
        if not isinstance(combinations, dict):
            combinations = js.get("combinations")
        if not isinstance(combinations, dict) or not combinations:
            return []
        pricing = _Pricing.from_js(js) if show_price else None
        group_names = _group_names(response, js)
        variants = []
        for combination in combinations.values():
            if isinstance(combination, dict):
                variants.append(_variant(combination, group_names, pricing, js))
        return variants

    @staticmethod
    def _breadcrumbs(response: TextResponse, name: str | None) -> list[str]:
        items = response.css(".breadcrumb li")
        if items:  # 1.7: an ordered list, Home first and the product last
            crumbs = [_text(item.css("[itemprop=name]")) or _text(item) for item in items][1:]
        else:  # 1.6: the home icon, the category links, the product name as plain text
            links = response.css(".breadcrumb a:not(.home)")
            crumbs = [_text(link.css("[itemprop=title]")) or _text(link) for link in links]
        crumbs = [c for c in crumbs if c]
        if crumbs and name and crumbs[-1] == name:
            crumbs.pop()
        return crumbs

    @staticmethod
    def _description(response: TextResponse) -> str | None:
        for selector in ("section.page-product-box div.rte", ".product-description", "#short_description_content"):
            text = _text(response.css(selector)[:1])
            if text:
                return text
        return None

    @staticmethod
    def _images(response: TextResponse) -> list[str]:
        urls = (
            response.css("#thumbs_list_frame a::attr(href), .product-images img::attr(data-image-large-src)").getall()
            or response.css("#bigpic::attr(src), .product-cover img::attr(src)").getall()
        )
        seen: dict[str, None] = {}
        for url in urls:
            if url and not url.startswith(("javascript:", "#")):
                seen.setdefault(response.urljoin(url), None)
        return list(seen)

    @staticmethod
    def _attributes(response: TextResponse) -> dict[str, str]:
        attributes: dict[str, str] = {}
        for row in response.css("table.table-data-sheet tr"):
            cells = row.css("td")
            if len(cells) >= 2 and (name := _text(cells[0])):
                attributes[name] = _text(cells[1])
        for name, value in zip(
            response.css(".product-features dl.data-sheet dt.name"),
            response.css(".product-features dl.data-sheet dd.value"),
            strict=False,
        ):
            if key := _text(name):
                attributes[key] = _text(value)
        return attributes

    # --- listings ---------------------------------------------------------------------

    def listing_links(self, response: TextResponse) -> ListingLinks | None:
        products = _links(
            response,
            "ul.product_list a.product_img_link::attr(href)",
            "ul.product_list .product-name::attr(href)",
            "#js-product-list .product-miniature .product-title a::attr(href)",
            "#js-product-list .product-miniature a.product-thumbnail::attr(href)",
            ".products .product-miniature .product-title a::attr(href)",
        )
        next_pages = _links(
            response,
            "ul.pagination li.pagination_next a::attr(href)",
            "nav.pagination a.next::attr(href)",
            ".pagination a[rel=next]::attr(href)",
        )
        categories = _links(
            response,
            "#block_top_menu a::attr(href)",
            "#categories_block_left a::attr(href)",
            "#subcategories a.subcategory-name::attr(href)",
            "#top-menu a::attr(href)",
            ".block-categories a::attr(href)",
        )
        if not (products or next_pages or categories):
            return None
        categories = [url for url in categories if self.is_product_url(url) is not True]
        return ListingLinks(products=products, next_pages=next_pages, categories=categories)


# --- JavaScript globals ----------------------------------------------------------------


class JsGlobals:
    """``var name = value;`` definitions of a page's inline scripts (``addJsDef`` output)."""

    def __init__(self, response: TextResponse) -> None:
        self.text = "\n".join(response.xpath("//script[not(@src)]/text()").getall())
        self._cache: dict[str, Any] = {}

    def get(self, name: str, default: Any = None) -> Any:
        if name not in self._cache:
            match = re.search(_JS_VAR.format(name=re.escape(name)), self.text)
            self._cache[name] = _js_value(self.text, match.end()) if match else _MISSING
        value = self._cache[name]
        return default if value is _MISSING else value


_MISSING = object()


def _js_value(text: str, at: int) -> Any:
    """The literal at ``text[at:]``: a single-quoted string or JSON; ``_MISSING`` if neither."""
    if text.startswith("'", at):
        out: list[str] = []
        index = at + 1
        while index < len(text):
            char = text[index]
            if char == "\\" and index + 1 < len(text):
                following = text[index + 1]
                out.append({"n": "\n", "t": "\t", "r": "\r"}.get(following, following))
                index += 2
                continue
            if char == "'":
                return "".join(out)
            out.append(char)
            index += 1
        return _MISSING
    try:
        return _JSON.raw_decode(text, at)[0]
    except ValueError:
        return _MISSING


# --- prices ----------------------------------------------------------------------------


class _Pricing:
    """What ``product.js`` needs to price a combination."""

    def __init__(
        self,
        base_excl: Decimal,
        tax_factor: Decimal,
        ecotax: Decimal,
        product_specific: dict[str, Any] | None,
    ) -> None:
        self.base_excl = base_excl
        self.tax_factor = tax_factor
        self.ecotax = ecotax
        self.product_specific = product_specific

    @classmethod
    def from_js(cls, js: JsGlobals) -> _Pricing | None:
        base = _dec(js.get("productPriceTaxExcluded"))
        if base is None:
            base = _dec(js.get("productBasePriceTaxExcl"))
        if base is None:
            return None
        no_tax = js.get("noTaxForThisProduct") is True or js.get("customerGroupWithoutTax") is True
        tax_rate = _dec(js.get("taxRate")) or Decimal(0)
        tax_factor = Decimal(1) if no_tax else 1 + tax_rate / 100
        ecotax = _dec(js.get("default_eco_tax")) or Decimal(0)
        ecotax_rate = _dec(js.get("ecotaxTax_rate")) or Decimal(0)
        specific = js.get("product_specific_price")
        return cls(base, tax_factor, ecotax * (1 + ecotax_rate / 100), specific if isinstance(specific, dict) else None)

    def prices(self, combination: dict[str, Any]) -> tuple[Decimal | None, Decimal | None]:
        """(price, regular price or None), rounded half-up to cents."""
        impact = _dec(combination.get("price")) or Decimal(0)
        specific = combination.get("specific_price", self.product_specific)
        specific = specific if isinstance(specific, dict) else None
        excl = self.base_excl + impact
        fixed = _dec(specific.get("price")) if specific else None
        if fixed is not None and fixed > 0:  # a specific price replaces the combination's price
            excl = fixed
        regular = excl * self.tax_factor + self.ecotax
        price = regular
        reduction = (_dec(specific.get("reduction")) or Decimal(0)) if specific else Decimal(0)
        if specific and reduction > 0:
            if specific.get("reduction_type") == "percentage":
                price = regular * (1 - reduction)
            elif str(specific.get("reduction_tax", "1")) == "0":  # an amount before tax
                price = regular - reduction * self.tax_factor
            else:
                price = regular - reduction
        price_cents, regular_cents = _round(price), _round(regular)
        return price_cents, (regular_cents if regular_cents > price_cents else None)


def _variant(
    combination: dict[str, Any], group_names: dict[str, str], pricing: _Pricing | None, js: JsGlobals
) -> dict[str, Any]:
    values = combination.get("attributes_values")
    options = {}
    if isinstance(values, dict):
        options = {group_names.get(str(group), f"group_{group}"): str(value) for group, value in values.items()}
    price, regular = pricing.prices(combination) if pricing else (None, None)
    reference = str(combination.get("reference") or "").strip()
    return {
        "sku": reference or None,
        "name": " / ".join(options.values()),
        "options": options,
        "price": price,
        "regular_price": regular,
        "availability": _combination_availability(combination, js),
    }


def _combination_availability(combination: dict[str, Any], js: JsGlobals) -> str | None:
    if js.get("stock_management") in (0, False, "0"):
        return "in_stock"
    quantity = _int(combination.get("quantity"))
    if quantity is None:
        return None
    if quantity > 0:
        return "in_stock"
    if js.get("allowBuyWhenOutOfStock") is True:
        return _orderable_out_of_stock(js, combination.get("available_date"))
    return "out_of_stock"


def _orderable_out_of_stock(js: JsGlobals, available_date: object) -> str:
    """Out of stock but orderable: a pre-order while an availability date is ahead, else a backorder."""
    today = str(js.get("currentDate") or "")[:10]
    day = str(available_date or "").strip()
    if re.fullmatch(r"\d{2}/\d{2}/\d{4}", day):  # dd/mm/yyyy as the theme prints it
        day = f"{day[6:]}-{day[3:5]}-{day[:2]}"
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", day) and day != "0000-00-00" and (not today or day > today):
        return "preorder"
    return "backorder"


def _group_names(response: TextResponse, js: JsGlobals) -> dict[str, str]:
    """id_attribute_group -> the group's public name, from the attribute fieldsets."""
    names: dict[str, str] = {}
    for fieldset in response.css("#attributes fieldset.attribute_fieldset, #attributes .attribute_fieldset"):
        label = _text(fieldset.css("label.attribute_label")).rstrip(":").strip()
        field = fieldset.css("select::attr(name), input.color_pick_hidden::attr(name), input[type=radio]::attr(name)")
        match = re.fullmatch(r"group_(\d+)", field.get() or "")
        if label and match:
            names[match.group(1)] = label
    combos = js.get("attributesCombinations")
    if isinstance(combos, list):  # fallback: the groups' URL names
        for entry in combos:
            if isinstance(entry, dict) and entry.get("id_attribute_group") is not None:
                names.setdefault(str(entry["id_attribute_group"]), str(entry.get("group") or ""))
    return names


def _has_reduction(js: JsGlobals) -> bool:
    specific = js.get("product_specific_price")
    return bool(
        (_dec(js.get("reduction_percent")) or 0) > 0
        or (_dec(js.get("reduction_price")) or 0) > 0
        or (isinstance(specific, dict) and (_dec(specific.get("reduction")) or 0) > 0)
    )


def _machine_price(value: str | None) -> Decimal | None:
    """A ``content`` attribute (``7.899999``): PHP's float of the price, shown rounded to cents."""
    if not value:
        return None
    amount = parse_price(value, decimal_separator=".").amount
    return _round(amount) if amount is not None else None


def _shown_price(text: str, currency: str) -> Decimal | None:
    amount = parse_price(text, currency).amount if text else None
    return _round(amount) if amount is not None else None


def _money(value: object) -> Decimal | None:
    amount = _dec(value)
    return _round(amount) if amount is not None and amount > 0 else None


def _round(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def _dec(value: object) -> Decimal | None:
    """A JSON number or numeric string of the page's scripts (never a float)."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, Decimal)):
        return Decimal(value)
    try:
        return Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None


def _int(value: object) -> int | None:
    number = _dec(value)
    return int(number) if number is not None else None


# --- page helpers ----------------------------------------------------------------------


def _embedded_attributes(response: TextResponse) -> dict[str, Any]:
    raw = response.css("#product-details::attr(data-product)").get()
    if not raw:
        return {}
    try:
        data = json.loads(raw, parse_float=Decimal)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _text(selection: Selector | SelectorList) -> str:
    """Visible text, whitespace (NBSP included) collapsed."""
    parts = selection.xpath(".//text()[not(ancestor::script or ancestor::style)]").getall()
    return " ".join(" ".join(parts).split())


def _first(response: TextResponse, *queries: str) -> str | None:
    for query in queries:
        value = response.css(query).get()
        if value and value.strip():
            return value.strip()
    return None


def _links(response: TextResponse, *queries: str) -> list[str]:
    seen: dict[str, None] = {}
    for query in queries:
        for href in response.css(query).getall():
            href = href.strip()
            if href and not href.startswith(("javascript:", "#", "mailto:", "tel:")):
                seen.setdefault(response.urljoin(href), None)
    return list(seen)


def _put(product: PartialProduct, key: str, value: object) -> None:
    if value not in (None, "", [], {}):
        product[key] = value
