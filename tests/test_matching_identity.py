"""A product's shop-independent identity (ecommerce_scraper/matching/identity.py)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ecommerce_scraper.matching.identity import (
    brand_key,
    colour_code_key,
    gtin_check_digit,
    identity_of,
    valid_gtin,
)
from ecommerce_scraper.matching.transliterate import greek_to_latin


def state(name: str, brand: str | None = None, site: str = "shop_a", product_id: str = "1", **fields):
    attributes = fields.pop("attributes", {})
    return {"site": site, "product_id": product_id, "name": name, "brand": brand, "attributes": attributes, **fields}


# --- GTIN ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("4006381333931", "04006381333931"),  # EAN-13
        ("400-6381 333931", "04006381333931"),  # separators ignored
        ("036000291452", "00036000291452"),  # UPC-A (GTIN-12)
        ("0036000291452", "00036000291452"),  # the same as EAN-13: one GTIN
        ("96385074", "00000096385074"),  # EAN-8
        ("10614141000415", "10614141000415"),  # GTIN-14
        (4006381333931, "04006381333931"),  # an int
    ],
)
def test_valid_gtins_are_14_digits(value, expected):
    assert valid_gtin(value) == expected


@pytest.mark.parametrize(
    "value",
    ["4006381333932", "036000291453", "96385075", "10614141000416", "123456789", "400638133393X", "", None, "00000000"],
)
def test_invalid_gtins_are_ignored(value):
    assert valid_gtin(value) is None


def test_check_digit_by_hand():
    # 400638133393 from the right: 3·3+9+3·3+3+3·3+1+3·8+3+3·6+0+3·0+4 = 89, so 1 makes 90.
    assert gtin_check_digit("400638133393") == 1
    # 9638507 from the right: 3·7+0+3·5+8+3·3+6+3·9 = 86, so 4 makes 90.
    assert gtin_check_digit("9638507") == 4


def test_a_wrong_gtin_in_a_state_is_no_gtin():
    assert identity_of(state("Drops Alpaca", "Drops", gtin="4006381333932")).gtin is None
    assert identity_of(state("Drops Alpaca", "Drops", gtin="4006381333931")).gtin == "04006381333931"


# --- transliteration and brands -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("folded", "latin"),
    [
        ("μερινο", "merino"),
        ("μαλλι", "malli"),
        ("κουβαρι", "kouvari"),
        ("ντροπσ", "ntrops"),
        ("μπεμπε", "mpempe"),
        ("αυγο", "avgo"),
        ("ψυχη", "psychi"),
        ("αγγελοσ", "angelos"),
        ("drops 01", "drops 01"),
    ],
)
def test_greek_to_latin(folded, latin):
    assert greek_to_latin(folded) == latin


def test_brand_is_folded_and_transliterated_but_never_guessed():
    assert brand_key("DROPS") == brand_key("Drops") == brand_key(" drops ") == "drops"
    assert brand_key("ΝΤΡΟΠΣ") == brand_key("Ντροπς") == "ntrops"  # not "drops"
    assert brand_key("Lana Grossa") == brand_key("LANA-GROSSA") == "lanagrossa"
    assert brand_key("Drops Design") == brand_key("Garnstudio") == "drops"  # the alias table
    assert brand_key("Άλιζε") == "alize"
    assert brand_key("") is None
    assert brand_key(None) is None


def test_colour_codes_compare_without_leading_zeros_and_case():
    assert colour_code_key("01") == colour_code_key("1") == colour_code_key(1) == "1"
    assert colour_code_key("A12") == colour_code_key("a-12") == "a12"
    assert colour_code_key("1024") == "1024"
    assert colour_code_key("") is None


# --- the product line ----------------------------------------------------------------------------


MERINO_NAMES = [
    ("Drops Merino Extra Fine 01 50 g", "Drops", {"colour_code": "01", "weight_g": 50}),
    ("DROPS Merino Extra Fine χρώμα 01 (50γρ)", "DROPS", {"colour_code": "01", "weight_g": 50}),
    ("Μερινό Extra Fine Drops 01", "Drops", {"colour_code": "01"}),
]


@pytest.mark.parametrize(("name", "brand", "attributes"), MERINO_NAMES)
def test_three_spellings_one_identity(name, brand, attributes):
    identity = identity_of(state(name, brand, attributes=attributes))
    assert identity.brand == "drops"
    assert identity.line == ("extra", "fine", "merino")
    assert identity.colour_code == "1"


def test_weight_and_length_from_attributes_else_from_the_name():
    assert identity_of(state("Drops Merino Extra Fine 01 50 g", "Drops")).weight_g == Decimal(50)
    assert identity_of(state("DROPS Merino Extra Fine χρώμα 01 (50γρ)", "DROPS")).weight_g == Decimal(50)
    assert identity_of(state("Μερινό Extra Fine Drops 01", "Drops")).weight_g is None
    from_attributes = identity_of(state("Drops Merino 01", "Drops", attributes={"weight_g": 100, "length_m": "105"}))
    assert (from_attributes.weight_g, from_attributes.length_m) == (Decimal(100), Decimal(105))
    named = identity_of(state("Νήμα Alize Cotton Gold 55 100γρ 330μ", "Alize"))
    assert (named.weight_g, named.length_m, named.colour_code) == (Decimal(100), Decimal(330), "55")
    assert named.line == ("cotton", "gold")


def test_colour_code_from_the_name_when_no_attribute():
    assert identity_of(state("Drops Merino Extra Fine χρώμα 07 (50γρ)", "Drops")).colour_code == "7"
    assert identity_of(state("Drops Merino Extra Fine colour A12", "Drops")).colour_code == "a12"
    assert identity_of(state("Drops Merino Extra Fine", "Drops")).colour_code is None


def test_noise_words_fibre_shares_and_word_order_are_ignored():
    noisy = identity_of(state("ΝΕΟ! Νήμα Drops Merino Extra Fine κουβάρι 100% μαλλί - προσφορά - χρώμα 01", "Drops"))
    plain = identity_of(state("Extra Fine Merino", "Drops", attributes={"colour_code": "1"}))
    assert noisy.line == plain.line == ("extra", "fine", "merino")
    assert noisy.colour_code == plain.colour_code == "1"


def test_colour_name_words_leave_the_line():
    identity = identity_of(state("Drops Merino Extra Fine Off White", "Drops", attributes={"colour_name": "Off White"}))
    assert identity.line == ("extra", "fine", "merino")
    assert identity.colour_name == "off white"
    assert identity.colour == "off white"


def test_attributes_wrapped_as_ai_values_are_read_too():
    wrapped = {"site": "s", "product_id": "9", "name": "Drops Merino 01", "brand": "Drops"}
    wrapped["ai"] = {"colour_code": {"value": "01", "source": "rules"}, "weight_g": {"value": 50, "source": "rules"}}
    identity = identity_of(wrapped)
    assert (identity.colour_code, identity.weight_g) == ("1", Decimal(50))
    assert identity.key == ("s", "9")
