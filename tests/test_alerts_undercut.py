"""``"match": "undercut"`` alert rules: a competitor's price fell below yours.

Stored through the crawl writer, every product with its group's GTIN. Day 1: your shop ``mine``
and ``shop_a``; day 2: ``shop_a`` again. By hand (yours -> shop_a day 1 -> day 2):

====  =====  ======  ======  ==============================================================
      mine   day 1   day 2
====  =====  ======  ======  ==============================================================
X     10.00  11.00    9.50   drops past yours: news
Y      5.00   4.00    4.00   was cheaper already, unchanged: not news (no change at all)
V      6.00   5.00    4.50   was cheaper already, drops further: not news (not a fall *below*)
Z      8.00   9.00    8.50   drops, still above yours: not news
W      3.00     -     2.00   new at shop_a, below yours: news
====  =====  ======  ======  ==============================================================

So day 2's digest names X and W, each with shop_a's price and yours, delivered to a local HTTP
receiver by the extension in process; your own crawl sends nothing. Day 1 is shop_a's first
crawl, where every product is new: it names Y and V, the two below yours, once.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from scrapy.utils.test import get_crawler

from ecommerce_scraper.alerts.digest import crawl_digests
from ecommerce_scraper.alerts.extension import BusinessAlerts
from ecommerce_scraper.alerts.rules import AlertsFile, Rule, load_alerts
from ecommerce_scraper.exports.compare_export import OwnShop
from ecommerce_scraper.matching.identity import gtin_check_digit
from ecommerce_scraper.matching.own_catalog import OWN_CATALOG_SITE
from ecommerce_scraper.storage import db
from ecommerce_scraper.storage.state import to_state

from .alert_receivers import hook_receiver
from .test_compare_export import store

MINE = {"X": "10.00", "Y": "5.00", "V": "6.00", "Z": "8.00", "W": "3.00"}
DAY_1 = {"X": "11.00", "Y": "4.00", "V": "5.00", "Z": "9.00"}
DAY_2 = {"X": "9.50", "Y": "4.00", "V": "4.50", "Z": "8.50", "W": "2.00"}
STORAGE = {"ecommerce_scraper.pipelines.storage.StoragePipeline": 800}


def gtin(letter: str) -> str:
    body = f"5200000001{ord(letter):02d}"
    return body + str(gtin_check_digit(body))


def states(site: str, prices: dict[str, str]) -> list[dict[str, Any]]:
    return [
        to_state(
            {
                "site": site,
                "product_id": f"{site}-{letter}",
                "url": f"https://{site}.example/p/{letter}",
                "name": f"Yarn {letter}",
                "gtin": gtin(letter),
                "price": Decimal(price),
                "currency": "EUR",
                "availability": "in_stock",
            }
        )
        for letter, price in prices.items()
    ]


def undercut_rule(**fields: Any) -> Rule:
    return Rule.model_validate(
        {
            "name": "undercut",
            "sites": ["*"],
            "changes": ["price_down", "price_changed", "new"],
            "match": "undercut",
            "notify": ["json://127.0.0.1:9/h"],
            **fields,
        }
    )


@pytest.fixture
def stored(database_url: str) -> str:
    engine = db.open_database(database_url)
    try:
        store(engine, "mine", "m1", states("mine", MINE))
        store(engine, "shop_a", "a1", states("shop_a", DAY_1))
        store(engine, "shop_a", "a2", states("shop_a", DAY_2))
    finally:
        engine.dispose()
    return database_url


def test_the_digest_names_the_products_that_fell_below_yours(stored: str, tmp_path: Path) -> None:
    engine = db.open_database(stored)
    no_controls = tmp_path / "none.csv"
    try:
        digests = crawl_digests(
            engine, [undercut_rule()], "shop_a", "a2", own=OwnShop("mine"), matches_file=no_controls
        )
        assert [list(digest.products) for digest in digests] == [["shop_a-X", "shop_a-W"]]
        body = digests[0].body
        assert "shop_a · Yarn X\n  price down: 11.00 → 9.50 EUR (-13.64%)\n" in body
        assert "  below your price: shop_a 9.50 EUR, yours 10.00 EUR (mine: Yarn X)\n" in body
        assert "  below your price: shop_a 2.00 EUR, yours 3.00 EUR (mine: Yarn W)\n" in body
        # the same changes without the undercut filter: every drop and the new product
        plain = crawl_digests(engine, [undercut_rule(match=None)], "shop_a", "a2")
        assert list(plain[0].products) == ["shop_a-X", "shop_a-V", "shop_a-Z", "shop_a-W"]
        assert "below your price" not in plain[0].body
        # no own shop, or your own crawl: nothing
        assert crawl_digests(engine, [undercut_rule()], "shop_a", "a2", matches_file=no_controls) == []
        assert (
            crawl_digests(engine, [undercut_rule()], "mine", "m1", own=OwnShop("mine"), matches_file=no_controls) == []
        )
        first = crawl_digests(engine, [undercut_rule()], "shop_a", "a1", own=OwnShop("mine"), matches_file=no_controls)
        assert [list(digest.products) for digest in first] == [["shop_a-Y", "shop_a-V"]]
        # a pin kept apart by hand is no match: X is not yours any more
        apart = tmp_path / "matches.csv"
        apart.write_text(
            "action,site_a,product_id_a,site_b,product_id_b\napart,mine,mine-X,shop_a,shop_a-X\n", encoding="utf-8"
        )
        kept_apart = crawl_digests(engine, [undercut_rule()], "shop_a", "a2", own=OwnShop("mine"), matches_file=apart)
        assert list(kept_apart[0].products) == ["shop_a-W"]
    finally:
        engine.dispose()


def test_the_extension_delivers_the_undercut_alert(
    stored: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sites = tmp_path / "sites.json"
    shops = {site: {"base_url": f"https://{site}.example"} for site in ("mine", "shop_a")}
    sites.write_text(json.dumps({"sites": shops, "own_site": "mine"}), encoding="utf-8")
    monkeypatch.setenv("SITES_CONFIG", str(sites))
    monkeypatch.delenv("OWN_CATALOG", raising=False)
    with hook_receiver() as hook:
        settings = {"ITEM_PIPELINES": STORAGE, "DATABASE_URL": stored, "MATCHES_FILE": str(tmp_path / "none.csv")}
        alerts = BusinessAlerts(
            get_crawler(settings_dict=settings), AlertsFile(rules=[undercut_rule(notify=[hook.url])])
        )
        assert alerts.own == OwnShop("mine")
        alerts.crawl_stored("shop_a", "a2")
        assert alerts.wait(10)
    (message,) = hook.received
    assert message.title == "undercut: 2 products at shop_a"
    assert "below your price: shop_a 9.50 EUR, yours 10.00 EUR (mine: Yarn X)" in message.message
    assert "below your price: shop_a 2.00 EUR, yours 3.00 EUR (mine: Yarn W)" in message.message
    assert "Yarn V" not in message.message and "Yarn Z" not in message.message


def test_own_catalog_prices_count_as_yours(stored: str, tmp_path: Path) -> None:
    """OWN_CATALOG instead of a crawled shop: X at 9.00 now, so shop_a's 9.50 is not below it."""
    catalog = tmp_path / "own.csv"
    catalog.write_text(f'gtin,name,price\n{gtin("X")},Our X,"9,00"\n{gtin("W")},Our W,3.00\n', encoding="utf-8")
    engine = db.open_database(stored)
    try:
        own = OwnShop(OWN_CATALOG_SITE, catalog)
        digests = crawl_digests(engine, [undercut_rule()], "shop_a", "a2", own=own, matches_file=tmp_path / "none.csv")
    finally:
        engine.dispose()
    assert [list(digest.products) for digest in digests] == [["shop_a-W"]]
    assert "below your price: shop_a 2.00 EUR, yours 3.00 EUR (own: Our W)" in digests[0].body


def test_an_undercut_rule_needs_a_price_change(tmp_path: Path) -> None:
    path = tmp_path / "alerts.json"
    rules = [
        {"name": "a", "sites": ["*"], "changes": ["removed"], "match": "undercut", "notify": ["json://127.0.0.1:9/h"]},
        {"name": "b", "sites": ["*"], "changes": ["new"], "match": "cheaper", "notify": ["json://127.0.0.1:9/h"]},
    ]
    path.write_text(json.dumps({"rules": rules}), encoding="utf-8")
    with pytest.raises(Exception) as raised:
        load_alerts(path)
    assert str(raised.value) == (
        f'{path}: rules.0: Value error, "match": "undercut" needs one of price_down, price_changed, new in changes;'
        " rules.1.match: Input should be 'undercut'"
    )
    path.write_text(json.dumps({"rules": [{**rules[0], "changes": ["new", "removed"]}]}), encoding="utf-8")
    assert load_alerts(path).rules[0].match == "undercut"
