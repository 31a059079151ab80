"""``python -m ecommerce_scraper.exports.reference > docs/exports.md``: the file reference.

Generated from the column definitions the writers use, so the documentation can't drift
from the files (a test compares them).
"""

from __future__ import annotations

from ..matching.compare import COMPARE_COLUMNS
from .columns import (
    DIFF_COLUMNS,
    FULL_COLUMNS,
    MASTER_CHANGES_COLUMNS,
    PROXY_COLUMNS,
    SEO_COLUMNS,
    SUMMARY_COLUMNS,
    VARIANT_COLUMNS,
    markdown_table,
)
from .compare_export import compare_sheet_columns
from .position_sheets import MOST_EXPENSIVE_COLUMNS, POSITION_COLUMNS

_FILES = (
    ("full.csv, and the Products sheet of <site>.xlsx", "One row per product of the crawl.", FULL_COLUMNS),
    ("seo.csv", "One row per product: its URL and SEO fields.", SEO_COLUMNS),
    ("diff.csv, and the Changes sheet of <site>.xlsx", "One row per change the crawl detected.", DIFF_COLUMNS),
    ("the Variants sheet of <site>.xlsx", "One row per variant.", VARIANT_COLUMNS),
    (
        "the Summary sheet of master.xlsx",
        "One row per shop: its newest products and what its last crawl changed. Each shop's own sheet"
        " (named after it) has the columns of full.csv, for its newest finished crawl.",
        SUMMARY_COLUMNS,
    ),
    ("the All changes sheet of master.xlsx", "The last crawl's changes of every shop.", MASTER_CHANGES_COLUMNS),
    (
        "proxy_stats.csv, and the Proxies sheet of master.xlsx",
        'One row per proxy a shop\'s last crawl used (only shops with `"proxies": true`).',
        PROXY_COLUMNS,
    ),
    (
        "compare.csv",
        "The same product across shops: one row per (matched product, shop) of every shop's products not"
        " marked removed, groups of two shops or more, by `match_id`; `pin`/`apart` decisions by hand in"
        " `config/matches.csv` (`MATCHES_FILE`). Rewritten with master.xlsx.",
        COMPARE_COLUMNS,
    ),
    (
        "the Compare sheet of master.xlsx (when a product is matched at two shops or more)",
        "One row per matched product; one price column per shop that has one (named after the shop, here `<site>`).",
        compare_sheet_columns(["<site>"]),
    ),
    (
        "the Compare sheet with an own shop (`own_site` in config/sites.json, or `OWN_CATALOG`)",
        "Your price first (named after your shop, here `<own>`), then the gap to the cheapest competitor;"
        " each price cell coloured by the shop's stock (green in stock, red out of stock, amber backorder or"
        " preorder, grey unknown; the legend is a note on the header).",
        compare_sheet_columns(["<own>", "<site>"], "<own>"),
    ),
    (
        "the Position sheet of master.xlsx (with an own shop)",
        "One row per competitor that shares a priced product with you (`matching/position.py` defines the"
        " figures: exact Decimals, rounded once to two places, half up).",
        POSITION_COLUMNS,
    ),
    (
        "the Most expensive sheet of master.xlsx (with an own shop)",
        "The products where you are the most expensive shop and more than 10 % above the cheapest"
        " competitor, the biggest gap first.",
        MOST_EXPENSIVE_COLUMNS,
    ),
)


def render() -> str:
    parts = [
        "# Export files",
        "",
        "Written at the end of every crawl (and by `scrapy export`) under `EXPORTS_DIR` (default `exports/`):",
        "`<site>/<crawl_id>/` holds `full.csv`, `seo.csv`, `diff.csv` and `<site>.xlsx`; `<site>/latest/` holds",
        "copies of the newest *finished* crawl's files (a partial or failed crawl never replaces them);",
        "`master.xlsx` has a Summary sheet, one sheet per shop and an All changes sheet.",
        "",
        "CSV files are UTF-8 with a BOM, with a header row and the columns below, in this order. Prices are",
        "plain decimal strings (`1234.50`), dates ISO 8601. Any text a spreadsheet would evaluate (starting",
        "with `=`, `+`, `-`, `@`, a tab or a carriage return) is prefixed with `'`. In the workbooks prices are",
        "numbers with a currency format, dates are dates, text is always a text cell (never a formula), the",
        "header is bold and frozen, and price drops and rises are highlighted on the Changes sheets.",
        "",
        "This page is generated: `python -m ecommerce_scraper.exports.reference > docs/exports.md`.",
    ]
    for title, about, columns in _FILES:
        parts += ["", f"## {title}", "", about, "", markdown_table(columns)]
    return "\n".join(parts).rstrip() + "\n"


if __name__ == "__main__":
    print(render(), end="")
