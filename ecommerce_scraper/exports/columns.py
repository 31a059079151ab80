"""The export columns (contract): names, order, kinds and where each value comes from.

Each list is a tuple of :class:`Column`. The CSV and xlsx writers take a column list and an
iterable of rows; the README's tables come from :func:`markdown_table`, so the documentation
cannot drift from the files.

Rows are mappings (attribute access works too, e.g. ORM objects):

- :data:`FULL_COLUMNS`, :data:`SEO_COLUMNS`: product states (:func:`~ecommerce_scraper.storage.state.to_state`,
  or items: both read alike).
- :data:`VARIANT_COLUMNS`: the flat rows of :func:`variant_rows`.
- :data:`DIFF_COLUMNS`, :data:`MASTER_CHANGES_COLUMNS`: rows with the ``changes`` table's column
  names (``change_type``, ``product_id``, ``field``, ``variant_sku``, ``old_value``,
  ``new_value``, ``delta_pct``, ``url``, ``name``, ``site``, ``detected_at``).

A getter returns a typed value for its kind: ``str`` for text kinds, ``Decimal`` for money and
percent, ``datetime`` for dates, ``int`` for integers, or ``None`` when empty.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from .cells import to_datetime, to_decimal, to_number

#: text: prose; code: short identifiers and enums; url: an address (``link`` makes it clickable);
#: money: Decimal in the row's currency; percent: Decimal percentage points (``-12.50``);
#: integer: a count; number: a measurement (Decimal: grams, metres, millimetres); date: a moment (UTC).
ColumnKind = Literal["text", "code", "url", "money", "percent", "integer", "number", "date"]

#: How the README's "type" column describes each kind.
KIND_DESCRIPTIONS: dict[str, str] = {
    "text": "text",
    "code": "text",
    "url": "URL",
    "money": "decimal (`1234.50`)",
    "percent": "decimal (`-12.50`)",
    "integer": "integer",
    "number": "decimal number (`3.5`)",
    "date": "ISO 8601 date-time (UTC)",
}

#: Separators inside one cell (documented in the column descriptions).
BREADCRUMB_SEPARATOR = " > "
LIST_SEPARATOR = " | "
PAIR_SEPARATOR = "; "


@dataclass(frozen=True, slots=True)
class Column:
    """One export column: header name, kind, getter, meaning (for the README)."""

    name: str
    kind: ColumnKind
    get: Callable[[Any], Any]
    description: str
    #: Excel: write this column's URLs as clickable hyperlinks.
    link: bool = False
    #: Excel: column width in characters; ``None`` chooses by kind.
    width: int | None = None
    #: Excel: each cell's background by its row, a key of ``xlsxfile.FILL_COLOURS`` (else the row's).
    fill: Callable[[Any], str | None] | None = None
    #: The one row field ``get`` reads and converts by kind (``text_of``, ``to_decimal``, ``to_datetime``),
    #: when it does nothing else: the CSV writer then reads that field itself (:mod:`.csvbatch`).
    field: str | None = None
    #: A row field without which (``None`` or missing) ``get`` gives ``None``: the CSV writer skips
    #: the getter for a batch where no row has it (the yarn attributes without ``ai``).
    needs: str | None = None


def value_of(row: Any, key: str) -> Any:
    """``row[key]`` for mappings, ``row.key`` for objects; ``None`` when absent."""
    if type(row) is dict:  # the common case, without the slower ABC check
        return row.get(key)
    if isinstance(row, Mapping):
        return row.get(key)
    return getattr(row, key, None)


# --- getters -----------------------------------------------------------------------------


def text_of(value: Any) -> str | None:
    """A scalar as text; ``None`` for empty."""
    if value.__class__ is str and value and not value[0].isspace():  # the common case: no copy made
        return value
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    text = value if isinstance(value, str) else str(value)
    return text if text.strip() else None


def joined(values: Any, separator: str) -> str | None:
    """A list joined with ``separator`` (empty entries dropped); a plain string passes through."""
    if values is None or isinstance(values, str):
        return text_of(values)
    if type(values) is not list and (not isinstance(values, Iterable) or isinstance(values, Mapping)):
        return text_of(values)
    parts = [text for text in map(text_of, values) if text is not None]
    return separator.join(parts) or None


def pairs(mapping: Any, between: str = ": ") -> str | None:
    """``{"Fibre": "Wool", ...}`` -> ``"Fibre: Wool; ..."`` (insertion order kept)."""
    if type(mapping) is not dict and not isinstance(mapping, Mapping):
        return joined(mapping, PAIR_SEPARATOR)
    parts = []
    for key, value in mapping.items():
        text = _nested_text(value)
        if text is not None:
            parts.append(f"{key}{between}{text}")
    return PAIR_SEPARATOR.join(parts) or None


def _nested_text(value: Any) -> str | None:
    # AI fields look like {"value": ..., "source": "ai"}: shown as "value (source)".
    if value.__class__ is str:
        return text_of(value)
    if isinstance(value, Mapping):
        if "value" in value:
            inner = _nested_text(value.get("value"))
            source = text_of(value.get("source"))
            return f"{inner} ({source})" if inner is not None and source else inner
        return pairs(value, "=")
    if isinstance(value, list | tuple):
        return joined(value, ", ")
    return text_of(value)


def count_of(values: Any) -> int:
    """A list's length (0 for anything else)."""
    return len(values) if isinstance(values, list | tuple) else 0


# Getters of one field: a dict row (the common case) is read directly, anything else through value_of.


def _text_field(key: str) -> Callable[[Any], str | None]:
    def get(row: Any) -> str | None:
        return text_of(row.get(key) if type(row) is dict else value_of(row, key))

    return get


def _money_field(key: str) -> Callable[[Any], Decimal | None]:
    def get(row: Any) -> Decimal | None:
        return to_decimal(row.get(key) if type(row) is dict else value_of(row, key))

    return get


def _date_field(key: str) -> Callable[[Any], datetime | None]:
    def get(row: Any) -> datetime | None:
        return to_datetime(row.get(key) if type(row) is dict else value_of(row, key))

    return get


#: What each getter made by :func:`_field_of` reads: getter -> (row field, reader, the reader's
#: other arguments). The CSV writer reads such a field itself for a whole batch (:mod:`.csvbatch`).
FIELD_READERS: dict[Callable[[Any], Any], tuple[str, Callable[..., Any], tuple[Any, ...]]] = {}


def _field_of(key: str, convert: Callable[..., Any], *args: Any) -> Callable[[Any], Any]:
    def get(row: Any) -> Any:
        return convert(row.get(key) if type(row) is dict else value_of(row, key), *args)

    FIELD_READERS[get] = (key, convert, args)
    return get


def _text(name: str, description: str, *, key: str | None = None, width: int | None = None) -> Column:
    return Column(name, "text", _text_field(key or name), description, width=width, field=key or name)


def _code(name: str, description: str, *, key: str | None = None) -> Column:
    return Column(name, "code", _text_field(key or name), description, field=key or name)


def _url(name: str, description: str, *, key: str | None = None, link: bool = False) -> Column:
    return Column(name, "url", _text_field(key or name), description, link=link, field=key or name)


def _money(name: str, description: str) -> Column:
    return Column(name, "money", _money_field(name), description, field=name)


def _integer(name: str, description: str) -> Column:
    return Column(name, "integer", lambda row: value_of(row, name), description)


def _date(name: str, description: str) -> Column:
    return Column(name, "date", _date_field(name), description, field=name)


# --- yarn attributes (item["ai"]: {field: {"value": ..., "source": ...}}) ------------------


def attribute_value(row: Any, name: str) -> Any:
    """The value of yarn attribute ``name`` (``row["ai"][name]["value"]``); ``None`` when absent."""
    found = row.get("ai") if type(row) is dict else value_of(row, "ai")
    if found is None:  # no attributes read (the common case without AI): no further look-ups
        return None
    return _mapping_get(_mapping_get(found, name), "value")


def _mapping_get(mapping: Any, key: str) -> Any:
    if type(mapping) is dict:  # without the slower ABC check
        return mapping.get(key)
    return mapping.get(key) if mapping is not None and isinstance(mapping, Mapping) else None


def _fibres_text(row: Any) -> str | None:
    fibres = attribute_value(row, "fibres")
    if not isinstance(fibres, list):
        return None
    parts = []
    for share in fibres:
        fibre = text_of(_mapping_get(share, "fibre"))
        if fibre is None:
            continue
        percent = to_number(_mapping_get(share, "percent"))
        parts.append(f"{fibre} {percent}%" if percent is not None else fibre)
    return PAIR_SEPARATOR.join(parts) or None


def _gauge_text(row: Any) -> str | None:
    gauge = attribute_value(row, "gauge")
    stitches = to_number(_mapping_get(gauge, "stitches"))
    if stitches is None:
        return None
    rows = to_number(_mapping_get(gauge, "rows"))
    return f"{stitches} × {rows}" if rows is not None else f"{stitches} sts"


def _sources_text(row: Any) -> str | None:
    found = value_of(row, "ai")
    if not isinstance(found, Mapping):
        return None
    parts = [f"{name}={entry.get('source')}" for name, entry in found.items() if isinstance(entry, Mapping)]
    return PAIR_SEPARATOR.join(parts) or None


def _attribute(
    name: str, kind: ColumnKind, description: str, *, width: int | None = None, get: Callable[[Any], Any] | None = None
) -> Column:
    """A yarn attribute's column: its value (``get``: another reading of ``ai``), empty without ``ai``."""
    convert = to_number if kind == "number" else text_of

    def value(row: Any) -> Any:
        return convert(attribute_value(row, name))

    return Column(name, kind, get or value, description, width=width, needs="ai")


#: The yarn attributes (:mod:`ecommerce_scraper.ai`), in full.csv and the Products sheets.
ATTRIBUTE_COLUMNS: tuple[Column, ...] = (
    _attribute(
        "fibres", "text", 'fibre composition, `"merino wool 75%; polyamide 25%"` (English)', width=30, get=_fibres_text
    ),
    _attribute("weight_g", "number", "weight of one ball or skein, grams"),
    _attribute("length_m", "number", "length of one ball or skein, metres"),
    _attribute("needle_mm_min", "number", "recommended knitting needles, smallest, mm"),
    _attribute("needle_mm_max", "number", "recommended knitting needles, largest, mm"),
    _attribute("hook_mm", "number", "recommended crochet hook, mm"),
    _attribute(
        "gauge", "text", 'stitches × rows in 10 × 10 cm, `"22 × 30"` (`"22 sts"` without rows)', get=_gauge_text
    ),
    _attribute("yarn_weight", "code", "`lace`, `fingering`, `sport`, `dk`, `worsted`, `aran`, `bulky`, `super_bulky`"),
    _attribute("care", "text", "care instructions as the shop words them"),
    _attribute("colour_name", "text", "colour, for a product sold in one colour"),
    _attribute("colour_code", "code", "the colour's code or number"),
    _attribute("product_type", "code", "`yarn`, `needles`, `hook`, `notion`, `kit`, `pattern`, `other`"),
    _attribute("origin", "text", "country of manufacture (English)"),
    _attribute(
        "attribute_sources",
        "text",
        "where each attribute came from: `structured` (the shop's own table), `rules` (read from the name "
        'and description), `ai` (the model), `"fibres=structured; origin=ai"`',
        width=40,
        get=_sources_text,
    ),
)


# --- column lists ------------------------------------------------------------------------

SITE = _code("site", "shop (spider name)")
PRODUCT_ID = _code("product_id", "the shop's own product id, else a stable id derived from the canonical URL")
URL = _url("url", "product page URL as crawled (clickable in Excel)", link=True)
CANONICAL_URL = _url("canonical_url", "canonical URL (tracking parameters stripped)")

SEO_FIELD_COLUMNS: tuple[Column, ...] = (
    _text("seo_title", "`<title>` of the product page"),
    _text("meta_description", "`<meta name=description>`", width=50),
    _text("h1", "first `<h1>`"),
    _code("meta_robots", "`<meta name=robots>` (e.g. `index,follow`)"),
    _text("og_title", "OpenGraph title"),
    _text("og_description", "OpenGraph description", width=50),
    _url("og_image", "OpenGraph image URL"),
    Column(
        "hreflang",
        "text",
        _field_of("hreflang", pairs, "="),
        'language alternates, `"el=URL; en=URL"`',
        width=50,
    ),
)

FULL_COLUMNS: tuple[Column, ...] = (
    SITE,
    PRODUCT_ID,
    URL,
    CANONICAL_URL,
    _text("name", "product name as the shop states it", width=40),
    _text("brand", "brand"),
    _code("sku", "the shop's SKU"),
    _code("gtin", "GTIN / EAN barcode"),
    _code("mpn", "manufacturer part number"),
    _money("price", "current price (with variants: the cheapest variant's); empty when the shop shows none"),
    _money("regular_price", "pre-discount price when on sale, else empty"),
    _code("currency", "ISO 4217 code (`EUR`)"),
    _code("availability", "`in_stock`, `out_of_stock`, `preorder`, `backorder`, or empty when unknown"),
    _text("category", "leaf category"),
    Column(
        "breadcrumbs",
        "text",
        _field_of("breadcrumbs", joined, BREADCRUMB_SEPARATOR),
        'category path, joined with `" > "`',
        width=40,
    ),
    _text("description", "plain-text description", width=60),
    _url("main_image", "main image URL"),
    Column(
        "images",
        "url",
        _field_of("images", joined, LIST_SEPARATOR),
        'all image URLs, joined with `" | "`',
    ),
    Column(
        "variants_count",
        "integer",
        _field_of("variants", count_of),
        "number of variants (details: the Variants sheet)",
    ),
    Column(
        "attributes",
        "text",
        _field_of("attributes", pairs),
        'shop-stated attributes, `"name: value; name: value"`',
        width=50,
    ),
    *ATTRIBUTE_COLUMNS,
    *SEO_FIELD_COLUMNS,
    _code("fingerprint", "hash of the product's content (changes when what the shop shows changes)"),
    _date("scraped_at", "when the product page was read"),
    _code("crawl_id", "the crawl that read it"),
)

SEO_COLUMNS: tuple[Column, ...] = (URL, CANONICAL_URL, *SEO_FIELD_COLUMNS)

VARIANT_COLUMNS: tuple[Column, ...] = (
    SITE,
    PRODUCT_ID,
    _text("product_name", "the product's name", width=40),
    _code("variant_sku", "the variant's SKU"),
    _text("variant_name", "the variant's name (e.g. colour)", width=30),
    Column(
        "options",
        "text",
        _field_of("options", pairs, "="),
        '`"option=value; option=value"` (e.g. `"Χρώμα=Κόκκινο"`)',
        width=30,
    ),
    _money("price", "the variant's current price"),
    _money("regular_price", "the variant's pre-discount price when on sale"),
    _code("availability", "`in_stock`, `out_of_stock`, `preorder`, `backorder`, or empty"),
)

DIFF_COLUMNS: tuple[Column, ...] = (
    _code(
        "change_type",
        "`new`, `removed`, `price_down`, `price_up`, `price_changed` (a price appeared or went), "
        "`sale_started`, `sale_ended`, `out_of_stock`, `back_in_stock`, `availability_changed`, `renamed`, "
        "`field_changed`, `variant_added`, `variant_removed`, `variant_price_changed`, `variant_stock_changed`, "
        "`shop_moved` (once per crawl, product id `*`: the shop answers at another host)",
    ),
    PRODUCT_ID,
    URL,
    _text("name", "product name", width=40),
    _code("field", "the field that changed (`price`, `availability`, `name` ...)"),
    _code("variant_sku", "the variant's SKU for variant changes"),
    _text("old", "value before (prices as plain decimals, lists as JSON)", key="old_value"),
    _text("new", "value after", key="new_value"),
    Column(
        "delta_pct",
        "percent",
        lambda row: to_decimal(value_of(row, "delta_pct")),
        "price change in percent (`-12.50` = 12.5 % cheaper)",
    ),
)

#: The master workbook's "All changes" sheet: every shop's changes, so the shop comes first.
MASTER_CHANGES_COLUMNS: tuple[Column, ...] = (
    SITE,
    *DIFF_COLUMNS,
    Column("detected_at", "date", _date_field("detected_at"), "when the change was detected"),
)


#: The master workbook's Summary sheet: one row per shop.
SUMMARY_COLUMNS: tuple[Column, ...] = (
    SITE,
    _integer("products", "products in the shop's latest finished crawl"),
    _integer("in_stock", "of which in stock"),
    _integer("on_sale", "of which on sale (a regular price above the price)"),
    _money("average_price", "average price of the products that show one"),
    _integer("changes", "changes the shop's last crawl detected"),
    _integer("price_drops", "of which price drops (`price_down`)"),
    _integer("price_rises", "of which price rises (`price_up`)"),
    _integer("new", "of which new products"),
    _integer("removed", "of which removed products"),
    _integer("out_of_stock", "of which products that went out of stock"),
    _integer("unverified", "known products the last crawl could not check (their pages failed): kept as they were"),
    _code("last_crawl", "the shop's last crawl id"),
    _date("last_crawl_at", "when it started"),
    _code("status", "`finished`, `partial` (files in its own folder only), `failed`, ..."),
    _text("status_note", "why it is not finished", width=50),
    _text(
        "health",
        "the last crawl's health monitors: `ok`, or `failed: ...` the monitors that failed (`suspect, ` first when "
        "a coverage or product count monitor failed: its changes are not to be trusted); empty: never judged",
        width=30,
    ),
    _code("products_crawl", "the finished crawl whose products the shop's sheet shows"),
)


#: exports/proxy_stats.csv and master.xlsx's Proxies sheet: each shop's last crawl, per proxy.
PROXY_COLUMNS: tuple[Column, ...] = (
    SITE,
    _code("crawl_id", "the shop's last crawl"),
    _code("proxy", "the proxy, `scheme://host:port` (never its credentials)"),
    _integer("requests", "requests sent through it"),
    _integer("successes", "answers that were not a ban"),
    _integer("bans", "answers or failures judged a ban (challenge page, 403, 407, login redirect, unreachable)"),
    _integer("errors", "connection errors and timeouts that were not judged a ban"),
    _integer("mean_latency_ms", "mean time to the answer, milliseconds"),
    _integer("p95_latency_ms", "95th percentile of that time, milliseconds"),
    _text("last_ban_reason", "why it was last judged banned"),
)


def column_names(columns: Iterable[Column]) -> list[str]:
    """The header row."""
    return [column.name for column in columns]


def variant_rows(products: Iterable[Any]) -> Iterator[dict[str, Any]]:
    """One flat row per variant of each product state, for :data:`VARIANT_COLUMNS`.

    Rows carry the product's ``currency`` too (not a column: it picks the money format).
    """
    for product in products:
        variants = value_of(product, "variants")
        if not isinstance(variants, list | tuple):
            continue
        for variant in variants:
            if not isinstance(variant, Mapping):
                continue
            yield {
                "site": value_of(product, "site"),
                "product_id": value_of(product, "product_id"),
                "product_name": value_of(product, "name"),
                "currency": value_of(product, "currency"),
                "variant_sku": variant.get("sku"),
                "variant_name": variant.get("name"),
                "options": variant.get("options"),
                "price": variant.get("price"),
                "regular_price": variant.get("regular_price"),
                "availability": variant.get("availability"),
            }


def change_direction(row: Any) -> Literal["down", "up"] | None:
    """``"down"``/``"up"`` for price drops/rises (the Changes sheets' highlight), else ``None``."""
    change_type = value_of(row, "change_type")
    if change_type == "price_down":
        return "down"
    if change_type == "price_up":
        return "up"
    if change_type == "variant_price_changed":
        delta = to_decimal(value_of(row, "delta_pct"))
        if delta is not None and delta < 0:
            return "down"
        if delta is not None and delta > 0:
            return "up"
    return None


def markdown_table(columns: Iterable[Column]) -> str:
    """The README table of a column list: column, type, meaning (in file order)."""
    lines = ["| column | type | meaning |", "|---|---|---|"]
    for column in columns:
        meaning = column.description.replace("|", "\\|")
        lines.append(f"| `{column.name}` | {KIND_DESCRIPTIONS[column.kind]} | {meaning} |")
    return "\n".join(lines) + "\n"
