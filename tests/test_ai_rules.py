"""parse_text on product texts as Greek and English yarn shops write them, and on the demo shops' own texts
(extract_rules: test_ai_rules_extract.py)."""

from __future__ import annotations

from typing import Any

import pytest

from demo_shops.catalog import PROFILES, build_catalog
from demo_shops.catalog_content import _NOTION_ITEMS, _TOOLS, _YARN_LINES
from demo_shops.draws import fibres_text as _fibres_text
from demo_shops.universe import colour, families
from ecommerce_scraper.ai.rules import extract_rules, parse_text
from ecommerce_scraper.ai.schema import ATTRIBUTE_FIELDS, Extraction, YarnAttributes, found_values


def fib(*shares: tuple[str, float | None]) -> list[dict[str, Any]]:
    return [{"fibre": fibre, "percent": percent} for fibre, percent in shares]


def needles(low: float, high: float | None = None) -> dict[str, float]:
    return {"needle_mm_min": low, "needle_mm_max": low if high is None else high}


def gauge(stitches: float, rows: float | None) -> dict[str, Any]:
    return {"gauge": {"stitches": stitches, "rows": rows}}


def assert_valid(extraction: Extraction) -> None:
    """The values validate and are already in found_values form (a round trip changes nothing)."""
    model = extraction.attributes()
    assert found_values(model) == extraction.values
    assert set(extraction.values) == set(extraction.sources)


# (id, free text, everything parse_text must find: the comparison is exact, so a field the text
# does not state must be absent)
TEXTS: list[tuple[str, str, dict[str, Any]]] = [
    # --- fibres
    ("merino-100", "100% Merino", {"fibres": fib(("merino wool", 100)), "product_type": "yarn"}),
    (
        "el-no-comma",
        "75% μαλλί 25% πολυαμίδιο",
        {"fibres": fib(("wool", 75), ("polyamide", 25)), "product_type": "yarn"},
    ),
    (
        "el-comma",
        "75% μαλλί, 25% πολυαμίδιο",
        {"fibres": fib(("wool", 75), ("polyamide", 25)), "product_type": "yarn"},
    ),
    (
        "el-label-dash",
        "Σύνθεση: 50% βαμβάκι - 50% ακρυλικό",
        {"fibres": fib(("cotton", 50), ("acrylic", 50)), "product_type": "yarn"},
    ),
    (
        "en-label-slash",
        "Composition: 80% acrylic / 20% wool",
        {"fibres": fib(("acrylic", 80), ("wool", 20)), "product_type": "yarn"},
    ),
    (
        "mohair-silk",
        "70% Mohair, 30% Silk",
        {"fibres": fib(("mohair", 70), ("silk", 30)), "product_type": "yarn"},
    ),
    (
        "extra-fine-merino",
        "100% Extra Fine Merino Wool",
        {"fibres": fib(("merino wool", 100)), "product_type": "yarn"},
    ),
    (
        "percent-after",
        "Wool 60%, Nylon 40%",
        {"fibres": fib(("wool", 60), ("polyamide", 40)), "product_type": "yarn"},
    ),
    (
        "percent-after-no-comma",
        "Σύνθεση: Wool 60% Nylon 40%",
        {"fibres": fib(("wool", 60), ("polyamide", 40)), "product_type": "yarn"},
    ),
    (
        "el-accents-caps",
        "ΣΥΝΘΕΣΗ: 80% ΑΛΠΑΚΑ, 20% ΜΕΤΑΞΙ",
        {"fibres": fib(("alpaca", 80), ("silk", 20)), "product_type": "yarn"},
    ),
    (
        "kid-mohair-baby-alpaca",
        "50% Baby Alpaca, 50% Kid Mohair",
        {"fibres": fib(("baby alpaca", 50), ("kid mohair", 50)), "product_type": "yarn"},
    ),
    (
        "bamboo-viscose",
        "Composition: 100% viscose (bamboo)",
        {"fibres": fib(("bamboo", 100)), "product_type": "yarn"},
    ),
    (
        "decimal-percent-metallic",
        "Σύνθεση: 97,5% πολυεστέρας, 2,5% lurex",
        {"fibres": fib(("polyester", 97.5), ("metallic", 2.5)), "product_type": "yarn"},
    ),
    (
        "el-merino-cashmere",
        "Πολυτελές μείγμα: 90% μερινό, 10% κασμίρι.",
        {"fibres": fib(("merino wool", 90), ("cashmere", 10)), "product_type": "yarn"},
    ),
    ("over-100-dropped", "60% wool, 60% acrylic", {"product_type": "yarn"}),
    ("discount-is-no-fibre", "Έκπτωση 20% σε όλα τα νήματα!", {"product_type": "yarn"}),
    ("percent-off", "Now 20% off", {}),
    # --- weight and length
    ("gr-dot", "Βάρος: 100 γρ.", {"weight_g": 100}),
    ("gr-glued", "Κουβάρι 50γρ", {"weight_g": 50, "product_type": "yarn"}),
    ("gr-latin", "50gr ball", {"weight_g": 50}),
    ("oz-and-g", "Weight: 1.76 oz / 50 g", {"weight_g": 50}),
    ("oz-only", "Weight: 3.53 oz", {"weight_g": 100}),
    ("g-slash-m", "100g/218m", {"weight_g": 100, "length_m": 218}),
    ("length-el", "Μήκος: 420 μ.", {"length_m": 420}),
    ("length-en", "Length: 125 m", {"length_m": 125}),
    ("metres-and-yards", "210 m / 230 yds", {"length_m": 210}),
    ("yards-only", "Yardage: 137 yards", {"length_m": 125}),
    ("length-thousands", "Κώνος 1.000 μ. / 250 γρ.", {"weight_g": 250, "length_m": 1000}),
    ("kg", "Βάρος: 1 kg", {"weight_g": 1000}),
    # --- needles and hooks
    # a label alone ("Needles: 4 mm") is a yarn's recommendation: it makes no product type
    ("needles-el", "Βελόνες: 3,5-4 mm", needles(3.5, 4)),
    ("needles-el-no-unit", "Βελόνες 3,5 - 4", {**needles(3.5, 4), "product_type": "needles"}),
    ("needles-en-dash", "Needles: 3.5–4 mm", needles(3.5, 4)),
    ("needle-size-single", "Needle size: 4 mm", needles(4)),
    ("needles-us-and-mm", "Needles: US 6 (4 mm)", needles(4)),
    ("needles-us-only", "Needles: US 6", {}),
    (
        "recommended-needles",
        "Soft yarn, recommended needles 2.5 - 3 mm",
        {**needles(2.5, 3), "product_type": "yarn"},
    ),
    ("needles-eos", "Προτεινόμενες βελόνες: από 3,5 έως 4 χιλ.", needles(3.5, 4)),
    ("needles-after-number", "Knit on 4mm needles", needles(4)),
    ("needles-backwards-dropped", "Needles: 5-4 mm", {}),
    ("needles-out-of-bounds", "Βελόνες 45 mm", {"product_type": "needles"}),
    ("hook-el", "Βελονάκι: 3,5", {"hook_mm": 3.5}),
    ("hook-el-mm", "Πλέκεται με βελονάκι 3 mm.", {"hook_mm": 3}),
    ("hook-en", "Hook: 5 mm", {"hook_mm": 5}),
    ("crochet-hook", "Suggested crochet hook 4 mm", {"hook_mm": 4}),
    ("hook-us-letter", "Crochet hook US G-6 (4 mm)", {"hook_mm": 4, "product_type": "hook"}),
    ("hook-range-no-size", "Βελονάκι 3,5-4,5 mm", {"product_type": "hook"}),
    (
        "needles-and-hook",
        "Βελόνες 3,5-4 mm, βελονάκι 4 mm.",
        {**needles(3.5, 4), "hook_mm": 4, "product_type": "needles"},
    ),
    (
        "knitting-and-crochet-el",
        "Απαλό νήμα για πλέξιμο και βελονάκι.",
        {"product_type": "yarn"},
    ),
    ("knitting-and-crochet-en", "Soft yarn for knitting and crochet.", {"product_type": "yarn"}),
    ("size-list-is-no-size", "Κυκλικές βελόνες. Διαθέσιμα μεγέθη: 2,5, 3, 4 mm.", {"product_type": "needles"}),
    # --- gauge
    (
        "gauge-el",
        "Δείγμα: 22 πόντοι x 30 σειρές = 10x10 εκ.",
        gauge(22, 30),
    ),
    ("gauge-en", "Gauge: 22 sts x 28 rows = 10 cm", gauge(22, 28)),
    ("gauge-ampersand", "22 st & 30 rows to 10 cm", gauge(22, 30)),
    ("gauge-tension", "Tension: 20 sts and 26 rows", gauge(20, 26)),
    ("gauge-abbrev-el", "Δείγμα: 10x10 εκ. = 18 π. x 24 σ.", gauge(18, 24)),
    ("gauge-stitches-only", "Δείγμα: 18 πόντοι = 10 εκ.", gauge(18, None)),
    ("gauge-other-square", "Gauge: 11 sts x 15 rows = 5 cm", {}),
    # --- yarn weight
    ("sock-4ply", "Sock Yarn 4ply", {"yarn_weight": "fingering", "product_type": "yarn"}),
    ("fingering", "Fingering weight merino", {"yarn_weight": "fingering", "product_type": "yarn"}),
    ("lace-2ply", "2 ply lace", {"yarn_weight": "lace", "product_type": "yarn"}),
    ("sport", "Sport weight cotton", {"yarn_weight": "sport", "product_type": "yarn"}),
    ("dk", "Merino DK", {"yarn_weight": "dk", "product_type": "yarn"}),
    ("8-ply", "8 ply", {"yarn_weight": "dk", "product_type": "yarn"}),
    ("light-worsted", "light worsted", {"yarn_weight": "dk", "product_type": "yarn"}),
    ("worsted", "Worsted wool", {"yarn_weight": "worsted", "product_type": "yarn"}),
    ("aran", "Tweed Aran", {"yarn_weight": "aran", "product_type": "yarn"}),
    ("chunky", "Chunky Wool", {"yarn_weight": "bulky", "product_type": "yarn"}),
    ("super-chunky", "Super Chunky yarn", {"yarn_weight": "super_bulky", "product_type": "yarn"}),
    ("lace-pattern-is-no-weight", "DK yarn with a lace pattern", {"yarn_weight": "dk", "product_type": "yarn"}),
    # --- care
    ("care-el", "Πλύσιμο στο χέρι στους 30°C.", {"care": "Πλύσιμο στο χέρι στους 30°C"}),
    ("care-en", "Hand wash at 30°C.", {"care": "Hand wash at 30°C"}),
    ("care-machine", "Machine wash 40°C", {"care": "Machine wash 40°C"}),
    ("care-dry-clean", "Στεγνό καθάρισμα.", {"care": "Στεγνό καθάρισμα"}),
    (
        "care-several-sentences",
        "Soft and warm. Hand wash only. Do not tumble dry. Dry flat.",
        {"care": "Hand wash only. Do not tumble dry. Dry flat"},
    ),
    (
        "care-clause",
        "Soft merino, machine washable at 40°C, perfect for babies.",
        {"care": "machine washable at 40°C", "product_type": "yarn"},
    ),
    ("superwash", "Superwash Merino", {"care": "Superwash", "product_type": "yarn"}),
    # --- colour
    ("colour-el", "Χρώμα: Κόκκινο 01", {"colour_name": "Κόκκινο", "colour_code": "01"}),
    ("colour-en-paren", "Colour: Red (102).", {"colour_name": "Red", "colour_code": "102"}),
    ("color-code-first", "Color: 0100 Off White", {"colour_name": "Off White", "colour_code": "0100"}),
    ("colour-code-only-el", "Απόχρωση: 205", {"colour_code": "205"}),
    ("colour-word-el", "χρώμα 105", {"colour_code": "105"}),
    ("col-dot", "col. 0100", {"colour_code": "0100"}),
    ("shade", "shade 23", {"colour_code": "23"}),
    ("many-colours-no-colour", "Διαθέσιμο σε 20 χρώματα", {}),
    ("colour-list-no-colour", "Χρώμα: Κόκκινο 01, Μπλε 02", {}),
    ("colour-as-pictured", "Colour: as pictured", {}),
    # --- origin
    ("made-in", "Made in Italy", {"origin": "Italy"}),
    ("made-in-uk", "Made in the UK.", {"origin": "United Kingdom"}),
    ("made-in-unknown-en", "Made in Lithuania", {"origin": "Lithuania"}),
    ("el-made-in", "Κατασκευάζεται στην Ιταλία.", {"origin": "Italy"}),
    ("el-origin", "Προέλευση: Περού", {"origin": "Peru"}),
    ("en-origin", "Origin: Peru", {"origin": "Peru"}),
    ("el-country", "Χώρα προέλευσης: Τουρκία", {"origin": "Turkey"}),
    (
        "el-south-africa",
        "Μοχέρ από τη Νότια Αφρική. Κατασκευάζεται στη Νότια Αφρική.",
        {"origin": "South Africa", "product_type": "yarn"},
    ),
    ("el-england", "Χώρα κατασκευής: Αγγλία", {"origin": "United Kingdom"}),
    ("origin-continent-dropped", "Made in Europe", {}),
    # --- product type
    ("type-kit", "Κιτ πλεξίματος με νήμα και βελόνες", {"product_type": "kit"}),
    ("type-pattern", "Πατρόν για ζακέτα", {"product_type": "pattern"}),
    ("type-notion", "Stitch markers (20 pcs)", {"product_type": "notion"}),
    ("type-darning-needles", "Βελόνες ραψίματος Prym", {"product_type": "notion"}),
    ("type-circular-needles", "Κυκλικές βελόνες KnitPro από bamboo.", {"product_type": "needles"}),
    # --- negatives and garbage
    ("dkny", "DKNY", {}),
    ("balls-and-price", "Πακέτο 4 balls, μόνο 5,50 €", {}),
    ("price-range", "12,50 € - 15,00 €", {}),
    ("numbers-only", "12345 678 9", {}),
    ("html-only", "<div><br/>&nbsp;</div>", {}),
    ("punctuation", "!!! ??? --- %%%", {}),
    ("empty", "", {}),
    (
        "html-description",
        "<p>Σύνθεση: 100% <b>βαμβάκι</b></p><p>Βάρος: 50&nbsp;γρ.</p>",
        {"fibres": fib(("cotton", 100)), "weight_g": 50, "product_type": "yarn"},
    ),
    (
        "full-english-label",
        "Drops Alpaca. 100% Alpaca. Weight: 50 g / 1.76 oz. Length: 167 m / 183 yds. Needles: US 4 (3.5 mm). "
        "Gauge: 24 sts x 32 rows = 10 x 10 cm. Machine wash 30°C, wool programme. Made in Peru.",
        {
            "fibres": fib(("alpaca", 100)),
            "weight_g": 50,
            "length_m": 167,
            **needles(3.5),
            **gauge(24, 32),
            "care": "Machine wash 30°C",
            "origin": "Peru",
            "product_type": "yarn",
        },
    ),
]


@pytest.mark.parametrize(("text", "expected"), [pytest.param(t, e, id=i) for i, t, e in TEXTS])
def test_parse_text(text: str, expected: dict[str, Any]) -> None:
    found = parse_text(text)
    assert found == expected
    YarnAttributes.model_validate({**dict.fromkeys(ATTRIBUTE_FIELDS), **found})


# --- the demo shops' own texts (the templates of catalog._draft) ------------------------------


def demo_yarn(language: str, brand: str, line_index: int) -> tuple[str, str, dict[str, str], dict[str, Any]]:
    """(name, description, attributes, expected values) exactly as the demo catalog writes a yarn."""
    line, fibres, weight, length, (n_min, n_max) = _YARN_LINES[line_index]
    fib_text = _fibres_text(fibres, language)
    if language == "el":
        name = f"Νήμα {brand} {line}"
        description = (
            f"Απαλό νήμα {brand} {line} για πλέξιμο και βελονάκι. Σύνθεση: {fib_text}. "
            f"Βάρος: {weight} γρ. Μήκος: {length} μ. Βελόνες: {n_min}-{n_max} mm. "
            "Πλύσιμο στο χέρι στους 30°C."
        )
        attributes = {
            "Σύνθεση": fib_text,
            "Βάρος": f"{weight} γρ.",
            "Μήκος": f"{length} μ.",
            "Βελόνες": f"{n_min}-{n_max} mm",
        }
        care = "Πλύσιμο στο χέρι στους 30°C"
    else:
        name = f"{brand} {line}"
        dot_min, dot_max = n_min.replace(",", "."), n_max.replace(",", ".")
        description = (
            f"Soft {brand} {line} yarn for knitting and crochet. Composition: {fib_text}. "
            f"Weight: {weight} g. Length: {length} m. Needles: {dot_min}–{dot_max} mm. Hand wash at 30°C."
        )
        attributes = {
            "Composition": fib_text,
            "Weight": f"{weight} g",
            "Length": f"{length} m",
            "Needle size": f"{dot_min}-{dot_max} mm",
        }
        care = "Hand wash at 30°C"
    canonical = {"merino": "merino wool"}
    expected = {
        "fibres": fib(*((canonical.get(f, f), pct) for pct, f in fibres)),
        "weight_g": weight,
        "length_m": length,
        **needles(float(n_min.replace(",", ".")), float(n_max.replace(",", "."))),
        "care": care,
        "product_type": "yarn",
    }
    yarn_weight = {"Sock Yarn 4ply": "fingering", "Chunky Wool": "bulky", "Tweed Aran": "aran"}.get(line)
    if yarn_weight:
        expected["yarn_weight"] = yarn_weight
    return name, description, attributes, expected


DEMO_YARNS = [
    ("el", "Drops", 0),
    ("el", "Katia", 1),
    ("el", "Gazzal", 2),
    ("el", "Alize", 4),
    ("el", "Lang Yarns", 5),
    ("el", "Adriafil", 7),
    ("en", "Drops", 0),
    ("en", "Rico Design", 3),
    ("en", "Alize", 4),
    ("en", "Lana Grossa", 6),
    ("en", "Adriafil", 7),
]
STRUCTURED_FIELDS = ("fibres", "weight_g", "length_m", "needle_mm_min", "needle_mm_max")


@pytest.mark.parametrize(
    ("language", "brand", "line_index"),
    [pytest.param(*case, id=f"{case[0]}-{_YARN_LINES[case[2]][0]}") for case in DEMO_YARNS],
)
def test_demo_yarn_templates(language: str, brand: str, line_index: int) -> None:
    name, description, attributes, expected = demo_yarn(language, brand, line_index)
    # The text alone says everything the table says.
    assert parse_text(f"{name}\n{description}") == expected
    extraction = extract_rules(name=name, description=description, attributes=attributes)
    assert extraction.values == expected
    assert "hook_mm" not in extraction.values  # "για πλέξιμο και βελονάκι" is no hook size
    for field in expected:
        assert extraction.sources[field] == ("structured" if field in STRUCTURED_FIELDS else "rules"), field
    assert_valid(extraction)


@pytest.mark.parametrize(
    ("kind", "name", "category"),
    [pytest.param(kind, n_el, cat, id=f"el-{kind}-{cat}") for kind, n_el, _, cat in _TOOLS]
    + [pytest.param(kind, n_en, cat, id=f"en-{kind}-{cat}") for kind, _, n_en, cat in _TOOLS],
)
def test_demo_tools(kind: str, name: str, category: int) -> None:
    el = not name.isascii()
    full_name = f"{name} KnitPro Bamboo"
    if el:
        description = f"{name} KnitPro από bamboo. Διαθέσιμα μεγέθη: 2,5, 3, 3,5, 4 mm."
        attributes = {"Υλικό": "Bamboo"}
    else:
        description = f"{name} by KnitPro, bamboo. Sizes: 2.5, 3, 3.5, 4 mm."
        attributes = {"Material": "Bamboo"}
    extraction = extract_rules(name=full_name, description=description, attributes=attributes)
    # A tool in many sizes has no one size, and its material is no fibre.
    assert extraction.values == {"product_type": kind}
    assert extraction.sources == {"product_type": "rules"}


@pytest.mark.parametrize(
    "name",
    [pytest.param(n, id=f"el-{n}") for n, _ in _NOTION_ITEMS]
    + [pytest.param(n, id=f"en-{n}") for _, n in _NOTION_ITEMS],
)
def test_demo_notions(name: str) -> None:
    el = not name.isascii()
    description = (
        f"{name} της Clover, απαραίτητο αξεσουάρ πλεκτικής." if el else f"{name} by Clover, a knitter's essential."
    )
    extraction = extract_rules(name=f"{name} Clover", description=description, attributes={})
    assert extraction.values == {"product_type": "notion"}


@pytest.mark.parametrize("site", sorted(PROFILES))
def test_whole_demo_catalog(site: str) -> None:
    """Every demo product: the right type, and a yarn's table values exactly."""
    catalog = build_catalog(site, 120)
    for product in catalog.products:
        trail = [c.name(catalog.language) for c in product.category.path()]
        extraction = extract_rules(
            name=product.name,
            description=product.description,
            attributes=product.attributes,
            category=trail[-1],
            breadcrumbs=trail,
        )
        assert_valid(extraction)
        values = extraction.values
        assert values["product_type"] == product.kind, product.name
        assert "hook_mm" not in values
        single_yarn = product.kind == "yarn" and product.real is not None
        if single_yarn:  # a single product of one colour states it: table "Χρώμα: Κόκκινο 01"
            shade = colour(int(product.real.rsplit("/", 1)[1]))
            expected_colour = (shade.name(catalog.language), f"{shade.code:02d}")
            assert (values.get("colour_name"), values.get("colour_code")) == expected_colour, product.name
        else:  # a page of colours, a tool: no one colour
            assert "colour_name" not in values and "colour_code" not in values, product.name
        if product.kind == "yarn":
            family = next(
                f
                for f in families(catalog.seed)
                if f"{f.brand} {f.line} " in product.description
                and any(f"{word}: {f.weight} " in product.description for word in ("Βάρος", "Weight"))
            )
            fibres, weight, length, (n_min, n_max) = family.fibres, family.weight, family.length, family.needles
            assert [share["percent"] for share in values["fibres"]] == [pct for pct, _ in fibres]
            assert (values["weight_g"], values["length_m"]) == (weight, length)
            assert values["needle_mm_min"] == float(n_min.replace(",", "."))
            assert values["needle_mm_max"] == float(n_max.replace(",", "."))
            assert all(extraction.sources[f] == "structured" for f in STRUCTURED_FIELDS)
        else:
            assert set(values) == {"product_type"}, product.name
    assert any(p.kind == "yarn" and p.real for p in catalog.products), "no single yarn: the colour check is void"
