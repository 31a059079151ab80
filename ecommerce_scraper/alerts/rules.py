"""``config/alerts.json``: what is worth telling, and to whom, validated at start-up.

The file (``ALERTS_FILE``, a Scrapy setting or environment variable; else ``config/alerts.json``
when it exists; else alerts are off) is a contract scripts write, so its format is fixed::

    {"rules": [{"name": "big drops", "sites": ["*"], "changes": ["price_down"], "min_delta_pct": 5,
                "keywords": ["merino"], "notify": ["mailto://user:pass@host?to=me@example.com"]}]}

A change of a crawl matches a rule when every filter the rule gives holds:

- ``sites``: the shop (spider name) is listed, or ``"*"`` is;
- ``changes``: its type (the ``changes`` table's ``change_type``) is listed;
- ``min_delta_pct``: it has a price change percentage (``delta_pct``) at least this large, up
  or down;
- ``below_price``: the product's new price is known and at or below this;
- ``keywords``: one of them is in the product name (case and accents ignored: Greek and Latin);
- ``brands``: the product's brand is one of them (case and accents ignored);
- ``product_ids``: the product is one of them;
- ``match``: ``"undercut"``: a competitor's price for a product you sell fell below yours (see
  below).

``"match": "undercut"`` needs your own shop (``own_site`` in ``config/sites.json``, or
``OWN_CATALOG``) and one of :data:`UNDERCUT_CHANGES` among the rule's ``changes``. A change of a
competitor's crawl matches when the product is matched with one of yours (the Compare sheet's
groups, with ``config/matches.csv``), its new price is below yours, and it was not below yours
before the change: a price drop past yours, a price that appeared below yours, a new product
below yours (so a shop's first crawl, where every product is new, tells once where it is below
you). A competitor that was already cheaper is not news, whether its price stayed or dropped
further; neither is your own crawl. The message names the product, the shop, its
price and yours. Your price is the current one (your last crawl, or the catalog file now)::

    {"name": "undercut", "sites": ["*"], "changes": ["price_down", "price_changed", "new"],
     "match": "undercut", "notify": ["mailto://user:pass@host?to=me@example.com"]}

Numbers are read as ``Decimal`` (JSON numbers or strings), never as floats. Errors name the file
and the field, as ``config/sites.json``'s do: ``config/alerts.json: rules.0.changes: ...``.
"""

from __future__ import annotations

import json
import os
import unicodedata
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from scrapy.exceptions import UsageError

from ..config import ConfigError, invalid_fields, json_error

#: Where alerts are read from when ``ALERTS_FILE`` is not set (only if the file exists).
DEFAULT_ALERTS_FILE = "config/alerts.json"
ALL_SITES = "*"
#: The ``change_type`` values of the ``changes`` table (``storage/models.py`` ``Change`` and the
#: three that ``storage/diff.py`` also writes: price_changed, availability_changed, field_changed).
CHANGE_TYPES: tuple[str, ...] = (
    "new",
    "removed",
    "price_down",
    "price_up",
    "price_changed",
    "sale_started",
    "sale_ended",
    "back_in_stock",
    "out_of_stock",
    "availability_changed",
    "renamed",
    "field_changed",
    "variant_added",
    "variant_removed",
    "variant_price_changed",
    "variant_stock_changed",
    "shop_moved",
)
#: The change types a ``"match": "undercut"`` rule can match: those that give a product a new price.
UNDERCUT_CHANGES: tuple[str, ...] = ("price_down", "price_changed", "new")


def fold(text: str) -> str:
    """``text`` for matching: accents dropped, case folded, spaces collapsed (``Μαλλί`` -> ``μαλλι``)."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(bare.casefold().split())


def _apprise_url(url: str) -> str:
    from .delivery import apprise_problem, mask_destination

    url = url.strip()
    problem = apprise_problem(url)
    if problem is not None:
        raise ValueError(f"Apprise cannot use {mask_destination(url)}: {problem}")
    return url


def _non_blank(text: str) -> str:
    if not text.strip():
        raise ValueError("must not be blank")
    return text.strip()


NonBlank = Annotated[str, AfterValidator(_non_blank)]
AppriseUrl = Annotated[str, AfterValidator(_non_blank), AfterValidator(_apprise_url)]
Money = Annotated[Decimal, Field(ge=0, allow_inf_nan=False)]


class Rule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: NonBlank
    sites: list[NonBlank] = Field(min_length=1, description='shop names (spider names), "*" for every shop')
    changes: list[NonBlank] = Field(min_length=1, description="change types of the changes table")
    min_delta_pct: Money | None = Field(None, description="absolute price change in percent, at least")
    below_price: Money | None = Field(None, description="the new price at or below this")
    keywords: list[NonBlank] = Field(default_factory=list, description="any of them in the product name")
    brands: list[NonBlank] = Field(default_factory=list, description="the product's brand is one of them")
    product_ids: list[NonBlank] = Field(default_factory=list, description="the product is one of them")
    match: Literal["undercut"] | None = Field(
        None, description="undercut: a competitor's price fell below yours (own_site or OWN_CATALOG)"
    )
    notify: list[AppriseUrl] = Field(min_length=1, description="Apprise URLs")

    @field_validator("changes")
    @classmethod
    def _known_changes(cls, changes: list[str]) -> list[str]:
        unknown = [change for change in changes if change not in CHANGE_TYPES]
        if unknown:
            raise ValueError(f"unknown change type(s) {', '.join(unknown)} (known: {', '.join(CHANGE_TYPES)})")
        return list(dict.fromkeys(changes))

    @model_validator(mode="after")
    def _undercut_needs_a_price_change(self) -> Rule:
        if self.match == "undercut" and not set(self.changes) & set(UNDERCUT_CHANGES):
            raise ValueError(f'"match": "undercut" needs one of {", ".join(UNDERCUT_CHANGES)} in changes')
        return self

    def covers_site(self, site: str) -> bool:
        return ALL_SITES in self.sites or site in self.sites

    @property
    def folded_keywords(self) -> tuple[str, ...]:
        return tuple(fold(keyword) for keyword in self.keywords)

    @property
    def folded_brands(self) -> frozenset[str]:
        return frozenset(fold(brand) for brand in self.brands)


class AlertsFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    rules: list[Rule] = Field(min_length=1)

    @field_validator("rules")
    @classmethod
    def _unique_names(cls, rules: list[Rule]) -> list[Rule]:
        names = [rule.name for rule in rules]
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            raise ValueError(f"rule names must be unique: {', '.join(repeated)} repeated")
        return rules

    def destinations(self) -> dict[str, list[str]]:
        """Each destination URL -> the names of the rules that notify it, in file order."""
        found: dict[str, list[str]] = {}
        for rule in self.rules:
            for url in rule.notify:
                found.setdefault(url, []).append(rule.name)
        return found


# --- loading ------------------------------------------------------------------------------------


def alerts_path(settings: Any = None) -> Path | None:
    """The alerts file: ``ALERTS_FILE`` (setting, else environment), else ``config/alerts.json``
    if it exists, else ``None`` (alerts off). An ``ALERTS_FILE`` that is named must exist."""
    explicit = (settings.get("ALERTS_FILE") if settings is not None else None) or os.environ.get("ALERTS_FILE")
    if explicit:
        return Path(str(explicit))
    default = Path(DEFAULT_ALERTS_FILE)
    return default if default.is_file() else None


def load_alerts(path: Path | str) -> AlertsFile:
    """Read and validate an alerts file; raise :class:`ConfigError` naming the file and the field."""
    name = str(path)
    try:
        raw = json.loads(Path(path).read_text(encoding="utf-8"), parse_float=Decimal)
    except FileNotFoundError:
        raise ConfigError(f"{name}: file not found (set ALERTS_FILE, or remove it to turn alerts off)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{name}: cannot read it: {exc}") from None
    except json.JSONDecodeError as exc:
        raise json_error(name, exc) from None
    try:
        return AlertsFile.model_validate(raw)
    except ValidationError as exc:
        raise invalid_fields(name, exc) from None


def alerts_config(settings: Any = None) -> AlertsFile | None:
    """The crawl's alert rules, or ``None`` when alerts are off; :class:`ConfigError` when broken."""
    path = alerts_path(settings)
    return None if path is None else load_alerts(path)


def check_alerts(settings: Any) -> None:
    """The add-on's start-up check: a broken alerts file stops the crawl in one line."""
    try:
        alerts_config(settings)
    except ConfigError as exc:
        raise UsageError(str(exc), print_help=False) from None
