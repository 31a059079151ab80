"""Matching the same product across shops at catalog scale, printed (never asserted).

``.venv/bin/python -m bench.matching [--products N] [--database sqlite|postgresql|both]``
(default 100,000 products, both databases; ``python -m bench.run --only matching`` runs this part):

1. A database of seven shops is filled with synthetic yarn products (bulk inserts into
   ``products``): about 40% as many real products as offers, each sold by one to seven shops,
   written as each shop writes names (Greek and Latin words, brand spellings, colour codes with
   and without leading zeros, weights in ``g``/``γρ``/``gr``, packaging and shop noise), about
   half with a GTIN, and needles and accessories without colours (large blocks for the matcher).
2. ``sync_matches`` from scratch: every product read, its identity computed, matched, stored.
3. A crawl of one shop that changed about 2% of its products (prices, renamed colours, new
   products, removed ones), then ``sync_matches`` for that shop: only those re-read and re-matched.
   The stored result is then checked against a from-scratch match of the same identities.

Issue 15's goals: from scratch in under 60 s, incrementally in under 5 s.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import shutil
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, insert, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from ecommerce_scraper.matching.identity import gtin_check_digit
from ecommerce_scraper.matching.matcher import match_identities
from ecommerce_scraper.matching.store import stored_groups, stored_units
from ecommerce_scraper.matching.sync import sync_matches
from ecommerce_scraper.storage.bulk import iter_chunks
from ecommerce_scraper.storage.db import DatabaseError, mask_url, open_database
from ecommerce_scraper.storage.models import Product

from .storage import POSTGRES_URL, PostgresSchema

SHOPS = tuple(f"shop{n}" for n in range(1, 8))
CHANGED_SHOP = "shop3"
GOAL_FULL_S = 60.0
GOAL_INCREMENTAL_S = 5.0
NOW = datetime(2026, 12, 7, 3, 0, tzinfo=UTC)

#: brand -> how shops spell it (aliases the matcher knows among them)
_BRANDS: dict[str, tuple[str, ...]] = {
    "Drops": ("Drops", "DROPS", "Drops Design", "Garnstudio"),
    "Katia": ("Katia", "KATIA", "Katia Yarns"),
    "Lana Grossa": ("Lana Grossa", "LANA GROSSA", "Lana Grossa Yarns"),
    "Alize": ("Alize", "ALIZE", "Alize Yarn"),
    "YarnArt": ("YarnArt", "YARNART", "YarnArt Yarns"),
    "Rico Design": ("Rico Design", "RICO DESIGN"),
    "Adriafil": ("Adriafil", "ADRIAFIL"),
    "Gazzal": ("Gazzal", "GAZZAL"),
    "Himalaya": ("Himalaya", "HIMALAYA"),
    "Schachenmayr": ("Schachenmayr", "SCHACHENMAYR"),
    "Rowan": ("Rowan", "ROWAN"),
    "Sesia": ("Sesia", "SESIA"),
    "Nako": ("Nako", "NAKO"),
    "Phildar": ("Phildar", "PHILDAR"),
    "Madame Tricote": ("Madame Tricote", "MADAME TRICOTE"),
    "Cascade": ("Cascade", "CASCADE"),
}
#: line words, with a Greek spelling where one transliterates back to the same word
_WORDS: dict[str, str | None] = {
    "Merino": "Μερινό",
    "Soft": "Σοφτ",
    "Silk": "Σιλκ",
    "Lana": "Λάνα",
    "Nepal": "Νεπάλ",
    "Lima": "Λίμα",
    "Karisma": "Καρίσμα",
    "Sky": "Σκυ",
    "Alaska": "Αλάσκα",
    "Eskimo": "Εσκιμο",
    "Paris": "Παρίς",
    "Safran": "Σαφράν",
    "Extra": None,
    "Fine": None,
    "Baby": None,
    "Cotton": None,
    "Alpaca": None,
    "Kid": None,
    "Mohair": None,
    "Tweed": None,
    "Chunky": None,
    "Aran": None,
    "Big": None,
    "Gold": None,
    "Royal": None,
    "Natura": None,
    "Superwash": None,
    "Velvet": None,
    "Glitter": None,
    "Classic": None,
}
_NEEDLE_BRANDS = ("KnitPro", "Addi", "Prym", "Clover", "ChiaoGoo")
_NEEDLE_KINDS = (("Κυκλικές βελόνες", "Circular needles"), ("Βελονάκι", "Crochet hook"), ("Βελόνες", "Needles"))
_NEEDLE_LINES = ("Zing", "Waves", "Symfonie", "Basix", "Premium", "Nova", "Ergonomics", "Bamboo")
_NOISE = ("", "", "", " Νέο", " Sale", " - Προσφορά")
_SHOWN = ("name", "brand", "gtin", "attributes")


def _gtin(number: int) -> str:
    body = f"520{number:09d}"
    return body + str(gtin_check_digit(body))


def real_products(count: int, seed: int = 15) -> list[dict[str, Any]]:
    """``count`` real products: yarns (brand, line, colour code, weight) and needles (brand, kind, size)."""
    rng = random.Random(seed)
    words = list(_WORDS)
    lines = {brand: [" ".join(rng.sample(words, rng.randint(1, 3))) for _ in range(10)] for brand in _BRANDS}
    lines["Katia"][0] = lines["Drops"][0]  # two brands, one line name
    products = []
    for number in range(count):
        if rng.random() < 0.12:
            kind_el, kind_en = rng.choice(_NEEDLE_KINDS)
            size = rng.choice(("2.5", "3", "3.5", "4", "4.5", "5", "6", "8"))
            products.append(
                {
                    "kind": "needle",
                    "brand": rng.choice(_NEEDLE_BRANDS),
                    "line": f"{rng.choice(_NEEDLE_LINES)} {size}mm {rng.choice((40, 60, 80, 100))}cm",
                    "kind_el": kind_el,
                    "kind_en": kind_en,
                    "gtin": _gtin(number),
                }
            )
            continue
        brand = rng.choice(list(_BRANDS))
        products.append(
            {
                "kind": "yarn",
                "brand": brand,
                "line": rng.choice(lines[brand]),
                "code": rng.randint(1, 180),
                "weight": rng.choice((25, 50, 50, 50, 100)),
                "gtin": _gtin(number),
            }
        )
    return products


def _greek(line: str) -> str:
    return " ".join(_WORDS.get(word) or word for word in line.split())


def offer(real: dict[str, Any], shop: int, rng: random.Random) -> dict[str, Any]:
    """How shop number ``shop`` (0-6) writes real product ``real``: name, brand, GTIN, attributes."""
    spellings = (real["brand"],) if real["kind"] == "needle" else _BRANDS[real["brand"]]
    brand = spellings[shop % len(spellings)]
    noise = rng.choice(_NOISE)
    attributes: dict[str, Any] = {}
    if real["kind"] == "needle":
        kind = real["kind_el"] if shop % 2 else real["kind_en"]
        name = f"{kind} {brand} {real['line']}{noise}"
    else:
        code, weight, line = real["code"], real["weight"], real["line"]
        name = (
            f"{brand} {line} {code:02d} {weight} g",
            f"{brand.upper()} {line} χρώμα {code:02d} ({weight}γρ)",
            f"{_greek(line)} {brand} {code:03d}{noise}",
            f"Νήμα {brand} {line} - Χρώμα {code} - {weight}gr",
            f"{brand} {line} {weight}g Col. {code}",
            f"Κουβάρι {brand} {_greek(line)} {code:02d}{noise}",
            f"{line} ({brand}) #{code} {weight}γρ",
        )[shop]
        if shop in (0, 1, 3):
            attributes["colour_code"] = f"{code:02d}"
        if shop in (0, 3):
            attributes["weight_g"] = weight
    with_gtin = shop in (0, 2, 5) or (shop == 3 and rng.random() < 0.5)
    return {"name": name, "brand": brand, "gtin": real["gtin"] if with_gtin else None, "attributes": attributes}


def _shops_of(rng: random.Random) -> list[int]:
    sold_at = rng.choices((1, 2, 3, 4, 5, 6, 7), weights=(30, 25, 20, 12, 7, 4, 2))[0]
    return sorted(rng.sample(range(len(SHOPS)), sold_at))


def catalog(products: int, seed: int = 15) -> Iterator[dict[str, Any]]:
    """About ``products`` product rows of the seven shops (the ``products`` table's columns)."""
    rng = random.Random(seed)
    reals = real_products(int(products / 2.6) + 1, seed)
    made = 0
    for number, real in enumerate(reals):
        for shop in _shops_of(rng):
            if made >= products:
                return
            made += 1
            yield product_row(SHOPS[shop], f"p{number}", offer(real, shop, rng), rng)


def product_row(site: str, product_id: str, shown: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    price = Decimal(rng.randint(150, 2500)) / 100
    data = {
        "site": site,
        "product_id": product_id,
        "url": f"https://{site}.example/p/{product_id}",
        "name": shown["name"],
        "brand": shown["brand"],
        "sku": None,
        "gtin": shown["gtin"],
        "price": str(price),
        "regular_price": None,
        "currency": "EUR",
        "availability": "in_stock",
        "attributes": shown["attributes"],
        "ai": None,
    }
    return {
        "site": site,
        "product_id": product_id,
        "url": data["url"],
        "name": data["name"],
        "sku": None,
        "price": price,
        "regular_price": None,
        "currency": "EUR",
        "availability": "in_stock",
        "fingerprint": _fingerprint(data),
        "data": data,
        "first_seen": NOW,
        "last_seen": NOW,
        "first_crawl_id": "bench-1",
        "last_crawl_id": "bench-1",
        "removed_at": None,
    }


def _fingerprint(data: dict[str, Any]) -> str:
    content = {key: value for key, value in data.items() if key not in ("site", "product_id", "url", "ai")}
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


def fill(engine: Engine, products: int) -> int:
    """Insert the synthetic catalog; returns the rows inserted."""
    rows = 0
    with Session(engine) as session, session.begin():
        for chunk in iter_chunks(catalog(products), 5000):
            session.execute(insert(Product), chunk)
            rows += len(chunk)
    return rows


def crawl_changes(engine: Engine, share: float = 0.02, seed: int = 16) -> dict[str, int]:
    """A crawl of :data:`CHANGED_SHOP` that changed ``share`` of its products: a third prices only,
    a third renamed (another colour code), a sixth new (another shop's product, sold here now),
    a sixth removed. Returns how many of each."""
    rng = random.Random(seed)
    with Session(engine) as session, session.begin():
        rows = session.execute(
            Product.__table__.select().where(Product.site == CHANGED_SHOP).order_by(Product.product_id)
        ).all()
        picked = rng.sample(rows, max(6, int(len(rows) * share)))
        sixth = len(picked) // 6
        removed, renamed, priced = picked[:sixth], picked[sixth : 3 * sixth], picked[3 * sixth :]
        new_count = sixth
        for row in priced:
            data = {**row.data, "price": str(Decimal(row.data["price"]) + 1)}
            _write(session, row.product_id, data)
        for row in renamed:
            data = {**row.data, "name": row.data["name"] + " 99", "attributes": {}}
            _write(session, row.product_id, data)
        for row in removed:
            session.execute(
                update(Product)
                .where(Product.site == CHANGED_SHOP, Product.product_id == row.product_id)
                .values(removed_at=NOW)
            )
        others = session.execute(
            Product.__table__.select().where(Product.site == "shop1").order_by(Product.product_id).limit(5000)
        ).all()
        taken = {row.product_id for row in rows}
        fresh = [row for row in others if row.product_id not in taken][:new_count]
        # Sold here now, named as shop1 names it.
        new_rows = [
            product_row(CHANGED_SHOP, row.product_id, {key: row.data[key] for key in _SHOWN}, rng) for row in fresh
        ]
        if new_rows:
            session.execute(insert(Product), new_rows)
    return {"priced": len(priced), "renamed": len(renamed), "new": len(new_rows), "removed": len(removed)}


def _write(session: Session, product_id: str, data: dict[str, Any]) -> None:
    session.execute(
        update(Product)
        .where(Product.site == CHANGED_SHOP, Product.product_id == product_id)
        .values(data=data, name=data["name"], fingerprint=_fingerprint(data), last_crawl_id="bench-2")
    )


def agrees_with_scratch(engine: Engine) -> bool:
    """Whether the stored groups equal a from-scratch match of the stored identities."""
    with Session(engine) as session:
        units = stored_units(session)
        groups = stored_groups(session)
    return groups == match_identities(unit.identity for unit in units.values())


def bench_database(label: str, url: str, products: int, controls: Path) -> None:
    started = time.perf_counter()
    engine = open_database(url)
    try:
        rows = fill(engine, products)
        filled = time.perf_counter() - started
        cpu = time.process_time()
        full = sync_matches(engine, controls, full=True)
        cpu = time.process_time() - cpu
        print(
            f"  {label:11s} from scratch:  {full.seconds:6.2f} s (CPU {cpu:6.2f} s)  goal < {GOAL_FULL_S:.0f} s   "
            f"{rows:,} products, {full.groups:,} groups (filled in {filled:.0f} s)",
            flush=True,
        )
        changed = crawl_changes(engine)
        cpu = time.process_time()
        incremental = sync_matches(engine, controls, sites=[CHANGED_SHOP])
        cpu = time.process_time() - cpu
        what = ", ".join(f"{count} {kind}" for kind, count in changed.items())
        print(
            f"  {label:11s} incremental:   {incremental.seconds:6.2f} s (CPU {cpu:6.2f} s)  goal < "
            f"{GOAL_INCREMENTAL_S:.0f} s    after a crawl of {CHANGED_SHOP} ({what}): "
            f"{incremental.products_read} products read, {incremental.units_changed} units re-matched",
            flush=True,
        )
        print(f"  {label:11s} incremental result equals a from-scratch match: {agrees_with_scratch(engine)}")
    finally:
        engine.dispose()


def main(products: int = 100_000, databases: tuple[str, ...] = ("sqlite", "postgresql")) -> None:
    print(
        f"matching bench: {products:,} products in {len(SHOPS)} shops, {os.cpu_count()} cores "
        f"(figures printed, never asserted; load average {os.getloadavg()[0]:.1f}: wall seconds on a busy "
        "machine, CPU seconds of this process beside them)",
        flush=True,
    )
    tmp = Path(tempfile.mkdtemp(prefix="bench-matching-"))
    controls = tmp / "matches.csv"  # none: a missing controls file is no controls
    try:
        if "sqlite" in databases:
            bench_database("SQLite", f"sqlite:///{tmp / 'catalog.sqlite3'}", products, controls)
        if "postgresql" in databases:
            try:
                with PostgresSchema(POSTGRES_URL) as pg:
                    bench_database(f"PG {pg.server}", pg.url, products, controls)
            except (OSError, RuntimeError, SQLAlchemyError, DatabaseError) as err:
                print(f"  PostgreSQL at {mask_url(POSTGRES_URL)}: not measured: {err}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=100_000, help="catalog size (default 100000)")
    parser.add_argument("--database", choices=("sqlite", "postgresql", "both"), default="both")
    return parser.parse_args()


if __name__ == "__main__":
    args = _parse_args()
    main(args.products, ("sqlite", "postgresql") if args.database == "both" else (args.database,))
