"""The interface every demo store implements, and what they share."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, ClassVar
from urllib.parse import urlencode

from jinja2 import Environment, PackageLoader, select_autoescape

from .catalog import Catalog, DemoProduct


@dataclass
class DemoRequest:
    method: str
    path: str  # relative to the store root, no leading slash ("" is the home page)
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    store_url: str  # absolute URL of the store root, ending with "/"
    #: the demo fault ``broken_prices``: product pages without their price markup (PrestaShop honours it)
    prices_hidden: bool = False

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default

    def int_arg(self, name: str, default: int) -> int:
        try:
            return int(self.arg(name) or default)
        except ValueError:
            return default

    def url(self, path: str, **query: Any) -> str:
        """Absolute URL of ``path`` (relative to the store root) with ``query``."""
        url = self.store_url + path.lstrip("/")
        return f"{url}?{urlencode(query)}" if query else url


@dataclass
class DemoResponse:
    body: bytes | str = b""
    status: int = 200
    content_type: str = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, data: Any, status: int = 200, headers: dict[str, str] | None = None) -> DemoResponse:
        return cls(
            json.dumps(data, ensure_ascii=False, default=str), status, "application/json; charset=utf-8", headers or {}
        )

    @classmethod
    def xml(cls, text: str) -> DemoResponse:
        return cls(text, 200, "application/xml; charset=utf-8")

    @classmethod
    def redirect(cls, location: str, status: int = 301) -> DemoResponse:
        return cls(b"", status, "text/html; charset=utf-8", {"Location": location})

    @classmethod
    def not_found(cls, message: str = "Not found") -> DemoResponse:
        return cls(f"<html><body><h1>404</h1><p>{message}</p></body></html>", 404)


_templates = Environment(
    loader=PackageLoader("demo_shops", "templates"),
    autoescape=select_autoescape(["html", "xml"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def format_price(amount: Decimal | None, language: str = "el", symbol: str = "€") -> str:
    """A price as the shop prints it: ``1.234,50 €`` in Greek, ``€1,234.50`` in English."""
    if amount is None:
        return ""
    text = f"{amount:,.2f}"
    if language == "el":
        return text.replace(",", "\u2009").replace(".", ",").replace("\u2009", ".") + f"\u00a0{symbol}"
    return f"{symbol}{text}"


class Store:
    """One demo shop imitating one platform, mounted under ``/<site>/``.

    Subclasses implement :meth:`handle` and :meth:`product_path`; the rest has defaults.
    """

    platform: ClassVar[str]
    #: Path (relative to the store root) that robots.txt disallows and every page links
    #: to invisibly: a polite crawler never requests it.
    trap_path: ClassVar[str] = "trap/do-not-follow"

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog

    @property
    def site(self) -> str:
        return self.catalog.site

    def handle(self, request: DemoRequest) -> DemoResponse:
        raise NotImplementedError

    def product_path(self, product: DemoProduct) -> str:
        """The canonical path of a product page, relative to the store root."""
        raise NotImplementedError

    def robots_disallow(self) -> list[str]:
        """Paths (relative to the store root) robots.txt disallows; includes the trap."""
        return [self.trap_path]

    def sitemap_paths(self) -> list[str]:
        """Sitemaps robots.txt announces, relative to the store root."""
        return []

    def product_id(self, product: DemoProduct, store_url: str) -> str:
        """The id a crawler can read off this platform (its own id by default)."""
        return product.product_id

    def render(self, template: str, **context: Any) -> DemoResponse:
        context.setdefault("site", self.site)
        context.setdefault("language", self.catalog.language)
        context.setdefault("trap_path", self.trap_path)
        context.setdefault("fmt", lambda amount: format_price(amount, self.catalog.language))
        return DemoResponse(_templates.get_template(template).render(**context))

    def truth(self, product: DemoProduct, store_url: str) -> dict[str, Any]:
        """The product as a perfect crawler would report it (Product item fields)."""
        url = store_url + self.product_path(product)
        return {
            "site": self.site,
            "product_id": self.product_id(product, store_url),
            "url": url,
            "canonical_url": url,
            "name": product.name,
            "brand": product.brand,
            "sku": product.sku,
            "gtin": product.gtin,
            "price": _dec(product.price),
            "regular_price": _dec(product.regular_price),
            "currency": self.catalog.profile.currency,
            "availability": product.availability,
            "category": product.category.name(self.catalog.language),
            "breadcrumbs": [c.name(self.catalog.language) for c in product.category.path()],
            "description": product.description,
            "attributes": product.attributes,
            "variants": [
                {
                    "sku": v.sku,
                    "name": v.name,
                    "options": v.options,
                    "price": _dec(v.price),
                    "regular_price": _dec(v.regular_price),
                    "availability": v.availability,
                }
                for v in product.variants
            ],
        }


def _dec(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"
