"""The catalog as Magento models it (URL rewrites, configurable attributes, price index) and money as
Magento prints it (PHP floats, JSON numbers).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import zlib
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from ...catalog import Category, DemoProduct

STATIC_VERSION = "1700000000"
THEME_PATH = "frontend/Magento/luma/el_GR"
ROOT_CATEGORY_ID = 2  # Magento's "Default Category"
URL_SUFFIX = ".html"
PAGE_SIZES = (12, 24, 36)
SITEMAP_MAX_URLS = 50_000
IMAGE_CACHE_HASH = hashlib.md5(b"product_page_image_medium", usedforsecurity=False).hexdigest()

#: Configurable attributes by the option label the catalog uses: (attribute id, code).
CONFIGURABLE_ATTRIBUTES: dict[str, tuple[int, str]] = {
    "Χρώμα": (93, "color"),
    "Colour": (93, "color"),
    "Μέγεθος": (144, "size"),
    "Size": (144, "size"),
}


# --- money as Magento prints it -------------------------------------------------------


def price_number(amount: Decimal) -> str:
    """A price as PHP prints a float: ``8.9``, ``14``, never ``14.00``."""
    text = format(amount.normalize(), "f")
    return text if "." not in text else text.rstrip("0").rstrip(".")


_JSON_NUMBER_MARK = "\x00num:"
_JSON_NUMBER_RE = re.compile(r'"\\u0000num:(-?[0-9.]+)"')


def magento_json(data: Any, *, escape: bool = False) -> str:
    """JSON with Decimals as bare numbers (no float on the way).

    ``escape=True`` escapes non-ASCII and slashes as PHP's ``json_encode`` does in the
    page's inline JSON (so ``</script>`` can never appear in it).
    """

    def encode_decimal(value: object) -> str:
        if isinstance(value, Decimal):
            return _JSON_NUMBER_MARK + price_number(value)
        raise TypeError(f"not JSON serializable: {type(value).__name__}")

    text = json.dumps(data, ensure_ascii=escape, default=encode_decimal, separators=(",", ":"))
    text = _JSON_NUMBER_RE.sub(r"\1", text)
    return text.replace("/", "\\/") if escape else text


def encode_uid(entity_id: int | str) -> str:
    """GraphQL ``uid``: base64 of the entity id."""
    return base64.b64encode(str(entity_id).encode()).decode()


def percent_off(regular: Decimal, final: Decimal) -> Decimal:
    if not regular:
        return Decimal(0)
    return ((regular - final) * 100 / regular).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


# --- the catalog as Magento models it --------------------------------------------------


@dataclass(frozen=True)
class ConfigurableAttribute:
    attribute_id: int
    code: str
    label: str


@dataclass
class OptionRegistry:
    """Option ids (``value_index``) of configurable attribute values, stable per label."""

    ids: dict[tuple[int, str], int] = field(default_factory=dict)

    def option_id(self, attribute_id: int, label: str) -> int:
        key = (attribute_id, label)
        if key not in self.ids:
            candidate = 5000 + zlib.crc32(label.encode()) % 4000
            taken = set(self.ids.values())
            while candidate in taken:
                candidate += 1
            self.ids[key] = candidate
        return self.ids[key]


def configurable_attributes(product: DemoProduct) -> list[ConfigurableAttribute]:
    labels = list(product.variants[0].options) if product.variants else []
    out = []
    for label in labels:
        attribute_id, code = CONFIGURABLE_ATTRIBUTES.get(label, (200 + zlib.crc32(label.encode()) % 100, "option"))
        out.append(ConfigurableAttribute(attribute_id, code, label))
    return out


def category_url_path(category: Category) -> str:
    return "/".join(c.slug for c in category.path())


def image_path(relative: str) -> str:
    """``media/foo.jpg`` as Magento stores it: ``media/catalog/product/f/o/foo.jpg``."""
    name = relative.rsplit("/", 1)[-1]
    return f"media/catalog/product/{name[0]}/{name[1]}/{name}"


def cached_image_path(relative: str) -> str:
    name = relative.rsplit("/", 1)[-1]
    return f"media/catalog/product/cache/{IMAGE_CACHE_HASH}/{name[0]}/{name[1]}/{name}"


def price_range(product: DemoProduct) -> tuple[Decimal, Decimal, Decimal, Decimal]:
    """(min regular, min final, max regular, max final) as Magento's price index has them.

    A configurable's range covers every child, in stock or not ("Display Out of Stock
    Products" = Yes makes out-of-stock children count).
    """
    if product.variants:
        finals = [v.price for v in product.variants if v.price is not None]
        regulars = [v.regular_price or v.price for v in product.variants if v.price is not None]
        return min(regulars), min(finals), max(regulars), max(finals)
    price = product.price or Decimal(0)
    regular = product.regular_price or price
    return regular, price, regular, price


def html_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
