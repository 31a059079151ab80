"""The benchmarks' synthetic yarn shop: products as a spider yields them and as the storage
keeps them, crawl after crawl (a share of them changed in the third), generated, never stored
in a list, so a 100,000-product catalog streams.
"""

from __future__ import annotations

import os
import pickle
import random
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from ecommerce_scraper.storage.state import fingerprint, money_to_state, to_state

CHANGED_EVERY = 20  # one product in 20 (5%) changes in the third crawl
SITE = "benchshop"
FIRST_PRODUCT_ID = 100_000
ROOT = Path(__file__).resolve().parent.parent

_BRANDS = ("Drops", "Lana Grossa", "Katia", "Rico Design", "Adriafil", "Gazzal", "Alize", "KnitPro", "Addi", "Prym")
_LINES = (
    ("Merino Extra Fine", "100% μαλλί merino", 50, 105),
    ("Baby Cotton", "60% βαμβάκι, 40% ακρυλικό", 50, 165),
    ("Kid Mohair Silk", "70% μοχέρ, 30% μετάξι", 25, 210),
    ("Alpaca Soft", "80% αλπακά, 20% πολυαμίδιο", 50, 120),
    ("Sock Yarn 4ply", "75% μαλλί, 25% πολυαμίδιο", 100, 420),
    ("Chunky Wool", "100% μαλλί", 100, 80),
    ("Linen Blend", "55% λινάρι, 45% βαμβάκι", 50, 140),
    ("Tweed Aran", "85% μαλλί, 15% βισκόζη", 100, 170),
)
_KINDS = ("Νήμα", "Κουβάρι", "Κυκλικές βελόνες", "Βελονάκι", "Σετ πλεξίματος")
_CATEGORIES = (("Νήματα", "nimata"), ("Βελόνες", "velones"), ("Βελονάκια", "velonakia"), ("Αξεσουάρ", "axesouar"))
_COLOURS = ("Κόκκινο", "Μπλε", "Πράσινο", "Λευκό", "Μαύρο", "Γκρι", "Μπεζ", "Ροζ", "Μουσταρδί", "Βυσσινί")
_STOCK = ("in_stock",) * 8 + ("out_of_stock", "backorder")
_BLURB = (
    "Απαλό και ζεστό νήμα, ιδανικό για πουλόβερ, ζακέτες, κασκόλ και σκουφιά. Πλένεται στο πλυντήριο "
    "σε πρόγραμμα για μάλλινα στους 30 βαθμούς. Κατάλληλο για αρχάριους και έμπειρους πλέκτες."
)
_HOST = "https://www.plekto-bench.gr"
_CENT = Decimal("0.01")
CRAWL_STARTED = datetime(2026, 1, 5, 3, 0, tzinfo=UTC)


def is_changed(index: int) -> bool:
    """Whether product ``index`` changes in the third crawl (one in ``CHANGED_EVERY``)."""
    return index % CHANGED_EVERY == CHANGED_EVERY // 2


def _price(rng: random.Random) -> Decimal:
    return (Decimal(rng.randint(150, 8_900)) / 100).quantize(_CENT)


def product_item(index: int, crawl: int) -> dict[str, Any]:
    """Product ``index`` as the spider yields it in crawl ``crawl`` (a plain dict item, Decimal money).

    Deterministic by index: crawls 1 and 2 see the same content; crawl 3 changes one product in
    ``CHANGED_EVERY`` (price, stock, a variant's price/stock, a variant added or removed).
    """
    rng = random.Random(index)
    line, fibres, grams, metres = rng.choice(_LINES)
    brand, kind, colour = rng.choice(_BRANDS), rng.choice(_KINDS), rng.choice(_COLOURS)
    category, category_slug = rng.choice(_CATEGORIES)
    product_id = str(FIRST_PRODUCT_ID + index)
    name = f"{kind} {brand} {line} {grams}γρ - {colour}"
    slug = f"{category_slug}/{product_id}-{line.lower().replace(' ', '-')}"
    price = _price(rng)
    on_sale = rng.random() < 0.15
    regular_price = (price * Decimal("1.25")).quantize(_CENT) if on_sale else None
    variants = [
        {
            "sku": f"{brand[:3].upper()}-{product_id}-{v}",
            "name": f"Χρώμα: {_COLOURS[(index + v) % len(_COLOURS)]}",
            "options": {"Χρώμα": _COLOURS[(index + v) % len(_COLOURS)]},
            "price": price + v * Decimal("0.50"),
            "regular_price": None,
            "availability": rng.choice(_STOCK),
        }
        for v in range(rng.randint(0, 4))
    ]
    availability = rng.choice(_STOCK)
    if crawl >= 3 and is_changed(index):
        price, availability, variants = _changed(index, price, availability, variants)
    url = f"{_HOST}/el/{slug}.html"
    images = [f"{_HOST}/img/p/{product_id}-{n}-large_default.jpg" for n in range(1, rng.randint(2, 5))]
    description = f"{name}. Σύνθεση: {fibres}. Βάρος {grams} γρ., μήκος {metres} μ. {_BLURB}"
    return {
        "site": SITE,
        "product_id": product_id,
        "url": f"{url}?utm_source=bench",
        "canonical_url": url,
        "name": name,
        "brand": brand,
        "sku": f"{brand[:3].upper()}-{product_id}",
        "gtin": f"520{index:010d}",
        "mpn": f"MPN{index}",
        "price": price,
        "regular_price": regular_price,
        "currency": "EUR",
        "availability": availability,
        "category": category,
        "breadcrumbs": ["Αρχική", category, brand],
        "description": description,
        "main_image": images[0],
        "images": images,
        "variants": variants,
        "attributes": {"Σύνθεση": fibres, "Βάρος": f"{grams} γρ.", "Μήκος": f"{metres} μ.", "Μάρκα": brand},
        "ai": None,
        "seo_title": f"{name} | Plekto",
        "meta_description": f"Αγοράστε {name} online. Δωρεάν αποστολή για παραγγελίες άνω των 50 €.",
        "h1": name,
        "meta_robots": "index, follow",
        "og_title": name,
        "og_description": description[:200],
        "og_image": images[0],
        "hreflang": {"el": url, "en": url.replace("/el/", "/en/")},
        "fingerprint": None,
        "scraped_at": CRAWL_STARTED + timedelta(days=crawl - 1, seconds=index // 50),
        "crawl_id": f"bench-{crawl}",
    }


def _changed(
    index: int, price: Decimal, availability: str, variants: list[dict[str, Any]]
) -> tuple[Decimal, str, list[dict[str, Any]]]:
    kind = (index // CHANGED_EVERY) % 4
    if kind == 0:
        price = (price * Decimal("0.9")).quantize(_CENT)
    elif kind == 1:
        availability = "in_stock" if availability == "out_of_stock" else "out_of_stock"
    elif kind == 2 and variants:
        first = variants[0]
        variants[0] = {**first, "price": first["price"] + 1, "availability": "out_of_stock"}
    elif variants:
        variants = variants[1:]  # a variant removed
    else:
        variants = [{"sku": f"NEW-{index}", "name": "Χρώμα: Νέο", "options": {"Χρώμα": "Νέο"}, "price": price}]
    return price, availability, variants


def item_state(index: int, crawl: int) -> dict[str, Any]:
    """Product ``index`` of crawl ``crawl`` as the storage pipeline buffers it: the item's state,
    with the fingerprint the dedup pipeline set.

    Built without ``to_state`` only because that is 3x slower than needed here and the bench
    must stay short; :func:`check_states` makes sure both give the same state.
    """
    item = product_item(index, crawl)
    state = {field: _state_value(value) for field, value in item.items()}
    state["variants"] = [{k: _state_value(v) for k, v in variant.items()} for variant in item["variants"]]
    state["fingerprint"] = fingerprint(state)
    return state


def _state_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return money_to_state(value)
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def check_states(samples: int = 200) -> None:
    """The bench's states are exactly what the pipeline would store (``to_state``, dedup's fingerprint)."""
    for index in range(samples):
        for crawl in (1, 3):
            item = product_item(index, crawl)
            item["fingerprint"] = fingerprint(item)
            if to_state(item) != item_state(index, crawl):
                raise RuntimeError(f"bench state of product {index} differs from to_state's")


def write_states(first: int, stop: int, path: Path) -> None:
    """Products ``first`` to ``stop - 1`` of the catalog, pickled one after the other.

    Built once, read by every crawl: building a state costs more than writing it, and that cost
    is the reactor's, not storage's. Pickle, not JSON lines: it loads twice as fast.
    """
    with path.open("wb") as out:
        for index in range(first, stop):
            pickle.dump(item_state(index, 1), out, protocol=pickle.HIGHEST_PROTOCOL)


def prepare_states(products: int, folder: Path) -> list[Path]:
    """The catalog's states in one file per core, built in parallel; the files in catalog order."""
    parts = max(1, min(os.cpu_count() or 1, 4))
    bounds = [products * part // parts for part in range(parts + 1)]
    paths = [folder / f"states-{part}.pickle" for part in range(parts)]
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "bench.storage", "--prepare", str(bounds[p]), str(bounds[p + 1]), str(paths[p])],
            cwd=ROOT,
        )
        for p in range(parts)
    ]
    if [proc.wait() for proc in procs] != [0] * parts:
        raise RuntimeError("building the product states failed")
    return paths


def read_states(paths: list[Path], crawl: int) -> Iterator[dict[str, Any]]:
    """The catalog as crawl ``crawl`` sees it, one state at a time (memory stays flat)."""
    for path in paths:
        with path.open("rb") as states:
            while True:
                try:
                    state = pickle.load(states)  # noqa: S301 - the file this bench just wrote
                except EOFError:
                    break
                index = int(state["product_id"]) - FIRST_PRODUCT_ID
                if crawl >= 3 and is_changed(index):
                    state = item_state(index, crawl)
                yield state
