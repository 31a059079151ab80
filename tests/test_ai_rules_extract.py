"""extract_rules on product texts as yarn shops write them: tables, precedence, types, and robustness."""

from __future__ import annotations

import random
from typing import Any

import pytest

from ecommerce_scraper.ai.rules import extract_rules, parse_text
from ecommerce_scraper.ai.schema import ATTRIBUTE_FIELDS, YarnAttributes

from .test_ai_rules import assert_valid, fib, gauge, needles

# --- extract_rules: tables, precedence, types -------------------------------------------------

# (id, extract_rules keyword arguments, expected values, expected sources)
PRODUCTS: list[tuple[str, dict[str, Any], dict[str, Any], dict[str, str]]] = [
    (
        "structured-wins-over-text",
        {
            "name": "Νήμα Alize Merino",
            "description": "Σύνθεση: 100% μαλλί. Βάρος: 50 γρ. Μήκος: 100 μ. Βελόνες 3-3,5 mm.",
            "attributes": {
                "Σύνθεση": "75% μαλλί, 25% πολυαμίδιο",
                "Βάρος": "100 γρ.",
                "Μήκος": "420 μ.",
                "Βελόνες": "2,5-3 mm",
            },
        },
        {
            "fibres": fib(("wool", 75), ("polyamide", 25)),
            "weight_g": 100,
            "length_m": 420,
            **needles(2.5, 3),
            "product_type": "yarn",
        },
        {
            "fibres": "structured",
            "weight_g": "structured",
            "length_m": "structured",
            "needle_mm_min": "structured",
            "needle_mm_max": "structured",
            "product_type": "rules",
        },
    ),
    (
        "table-and-text-complement",
        {
            "name": "Lana Grossa Cool Wool",
            "description": "Extra fine merino, 4 ply. Made in Italy. Gauge: 28 sts x 36 rows = 10 cm.",
            "attributes": {"Composition": "100% Merino", "Weight": "50 g", "Needle size": "3.5-4 mm"},
            "category": "Wool",
        },
        {
            "fibres": fib(("merino wool", 100)),
            "weight_g": 50,
            **needles(3.5, 4),
            **gauge(28, 36),
            "yarn_weight": "fingering",
            "origin": "Italy",
            "product_type": "yarn",
        },
        {
            "fibres": "structured",
            "weight_g": "structured",
            "needle_mm_min": "structured",
            "needle_mm_max": "structured",
            "gauge": "rules",
            "yarn_weight": "rules",
            "origin": "rules",
            "product_type": "rules",
        },
    ),
    (
        "table-bare-numbers-and-colour",
        {
            "name": "Katia Merino Aran",
            "attributes": {
                "Βάρος": "100",
                "Μήκος (μ)": 200,
                "Χρώμα": "Κόκκινο 01",
                "Προέλευση": "Ισπανία",
                "Φροντίδα": "Πλύσιμο στο πλυντήριο στους 30°C",
            },
        },
        {
            "weight_g": 100,
            "length_m": 200,
            "colour_name": "Κόκκινο",
            "colour_code": "01",
            "origin": "Spain",
            "care": "Πλύσιμο στο πλυντήριο στους 30°C",
            "yarn_weight": "aran",
            "product_type": "yarn",
        },
        {
            "weight_g": "structured",
            "length_m": "structured",
            "colour_name": "structured",
            "colour_code": "structured",
            "origin": "structured",
            "care": "structured",
            "yarn_weight": "rules",
            "product_type": "rules",
        },
    ),
    (
        "table-yards-and-unstated-percentages",
        {
            "name": "Silk Blend",
            "attributes": {"Composition": "Merino, Silk", "Length (yds)": "137", "Yarn weight": "DK"},
        },
        {
            "fibres": fib(("merino wool", None), ("silk", None)),
            "length_m": 125,
            "yarn_weight": "dk",
            "product_type": "yarn",
        },
        {"fibres": "structured", "length_m": "structured", "yarn_weight": "structured", "product_type": "rules"},
    ),
    (
        "colour-from-one-place",
        {"name": "Drops Nepal col. 0100", "attributes": {"Colour": "Off White", "Ply": "8"}},
        # the name's "col. 0100" is not paired with the table's colour name
        {"colour_name": "Off White", "yarn_weight": "dk"},
        {"colour_name": "structured", "yarn_weight": "structured"},
    ),
    (
        "colour-en-table",
        {"name": "Drops Nepal", "attributes": {"Colour": "Red (102)", "Origin": "Peru"}},
        {"colour_name": "Red", "colour_code": "102", "origin": "Peru"},
        {"colour_name": "structured", "colour_code": "structured", "origin": "structured"},
    ),
    (
        "needles-product-size-in-name",
        {
            "name": "Βελόνες πλεξίματος KnitPro Symfonie 4,5 mm",
            "description": "Ίσιες βελόνες από ξύλο σημύδας, μήκος 35 εκ.",
            "attributes": {"Υλικό": "Birch"},
        },
        {**needles(4.5), "product_type": "needles"},
        {"needle_mm_min": "rules", "needle_mm_max": "rules", "product_type": "rules"},
    ),
    (
        "needles-product-size-attribute",
        {
            "name": "ChiaoGoo Red Lace",
            "attributes": {"Μέγεθος": "3,5 mm", "Μήκος": "80"},
            "category": "Κυκλικές βελόνες",
            "breadcrumbs": ["Αρχική", "Βελόνες", "Κυκλικές βελόνες"],
        },
        {**needles(3.5), "product_type": "needles"},
        {"needle_mm_min": "structured", "needle_mm_max": "structured", "product_type": "rules"},
    ),
    (
        "hook-product",
        {"name": "Βελονάκι Clover Amour 4 mm", "description": "Εργονομικό βελονάκι με λαβή από σιλικόνη."},
        {"hook_mm": 4, "product_type": "hook"},
        {"hook_mm": "rules", "product_type": "rules"},
    ),
    (
        "hook-product-size-attribute",
        {"name": "Prym Ergonomics", "attributes": {"Size": "5 mm"}, "category": "Crochet hooks"},
        {"hook_mm": 5, "product_type": "hook"},
        {"hook_mm": "structured", "product_type": "rules"},
    ),
    (
        "kit",
        {
            "name": "Kit: Mohair scarf",
            "description": "Everything you need: 3 balls of kid mohair, 5 mm needles and the pattern.",
        },
        {**needles(5), "product_type": "kit"},
        {"needle_mm_min": "rules", "needle_mm_max": "rules", "product_type": "rules"},
    ),
    (
        "pattern",
        {
            "name": "Πατρόν: Ζακέτα Αιγαίο",
            "description": "Σχέδιο πλεξίματος για ζακέτα με νήμα DK. Βελόνες 4 mm. Δείγμα: 22 π. x 30 σ.",
        },
        {**needles(4), **gauge(22, 30), "yarn_weight": "dk", "product_type": "pattern"},
        {
            "needle_mm_min": "rules",
            "needle_mm_max": "rules",
            "gauge": "rules",
            "yarn_weight": "rules",
            "product_type": "rules",
        },
    ),
    (
        "notion",
        {"name": "Τσάντα πλεκτικής Clover", "description": "Βαμβακερή τσάντα για νήματα και βελόνες."},
        {"product_type": "notion"},
        {"product_type": "rules"},
    ),
    (
        "type-from-table",
        {"name": "Addi Click", "attributes": {"Τύπος": "Κυκλικές βελόνες"}},
        {"product_type": "needles"},
        {"product_type": "structured"},
    ),
    (
        "type-from-breadcrumbs",
        {"name": "Drops Air", "breadcrumbs": ["Αρχική", "Νήματα", "Νέες αφίξεις"]},
        {"product_type": "yarn"},
        {"product_type": "rules"},
    ),
    (
        "type-from-description",
        {"name": "Addi Novel", "description": "Κυκλικές βελόνες 80 εκ. με ακίδες αλουμινίου."},
        {"product_type": "needles"},
        {"product_type": "rules"},
    ),
    (
        "invalid-table-value-falls-back-to-text",
        {
            "name": "Wool yarn",
            "description": "Needles: 4-4.5 mm. Weight: 50 g.",
            "attributes": {"Βελόνες": "5-4 mm", "Βάρος": "0 γρ.", "Σύνθεση": "80% wool, 80% acrylic"},
        },
        {**needles(4, 4.5), "weight_g": 50, "product_type": "yarn"},
        {"needle_mm_min": "rules", "needle_mm_max": "rules", "weight_g": "rules", "product_type": "rules"},
    ),
    (
        "material-of-a-tool-is-no-fibre",
        {"name": "Straight needles Pony Bamboo", "attributes": {"Material": "Bamboo"}},
        {"product_type": "needles"},
        {"product_type": "rules"},
    ),
    ("nothing", {}, {}, {}),
    ("garbage", {"name": "<<<>>>", "description": "%%% 123 --- &amp;", "attributes": {"x": "y", 1: 2}}, {}, {}),
]


@pytest.mark.parametrize(("kwargs", "expected", "sources"), [pytest.param(k, e, s, id=i) for i, k, e, s in PRODUCTS])
def test_extract_rules(kwargs: dict[str, Any], expected: dict[str, Any], sources: dict[str, str]) -> None:
    extraction = extract_rules(**kwargs)
    assert extraction.values == expected
    assert extraction.sources == sources
    assert_valid(extraction)


def test_structured_wins_but_text_fills_the_gaps() -> None:
    extraction = extract_rules(
        name="Νήμα Gazzal Baby Wool",
        description="Σύνθεση: 40% μαλλί, 60% ακρυλικό. Πλύσιμο στο χέρι στους 30°C. Made in Turkey.",
        attributes={"Σύνθεση": "40% μαλλί merino, 20% κασμίρι, 40% ακρυλικό"},
    )
    assert extraction.values["fibres"] == fib(("merino wool", 40), ("cashmere", 20), ("acrylic", 40))
    assert extraction.sources["fibres"] == "structured"
    assert (extraction.values["origin"], extraction.sources["origin"]) == ("Turkey", "rules")
    assert extraction.sources["care"] == "rules"


# --- robustness ------------------------------------------------------------------------------

ODD_INPUTS: list[Any] = [
    None,
    "",
    " ",
    "\n\n\t",
    "0",
    "0 g 0 m 0 mm 0%",
    "999999 g 999999 m 999 mm 1000%",
    "9" * 5000,
    "%" * 5000,
    "<" * 3000 + ">" * 3000,
    "<script>alert('x')</script><p>Βάρος: 50 γρ.</p>",
    "&#0; &#xffff; &bogus; \x00\x01\ufeff",
    "ﬁ ß ½ µ ΐ ς ﾟ 𝟒 ply",
    "3,5-" * 2000,
    "Βελόνες " * 2000,
    "Χρώμα: " * 2000,
    "1% wool " * 2000,
]


@pytest.mark.parametrize("text", [pytest.param(t, id=f"odd-{i}") for i, t in enumerate(ODD_INPUTS)])
def test_odd_inputs_never_raise(text: Any) -> None:
    found = parse_text(text)
    YarnAttributes.model_validate({**dict.fromkeys(ATTRIBUTE_FIELDS), **found})
    extraction = extract_rules(
        name=text, description=text, attributes={"Σύνθεση": text, "Βάρος": text, "Size": text}, category=text
    )
    assert_valid(extraction)


def test_odd_argument_types_never_raise() -> None:
    for value in (None, 0, 1.5, b"bytes", ["a", "b"], {"a": 1}, object()):
        extraction = extract_rules(
            name=value,  # type: ignore[arg-type]
            description=value,  # type: ignore[arg-type]
            attributes=value,  # type: ignore[arg-type]
            category=value,  # type: ignore[arg-type]
            breadcrumbs=value,  # type: ignore[arg-type]
        )
        assert extraction.values == {}
    extraction = extract_rules(
        attributes={"Βάρος": 50, "Μήκος": 125.0, "Χρώμα": ["Κόκκινο 01"], "Σύνθεση": None, "Βελόνες": float("nan")}
    )
    assert extraction.values == {"weight_g": 50, "length_m": 125, "colour_name": "Κόκκινο", "colour_code": "01"}


_VOCABULARY_TEXT = (
    "100% 75% 25% 50% 60% 40% % μαλλί merino Wool πολυαμίδιο Nylon mohair silk βαμβάκι ακρυλικό "
    "3,5 4 4.5 2,5 - – — έως to mm χιλ. γρ. g gr 50 100 125 420 m μ. yds oz 1.76 kg 0 999999 "
    "Βελόνες βελονάκι Needles: Hook: crochet US 6 (4 mm) Χρώμα: Colour: col. shade 01 0100 Κόκκινο Red "
    "Made in Ιταλία Peru Προέλευση: Δείγμα: Gauge: 22 sts πόντοι x × 30 rows σειρές = 10x10 εκ. cm "
    "DK DKNY 4ply 8 ply chunky super bulky lace Aran Πλύσιμο στο χέρι 30°C Hand wash Superwash "
    "κιτ kit πατρόν pattern τσάντα markers Σύνθεση: Composition: . , : ; ( ) / \n <b> </p> &nbsp; € 5,50"
)
VOCABULARY = _VOCABULARY_TEXT.split(" ")
KEYS = ("Σύνθεση", "Βάρος", "Μήκος", "Βελόνες", "Βελονάκι", "Χρώμα", "Size", "Τύπος", "Origin", "Care", "Δείγμα", "Ply")


def test_fuzz_vocabulary() -> None:
    rng = random.Random(20240607)
    for _ in range(400):
        text = " ".join(rng.choice(VOCABULARY) for _ in range(rng.randint(0, 40)))
        found = parse_text(text)
        YarnAttributes.model_validate({**dict.fromkeys(ATTRIBUTE_FIELDS), **found})
        attributes = {
            rng.choice(KEYS): " ".join(rng.choice(VOCABULARY) for _ in range(rng.randint(0, 6)))
            for _ in range(rng.randint(0, 4))
        }
        extraction = extract_rules(
            name=text[: rng.randint(0, 60)],
            description=text,
            attributes=attributes,
            category=rng.choice((None, "Νήματα", "Βελόνες", "Accessories")),
            breadcrumbs=rng.choice((None, ["Αρχική", "Βελονάκια"])),
        )
        assert_valid(extraction)
        for field in extraction.values:
            assert extraction.sources[field] in ("structured", "rules")
