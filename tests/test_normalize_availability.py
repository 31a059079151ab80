"""map_availability on schema.org values, platform flags and shop wording (el, en, de, fr)."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest

from ecommerce_scraper.items import AVAILABILITY_VALUES
from ecommerce_scraper.normalize import AVAILABILITIES, map_availability

IN, OUT, PRE, BACK = "in_stock", "out_of_stock", "preorder", "backorder"

AVAILABILITY: list[tuple[object, str | None]] = [
    # schema.org, full URLs and short forms
    ("https://schema.org/InStock", IN),
    ("http://schema.org/InStock", IN),
    ("https://schema.org/OutOfStock", OUT),
    ("http://schema.org/OutOfStock", OUT),
    ("https://schema.org/PreOrder/", PRE),
    ("schema:BackOrder", BACK),
    ("InStock", IN),
    ("OutOfStock", OUT),
    ("LimitedAvailability", IN),
    ("OnlineOnly", IN),
    ("InStoreOnly", IN),
    ("SoldOut", OUT),
    ("Discontinued", OUT),
    ("Reserved", OUT),
    ("PreOrder", PRE),
    ("PreSale", PRE),
    ("BackOrder", BACK),
    ("MadeToOrder", BACK),
    # platform flags
    ("instock", IN),
    ("outofstock", OUT),
    ("onbackorder", BACK),
    ("IN_STOCK", IN),
    ("OUT_OF_STOCK", OUT),
    (True, IN),
    (False, OUT),
    ("true", IN),
    ("false", OUT),
    ("True", IN),
    (1, IN),
    (0, OUT),
    ("1", IN),
    ("0", OUT),
    (12, IN),  # a stock quantity
    ("12", IN),
    (-2, None),  # oversold: the count says nothing
    (1.0, IN),
    (Decimal("0"), OUT),
    ("available", IN),
    ("unavailable", OUT),
    ("yes", IN),
    ("no", OUT),
    # CSS classes
    ("in-stock", IN),
    ("out-of-stock", OUT),
    ("available-on-backorder", BACK),
    ("stock in-stock", IN),
    ("stock out-of-stock", OUT),
    ("stock available-on-backorder", BACK),
    ("product type-product post-42 status-publish instock sale", IN),
    ("product type-product post-43 status-publish outofstock", OUT),
    # Greek, with and without accents, any case
    ("Διαθέσιμο", IN),
    ("διαθεσιμο", IN),
    ("ΔΙΑΘΈΣΙΜΟ", IN),
    ("Άμεσα διαθέσιμο", IN),
    ("ΑΜΕΣΑ ΔΙΑΘΕΣΙΜΟ", IN),
    ("Σε απόθεμα", IN),
    ("Τελευταία τεμάχια", IN),
    ("Διαθεσιμότητα: Άμεσα διαθέσιμο", IN),
    ("Εξαντλημένο", OUT),
    ("ΕΞΑΝΤΛΗΜΕΝΟ", OUT),
    ("Εξαντλήθηκε", OUT),
    ("Μη διαθέσιμο", OUT),
    ("μη διαθεσιμο", OUT),
    ("Προσωρινά μη διαθέσιμο", OUT),
    ("Δεν είναι διαθέσιμο", OUT),
    ("Διαθεσιμότητα: Εξαντλημένο", OUT),
    ("Αναμένεται", OUT),
    ("Κατόπιν παραγγελίας", PRE),  # cityknitting's pre-order wording
    ("κατοπιν παραγγελιας", PRE),
    ("Διαθεσιμότητα: Κατόπιν παραγγελίας", PRE),  # the label is no "Διαθέσιμο"
    ("Διαθέσιμο κατόπιν παραγγελίας", BACK),  # PrestaShop's (knitshop) backorder wording
    ("ΔΙΑΘΕΣΙΜΟ ΚΑΤΟΠΙΝ ΠΑΡΑΓΓΕΛΙΑΣ", BACK),
    ("Προ-παραγγελία", PRE),  # OpenCart
    ("Προπαραγγελία", PRE),
    ("Διαθέσιμο σε 1-3 ημέρες", IN),
    ("Άμεσα διαθέσιμο - Παράδοση σε 1-3 ημέρες", IN),
    ("Διαθέσιμο σε 4-10 ημέρες", BACK),
    ("Διαθέσιμο σε 10 - 30 ημέρες", BACK),
    ("Παράδοση σε 2 εβδομάδες", BACK),
    # English
    ("In stock", IN),
    ("IN STOCK", IN),
    ("In Stock.", IN),
    ("Only 3 left", IN),
    ("Only 3 left in stock", IN),
    ("3 in stock", IN),
    ("0 in stock", OUT),
    ("Last items in stock", IN),
    ("Limited availability", IN),
    ("In stock (can be backordered)", IN),
    ("Availability: InStock", IN),
    ("Out of stock", OUT),
    ("Temporarily out of stock", OUT),
    ("Sold out", OUT),
    ("SOLD OUT", OUT),
    ("Not available", OUT),
    ("Currently unavailable", OUT),
    ("No longer available", OUT),
    ("Coming soon", OUT),
    ("Pre-order", PRE),
    ("Pre-order now", PRE),
    ("Available for pre-order", PRE),
    ("Available on backorder", BACK),
    ("On backorder", BACK),
    ("Made to order", BACK),
    ("Ships in 1-2 days", IN),
    ("Usually ships in 24 hours", IN),
    ("Ships in 2-3 weeks", BACK),
    ("Ships within 5 days", BACK),
    # German
    ("Auf Lager", IN),
    ("Lieferbar", IN),
    ("Sofort lieferbar", IN),
    ("Verfügbar", IN),
    ("Nur noch 2 auf Lager", IN),
    ("Nicht vorrätig", OUT),
    ("Nicht lieferbar", OUT),
    ("Derzeit nicht verfügbar", OUT),
    ("Ausverkauft", OUT),
    ("Vorbestellbar", PRE),
    ("Auf Bestellung", BACK),
    ("Lieferzeit: 5-7 Werktage", BACK),
    ("Lieferzeit: 1-3 Werktage", IN),
    # French
    ("En stock", IN),
    ("Disponible", IN),
    ("Plus que 3 en stock", IN),
    ("Derniers articles en stock", IN),
    ("Rupture de stock", OUT),
    ("Épuisé", OUT),
    ("EPUISE", OUT),
    ("Non disponible", OUT),
    ("Indisponible", OUT),
    ("Bientôt disponible", OUT),
    ("Précommande", PRE),
    ("Pré-commande", PRE),
    ("Sur commande", BACK),
    ("Expédié sous 2 à 3 semaines", BACK),
    # unknown
    ("", None),
    ("   ", None),
    (None, None),
    ("garbage", None),
    ("Add to cart", None),
    ("-1", None),
    ([1], None),
    ({"available": True}, None),
    (float("nan"), None),
    (Decimal("NaN"), None),
]


@pytest.mark.parametrize(("value", "expected"), AVAILABILITY, ids=[repr(a[0])[:40] for a in AVAILABILITY])
def test_map_availability(value: object, expected: str | None) -> None:
    assert map_availability(value) == expected


def test_table_is_large_enough() -> None:
    assert len({v for v, _ in AVAILABILITY if isinstance(v, str)}) >= 40


def test_enum_matches_the_product_item() -> None:
    assert set(AVAILABILITIES) == set(AVAILABILITY_VALUES)


def test_accents_and_case_do_not_matter() -> None:
    for text in ("Διαθέσιμο", "Εξαντλημένο", "Κατόπιν παραγγελίας", "Διαθέσιμο κατόπιν παραγγελίας", "Προ-παραγγελία"):
        expected = map_availability(text)
        stripped = text.translate(str.maketrans("άέήίόύώΆΈΉΊΌΎΏ", "αεηιουωΑΕΗΙΟΥΩ"))
        assert map_availability(stripped.upper()) == expected
        assert map_availability(stripped.lower()) == expected
        assert map_availability(f"  {text}\n") == expected


def test_result_is_always_an_enum_value_or_none() -> None:
    rng = random.Random(7)
    words = ["in", "out", "of", "stock", "μη", "διαθέσιμο", "κατόπιν", "παραγγελίας", "pre", "order", "0", "-"]
    fuzz = [" ".join(rng.choice(words) for _ in range(rng.randint(0, 6))) for _ in range(300)]
    for value in [v for v, _ in AVAILABILITY] + fuzz:
        result = map_availability(value)
        assert result is None or result in AVAILABILITY_VALUES, value
        assert not isinstance(result, float)
