"""``config/sites.json``: the shops, validated at start-up with clear errors.

The file itself is package data, ``ecommerce_scraper/data/sites.json`` (``config/sites.json``
is a link to it), read through ``importlib.resources``: a Scrapyd egg carries it, and a crawl
finds it whatever its working directory. ``SITES_CONFIG`` names another file instead.

A wrong guess about a real shop (its URL, its platform, a selector) is fixed here, not in
code. Errors name the file and the field: ``config/sites.json: sites.knitshop.base_url:
Input should be a valid URL``.
"""

from __future__ import annotations

import json
import os
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Literal

from croniter import croniter
from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator

PLATFORMS = ("woocommerce", "shopify", "prestashop", "opencart", "magento2", "none")
#: The shops file in a source checkout (where config/sites.json links to).
DEFAULT_CONFIG_PATH = Path(__file__).resolve().parent / "data" / "sites.json"
#: How messages name the packaged file.
DEFAULT_CONFIG_NAME = "config/sites.json"


class ConfigError(Exception):
    """The site configuration can't be used; the message names the file and the field."""


class Selectors(BaseModel):
    """CSS selectors for shops whose pages lack structured data (used as a fallback).

    Field selectors may end in ``::text`` or ``::attr(name)``; without one, the element's
    text is taken.
    """

    model_config = ConfigDict(extra="forbid")

    product_page: str | None = Field(None, description="present only on product pages")
    product_id: str | None = None
    name: str | None = None
    price: str | None = None
    regular_price: str | None = None
    availability: str | None = None
    sku: str | None = None
    brand: str | None = None
    description: str | None = None
    category: str | None = None
    breadcrumbs: str | None = None
    images: str | None = None
    attribute_rows: str | None = Field(None, description="one element per attribute; first cell name, second value")
    variant: str | None = Field(None, description="one element per variant; fields below are relative to it")
    variant_name: str | None = None
    variant_sku: str | None = None
    variant_price: str | None = None
    variant_regular_price: str | None = None
    variant_availability: str | None = None
    product_links: str | None = Field(None, description="links to products on listing pages")
    next_page: str | None = Field(None, description="link to the next listing page")
    category_links: str | None = Field(None, description="links to category pages")


class SiteConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    base_url: str
    platform: Literal["auto", "woocommerce", "shopify", "prestashop", "opencart", "magento2", "none"] = "auto"
    currency: str = Field("EUR", pattern=r"^[A-Z]{3}$")
    language: str = Field("el", pattern=r"^[a-z]{2}(-[A-Z]{2})?$")
    rate_limit: float = Field(2.0, gt=0, le=100, description="requests per second to this shop")
    concurrency: int = Field(2, ge=1, le=64, description="requests in flight to this shop")
    javascript: bool = Field(False, description="render HTML pages in Chromium (scrapy-playwright)")
    wait_for: str | None = Field(
        None, description="CSS selector that appears once a JavaScript page has rendered (else: network idle)"
    )
    fetch_product_pages: bool = Field(
        True, description="with a catalog API, still fetch each product page for its SEO fields"
    )
    proxies: bool = Field(
        False, description="send this shop's requests through the rotating proxies (config/proxies.txt or PROXIES)"
    )
    schedule: str | None = Field(
        None, description="when cron runs this shop's crawl through Scrapyd, a cron expression (`scrapy crontab`)"
    )
    start_paths: list[str] = Field(
        default_factory=list, description="listing pages to start from, relative to base_url"
    )
    selectors: Selectors = Field(default_factory=Selectors)

    @field_validator("schedule")
    @classmethod
    def _cron_expression(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = " ".join(value.split())
        if not croniter.is_valid(value):
            raise ValueError(f"{value!r} is not a cron expression (minute hour day month weekday, e.g. '0 3 * * *')")
        return value

    @field_validator("base_url")
    @classmethod
    def _absolute_http_url(cls, value: str) -> str:
        from urllib.parse import urlsplit

        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"must be an absolute http(s) URL, got {value!r}")
        return value if value.endswith("/") else value + "/"


class BotConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = "ecommerce_scraper"
    version: str = "0.1"
    contact_url: str = "https://github.com/ecommerce-scraper/ecommerce_scraper"

    @property
    def user_agent(self) -> str:
        return f"Mozilla/5.0 (compatible; {self.name}/{self.version}; +{self.contact_url})"


class SitesFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    bot: BotConfig = Field(default_factory=BotConfig)
    sites: dict[str, SiteConfig]
    own_site: str | None = Field(
        None, description="the crawled shop that is the user's own: the price position is measured from it"
    )

    @field_validator("own_site")
    @classmethod
    def _one_of_the_shops(cls, value: str | None, info: ValidationInfo) -> str | None:
        sites = info.data.get("sites")  # absent when the sites themselves are wrong: said already
        if value is None or sites is None:
            return value
        if value not in sites:
            raise ValueError(f"{value!r} is not one of the shops (known: {', '.join(sorted(sites))})")
        return value


def config_source() -> tuple[Path | Traversable, str]:
    """Where the shops file is read from, and its name for messages: ``SITES_CONFIG`` when set,
    else the packaged file (in a checkout, an installed package or a zipped egg alike)."""
    explicit = os.environ.get("SITES_CONFIG")
    if explicit:
        return Path(explicit), explicit
    return resources.files("ecommerce_scraper") / "data" / "sites.json", DEFAULT_CONFIG_NAME


def load_sites(path: Path | str | None = None) -> SitesFile:
    """Read and validate the sites file; raise :class:`ConfigError` naming file and field."""
    source, name = (Path(path), str(path)) if path is not None else config_source()
    try:
        raw = json.loads(source.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{name}: file not found (set SITES_CONFIG or create it)") from None
    except json.JSONDecodeError as exc:
        raise json_error(name, exc) from None
    if isinstance(raw, dict) and isinstance(raw.get("sites"), dict):
        # The key names the site: fill ``name`` so entries needn't repeat it.
        for key, entry in raw["sites"].items():
            if isinstance(entry, dict):
                entry.setdefault("name", key)
    try:
        return SitesFile.model_validate(raw)
    except ValidationError as exc:
        raise invalid_fields(name, exc) from None


def json_error(name: str, exc: json.JSONDecodeError) -> ConfigError:
    """A config file that is not JSON, in one line: the file, the line and the column."""
    return ConfigError(f"{name}: not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}")


def invalid_fields(name: str, exc: ValidationError) -> ConfigError:
    """A config file's wrong fields, in one line: ``<file>: sites.knitshop.rate_limit: <why>; ...``."""
    problems = "; ".join(
        f"{'.'.join(str(part) for part in err['loc']) or '(top level)'}: {err['msg']}" for err in exc.errors()
    )
    return ConfigError(f"{name}: {problems}")


def site_config(name: str, path: Path | str | None = None) -> SiteConfig:
    sites = load_sites(path).sites
    if name not in sites:
        where = path or config_source()[1]
        raise ConfigError(f"{where}: sites.{name}: missing (known: {', '.join(sorted(sites))})")
    return sites[name]
