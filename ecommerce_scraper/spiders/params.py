"""Spider arguments (``-a name=value``) as Pydantic models, in the manner of zyte-spider-templates'
``params.py``: one model per spider, validated when the spider is made; a wrong value is one
``UsageError`` naming the argument (``argument follow='maybe': expected true or false``).

Arguments not named here (Scrapyd's ``_job``, say) pass through to ``scrapy.Spider`` untouched.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from scrapy.exceptions import UsageError

_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")

PlatformName = Literal["auto", "woocommerce", "shopify", "prestashop", "opencart", "magento2", "none"]


def parse_bool(value: object) -> bool:
    """``true/false``, ``yes/no``, ``on/off``, ``1/0`` in any case; anything else is an error."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError("expected true or false")


def iter_urls(value: str | Iterable[str]) -> list[str]:
    """``-a url=A,B`` or a list: the URLs, stripped, empties dropped."""
    parts = value.split(",") if isinstance(value, str) else list(value)
    return [p.strip() for p in parts if p and p.strip()]


class SpiderParams(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    @classmethod
    def from_arguments(cls, arguments: dict[str, Any]) -> Self:
        """The model from ``-a`` arguments; ``UsageError`` with every wrong argument named."""
        try:
            return cls.model_validate(arguments)
        except ValidationError as exc:
            raise UsageError("; ".join(_describe(err) for err in exc.errors()), print_help=False) from None

    @classmethod
    def names(cls) -> set[str]:
        return set(cls.model_fields)


def _describe(error: Any) -> str:
    name = ".".join(str(part) for part in error["loc"])
    message = str(error["msg"]).removeprefix("Value error, ")
    if error["type"] == "missing":
        return f"argument {name}: missing"
    return f"argument {name}={error['input']!r}: {message}"


class ShopParams(SpiderParams):
    """``scrapy crawl <shop>``: the shop comes from config/sites.json; these adjust it."""

    base_url: str | None = Field(None, description="crawl another host (a demo store, a staging copy)")
    product_pages: bool | None = Field(None, description="with a catalog API, fetch each product page too")

    @field_validator("product_pages", mode="before")
    @classmethod
    def _bool(cls, value: object) -> bool | None:
        return None if value is None else parse_bool(value)


class GenericParams(SpiderParams):
    """``scrapy crawl generic -a url=URL[,URL...]``: any shop, no config."""

    url: list[str] = Field(description="shop roots (or, with follow=false, single pages), comma-separated")
    follow: bool = Field(True, description="crawl each shop whole; false: only the given pages")
    platform: PlatformName = "auto"
    currency: str = Field("EUR", pattern=r"^[A-Z]{3}$")
    language: str = Field("el", pattern=r"^[a-z]{2}(-[A-Z]{2})?$")
    proxies: bool = Field(False, description="send requests through the rotating proxies")

    @field_validator("follow", "proxies", mode="before")
    @classmethod
    def _bools(cls, value: object) -> bool:
        return parse_bool(value)

    @field_validator("url", mode="before")
    @classmethod
    def _urls(cls, value: object) -> list[str]:
        urls = iter_urls(value) if isinstance(value, (str, list, tuple)) else []
        if not urls:
            raise ValueError("give the shop(s) to crawl: -a url=URL[,URL...]")
        return urls

    @classmethod
    def from_arguments(cls, arguments: dict[str, Any]) -> Self:
        if not arguments.get("url"):
            raise UsageError("generic: give the shop(s) to crawl: -a url=URL[,URL...]", print_help=False)
        return super().from_arguments(arguments)
