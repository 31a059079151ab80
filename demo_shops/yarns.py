"""How each demo shop presents the real yarns it sells (:mod:`.universe`): names, brands, GTINs.

Shops write one product differently, as real ones do: Greek or Latin letters for the same line
("Μερινό Extra Fine Drops 01", "DROPS Merino Extra Fine χρώμα 01 (50γρ)", "Drops Merino Extra
Fine 01 50 g"), word order, packaging words ("Νήμα", "κουβάρι", "ball"), the colour code
written 1, 01 or 001, with or without the colour's name, the brand's case or its long form
("Drops Design"). Some print the EAN-13 on every single product, some on part of them, some
never; a page of colour variants prints none (a barcode belongs to one colour).

What a shop writes depends only on the shop, the page and the seed: every shop states a yarn's
weight and length in its attribute table or description, and a single product's colour (name
and code) in its table and its description.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from .catalog_content import _LINE_WORDS_EL
from .draws import fibres_text, money, rng_for, slugify
from .universe import Colour, Family, YarnPage, real_ean, real_key


@dataclass(frozen=True)
class VariantSpec:
    suffix: str  # the SKU's last part
    options: dict[str, str]
    price: Decimal
    real: str | None = None  # the real product this variant is (:func:`.universe.real_key`)


@dataclass
class Draft:
    """A product before day-by-day changes are applied."""

    kind: str
    brand: str
    name: str
    slug: str
    description: str
    attributes: dict[str, str]
    category_ids: list[int]
    base_price: Decimal
    variant_specs: list[VariantSpec]
    real: str | None = None  # the real product a single product is
    gtin: str | None = None  # the GTIN the shop prints (``None``: none)


def _greek_line(line: str) -> str:
    return " ".join(_LINE_WORDS_EL.get(word, word) for word in line.split())


def _code(shade: Colour, digits: int) -> str:
    return f"{shade.code:0{digits}d}"


#: (site) -> (family, brand as the shop writes it, colour or None for a page of variants) -> name.
_TITLES: dict[str, Callable[[Family, str, Colour | None], str]] = {
    "atmosphere": lambda f, b, c: f"Νήμα {b} {f.line}" + (f" {_code(c, 2)} {c.name_el}" if c else ""),
    "sittingknitting": lambda f, b, c: f"{b} {f.line}" + (f" {_code(c, 2)}" if c else "") + f" {f.weight} g",
    "knitshop": lambda f, b, c: f"{_greek_line(f.line)} {f.brand}" + (f" {_code(c, 2)}" if c else ""),
    "ili_ili": lambda f, b, c: f"{b.upper()} {f.line}" + (f" χρώμα {_code(c, 2)}" if c else "") + f" ({f.weight}γρ)",
    "triskeli": lambda f, b, c: f"Κουβάρι {b} {f.line} {f.weight}γρ." + (f" {c.name_el} ({_code(c, 3)})" if c else ""),
    "manefa": lambda f, b, c: f"{b} {f.line}" + (f" - {c.name_el} {_code(c, 1)}" if c else ""),
    "cityknitting": lambda f, b, c: (
        f"{_greek_line(f.line)} ({b}) κουβάρι {f.weight}γρ" + (f" - χρώμα {_code(c, 2)}" if c else "")
    ),
}
#: Brands some shops write in their long form (spellings matching knows as one brand).
_LONG_BRANDS = {"Drops": "Drops Design", "Katia": "Katia Yarns"}
#: The share of single products whose EAN-13 the shop prints (the special products 0-5 always, where > 0).
GTIN_SHARE = {
    "atmosphere": 1.0,
    "sittingknitting": 0.6,
    "knitshop": 1.0,
    "ili_ili": 0.5,
    "triskeli": 0.8,
    "manefa": 0.3,
    "cityknitting": 0.0,
}


def shop_brand(site: str, brand: str) -> str:
    """The brand as the shop writes it in its brand field."""
    if site == "sittingknitting":
        return brand.upper()
    if site == "knitshop":
        return _LONG_BRANDS.get(brand, brand)
    return brand


def _colour_option(site: str, language: str, shade: Colour) -> tuple[str, str]:
    key = "Χρώμα" if language == "el" else "Colour"
    if site == "triskeli":
        return key, f"{_code(shade, 3)} {shade.name_el}"
    return key, f"{shade.name(language)} {_code(shade, 2)}"


def _texts(family: Family, language: str, shade: Colour | None) -> tuple[str, dict[str, str]]:
    brand, line, (n_min, n_max) = family.brand, family.line, family.needles
    fib = fibres_text(family.fibres, language)
    if language == "el":
        description = (
            f"Απαλό νήμα {brand} {line} για πλέξιμο και βελονάκι. Σύνθεση: {fib}. "
            f"Βάρος: {family.weight} γρ. Μήκος: {family.length} μ. Βελόνες: {n_min}-{n_max} mm. "
            "Πλύσιμο στο χέρι στους 30°C."
        )
        attributes = {
            "Σύνθεση": fib,
            "Βάρος": f"{family.weight} γρ.",
            "Μήκος": f"{family.length} μ.",
            "Βελόνες": f"{n_min}-{n_max} mm",
        }
    else:
        n_min, n_max = n_min.replace(",", "."), n_max.replace(",", ".")
        description = (
            f"Soft {brand} {line} yarn for knitting and crochet. Composition: {fib}. "
            f"Weight: {family.weight} g. Length: {family.length} m. Needles: {n_min}–{n_max} mm. Hand wash at 30°C."
        )
        attributes = {
            "Composition": fib,
            "Weight": f"{family.weight} g",
            "Length": f"{family.length} m",
            "Needle size": f"{n_min}-{n_max} mm",
        }
    if shade is not None:
        key, value = "Χρώμα" if language == "el" else "Colour", f"{shade.name(language)} {_code(shade, 2)}"
        attributes[key] = value
        description += f" {key}: {value}."
    return description, attributes


def yarn_draft(site: str, language: str, index: int, page: YarnPage, seed: int, *, show_gtin: bool) -> Draft:
    """The draft of a yarn page of ``site`` (``show_gtin``: the shop prints this product's GTIN)."""
    family = page.family
    brand = shop_brand(site, family.brand)
    rng = rng_for(seed, site, index, "yarn")
    # The shop's price: the brand's recommended one give or take 15%, to a x.x0 price.
    base = money((family.rrp(seed) * Decimal(str(rng.uniform(0.85, 1.15)))).quantize(Decimal("0.1")))
    single = None if page.variants else page.colours[0]
    name = _TITLES[site](family, brand, single)
    description, attributes = _texts(family, language, single)
    fibre_main = family.fibres[0][1]
    leaf = 13 if fibre_main == "mohair" else 12 if fibre_main in ("cotton", "linen") else 11
    variants: list[VariantSpec] = []
    if page.variants:
        for shade in page.colours:
            # Hand-dyed and premium shades cost more: variants are priced differently.
            extra = Decimal(rng.choice(("0", "0", "0.50", "1.00", "1.50")))
            key, value = _colour_option(site, language, shade)
            variants.append(VariantSpec(_code(shade, 3), {key: value}, money(base + extra), real_key(family, shade)))
        if len({v.price for v in variants}) == 1:
            last = variants[-1]
            variants[-1] = VariantSpec(last.suffix, last.options, money(last.price + 1), last.real)
    gtin = real_ean(family, single, seed) if single is not None and show_gtin else None
    return Draft(
        "yarn",
        brand,
        name,
        slugify(name),
        description,
        attributes,
        [leaf],
        base,
        variants,
        real=real_key(family, single) if single is not None else None,
        gtin=gtin,
    )


def shows_gtin(site: str, index: int, seed: int, special: bool) -> bool:
    """Whether the shop prints the GTIN of its product ``index`` (a page of variants never has one)."""
    share = GTIN_SHARE[site]
    if special:
        return share > 0
    return rng_for(seed, site, index, "gtin").random() < share
