"""Price text as shops print it -> :class:`ParsedPrice` (``Decimal`` amount, ISO 4217 currency).

Built on price-parser (``price_parser.Price.fromstring``), which parses one number well but
picks the *first* number of a text and guesses separators without context. Around it:

* **Cleaning**: HTML entities (``&nbsp;``, ``&euro;``) and tags go, every Unicode space
  (NBSP, thin, narrow NBSP, figure space) becomes a plain space, ``’`` becomes ``'``.
* **Which number**: the first number standing next to a currency sign or word (``2 x 12,50 €``
  is 12.50), else the first number not followed by ``%``. Numbers touching ``/`` (dates,
  fractions) are never prices.
* **Ranges** (``12,00 € – 15,00 €``, ``12 - 15 €``, ``από 12 έως 15 €``): the low end.
  Lead-ins like ``από``, ``from``, ``ab``, ``à partir de`` need nothing special.
* **Separators**: two kinds in one number -> the last is the decimal separator
  (``1.234,56``, ``1,234.56``); one kind repeated -> grouping (``1.234.567``); one separator
  followed by 1, 2 or 4+ digits -> decimal (``12,5``, ``12.50``, ``12.3456``). The ambiguous
  shape is a single separator followed by exactly three digits (``1.234``, ``12,345``): it is
  digit grouping (one thousand two hundred thirty-four), because shops print two decimals and
  Greek shops group thousands with a dot: ``1.234 €`` == ``1.234,00 €`` == 1234.00. Exceptions:
  an integer part of ``0`` (``0,125`` is a decimal), and an explicit ``decimal_separator``
  argument, which decides *only* this ambiguous shape (text that shows its own decimal
  separator wins, so JSON-LD's ``12.50`` stays 12.50 on a shop parsed with ``","``).
  Spaces and apostrophes always group (``1 234,56``, ``1'234.50``); ``12,-`` is 12.
* **No price**: empty text, garbage, "price on request" in any of the shop languages (unless a
  number next to a currency sign shows a price after all), ``N/A``, ``—``, a negative amount
  (``-5 €``), or an absurd one (>= 1,000,000,000: barcodes and phone numbers) ->
  ``amount=None``, never 0. A text that is only "Free" / "Δωρεάν" is 0.00.
  ``0,00 €`` is ``Decimal("0.00")``: what a zero price means is the caller's decision.
* **Precision**: amounts are quantized (ROUND_HALF_UP) to 2 places, or to 3-4 places when the
  text has that many significant decimals (``12.3456`` stays ``12.3456``, ``12.3450`` is
  ``12.345``, ``1.23456`` rounds to ``1.2346``); unit prices of yarn by the gram need them.
* **Currency**: ISO 4217 code from the sign or word next to the number (``€``, ``EUR``,
  ``Euro``, ``ευρώ``, ``£``, ``CHF``, ``Fr.``, ``zł``, ``US$`` ...), else any currency the text
  shows, else ``currency_hint`` (normalized the same way). Ambiguous signs follow the hint when
  it is one of their currencies: ``$`` (default USD), ``¥`` (default JPY), ``kr`` (SEK, NOK,
  DKK, ISK; no default: ``kr`` without such a hint gives ``None``).
* Minor units (``1250`` cents) are not guessed here: API adapters know their APIs.

Numbers (int, Decimal, float via ``str()``) are taken as they are; :func:`to_decimal` is the
helper for API values (``12.5``, ``"12.50"``, ``"1250"`` are 12.50, 12.50 and 1250.00).
No function here returns a float or lets one reach arithmetic.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from price_parser import Price
from w3lib.html import remove_tags, replace_entities


@dataclass(frozen=True)
class ParsedPrice:
    amount: Decimal | None  # None: no price (price on request, garbage, empty)
    currency: str | None  # ISO 4217 code when the text shows one
    # The text says the price is given on request: no price, by design (not a parse failure).
    on_request: bool = field(default=False, compare=False)


MAX_AMOUNT = Decimal(1_000_000_000)
_MIN_PLACES, _MAX_PLACES = 2, 4

# Active ISO 4217 codes (and a few recently retired ones shops still print).
_ISO_CODES_TEXT = """
    AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN
    BWP BYN BZD CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD
    FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HRK HTG HUF IDR ILS INR IQD IRR ISK JMD JOD
    JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT
    MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG
    QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SYP SZL THB TJS TMT
    TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VES VND VUV WST XAF XCD XOF XPF YER ZAR ZMW
    ZWL
"""
ISO_CODES = frozenset(_ISO_CODES_TEXT.split())
# Codes also accepted in lower case: common enough, and not English or Greek words.
_LOWERCASE_CODES = ("eur", "usd", "gbp", "chf", "pln", "sek", "nok", "dkk", "czk", "huf", "ron", "bgn")
# Codes that outrank a rare ISO code which is also an English word (TOP, ALL, CUP, TRY...).
_COMMON_CODES = frozenset(code.upper() for code in _LOWERCASE_CODES) | {"CAD", "AUD", "JPY", "CNY", "RUB"}

# Signs and words -> ISO code. Keys are matched case-insensitively (casefolded).
_SYMBOLS: dict[str, str] = {
    "€": "EUR",
    "euro": "EUR",
    "euros": "EUR",
    "ευρώ": "EUR",
    "ευρω": "EUR",
    "£": "GBP",
    "us$": "USD",
    "usd$": "USD",
    "c$": "CAD",
    "ca$": "CAD",
    "cad$": "CAD",
    "a$": "AUD",
    "au$": "AUD",
    "aud$": "AUD",
    "nz$": "NZD",
    "hk$": "HKD",
    "s$": "SGD",
    "mx$": "MXN",
    "r$": "BRL",
    "fr.": "CHF",
    "sfr.": "CHF",
    "zł": "PLN",
    "kč": "CZK",
    "lei": "RON",
    "лв.": "BGN",
    "лв": "BGN",
    "₽": "RUB",
    "руб.": "RUB",
    "₺": "TRY",
    "₴": "UAH",
    "₹": "INR",
    "₩": "KRW",
    "₪": "ILS",
    "₫": "VND",
    "฿": "THB",
    "₱": "PHP",
    "₦": "NGN",
}
# Ambiguous signs: the hint decides when it is one of these; else the default (may be None).
_AMBIGUOUS: dict[str, tuple[tuple[str, ...], str | None]] = {
    "$": (("USD", "CAD", "AUD", "NZD", "HKD", "SGD", "MXN", "ARS", "CLP", "COP", "TWD"), "USD"),
    "¥": (("JPY", "CNY"), "JPY"),
    "kr": (("SEK", "NOK", "DKK", "ISK"), None),
    "kr.": (("DKK", "SEK", "NOK", "ISK"), None),
}


def _currency_token_regex() -> re.Pattern[str]:
    words = [*_SYMBOLS, *_AMBIGUOUS]
    # A letter on either side means the token is part of a word ("Euroknit", "kraft").
    words_alt = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
    codes_alt = "|".join(sorted(ISO_CODES)) + "|" + "|".join(_LOWERCASE_CODES)
    return re.compile(
        rf"(?<![^\W\d_])(?:(?P<code>{codes_alt})(?![^\W\d_])|(?P<word>(?i:{words_alt}))(?![^\W\d_]))"
        # "$" and "€" glued to a letter ("US$" handled above) still count: "12€", "EUR€"
        r"|(?P<sign>[€$£¥₽₺₴₹₩₪₫฿₱₦])"
    )


_CURRENCY = _currency_token_regex()

# A number as printed: grouped by spaces/apostrophes ("1 234,56", "1'234.50"), dots/commas
# ("1.234.567,89"), a leading separator (".50"); optionally "12,-" (no cents).
_NUMBER = re.compile(
    r"(?<![\d.,])"
    r"(?:\d{1,3}(?:[ ']\d{3})+(?!\d)(?:[.,]\d+)?|\d+(?:[.,]\d+)*|[.,]\d+)"
    r"(?:[.,]-)?"
    r"(?![\d])"
)
_RANGE_GAP = re.compile(r"\s*(?:-|–|—|~|to|έως|εως|μέχρι|bis|à|a|до)\s*", re.IGNORECASE)
_ON_REQUEST = re.compile(
    r"on request|upon request|request a quote|call for (?:a |the )?price|ask for (?:a |the )?price"
    r"|contact us for (?:a |the )?price|consultar precio"
    r"|price on application|\bpoa\b|\bn/?a\b|\btbd\b|\btba\b"
    r"|κατοπιν (?:επικοινωνιασ|ζητησησ|αιτησησ|προσφορασ)|επικοινωνηστε|ρωτηστε|ζητηστε προσφορα"
    r"|auf anfrage|sur demande|nous consulter|su richiesta|bajo pedido|a consultar"
)
_FREE = re.compile(r"^(?:free|δωρεαν|gratis|gratuit|kostenlos|gratuito)!?$")
_UNICODE_SPACES = re.compile(r"[\s\u00a0\u2000-\u200b\u202f\u205f\u3000]+")


def parse_price(text: object, currency_hint: str | None = None, decimal_separator: str | None = None) -> ParsedPrice:
    """Parse what a shop prints as a price (see the module docstring for the rules).

    ``currency_hint`` is the shop's currency, used when the text shows none (and to resolve
    ``$``/``kr``); ``decimal_separator`` ("," or ".") settles ``1.234``-shaped numbers only.
    """
    hint = normalize_currency(currency_hint)
    if text is None or isinstance(text, bool):
        return ParsedPrice(None, hint)
    if isinstance(text, (int, float, Decimal)):
        return ParsedPrice(to_decimal(text), hint)
    cleaned = _clean(str(text))
    if not cleaned:
        return ParsedPrice(None, hint)
    currency = _currency_of(cleaned, hint)
    folded = _fold(cleaned)
    # "Call for price: 210 1234567" has a number but no price; "12,50 € (contact us for
    # wholesale)" has one: only a number next to a currency sign outweighs the wording.
    if _ON_REQUEST.search(folded) and not _has_priced_number(cleaned):
        return ParsedPrice(None, currency, on_request=True)
    if _FREE.match(folded):
        return ParsedPrice(Decimal("0.00"), currency)
    amount = _amount_of(cleaned, decimal_separator if decimal_separator in (",", ".") else None)
    return ParsedPrice(amount, currency)


def to_decimal(value: object) -> Decimal | None:
    """A money amount from an API value (JSON number or string) -> Decimal, or None.

    ``12.5`` / ``"12.50"`` -> 12.50; ``"1250"`` -> 1250.00 (never minor units); ``"1.234"`` is
    1.234 here (an API writes numbers, not prose); floats go through ``str()``. Strings that
    are not plain numbers fall back to :func:`parse_price`. Negative, NaN, infinite,
    booleans and garbage -> None. Quantized like :func:`parse_price`.
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, float):
        value = str(value)  # the shortest repr: 12.1 stays 12.1, not 12.0999999...
    if isinstance(value, int):
        return _quantize(Decimal(value))
    if isinstance(value, Decimal):
        return _quantize(value)
    if isinstance(value, str):
        plain = value.strip()
        if re.fullmatch(r"\+?\d+(?:\.\d+)?|\+?\.\d+", plain):
            return _quantize(Decimal(plain))
        if re.fullmatch(r"[+-]?\d+(?:\.\d+)?[eE][+-]?\d+|-\d+(?:\.\d+)?", plain):
            try:
                return _quantize(Decimal(plain))
            except InvalidOperation:
                return None
        return parse_price(plain).amount if plain else None
    return None


def normalize_currency(value: str | None, hint: str | None = None) -> str | None:
    """A currency sign, word or code -> ISO 4217 code (``"€"`` -> ``"EUR"``), or None."""
    if not value or not isinstance(value, str):
        return None
    token = value.strip()
    if token.upper() in ISO_CODES and token.isalpha():
        return token.upper()
    key = token.casefold()
    if key in _SYMBOLS:
        return _SYMBOLS[key]
    if key in _AMBIGUOUS:
        candidates, default = _AMBIGUOUS[key]
        resolved = normalize_currency(hint) if hint else None
        return resolved if resolved in candidates else default
    return None


# --- internals ---------------------------------------------------------------------------


def _clean(text: str) -> str:
    text = replace_entities(text)
    if "<" in text:
        text = remove_tags(text)
    text = _UNICODE_SPACES.sub(" ", text).strip()
    text = text.replace("’", "'").replace("−", "-")
    text = re.sub(r"(\d[.,])[–—]", r"\1-", text)  # "12,–" is "12,-"
    return re.sub(r"(\d)€(\d{2})(?!\d)", r"\1,\2 €", text)  # "12€50" is 12,50 €


def _fold(text: str) -> str:
    """Lower case without accents (Greek tonos included), final sigma as sigma."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).replace("ς", "σ")


def _currency_of(text: str, hint: str | None) -> str | None:
    """The currency next to the first price, else the first one the text shows, else the hint."""
    tokens = _currency_tokens(text)
    if not tokens:
        return hint
    numbers = [m for m in _NUMBER.finditer(text) if _is_price_candidate(text, m)]
    touching = [t for t in tokens if any(_adjacent(text, t, n) for n in numbers)]
    token = (touching or tokens)[0].group(0)
    # An ambiguous sign the hint can't resolve ("kr" on a EUR shop) is no currency at all.
    return normalize_currency(token, hint)


def _currency_tokens(text: str) -> list[re.Match[str]]:
    """Currency signs/words/codes in the text; rare ISO codes ("TOP", "CUP") only when alone."""
    tokens = list(_CURRENCY.finditer(text))
    strong = [t for t in tokens if not t.group("code") or t.group("code").upper() in _COMMON_CODES]
    return strong or tokens


def _adjacent(text: str, token: re.Match[str], number: re.Match[str]) -> bool:
    if token.end() <= number.start():
        return re.fullmatch(r"\s*:?\s*", text[token.end() : number.start()]) is not None
    if number.end() <= token.start():
        return text[number.end() : token.start()].strip() == ""
    return False


def _is_price_candidate(text: str, number: re.Match[str]) -> bool:
    after = text[number.end() :].lstrip()
    if after.startswith("%"):
        return False
    # Dates and fractions (31/12, 3/4): a slash glued to a digit on either side.
    before = text[: number.start()]
    return not (re.search(r"\d/$", before) or re.match(r"/\d", text[number.end() :]))


def _has_priced_number(text: str) -> bool:
    tokens = _currency_tokens(text)
    return any(_adjacent(text, t, n) for n in _NUMBER.finditer(text) if _is_price_candidate(text, n) for t in tokens)


def _amount_of(text: str, decimal_separator: str | None) -> Decimal | None:
    numbers = [m for m in _NUMBER.finditer(text) if _is_price_candidate(text, m)]
    if not numbers:
        return None
    tokens = _currency_tokens(text)
    priced = [i for i, n in enumerate(numbers) if any(_adjacent(text, t, n) for t in tokens)]
    index = priced[0] if priced else 0
    members = _range_around(text, numbers, index, tokens)
    if _is_negative(text, numbers[members[0]], tokens):
        return None
    amounts = [a for a in (_parse_number(numbers[i].group(0), decimal_separator) for i in members) if a is not None]
    return min(amounts) if amounts else None


def _range_around(text: str, numbers: list[re.Match[str]], index: int, tokens: list[re.Match[str]]) -> list[int]:
    """Indexes of the numbers forming a range with ``numbers[index]`` (just itself if none)."""
    members = [index]
    if index > 0 and _range_gap(text, numbers[index - 1], numbers[index], tokens):
        members.insert(0, index - 1)
    if index + 1 < len(numbers) and _range_gap(text, numbers[index], numbers[index + 1], tokens):
        members.append(index + 1)
    return members


def _range_gap(text: str, first: re.Match[str], second: re.Match[str], tokens: list[re.Match[str]]) -> bool:
    gap = text[first.end() : second.start()]
    for token in tokens:  # currency signs in the gap ("12,00 € – 15,00 €") don't break a range
        if first.end() <= token.start() and token.end() <= second.start():
            gap = gap.replace(token.group(0), " ", 1)
    return _RANGE_GAP.fullmatch(gap) is not None and gap.strip() != ""


def _is_negative(text: str, number: re.Match[str], tokens: list[re.Match[str]]) -> bool:
    """A minus glued to the number or to its currency sign: ``-5 €``, ``-€5``, ``€-5``, ``EUR -5``.

    A spaced dash (``100 m - 12 €``) separates, a hyphen after a word (``SKU-12``) joins: no minus.
    """
    token_start_by_end = {t.end(): t.start() for t in tokens}
    before = text[: number.start()]
    if not before.endswith("-"):
        stripped = before.rstrip()
        if len(stripped) not in token_start_by_end:
            return False
        before = stripped[: token_start_by_end[len(stripped)]]
        if not before.endswith("-"):
            return False
    rest = before[:-1]
    return rest == "" or rest[-1] in " (:=" or len(rest) in token_start_by_end


def _parse_number(number_text: str, decimal_separator: str | None) -> Decimal | None:
    digits = number_text.removesuffix(",-").removesuffix(".-")
    separator = _decimal_separator(digits.replace(" ", "").replace("'", ""), decimal_separator)
    amount = Price.fromstring(digits, decimal_separator=separator).amount
    return _quantize(amount) if amount is not None else None


def _decimal_separator(digits: str, explicit: str | None) -> str | None:
    """The decimal separator of a number (rules in the module docstring); None: no decimals."""
    separators = re.findall(r"[.,]", digits)
    if not separators:
        return None
    if len(set(separators)) == 2:
        return separators[-1]
    if len(separators) > 1:  # "1.234.567": grouping; "." returned would misread it
        return "," if separators[0] == "." else "."
    separator = separators[0]
    whole, _, decimals = digits.partition(separator)
    if len(decimals) != 3:
        return separator
    if whole in ("", "0"):
        return separator
    if explicit:
        return explicit
    return "," if separator == "." else "."


def _quantize(amount: Decimal) -> Decimal | None:
    if not amount.is_finite() or amount < 0 or amount >= MAX_AMOUNT:
        return None
    exponent = amount.normalize().as_tuple().exponent
    decimals = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    places = min(max(decimals, _MIN_PLACES), _MAX_PLACES)
    return amount.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
