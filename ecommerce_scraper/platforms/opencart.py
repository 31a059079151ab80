"""OpenCart adapter: the default theme's markup (2.x and 3.x, most of 4.x), no catalog API.

OpenCart has no public catalog API and no structured data in its default theme, so the
product page itself is the source:

* product id: ``input[name=product_id]`` of the add-to-cart form (else the URL's
  ``product_id``, else the id in the reviews URL the page's script loads);
* name, brand ("Κατασκευαστής:"/"Brand:"), sku (the model, "Κωδικός Προϊόντος:"/"Product
  Code:"), EAN, stock status ("Διαθεσιμότητα:"/"Availability:") from the ``ul.list-unstyled``
  facts; price from the price list (``h2``, the struck-through regular price when on special);
* variants from the ``#product`` form's options. OpenCart prices an option value as a delta
  "(+1,00€)" over the product price, so a variant's price is the shown (special) price plus
  its delta, and its regular price the regular price plus the delta. A product can have several
  options, but OpenCart has no variant matrix: the values of the first option that carries
  prices (else the first option) are the variants. Per-option SKUs are not core OpenCart;
  option-SKU extensions print them in ``data-sku``/``data-model`` or as "(Κωδ.: X)".
  OpenCart doesn't show stock per option value: variant availability is None.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial
from typing import ClassVar
from urllib.parse import parse_qs, urlsplit

from parsel import Selector
from scrapy.http import TextResponse

from ..extraction.toolkit import Variant, absolute_links, node_text, put, select
from ..normalize import map_availability, parse_price
from .base import ListingLinks, PartialProduct, Platform

logger = logging.getLogger(__name__)

#: Text as OpenCart's pages are read: the first element only, with what its scripts hold.
_text = partial(node_text, first_only=True, scripts=True)

# Labels of the product facts list, lowercased, without the colon; Greek packs vary by shop.
_FACT_LABELS: dict[str, tuple[str, ...]] = {
    "brand": ("κατασκευαστής", "μάρκα", "εταιρεία", "brand", "manufacturer"),
    "sku": ("κωδικός προϊόντος", "κωδικός", "κωδ.", "μοντέλο", "product code", "model", "sku"),
    "gtin": ("ean", "barcode", "gtin"),
    "mpn": ("mpn",),
    "availability": ("διαθεσιμότητα", "availability", "stock"),
}
# Not inside these: header, menus, footer, product cards of modules (related products).
_OUTSIDE_CHROME = (
    "[not(ancestor::footer)][not(ancestor::nav)][not(ancestor::header)]"
    "[not(ancestor::*[contains(concat(' ', normalize-space(@class), ' '), ' product-thumb ')])]"
    "[not(ancestor::*[contains(concat(' ', normalize-space(@class), ' '), ' dropdown-menu ')])]"
)
_FACT_LISTS = f"//ul[contains(concat(' ', normalize-space(@class), ' '), ' list-unstyled ')]{_OUTSIDE_CHROME}"
_OPTION_INPUTS = ".//select[starts-with(@name, 'option[')] | .//input[@type='radio'][starts-with(@name, 'option[')]"
# "(+1,00€)" / "(-0,50 €)" at the end of an option value's text
_DELTA = re.compile(r"\(\s*([+-])\s*([^()]*\d[^()]*)\)\s*$")
# "(Κωδ.: ILI-1-01)" / "(SKU: X)" printed by option-SKU extensions
_SKU_IN_TEXT = re.compile(r"\(\s*(?:κωδ(?:ικός)?\.?|sku|code|model)\s*:\s*([^()]+?)\s*\)", re.IGNORECASE)
_SKU_ATTRIBUTES = ("data-sku", "data-model", "data-option-sku")
_REVIEW_ID = re.compile(r"route=product/product/review&(?:amp;)?product_id=(\d+)")
_PAGE_IDS_NOT_PRODUCT = (
    "product-category",
    "product-manufacturer",
    "product-special",
    "product-search",
    "common-home",
    "information-information",
)


@dataclass
class _OptionValue:
    name: str
    delta: Decimal | None  # signed; None when the value shows no price
    sku: str | None


@dataclass
class _Option:
    label: str
    values: list[_OptionValue] = field(default_factory=list)

    @property
    def priced(self) -> bool:
        return any(v.delta is not None for v in self.values)


class OpenCartPlatform(Platform):
    name: ClassVar[str] = "opencart"

    # --- detection --------------------------------------------------------------------

    @classmethod
    def detect(cls, response: TextResponse) -> int:
        try:
            text = response.text
        except (AttributeError, ValueError):
            return 0
        score = 0
        if "catalog/view/theme/" in text:
            score += 45
        if "catalog/view/javascript/" in text:
            score += 30
        if "index.php?route=" in text:
            score += 20
        if any(route in text for route in ("route=common/home", "route=common/cart/info", "route=checkout/cart")):
            score += 15
        if re.search(r"powered by\s*<a[^>]+opencart\.com", text, re.IGNORECASE):
            score += 25
        if any(f'id="{page_id}"' in text for page_id in ("product-product", "common-home", "product-category")):
            score += 10
        cookies = b" ".join(response.headers.getlist(b"Set-Cookie")) if response.headers else b""
        if b"OCSESSID=" in cookies:
            score += 40
        return min(score, 100)

    # --- product pages ----------------------------------------------------------------

    def is_product_url(self, url: str) -> bool | None:
        query = parse_qs(urlsplit(url).query)
        route = (query.get("route") or [""])[0]
        if route == "product/product":
            return True
        if route:
            return False
        # SEO URLs are bare keywords: a product, a category and a brand look alike.
        return None

    def is_product_page(self, response: TextResponse) -> bool | None:
        try:
            if select(response, "#product-product, #product-info, #form-product"):  # 2.x/3.x, 4.x
                return True
            if response.xpath(f"//input[@name='product_id']{_OUTSIDE_CHROME}"):
                return True
            if any(select(response, f"#{page_id}") for page_id in _PAGE_IDS_NOT_PRODUCT):
                return False
        except (AttributeError, ValueError):
            pass
        return None

    def extract_product(self, response: TextResponse) -> PartialProduct:
        try:
            return self._extract(response)
        except Exception:  # a page this broken yields nothing rather than stopping the crawl
            logger.warning("opencart: could not read product page %s", getattr(response, "url", "?"), exc_info=True)
            return {}

    def _extract(self, response: TextResponse) -> PartialProduct:
        product: PartialProduct = {}
        put(product, "product_id", self._product_id(response))
        put(product, "name", _text(select(response, "#content h1") or select(response, "h1")))
        product.update(self._facts(response))
        price, regular, currency = self._prices(response)
        if price is not None:
            product["price"] = price
            product["currency"] = currency
            if regular is not None and regular != price:
                product["regular_price"] = regular
        product.update(self._breadcrumbs(response))
        put(product, "description", _text(select(response, "#tab-description")))
        put(product, "attributes", self._attributes(response))
        images = self._images(response)
        if images:
            product["main_image"], product["images"] = images[0], images
        put(product, "variants", self._variants(response, price, regular if regular != price else None))
        return product

    def _product_id(self, response: TextResponse) -> str | None:
        value = response.xpath(f"//input[@name='product_id']{_OUTSIDE_CHROME}/@value").get()
        if value and value.strip().isdigit():
            return value.strip()
        from_url = (parse_qs(urlsplit(response.url).query).get("product_id") or [""])[0]
        if from_url.isdigit():
            return from_url
        match = _REVIEW_ID.search(response.text)
        return match.group(1) if match else None

    def _facts(self, response: TextResponse) -> PartialProduct:
        """Brand, model, EAN, stock status: "Label: value" items of the facts list."""
        facts: PartialProduct = {}
        for item in response.xpath(f"{_FACT_LISTS}/li"):
            label, sep, value = _text(item).partition(":")
            if not sep:
                continue
            label, value = label.strip().lower(), value.strip()
            for key, labels in _FACT_LABELS.items():
                if label in labels and key not in facts and value:
                    facts[key] = value
        if "availability" in facts:
            availability = map_availability(facts["availability"])
            if availability is None:
                del facts["availability"]
            else:
                facts["availability"] = availability
        return facts

    def _prices(self, response: TextResponse) -> tuple[Decimal | None, Decimal | None, str]:
        """(current, regular, currency) from the price list: ``h2`` and the struck-through price."""
        price_list = response.xpath(f"{_FACT_LISTS}[.//h2]")[:1]
        if not price_list:
            return None, None, self.currency
        current = parse_price(_text(price_list.css("h2")), self.currency)
        struck = price_list.xpath(".//*[contains(@style, 'line-through')] | .//*[contains(@class, 'price-old')]")
        regular = parse_price(_text(struck[:1]), self.currency) if struck else None
        currency = current.currency or self.currency
        # OpenCart prints 0,00 for a product without a price: that is "no price", not free.
        price = current.amount if current.amount else None
        regular_amount = regular.amount if regular is not None and regular.amount else None
        return price, regular_amount if price is not None else None, currency

    def _breadcrumbs(self, response: TextResponse) -> PartialProduct:
        crumbs = [_text(li) for li in select(response, "ul.breadcrumb > li")]
        # The first crumb is home (an icon), the last the product itself.
        trail = [c for c in crumbs[1:-1] if c]
        return {"breadcrumbs": trail, "category": trail[-1]} if trail else {}

    def _attributes(self, response: TextResponse) -> dict[str, str]:
        attributes = {}
        for row in select(response, "#tab-specification table tbody tr"):
            cells = row.xpath("./td")
            if len(cells) >= 2:
                name, value = _text(cells[:1]), _text(cells[1:2])
                if name:
                    attributes[name] = value
        return attributes

    def _images(self, response: TextResponse) -> list[str]:
        hrefs = (
            select(response, "ul.thumbnails a.thumbnail::attr(href)").getall()
            or select(response, ".image.magnific-popup a::attr(href)").getall()
        )
        return absolute_links(response, hrefs, skip=())

    # --- variants -------------------------------------------------------------------------

    def _variants(self, response: TextResponse, price: Decimal | None, regular: Decimal | None) -> list[Variant]:
        options = self._options(response)
        if not options:
            return []
        option = next((o for o in options if o.priced), options[0])
        variants = []
        for value in option.values:
            delta = value.delta or Decimal(0)
            variants.append(
                {
                    "sku": value.sku,
                    "name": value.name,
                    "options": {option.label: value.name},
                    "price": price + delta if price is not None else None,
                    "regular_price": regular + delta if regular is not None and price is not None else None,
                    "availability": None,
                }
            )
        return variants

    def _options(self, response: TextResponse) -> list[_Option]:
        form = select(response, "#product") or select(response, "#form-product")
        if not form:
            return []
        options: dict[str, _Option] = {}
        for element in form[0].xpath(_OPTION_INPUTS):
            input_name = element.attrib.get("name", "")
            if element.root.tag == "select":
                option = options.setdefault(input_name, _Option(self._option_label(form[0], element)))
                for choice in element.css("option"):
                    if choice.attrib.get("value", "").strip():
                        option.values.append(self._option_value(_text(choice), choice))
            else:
                option = options.setdefault(input_name, _Option(self._option_label(form[0], element)))
                label = element.xpath("ancestor::label[1]")
                option.values.append(self._option_value(_text(label) if label else "", element))
        return [o for o in options.values() if o.values]

    @staticmethod
    def _option_label(form: Selector, element: Selector) -> str:
        element_id = element.attrib.get("id")
        if element_id:
            # The id as an XPath variable: one compiled query for every page (parsel caches them),
            # not a new one per option id, each compiled and kept in that cache.
            label = form.xpath(".//label[@for=$element_id]", element_id=element_id)
            if label:
                return _text(label)
        group = element.xpath("ancestor::*[contains(concat(' ', normalize-space(@class), ' '), ' form-group ')][1]")
        return _text(group.xpath("./label[1]")) if group else ""

    def _option_value(self, text: str, element: Selector) -> _OptionValue:
        sku = next((element.attrib[a].strip() for a in _SKU_ATTRIBUTES if element.attrib.get(a, "").strip()), None)
        sku_match = _SKU_IN_TEXT.search(text)
        if sku_match:
            sku = sku or sku_match.group(1)
            text = _SKU_IN_TEXT.sub(" ", text)
        delta = None
        delta_match = _DELTA.search(text)
        if delta_match:
            text = text[: delta_match.start()]
            sign, amount_text = delta_match.groups()
            # A percentage delta (some extensions) can't be added to a price.
            amount = None if "%" in amount_text else parse_price(amount_text, self.currency).amount
            if amount is not None:
                delta = -amount if sign == "-" else amount
        return _OptionValue(" ".join(text.split()), delta, sku)

    # --- listings ---------------------------------------------------------------------

    def listing_links(self, response: TextResponse) -> ListingLinks | None:
        try:
            products = select(
                response, ".product-layout .caption h4 a::attr(href), .product-thumb h4 a::attr(href)"
            ).getall()
            next_pages = [
                a.attrib["href"] for a in select(response, "ul.pagination li a[href]") if _text(a) in (">", "›", "»")
            ] + select(response, "link[rel=next]::attr(href)").getall()
            categories = select(
                response,
                "#menu a[href]::attr(href), .list-group a.list-group-item::attr(href),"
                " #content > h3 + div.row ul > li > a::attr(href)",
            ).getall()
        except (AttributeError, ValueError):
            return None
        return ListingLinks(
            products=absolute_links(response, products),
            next_pages=absolute_links(response, next_pages),
            categories=absolute_links(response, categories),
        )
