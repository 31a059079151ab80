"""Persisted, incremental matching (ecommerce_scraper/matching/store.py, sync.py, extension.py).

Three shops are stored through the crawl writer (SQLite and PostgreSQL); after each further crawl,
``sync_matches`` for that shop must leave exactly the groups a from-scratch match of every current
product gives: after changed, new and removed products, with pins, after the controls file or the
matcher changed (a full re-match then), and in a new process (``scrapy export`` reads what is
stored and re-matches nothing unless ``--rematch``). The in-memory part (``rematch_identities``,
the matcher's prefix filter) is checked against the plain definitions on random catalogs.
"""

from __future__ import annotations

import csv
import logging
import random
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from scrapy.exceptions import NotConfigured
from scrapy.utils.test import get_crawler
from sqlalchemy import Engine, delete, func, select
from sqlalchemy.orm import Session

from ecommerce_scraper.matching import matcher, sync
from ecommerce_scraper.matching.extension import CrawlMatching
from ecommerce_scraper.matching.identity import ProductIdentity
from ecommerce_scraper.matching.matcher import MatchGroup, match_identities, match_products
from ecommerce_scraper.matching.rematch import rematch_identities
from ecommerce_scraper.matching.store import (
    ResultChange,
    current_states,
    read_computed_with,
    stored_groups,
    write_result,
)
from ecommerce_scraper.matching.sync import sync_matches
from ecommerce_scraper.spiders.knitshop import KnitshopSpider
from ecommerce_scraper.storage import db
from ecommerce_scraper.storage.models import MatchMember, MatchState, MatchUnit

from .test_compare_export import product as shop_product
from .test_compare_export import store
from .test_export_tree import scrapy_export


def product(site: str, product_id: str, name: str, brand: str, price: str = "4.00", **extra: Any) -> dict[str, Any]:
    return shop_product(site, product_id, name, brand, price, **extra)


def fillers(site: str, prefix: str) -> list[dict[str, Any]]:
    # Ten products that the other shop sells too, so that one product fewer is still a clean crawl.
    return [
        product(site, f"{prefix}{n}", f"Alize Cotton Gold χρώμα {n}", "Alize", colour_code=str(n)) for n in range(10)
    ]


GTIN = "4006381333931"  # a valid EAN-13

SHOP_A = [
    product("shop_a", "a1", "Drops Merino Extra Fine 01 50 g", "Drops", colour_code="01", weight_g=50),
    product("shop_a", "a2", "Drops Merino Extra Fine 02 50 g", "Drops", colour_code="02", weight_g=50),
    product("shop_a", "a3", "Katia Alpaca Silver 5", "Katia", gtin=GTIN),
    product("shop_a", "a4", "KnitPro Zing circular needles 4 mm 80 cm", "KnitPro"),
    product("shop_a", "a5", "Lana Grossa Cool Wool 2000 50 g", "Lana Grossa"),
]
SHOP_B = [
    product("shop_b", "b1", "DROPS Merino Extra Fine χρώμα 01 (50γρ)", "DROPS", colour_code="01"),
    product("shop_b", "b2", "DROPS Merino Extra Fine χρώμα 03 (50γρ)", "DROPS", colour_code="03"),
    product("shop_b", "b3", "Αλπακά Silver Katia", "Katia", gtin=GTIN),
    # AI attributes (outside the fingerprint) are part of the stamp: read the same way by both reads.
    product("shop_b", "b5", "Rico Baby Cotton Soft", "Rico", ai={"colour_code": {"value": "7", "confidence": 0.9}}),
    product("shop_b", "b4", "KnitPro Zing circular needles 4 mm 80 cm", "KnitPro"),
    *fillers("shop_b", "bf"),
]
SHOP_C = [
    product("shop_c", "c1", "Μερινό Extra Fine Drops 01", "Drops", colour_code="01"),
    product("shop_c", "c2", "Μερινό Extra Fine Drops 02", "Drops", colour_code="02"),
    product("shop_c", "c3", "Lana Grossa Cool Wool 2000", "Lana Grossa"),
    *fillers("shop_c", "cf"),
]


def second_crawl_of_b() -> list[dict[str, Any]]:
    """b1's price only; b2 now colour 02; b3 gone; b5 re-read by the AI (colour 8, content unchanged);
    b15 new (the Cool Wool of a5 and c3)."""
    by_id = {state["product_id"]: state for state in SHOP_B}
    return [
        {**by_id["b1"], "price": "3.50"},
        product("shop_b", "b2", "DROPS Merino Extra Fine χρώμα 02 (50γρ)", "DROPS", colour_code="02"),
        by_id["b4"],
        {**by_id["b5"], "ai": {"colour_code": {"value": "8", "confidence": 0.9}}},  # only the AI's reading
        product("shop_b", "b15", "LANA GROSSA Cool Wool 2000 50γρ", "LANA GROSSA"),
        *fillers("shop_b", "bf"),
    ]


@pytest.fixture
def engine(database_url: str) -> Engine:
    engine = db.open_database(database_url)
    store(engine, "shop_a", "a-1", SHOP_A)
    store(engine, "shop_b", "b-1", SHOP_B)
    store(engine, "shop_c", "c-1", SHOP_C)
    yield engine
    engine.dispose()


def groups_stored(engine: Engine) -> list[MatchGroup]:
    with Session(engine) as session:
        return stored_groups(session)


def groups_from_scratch(engine: Engine, controls: Path) -> list[MatchGroup]:
    with Session(engine) as session:
        states = list(current_states(session))
    return match_products(states, matcher.load_controls(controls))


def keys_of(groups: list[MatchGroup]) -> set[frozenset[tuple[str, str]]]:
    return {frozenset(group.keys) for group in groups}


def test_incremental_equals_a_full_rematch_after_changed_new_and_removed_products(
    engine: Engine, tmp_path: Path
) -> None:
    controls = tmp_path / "matches.csv"  # no file: no controls
    first = sync_matches(engine, controls)
    assert (first.mode, first.why, first.products_read) == ("full", "never matched", 5 + 15 + 13)
    assert groups_stored(engine) == groups_from_scratch(engine, controls)
    assert {frozenset({("shop_a", "a1"), ("shop_b", "b1"), ("shop_c", "c1")})} <= keys_of(groups_stored(engine))
    assert sync_matches(engine, controls, sites=["shop_b"]).mode == "unchanged"

    store(engine, "shop_b", "b-2", second_crawl_of_b())
    run = sync_matches(engine, controls, sites=["shop_b"])

    # Re-read: b1 (price), b2 (renamed), b5 (AI), b15 (new); re-matched: b2, b5, b15; dropped: b3.
    assert (run.mode, run.products_read, run.units_changed, run.units_removed) == ("incremental", 4, 3, 1)
    after = groups_stored(engine)
    assert after == groups_from_scratch(engine, controls)
    found = keys_of(after)
    assert frozenset({("shop_a", "a2"), ("shop_b", "b2"), ("shop_c", "c2")}) in found
    assert frozenset({("shop_a", "a5"), ("shop_b", "b15"), ("shop_c", "c3")}) in found
    assert not any(("shop_b", "b3") in group or ("shop_a", "a3") in group for group in found)
    with Session(engine) as session:
        assert session.scalar(select(func.count()).where(MatchUnit.product_id == "b3")) == 0
        # b1's new stamp is stored: the next sync has nothing to do.
    assert sync_matches(engine, controls).mode == "unchanged"


def test_a_pin_added_rematches_from_scratch_and_pins_hold_incrementally(engine: Engine, tmp_path: Path) -> None:
    controls = tmp_path / "matches.csv"
    sync_matches(engine, controls)
    controls.write_text("action,site_a,product_id_a,site_b,product_id_b\npin,shop_b,b4,shop_c,c1\n", encoding="utf-8")

    run = sync_matches(engine, controls, sites=["shop_b"])
    assert (run.mode, run.why) == ("full", "controls, matcher or threshold changed")
    groups = groups_stored(engine)
    assert groups == groups_from_scratch(engine, controls)
    # The pin takes c1 from the Merino group (a1 and b1 stay, linked first); a4 joins b4 by name.
    pinned = next(group for group in groups if ("shop_c", "c1") in group.keys)
    assert set(pinned.keys) == {("shop_a", "a4"), ("shop_b", "b4"), ("shop_c", "c1")}
    assert frozenset({("shop_a", "a1"), ("shop_b", "b1")}) in keys_of(groups)
    assert {member.reason for member in pinned.members} == {"pinned", "name"}

    store(engine, "shop_b", "b-2", second_crawl_of_b())
    assert sync_matches(engine, controls, sites=["shop_b"]).mode == "incremental"
    assert groups_stored(engine) == groups_from_scratch(engine, controls)


def test_a_changed_matcher_rematches_from_scratch(engine: Engine, tmp_path: Path, monkeypatch) -> None:
    controls = tmp_path / "matches.csv"
    sync_matches(engine, controls)
    assert sync_matches(engine, controls).mode == "unchanged"
    with Session(engine) as session, session.begin():  # a schema made without the migration's row
        session.execute(delete(MatchState))
    assert sync_matches(engine, controls).why == "never matched"
    monkeypatch.setattr(sync, "MATCHER_VERSION", "test-next")
    run = sync_matches(engine, controls)
    assert (run.mode, run.why) == ("full", "controls, matcher or threshold changed")
    assert sync_matches(engine, controls).mode == "unchanged"
    assert sync_matches(engine, controls, threshold=0.9).mode == "full"


def test_a_result_written_meanwhile_by_another_process_wins(engine: Engine, tmp_path: Path) -> None:
    controls = tmp_path / "matches.csv"
    sync_matches(engine, controls)
    with Session(engine) as session:
        read = read_computed_with(session).generation
    store(engine, "shop_b", "b-2", second_crawl_of_b())
    sync_matches(engine, controls, sites=["shop_b"])  # the other process, first
    stale = ResultChange(units={}, dropped_units=[("shop_a", "a1")], members={}, dropped_members=[("shop_a", "a1")])
    assert not write_result(
        engine, read, stale, full=False, computed_with="x", controls_sha256="y", matcher_version="z", threshold=0.85
    )
    with Session(engine) as session:
        assert session.scalar(select(func.count()).where(MatchMember.unit_key == '["shop_a","a1"]')) == 1
    assert groups_stored(engine) == groups_from_scratch(engine, controls)


def test_stored_groups_serve_a_new_process_and_export_rematch_redoes_them(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    controls = tmp_path / "matches.csv"
    sync_matches(engine, controls)
    with Session(engine) as session:
        before = read_computed_with(session)
    exports = tmp_path / "exports"

    result = scrapy_export(database_url, exports, "-s", f"MATCHES_FILE={controls}")
    assert result.returncode == 0, result.stderr[-3000:]
    with Session(engine) as session:
        assert read_computed_with(session) == before  # read, not matched again
    rows = list(csv.DictReader((exports / "compare.csv").open(encoding="utf-8-sig", newline="")))
    by_group: dict[str, set[tuple[str, str]]] = {}
    for row in rows:
        by_group.setdefault(row["match_id"], set()).add((row["site"], row["product_id"]))
    stored = groups_stored(engine)
    assert by_group == {group.match_id: set(group.keys) for group in stored}

    result = scrapy_export(database_url, exports, "--rematch", "-s", f"MATCHES_FILE={controls}")
    assert result.returncode == 0, result.stderr[-3000:]
    with Session(engine) as session:
        after = read_computed_with(session)
    assert after.generation == before.generation + 1 and after.full_at > before.full_at
    assert groups_stored(engine) == stored


@pytest.mark.parametrize("process_products", [-1, 0], ids=["in the crawl's process", "in a child process"])
def test_the_extension_matches_each_stored_crawl_and_a_failure_costs_only_the_matching(
    engine: Engine, database_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture, process_products: int
) -> None:
    controls = tmp_path / "matches.csv"
    storing = {"ITEM_PIPELINES": {"ecommerce_scraper.pipelines.storage.StoragePipeline": 800}}
    crawler = get_crawler(
        KnitshopSpider,
        {
            **storing,
            "DATABASE_URL": database_url,
            "MATCHES_FILE": str(controls),
            "MATCHING_PROCESS_PRODUCTS": process_products,
        },
    )
    extension = CrawlMatching.from_crawler(crawler)
    extension.match("shop_b", "b-1")
    assert crawler.stats.get_value("matching/shop_b/mode") == "full"
    assert crawler.stats.get_value("matching/shop_b/process") == ("child" if process_products == 0 else "crawl")
    peak = crawler.stats.get_value("matching/shop_b/process_peak_rss_mb")
    assert (peak is not None and 10 < peak < 2000) if process_products == 0 else peak is None
    store(engine, "shop_b", "b-2", second_crawl_of_b())
    extension.match("shop_b", "b-2")
    assert crawler.stats.get_value("matching/shop_b/mode") == "incremental"
    assert crawler.stats.get_value("matching/shop_b/units_changed") == 3
    assert groups_stored(engine) == groups_from_scratch(engine, controls)

    controls.write_text("action,site_a,product_id_a,site_b,product_id_b\nmerge,shop_a,a1,shop_b,b1\n", encoding="utf-8")
    with caplog.at_level(logging.ERROR):
        extension.match("shop_b", "b-2")
    failures = [record for record in caplog.records if "matching across shops failed" in record.getMessage()]
    assert len(failures) == 1 and "unknown action 'merge'" in failures[0].getMessage()
    assert crawler.stats.get_value("matching/failed") == 1
    extension.engine_stopped()

    off = get_crawler(KnitshopSpider, {**storing, "DATABASE_URL": database_url, "MATCHING_AFTER_CRAWL": False})
    with pytest.raises(NotConfigured):
        CrawlMatching.from_crawler(off)


# --- in memory: the incremental and the fast paths against the plain definitions -----------------

_BRANDS = ("drops", "katia", "alize")
_WORDS = ("merino", "extra", "fine", "baby", "cotton", "soft", "silk", "zing", "needles", "4", "mm", "80", "cm")


def random_identity(rng: random.Random, site: str, product_id: str) -> ProductIdentity:
    coloured = rng.random() < 0.6
    return ProductIdentity(
        site=site,
        product_id=product_id,
        gtin=rng.choice(("00000000000017", "00000000000024", None, None, None, None)),
        brand=rng.choice(_BRANDS),
        line=tuple(sorted(set(rng.sample(_WORDS[:7] if coloured else _WORDS, rng.randint(2, 6))))),
        colour_code=str(rng.randint(1, 3)) if coloured else None,
        colour_name=None,
        weight_g=rng.choice((Decimal(50), Decimal(100), None)),
        length_m=None,
    )


@pytest.mark.parametrize("seed", range(12))
def test_rematch_identities_equals_a_full_match_on_random_changes(seed: int) -> None:
    rng = random.Random(seed)
    sites = ("s1", "s2", "s3", "s4")
    identities = {}
    for number in range(160):
        identity = random_identity(rng, rng.choice(sites), f"p{number}")
        identities[identity.key] = identity
    pins = {frozenset(rng.sample(list(identities), 2)) for _ in range(3)}
    controls = matcher.MatchControls(
        pins=frozenset(pair for pair in pins if len({site for site, _ in pair}) == 2),
        apart=frozenset({frozenset(rng.sample(list(identities), 2))}),
    )
    groups = match_identities(identities.values(), controls)
    for round_number in range(6):
        keys = list(identities)
        removed = rng.sample(keys, 4)
        changed = {key: random_identity(rng, *key) for key in rng.sample(keys, 8) if key not in removed}
        for number in range(5):
            new = random_identity(rng, rng.choice(sites), f"n{round_number}-{number}")
            changed[new.key] = new
        groups, identities = rematch_identities(groups, identities, changed, removed, controls)
        assert groups == match_identities(identities.values(), controls), f"round {round_number}"


def test_name_links_in_large_blocks_equal_every_pair_compared() -> None:
    rng = random.Random(7)
    words = [f"w{n}" for n in range(14)]
    identities = {}
    for number in range(400):  # one brand, no colour: one block of 400
        line = tuple(sorted(set(rng.sample(words, rng.randint(1, 8)))))
        identity = ProductIdentity(f"s{number % 5}", f"p{number}", None, "knitpro", line, None, None, None, None)
        identities[identity.key] = identity
    by_key = dict(sorted(identities.items()))
    members = list(by_key.values())
    every_pair = sorted(
        (
            (confidence, a.key, b.key)
            for index, a in enumerate(members)
            for b in members[index + 1 :]
            if a.site != b.site and (confidence := matcher.name_confidence(a, b)) >= matcher.MATCH_THRESHOLD
        ),
        key=lambda link: (-link[0], link[1], link[2]),
    )
    assert len(every_pair) > 50
    assert list(matcher._name_links(by_key, matcher.MATCH_THRESHOLD)) == every_pair
    # What re-matching follows from one unit: the same pairs, found from either end.
    names = matcher.NameIndex(by_key)
    from_index = {(a, b) for a in by_key for b in names.neighbours(by_key[a]) if a < b}
    assert from_index == {(a, b) for _, a, b in every_pair}
    # The finer blocks the database is read by hold every pair that can link.
    threshold = matcher.MATCH_THRESHOLD
    assert matcher.fewest_shared_words(threshold) == 6  # 5/6 = 0.83: five shared words never reach 0.85
    assert all(
        matcher.name_block(by_key[a], threshold) == matcher.name_block(by_key[b], threshold) for _, a, b in every_pair
    )
    assert len({matcher.name_block(identity, threshold) for identity in members}) > 20


def test_a_group_stored_meanwhile_out_of_the_closures_reach_matches_again_not_for_ever(
    engine: Engine, tmp_path: Path, monkeypatch
) -> None:
    """Another process stores a group with an identity key of this one's, after this one read
    its units: the closure can't reach it. The sync starts again from what is stored (a bounded
    number of times), where it used to loop for ever (seen with two Scrapyd nodes on one database)."""
    import threading

    controls = tmp_path / "matches.csv"
    sync_matches(engine, controls)
    store(engine, "shop_b", "b-2", second_crawl_of_b())
    real = sync.group_ids_with_keys
    monkeypatch.setattr(sync, "group_ids_with_keys", lambda session, keys: real(session, keys) | {"stored-meanwhile"})
    outcome: list[BaseException | None] = []

    def run() -> None:
        try:
            sync_matches(engine, controls, sites=["shop_b"])
            outcome.append(None)
        except RuntimeError as exc:
            outcome.append(exc)

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(timeout=60)
    assert not worker.is_alive(), "the incremental matching loops for ever"
    assert len(outcome) == 1 and "other processes stored their results first" in str(outcome[0])
    monkeypatch.undo()
    assert sync_matches(engine, controls, sites=["shop_b"]).mode == "incremental"
    assert groups_stored(engine) == groups_from_scratch(engine, controls)
