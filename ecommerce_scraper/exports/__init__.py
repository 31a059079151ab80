"""Export files users open: CSV and Excel building blocks (columns, cells, writers, feeds).

- :mod:`.columns`: the documented column lists (:data:`FULL_COLUMNS`, :data:`SEO_COLUMNS`,
  :data:`DIFF_COLUMNS`, :data:`VARIANT_COLUMNS`, :data:`MASTER_CHANGES_COLUMNS`) and
  :func:`markdown_table` for the README.
- :mod:`.cells`: formula neutralization for CSV, money and date text.
- :mod:`.csvfile`: :func:`write_csv` (UTF-8 with BOM, streamed) and :func:`atomic_open`.
- :mod:`.xlsxfile`: :class:`XlsxWriter`, streaming workbooks on XlsxWriter's constant_memory mode.
- :mod:`.feeds`: Scrapy feed exporters for ``-O out.xlsx`` / ``-O out.csv``.
"""

from .cells import iso, money_text, neutralize
from .columns import (
    DIFF_COLUMNS,
    FULL_COLUMNS,
    MASTER_CHANGES_COLUMNS,
    SEO_COLUMNS,
    VARIANT_COLUMNS,
    Column,
    change_direction,
    markdown_table,
    variant_rows,
)
from .csvfile import atomic_open, write_csv
from .xlsxfile import SheetWriter, XlsxWriter

__all__ = [
    "DIFF_COLUMNS",
    "FULL_COLUMNS",
    "MASTER_CHANGES_COLUMNS",
    "SEO_COLUMNS",
    "VARIANT_COLUMNS",
    "Column",
    "SheetWriter",
    "XlsxWriter",
    "atomic_open",
    "change_direction",
    "iso",
    "markdown_table",
    "money_text",
    "neutralize",
    "variant_rows",
    "write_csv",
]
