"""Alert rules (``ecommerce_scraper.alerts.rules``) and digests (``.digest``), in process: the
file's validation and its errors, each filter, the message text, the add-on's start-up check."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from scrapy.exceptions import UsageError
from scrapy.settings import Settings
from scrapy.utils.test import get_crawler

from ecommerce_scraper.addon import CrawlSetup
from ecommerce_scraper.alerts.digest import ChangeFacts, Digest, build_digests, crawl_is_suspect, describe, matches
from ecommerce_scraper.alerts.rules import (
    CHANGE_TYPES,
    AlertsFile,
    Rule,
    alerts_config,
    alerts_path,
    fold,
    load_alerts,
)
from ecommerce_scraper.config import ConfigError
from ecommerce_scraper.spiders.knitshop import KnitshopSpider

HOOK = "json://127.0.0.1:9/hook"


def rule(**fields: Any) -> Rule:
    return Rule.model_validate({"name": "r", "sites": ["*"], "changes": ["price_down"], "notify": [HOOK], **fields})


def write(tmp_path: Path, content: Any) -> Path:
    path = tmp_path / "alerts.json"
    path.write_text(content if isinstance(content, str) else json.dumps(content), encoding="utf-8")
    return path


def error_of(tmp_path: Path, content: Any) -> str:
    path = write(tmp_path, content)
    with pytest.raises(ConfigError) as caught:
        load_alerts(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: "), message
    return message


def good_rule(**fields: Any) -> dict[str, Any]:
    return {"name": "big drops", "sites": ["*"], "changes": ["price_down"], "notify": [HOOK], **fields}


# --- the file -------------------------------------------------------------------------------------


def test_the_documented_example_loads_with_decimals(tmp_path: Path) -> None:
    text = (
        '{"rules": [{"name": "big drops", "sites": ["*"], "changes": ["price_down"], "min_delta_pct": 5.1,'
        ' "below_price": "12.30", "keywords": ["merino"], "notify": ["mailto://user:pass@example.com",'
        ' "json://127.0.0.1:8080/hook"]}]}'
    )
    config = load_alerts(write(tmp_path, text))
    only = config.rules[0]
    assert only.min_delta_pct == Decimal("5.1") and isinstance(only.min_delta_pct, Decimal)
    assert only.below_price == Decimal("12.30")
    assert only.notify == ["mailto://user:pass@example.com", "json://127.0.0.1:8080/hook"]
    assert config.destinations() == {url: ["big drops"] for url in only.notify}


@pytest.mark.parametrize(
    ("rule_fields", "expected"),
    [
        (
            {"changes": ["price_down", "price_drop", "cheaper"]},
            "rules.0.changes: Value error, unknown change type(s) price_drop, cheaper",
        ),
        ({"changes": []}, "rules.0.changes: List should have at least 1 item"),
        ({"notify": []}, "rules.0.notify: List should have at least 1 item"),
        (
            {"notify": [HOOK, "nosuchservice://x"]},
            "rules.0.notify.1: Value error, Apprise cannot use nosuchservice://***",
        ),
        ({"min_delta_pct": -1}, "rules.0.min_delta_pct: Input should be greater than or equal to 0"),
        ({"below_price": "ten"}, "rules.0.below_price: Input should be a valid decimal"),
        ({"colour": "red"}, "rules.0.colour: Extra inputs are not permitted"),
        ({"sites": []}, "rules.0.sites: List should have at least 1 item"),
        ({"keywords": [" "]}, "rules.0.keywords.0: Value error, must not be blank"),
    ],
)
def test_errors_name_the_file_and_the_field(tmp_path: Path, rule_fields: dict[str, Any], expected: str) -> None:
    assert expected in error_of(tmp_path, {"rules": [good_rule(), good_rule(name="second", **rule_fields)]}).replace(
        "rules.1.", "rules.0."
    )


def test_whole_file_errors(tmp_path: Path) -> None:
    assert "not valid JSON" in error_of(tmp_path, '{"rules": [')
    assert "rules: Field required" in error_of(tmp_path, {"rule": []})
    assert "rules: Value error, rule names must be unique: big drops repeated" in error_of(
        tmp_path, {"rules": [good_rule(), good_rule()]}
    )
    with pytest.raises(ConfigError, match=r"missing\.json: file not found"):
        load_alerts(tmp_path / "missing.json")


def test_a_secret_in_a_bad_url_is_not_repeated(tmp_path: Path) -> None:
    bad = "mailto://someone:Hunter2secret@127.0.0.1?from=not-an-address"
    message = error_of(tmp_path, {"rules": [good_rule(notify=[bad])]})
    assert "rules.0.notify.0" in message and "someone:***@" in message
    assert "Hunter2secret" not in message and "H...t" not in message


def test_every_change_type_of_the_changes_table_is_accepted() -> None:
    assert rule(changes=list(CHANGE_TYPES)).changes == list(CHANGE_TYPES)


def test_where_the_file_is(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ALERTS_FILE", raising=False)
    monkeypatch.chdir(tmp_path)
    assert alerts_path(Settings()) is None and alerts_config(Settings()) is None  # off
    (tmp_path / "config").mkdir()
    write(tmp_path / "config", {"rules": [good_rule()]})
    assert alerts_path(Settings()) == Path("config/alerts.json")
    assert alerts_config(Settings()) is not None
    monkeypatch.setenv("ALERTS_FILE", "from-env.json")
    assert alerts_path(Settings()) == Path("from-env.json")
    assert alerts_path(Settings({"ALERTS_FILE": "from-setting.json"})) == Path("from-setting.json")


# --- the add-on ------------------------------------------------------------------------------------


def run_addon(tmp_path: Path, **settings: Any) -> Settings:
    crawler = get_crawler(KnitshopSpider, {})
    crawler.spider = crawler._create_spider()
    crawl_settings = Settings(
        {
            "ITEM_PIPELINES": {},
            "EXPORTS_DIR": str(tmp_path),
            "JOBS_DIR": str(tmp_path / "jobs"),
            "PROXY_LIST_PATH": str(tmp_path / "no-proxies.txt"),
            **settings,
        }
    )
    CrawlSetup.from_crawler(crawler).update_settings(crawl_settings)
    return crawl_settings


def test_the_addon_stops_a_crawl_with_a_broken_alerts_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PROXIES", raising=False)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    path = write(tmp_path, {"rules": [good_rule(changes=["price_drop"])]})
    with pytest.raises(UsageError) as caught:
        run_addon(tmp_path, ALERTS_FILE=str(path))
    assert str(caught.value).startswith(f"{path}: rules.0.changes: Value error, unknown change type(s) price_drop")
    assert "\n" not in str(caught.value)
    path.write_text(json.dumps({"rules": [good_rule()]}), encoding="utf-8")
    assert run_addon(tmp_path, ALERTS_FILE=str(path))["CRAWL_ID"]
    with pytest.raises(UsageError, match=r"nothere\.json: file not found"):
        run_addon(tmp_path, ALERTS_FILE=str(tmp_path / "nothere.json"))


# --- matching ------------------------------------------------------------------------------------


def change(**fields: Any) -> ChangeFacts:
    base: dict[str, Any] = {
        "site": "knitshop",
        "product_id": "p1",
        "change_type": "price_down",
        "name": "Merino Soft 100g",
        "url": "https://knit.example/p1",
        "brand": "Drops",
        "old_value": "10.00",
        "new_value": "9.00",
        "delta_pct": Decimal("-10.00"),
        "price": Decimal("9.00"),
        "currency": "EUR",
    }
    return ChangeFacts(**{**base, **fields})


def test_sites_and_change_types() -> None:
    assert matches(rule(), change())
    assert matches(rule(sites=["knitshop"]), change())
    assert not matches(rule(sites=["yarnbox"]), change())
    assert not matches(rule(), change(change_type="price_up", delta_pct=Decimal("10")))
    assert matches(rule(changes=["price_up", "back_in_stock"]), change(change_type="back_in_stock", delta_pct=None))


def test_min_delta_pct_is_absolute_and_needs_a_delta() -> None:
    five = rule(changes=["price_down", "price_up"], min_delta_pct="5")
    assert matches(five, change(delta_pct=Decimal("-5.00")))
    assert matches(five, change(change_type="price_up", delta_pct=Decimal("7.50")))
    assert not matches(five, change(delta_pct=Decimal("-4.99")))
    assert not matches(
        rule(changes=["back_in_stock"], min_delta_pct=5), change(change_type="back_in_stock", delta_pct=None)
    )


def test_below_price_is_at_or_below_and_decimal() -> None:
    target = rule(below_price="9.00")
    assert matches(target, change(price=Decimal("9.00")))
    assert matches(target, change(price=Decimal("8.99")))
    assert not matches(target, change(price=Decimal("9.01")))
    assert not matches(target, change(price=None))
    assert rule(below_price=0.1).below_price == Decimal("0.1")  # from a JSON number, as read: never a binary float


def test_keywords_ignore_case_and_accents_greek_and_latin() -> None:
    assert fold("  ΜΑΛΛΊ  Merino\u00a0Ünd ") == "μαλλι merino und"
    greek = rule(keywords=["μαλλί"])
    assert matches(greek, change(name="Νήμα ΜΑΛΛΙ Merino"))
    assert matches(rule(keywords=["MALLI"]), change(name="malli merino"))
    assert matches(rule(keywords=["cafe"]), change(name="Café Tweed"))
    assert matches(rule(keywords=["alpaca", "merino"]), change(name="MERINO soft"))
    assert not matches(greek, change(name="Cotton 8/4"))
    assert not matches(greek, change(name=None))


def test_brands_and_product_ids() -> None:
    assert matches(rule(brands=["DROPS", "Rico"]), change(brand="Drops"))
    assert matches(rule(brands=["Κατιά"]), change(brand="ΚΑΤΙΑ"))
    assert not matches(rule(brands=["Rico"]), change(brand="Drops"))
    assert not matches(rule(brands=["Rico"]), change(brand=None))
    assert matches(rule(product_ids=["p1", "p2"]), change())
    assert not matches(rule(product_ids=["p2"]), change())


def test_every_filter_must_hold() -> None:
    strict = rule(min_delta_pct=5, below_price="9.50", keywords=["merino"], brands=["drops"], product_ids=["p1"])
    assert matches(strict, change())
    assert not matches(strict, change(brand="Rico"))
    assert not matches(strict, change(delta_pct=Decimal("-1")))


# --- digests ---------------------------------------------------------------------------------------


def test_one_digest_per_matching_rule_listing_every_product() -> None:
    drops, stock = rule(name="drops"), rule(name="stock", changes=["back_in_stock"])
    quiet = rule(name="quiet", sites=["yarnbox"])
    changes = [
        change(),
        change(
            product_id="p2",
            name="Κασμίρ Λεπτό",
            url="https://knit.example/p2",
            old_value="20.00",
            new_value="15.00",
            delta_pct=Decimal("-25.00"),
        ),
        change(product_id="p2", change_type="sale_started", old_value=None, new_value="20.00", delta_pct=None),
    ]
    digests = build_digests([drops, stock, quiet], "knitshop", "c1", changes)
    assert [d.rule.name for d in digests] == ["drops"]
    digest = digests[0]
    assert list(digest.products) == ["p1", "p2"]
    assert digest.title == "drops: 2 products at knitshop"
    assert digest.body == (
        "Alert 'drops', knitshop crawl c1:\n"
        "\n"
        "knitshop · Merino Soft 100g\n"
        "  price down: 10.00 → 9.00 EUR (-10.00%)\n"
        "  https://knit.example/p1\n"
        "\n"
        "knitshop · Κασμίρ Λεπτό\n"
        "  price down: 20.00 → 15.00 EUR (-25.00%)\n"
        "  https://knit.example/p2\n"
    )
    assert build_digests([stock], "knitshop", "c1", changes) == []  # nothing matches: no message


def test_describe_other_changes() -> None:
    assert describe(
        change(change_type="back_in_stock", old_value="out_of_stock", new_value="in_stock", delta_pct=None)
    ) == ("back in stock: out_of_stock → in_stock")
    assert describe(change(change_type="new", old_value=None, new_value=None, delta_pct=None)) == "new: 9.00 EUR"
    assert (
        describe(change(change_type="removed", old_value=None, new_value=None, delta_pct=None, price=None)) == "removed"
    )
    assert (
        describe(
            change(
                change_type="variant_price_changed",
                variant_sku="50g-red",
                old_value="4.00",
                new_value="5.00",
                delta_pct=Decimal("25.00"),
            )
        )
        == "variant price changed [50g-red]: 4.00 → 5.00 EUR (+25.00%)"
    )


def test_only_a_finished_crawl_is_trusted() -> None:
    class Row:
        def __init__(self, status: str) -> None:
            self.status = status

    assert not crawl_is_suspect(Row("finished"))
    for status in ("partial", "failed", "cancelled", "aborted", "running"):
        assert crawl_is_suspect(Row(status))


def test_a_digest_is_per_rule_and_crawl() -> None:
    digest = Digest(rule(), "knitshop", "c9", [change()])
    assert digest.title == "r: 1 product at knitshop"
    assert AlertsFile(rules=[rule()]).rules[0].name == "r"
