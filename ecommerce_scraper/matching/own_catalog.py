"""``OWN_CATALOG``: the user's own shop as a CSV file, for a shop that is not crawled.

Each row becomes a product state of the pseudo-site :data:`OWN_CATALOG_SITE`, matched with the
crawled shops' products by the same matcher (:mod:`.matcher`): a valid GTIN matches on its own;
a name matches with the brand (the ``brand`` column, else a brand the crawled shops state that
starts the name: "Drops Merino Extra Fine 01 50 g" is Drops when a shop sells Drops), the line,
the colour and the weight, as for any shop.

The file:

- UTF-8, with or without a BOM; columns separated by ``,``, ``;`` or a tab (whichever the header
  line holds most of); a header row naming the columns in any order, case and accents ignored,
  unknown columns ignored.
- Required: ``name``, ``price`` and an identifier: ``sku``, ``gtin`` or one ``sku/gtin`` column
  (a valid GTIN there is the GTIN, anything else the SKU). Optional: ``brand``, ``currency``,
  ``url``. Other spellings: :data:`HEADER_NAMES`.
- A price is a number with a decimal comma or dot (``4,20``, ``4.20``, ``1.234,50``,
  ``1,234.50``), optionally with a currency sign or code (``€4,20``, ``4.20 EUR``); read by
  :func:`~..normalize.price.parse_price`, so a lone separator before three digits groups
  thousands, as on every page this project reads. It must be above 0.
- Blank lines are skipped. Any other bad row stops the reading with a ``ValueError`` naming the
  file and the line (``own.csv:7: price 'abc' is not a price``): a catalog is never half read.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from ..normalize.price import parse_price
from .identity import brand_key, valid_gtin, words

#: The pseudo-site of ``OWN_CATALOG``'s products (in compare.csv, the Compare sheet, the report).
OWN_CATALOG_SITE = "own"

#: A header's spellings -> its column (compared folded: case, accents, Greek in Latin letters, and
#: runs of spaces, ``-``, ``/`` and ``_`` as one ``_``).
HEADER_NAMES: dict[str, str] = {
    **dict.fromkeys(("sku_gtin", "gtin_sku", "sku_or_gtin", "gtin_or_sku"), "sku_gtin"),
    **dict.fromkeys(("sku", "code", "product_code", "item_code", "ref", "reference", "κωδικος"), "sku"),
    **dict.fromkeys(("gtin", "ean", "ean13", "gtin13", "gtin14", "gtin12", "upc", "barcode"), "gtin"),
    **dict.fromkeys(("name", "product", "product_name", "title", "ονομα", "περιγραφη", "προιον"), "name"),
    **dict.fromkeys(("price", "our_price", "own_price", "selling_price", "price_eur", "τιμη"), "price"),
    **dict.fromkeys(("brand", "manufacturer", "μαρκα", "εταιρεια"), "brand"),
    **dict.fromkeys(("currency", "νομισμα"), "currency"),
    **dict.fromkeys(("url", "link"), "url"),
}
_SEPARATORS = (",", ";", "\t")
# What a price cell may hold besides its number: a currency sign or code, spaces.
_PRICE_CELL = re.compile(r"[€$£]?\s*(?:[A-Za-z]{3}\s*)?\d[\d.,' \u00a0]*\s*(?:[A-Za-z]{3}|[€$£])?")


def _header_key(text: str) -> str:
    return "_".join(words(text))


_HEADER_KEYS: dict[str, str] = {_header_key(spelling): column for spelling, column in HEADER_NAMES.items()}


def _columns(header: list[str], where: str) -> dict[str, int]:
    found: dict[str, int] = {}
    for index, cell in enumerate(header):
        column = _HEADER_KEYS.get(_header_key(cell))
        if column is None:
            continue
        if column in found:
            raise ValueError(f"{where}:1: two columns are {column!r} ({header[found[column]]!r} and {cell!r})")
        found[column] = index
    missing = [name for name in ("name", "price") if name not in found]
    if not {"sku", "gtin", "sku_gtin"} & found.keys():
        missing.append("sku/gtin")
    if missing:
        raise ValueError(
            f"{where}:1: missing column(s) {', '.join(missing)} (the header reads {', '.join(map(repr, header))})"
        )
    return found


def _price(text: str, currency: str | None, where: str) -> tuple[Any, str | None]:
    parsed = parse_price(text, currency) if _PRICE_CELL.fullmatch(text) else None
    if parsed is None or parsed.amount is None:
        raise ValueError(f"{where}: price {text!r} is not a price (write it as 4.20 or 4,20)")
    if parsed.amount <= 0:
        raise ValueError(f"{where}: price {text!r} must be above 0")
    return parsed.amount, parsed.currency


def read_own_catalog(path: str | Path) -> list[dict[str, Any]]:
    """The catalog's rows as product states of :data:`OWN_CATALOG_SITE` (see the module docstring).

    Raises ``ValueError`` naming the file and the line for a missing file or column, a row whose
    cells don't fit the header, a bad price, a row without an identifier, or an identifier twice.
    """
    target = Path(path)
    name = str(path)
    try:
        text = target.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ValueError(f"{name}: file not found (OWN_CATALOG names it)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"{name}: cannot read it as UTF-8 text: {exc}") from None
    first_line = text.split("\n", 1)[0]
    separator = max(_SEPARATORS, key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator)
    header = next(reader, None)
    if header is None:
        raise ValueError(f"{name}: empty file (a header row sku/gtin,name,price is needed)")
    columns = _columns(header, name)
    states: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for cells in reader:
        line = reader.line_num
        where = f"{name}:{line}"
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) != len(header):
            hint = " (quote a price with a decimal comma, or separate columns with ;)" if separator == "," else ""
            raise ValueError(f"{where}: {len(cells)} cells where the header has {len(header)}{hint}")
        row = {column: cells[index].strip() for column, index in columns.items()}
        sku, gtin = row.get("sku") or None, row.get("gtin") or None
        either = row.get("sku_gtin") or None
        if either is not None:
            if valid_gtin(either) is not None:
                gtin = gtin or either
            else:
                sku = sku or either
        if gtin is not None and valid_gtin(gtin) is None:
            raise ValueError(f"{where}: gtin {gtin!r} is not a valid GTIN (8, 12, 13 or 14 digits, check digit)")
        product_id = sku or gtin
        if product_id is None:
            raise ValueError(f"{where}: no sku or gtin")
        if product_id in seen:
            raise ValueError(f"{where}: {product_id!r} again (first on line {seen[product_id]})")
        seen[product_id] = line
        if not row["name"]:
            raise ValueError(f"{where}: no name")
        price, currency = _price(row["price"], row.get("currency") or None, where)
        state: dict[str, Any] = {
            "site": OWN_CATALOG_SITE,
            "product_id": product_id,
            "name": row["name"],
            "price": price,
            "currency": (row.get("currency") or currency or None),
        }
        for field, value in (("sku", sku), ("gtin", gtin), ("brand", row.get("brand")), ("url", row.get("url"))):
            if value:
                state[field] = value
        states.append(state)
    return states


def with_brands(states: Iterable[dict[str, Any]], brands: Iterable[Any]) -> list[dict[str, Any]]:
    """``states`` with a ``brand`` where they have none and their name starts with one of ``brands``
    (as shops write them; the longest wins), so that they can match by name."""
    known: dict[tuple[str, ...], str] = {}
    for brand in brands:
        if isinstance(brand, str) and brand_key(brand) is not None:
            known.setdefault(tuple(words(brand)), brand)
    completed = []
    for state in states:
        if not state.get("brand"):
            name_words = tuple(words(str(state.get("name") or "")))
            starts = [key for key in known if key and name_words[: len(key)] == key]
            if starts:
                state = {**state, "brand": known[max(starts, key=lambda key: (len(key), key))]}
        completed.append(state)
    return completed


def brands_of(states: Iterable[Mapping[str, Any]]) -> set[str]:
    """The brands ``states`` state (as written)."""
    return {state["brand"] for state in states if isinstance(state.get("brand"), str) and state["brand"].strip()}
