"""parse_price / to_decimal / normalize_currency on prices as real shops print them."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest

from demo_shops.store import format_price
from ecommerce_scraper.normalize import ParsedPrice, normalize_currency, parse_price, to_decimal

D = Decimal

# (text as the shop prints it, expected amount, expected currency) — no hint, no separator.
PRICES: list[tuple[object, Decimal | None, str | None]] = [
    # Greek / continental formats
    ("1.234,56 €", D("1234.56"), "EUR"),
    ("12,50 €", D("12.50"), "EUR"),
    ("12,50\u00a0€", D("12.50"), "EUR"),
    ("12,50&nbsp;€", D("12.50"), "EUR"),
    ("12,50&nbsp;&euro;", D("12.50"), "EUR"),
    ("12,50&#8364;", D("12.50"), "EUR"),
    ("1\u2009234,56\u00a0€", D("1234.56"), "EUR"),
    ("1&thinsp;234,56&nbsp;€", D("1234.56"), "EUR"),
    ("1 234,56 €", D("1234.56"), "EUR"),
    ("1\u202f234,56\u00a0€", D("1234.56"), "EUR"),
    ("1.234.567,89 €", D("1234567.89"), "EUR"),
    ("12,50€", D("12.50"), "EUR"),
    ("€ 12,50", D("12.50"), "EUR"),
    ("12,5 €", D("12.50"), "EUR"),
    ("12 €", D("12.00"), "EUR"),
    ("12,-", D("12.00"), None),
    ("12,- €", D("12.00"), "EUR"),
    ("12,– €", D("12.00"), "EUR"),
    ("CHF 12.–", D("12.00"), "CHF"),
    ("12€50", D("12.50"), "EUR"),
    ("0,00 €", D("0.00"), "EUR"),
    ("0,50 €", D("0.50"), "EUR"),
    ("12,50 ευρώ", D("12.50"), "EUR"),
    ("12,50 ΕΥΡΩ", D("12.50"), "EUR"),
    ("Ευρώ 12", D("12.00"), "EUR"),
    ("12,50 Euro", D("12.50"), "EUR"),
    ("12,50 EUR", D("12.50"), "EUR"),
    ("12,50 eur", D("12.50"), "EUR"),
    # English formats
    ("€12.50", D("12.50"), "EUR"),
    ("€1,234.50", D("1234.50"), "EUR"),
    ("12.50 EUR", D("12.50"), "EUR"),
    ("EUR 12.50", D("12.50"), "EUR"),
    ("Price: EUR 1,234.56", D("1234.56"), "EUR"),
    ("£1,234.50", D("1234.50"), "GBP"),
    ("$12.99", D("12.99"), "USD"),
    ("US$ 12.99", D("12.99"), "USD"),
    ("US$12.99", D("12.99"), "USD"),
    ("C$ 15.00", D("15.00"), "CAD"),
    ("1,234,567.89 USD", D("1234567.89"), "USD"),
    (".50 €", D("0.50"), "EUR"),
    # Swiss, Polish, Nordic, others
    ("1'234.50 CHF", D("1234.50"), "CHF"),
    ("1’234.50 CHF", D("1234.50"), "CHF"),
    ("CHF 12.50", D("12.50"), "CHF"),
    ("Fr. 12.50", D("12.50"), "CHF"),
    ("12,50 zł", D("12.50"), "PLN"),
    ("12,50 Kč", D("12.50"), "CZK"),
    ("12,50 лв.", D("12.50"), "BGN"),
    ("₺12,50", D("12.50"), "TRY"),
    ("199 kr", D("199.00"), None),  # kr is SEK/NOK/DKK/ISK: only a hint can tell
    # the thousands rule: one separator + exactly three digits groups thousands
    ("1.234 €", D("1234.00"), "EUR"),
    ("1.234,00 €", D("1234.00"), "EUR"),
    ("EUR 1.234", D("1234.00"), "EUR"),
    ("€ 1.234", D("1234.00"), "EUR"),
    ("1.000 €", D("1000.00"), "EUR"),
    ("12.345", D("12345.00"), None),
    ("1,234", D("1234.00"), None),
    ("0,125 €", D("0.125"), "EUR"),
    ("0.125", D("0.125"), None),
    # more precision kept up to 4 places
    ("12.3456", D("12.3456"), None),
    ("12,3450 €", D("12.345"), "EUR"),
    ("1.23456", D("1.2346"), None),
    ("0,0125 €/γρ.", D("0.0125"), "EUR"),
    ("12.505", D("12505.00"), None),
    # ranges: the low end
    ("12,00 € – 15,00 €", D("12.00"), "EUR"),
    ("12,00 € - 15,00 €", D("12.00"), "EUR"),
    ("12 - 15 €", D("12.00"), "EUR"),
    ("€12.50 – €15.00", D("12.50"), "EUR"),
    ("12,00 € έως 15,00 €", D("12.00"), "EUR"),
    ("από 12,00 € έως 15,00 €", D("12.00"), "EUR"),
    ("15,00 € – 12,00 €", D("12.00"), "EUR"),
    ("12 EUR - 15 EUR", D("12.00"), "EUR"),
    ("de 12,50 € à 15,00 €", D("12.50"), "EUR"),
    # lead-ins and surrounding text
    ("από 12,00 €", D("12.00"), "EUR"),
    ("Από 12,00€", D("12.00"), "EUR"),
    ("from €12.50", D("12.50"), "EUR"),
    ("From: £8.99", D("8.99"), "GBP"),
    ("ab 12,50 €", D("12.50"), "EUR"),
    ("à partir de 12,50 €", D("12.50"), "EUR"),
    ("Τιμή: 12,50€ (με ΦΠΑ)", D("12.50"), "EUR"),
    ("Τιμή: 12,50€ (με ΦΠΑ 24%)", D("12.50"), "EUR"),
    ("12,50 € Χωρίς ΦΠΑ: 10,08€", D("12.50"), "EUR"),
    ("2 x 12,50 €", D("12.50"), "EUR"),
    ("-20% 12,50 €", D("12.50"), "EUR"),
    ("Save 20%: 12,50 €", D("12.50"), "EUR"),
    ("SKU-12 12,50 €", D("12.50"), "EUR"),
    ("100 m - 12,50 €", D("12.50"), "EUR"),
    ("Offer ends 31/12 – 12,50 €", D("12.50"), "EUR"),
    ("Preis: 12,50 € inkl. MwSt.", D("12.50"), "EUR"),
    ("Prix : 12,50 € TTC", D("12.50"), "EUR"),
    ("12,50 EUR/τεμ.", D("12.50"), "EUR"),
    (
        '<span class="woocommerce-Price-amount amount"><bdi>12,50&nbsp;<span>&euro;</span></bdi></span>',
        D("12.50"),
        "EUR",
    ),
    ("  \n 12,50 \t € \n", D("12.50"), "EUR"),
    # no price: on request, empty, garbage, negative
    ("Τιμή κατόπιν επικοινωνίας", None, None),
    ("Κατόπιν ζήτησης", None, None),
    ("ΤΙΜΗ ΚΑΤΟΠΙΝ ΕΠΙΚΟΙΝΩΝΙΑΣ", None, None),
    ("Επικοινωνήστε μαζί μας: 210 1234567", None, None),
    ("Price on request", None, None),
    ("Call for price", None, None),
    ("Call for price: +30 210 1234567", None, None),
    ("Price on request (approx. 250 €)", D("250.00"), "EUR"),
    ("12,50 € - Επικοινωνήστε για χονδρική", D("12.50"), "EUR"),
    ("Preis auf Anfrage", None, None),
    ("Prix sur demande", None, None),
    ("N/A", None, None),
    ("n/a", None, None),
    ("—", None, None),
    ("-", None, None),
    ("", None, None),
    ("   ", None, None),
    (None, None, None),
    ("garbage", None, None),
    ("Προσθήκη στο καλάθι", None, None),
    ("€", None, "EUR"),
    ("-5 €", None, "EUR"),
    ("-5,00 €", None, "EUR"),
    ("\u221212,50 €", None, "EUR"),  # MINUS SIGN, as some themes print it
    ("-€5", None, "EUR"),
    ("€-5", None, "EUR"),
    ("EUR -5,00", None, "EUR"),
    ("Έκπτωση: -5,00 €", None, "EUR"),
    ("5201234567890", None, None),  # an EAN barcode, not a price
    ("Free", D("0.00"), None),
    ("Δωρεάν", D("0.00"), None),
    # numbers
    (12, D("12.00"), None),
    (0, D("0.00"), None),
    (D("12.5"), D("12.50"), None),
    (D("1234.5678"), D("1234.5678"), None),
    (12.5, D("12.50"), None),
    (12.1, D("12.10"), None),
    (0.1, D("0.10"), None),
    (-1, None, None),
    (True, None, None),
    (float("nan"), None, None),
    (float("inf"), None, None),
    (D("NaN"), None, None),
]


def assert_exact(result: ParsedPrice, amount: Decimal | None, currency: str | None) -> None:
    assert result == ParsedPrice(amount, currency)
    if amount is not None:
        assert isinstance(result.amount, Decimal)
        # Decimal("12.5") == Decimal("12.50"): compare the digits and exponent too.
        assert result.amount.as_tuple() == amount.as_tuple()


@pytest.mark.parametrize(("text", "amount", "currency"), PRICES, ids=[repr(p[0])[:40] for p in PRICES])
def test_parse_price(text: object, amount: Decimal | None, currency: str | None) -> None:
    assert_exact(parse_price(text), amount, currency)


def test_table_is_large_enough() -> None:
    assert len({repr(text) for text, _, _ in PRICES if isinstance(text, str)}) >= 60


@pytest.mark.parametrize(
    ("text", "hint", "amount", "currency"),
    [
        ("12,50", "EUR", D("12.50"), "EUR"),  # no currency in the text: the hint
        ("12,50", "eur", D("12.50"), "EUR"),
        ("12,50", "€", D("12.50"), "EUR"),
        ("£12.50", "EUR", D("12.50"), "GBP"),  # the text wins over the hint
        ("199 kr", "SEK", D("199.00"), "SEK"),
        ("199 kr", "DKK", D("199.00"), "DKK"),
        ("199 kr", "EUR", D("199.00"), None),
        ("$12", "CAD", D("12.00"), "CAD"),
        ("$12", "EUR", D("12.00"), "USD"),
        ("¥1200", "CNY", D("1200.00"), "CNY"),
        ("Τιμή κατόπιν επικοινωνίας", "EUR", None, "EUR"),
        ("", "EUR", None, "EUR"),
        (None, "EUR", None, "EUR"),
        (D("12.5"), "EUR", D("12.50"), "EUR"),
    ],
)
def test_currency_hint(text: object, hint: str, amount: Decimal | None, currency: str | None) -> None:
    assert_exact(parse_price(text, hint), amount, currency)


@pytest.mark.parametrize(
    ("text", "separator", "amount"),
    [
        # The explicit separator settles only the ambiguous "one separator + 3 digits" shape...
        ("1.234", ",", D("1234.00")),
        ("1.234", ".", D("1.234")),
        ("1,234", ",", D("1.234")),
        ("1,234", ".", D("1234.00")),
        ("1.234 €", ",", D("1234.00")),
        # ...text that shows its own decimal separator wins (JSON-LD "12.50" on a Greek shop).
        ("12.50", ",", D("12.50")),
        ("12,50", ".", D("12.50")),
        ("1.234,56", ".", D("1234.56")),
        ("1,234.56", ",", D("1234.56")),
        ("1.234.567", ".", D("1234567.00")),
        ("12,50", ";", D("12.50")),  # not a decimal separator: ignored
    ],
)
def test_decimal_separator(text: str, separator: str, amount: Decimal) -> None:
    assert_exact(parse_price(text, "EUR", separator), amount, "EUR")


@pytest.mark.parametrize(
    "amount",
    [D(a) for a in ("0.00", "0.50", "1.00", "12.50", "999.99", "1000.00", "1234.50", "12345.67", "1234567.89")],
)
@pytest.mark.parametrize("language", ["el", "en"])
def test_round_trip_of_demo_store_formatting(amount: Decimal, language: str) -> None:
    """What the demo stores print (``format_price``) parses back to the same Decimal."""
    assert_exact(parse_price(format_price(amount, language)), amount, "EUR")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (12.5, D("12.50")),
        ("12.50", D("12.50")),
        ("12.5", D("12.50")),
        ("1250", D("1250.00")),  # never minor units
        (1250, D("1250.00")),
        ("1.234", D("1.234")),  # an API writes numbers, not prose
        (" 7.00 ", D("7.00")),
        ("0", D("0.00")),
        (0, D("0.00")),
        ("1e3", D("1000.00")),
        (D("19.999"), D("19.999")),
        (D("19.99999"), D("20.0000")),
        (0.1 + 0.2, D("0.3")),  # str(0.30000000000000004) keeps 17 digits; rounded to 4 places
        ("1,234.50", D("1234.50")),  # not a plain number: parsed like shop text
        ("12,50", D("12.50")),
        ("-3", None),
        (-3.5, None),
        ("abc", None),
        ("", None),
        (None, None),
        (True, None),
        (False, None),
        (float("nan"), None),
        (float("inf"), None),
        (1e20, None),
        ([12], None),
    ],
)
def test_to_decimal(value: object, expected: Decimal | None) -> None:
    result = to_decimal(value)
    assert result == expected
    if expected is not None:
        assert isinstance(result, Decimal)


def test_to_decimal_float_goes_through_str() -> None:
    # Decimal(0.1) would be 0.1000000000000000055511151231257827...: str() first.
    assert to_decimal(0.1).as_tuple() == D("0.10").as_tuple()
    assert to_decimal(12.345).as_tuple() == D("12.345").as_tuple()


@pytest.mark.parametrize(
    ("token", "hint", "code"),
    [
        ("€", None, "EUR"),
        ("EUR", None, "EUR"),
        ("eur", None, "EUR"),
        ("Euro", None, "EUR"),
        ("ευρώ", None, "EUR"),
        ("US$", None, "USD"),
        ("£", None, "GBP"),
        ("CHF", None, "CHF"),
        ("zł", None, "PLN"),
        ("kr", "NOK", "NOK"),
        ("kr", None, None),
        ("$", "AUD", "AUD"),
        ("$", None, "USD"),
        ("XYZ", None, None),
        ("", None, None),
        (None, None, None),
    ],
)
def test_normalize_currency(token: str | None, hint: str | None, code: str | None) -> None:
    assert normalize_currency(token, hint) == code


def _all_inputs() -> list[object]:
    rng = random.Random(20240601)
    alphabet = "0123456789.,' -–€$£%:/xEURkrabcΤιμή\u00a0\u2009"
    fuzz = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 14))) for _ in range(400)]
    return [text for text, _, _ in PRICES] + fuzz


def test_never_returns_a_float_or_a_negative_or_raises() -> None:
    for text in _all_inputs():
        result = parse_price(text)
        assert result.amount is None or isinstance(result.amount, Decimal), text
        assert result.amount is None or result.amount >= 0, text
        assert result.currency is None or isinstance(result.currency, str), text
        decimal = to_decimal(text)
        assert decimal is None or isinstance(decimal, Decimal), text
        for hint, separator in (("EUR", ","), ("USD", "."), ("SEK", None)):
            hinted = parse_price(text, hint, separator)
            assert hinted.amount is None or isinstance(hinted.amount, Decimal), text
            assert not isinstance(hinted.currency, float)


def test_amount_has_two_to_four_places() -> None:
    for text in _all_inputs():
        amount = parse_price(text).amount
        if amount is not None:
            assert 2 <= -amount.as_tuple().exponent <= 4, (text, amount)


@pytest.mark.parametrize(
    ("text", "on_request"),
    [("Τιμή κατόπιν επικοινωνίας", True), ("Price on request", True), ("??? €", False), ("12,50 €", False)],
)
def test_on_request_is_told_apart_from_unreadable(text: str, on_request: bool) -> None:
    assert parse_price(text).on_request is on_request
