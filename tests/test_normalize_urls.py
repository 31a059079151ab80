"""canonicalize_url and product_id_from_url."""

from __future__ import annotations

import hashlib

import pytest

from ecommerce_scraper.normalize import canonicalize_url, is_tracking_parameter, product_id_from_url


@pytest.mark.parametrize(
    ("url", "canonical"),
    [
        # w3lib canonicalization: sorted query, fragment out, empty "?" out
        ("https://shop.gr/p?b=2&a=1", "https://shop.gr/p?a=1&b=2"),
        ("https://shop.gr/p#reviews", "https://shop.gr/p"),
        ("https://shop.gr/p?", "https://shop.gr/p"),
        ("https://shop.gr", "https://shop.gr/"),
        ("  https://shop.gr/p  ", "https://shop.gr/p"),
        ("https://shop.gr/p?a=1&&b=2&", "https://shop.gr/p?a=1&b=2"),
        # scheme and host lower-cased, default ports dropped, path case kept
        ("HTTP://Example.COM:80/Path/To", "http://example.com/Path/To"),
        ("https://Shop.GR:443/Product/X.html", "https://shop.gr/Product/X.html"),
        ("http://shop.gr:443/p", "http://shop.gr:443/p"),
        ("https://shop.gr:8080/p?page=2", "https://shop.gr:8080/p?page=2"),
        ("http://127.0.0.1:8000/atmosphere/", "http://127.0.0.1:8000/atmosphere/"),
        ("https://[::1]:443/x", "https://[::1]/x"),
        # percent-encoding normalized (Greek slugs)
        ("https://shop.gr/μαλλί/", "https://shop.gr/%CE%BC%CE%B1%CE%BB%CE%BB%CE%AF/"),
        ("https://shop.gr/%ce%bc%ce%b1%ce%bb%ce%bb%ce%af/", "https://shop.gr/%CE%BC%CE%B1%CE%BB%CE%BB%CE%AF/"),
        # tracking parameters out
        (
            "https://shop.gr/product/x/?utm_source=fb&utm_medium=cpc&utm_campaign=sale&utm_content=a&utm_term=b",
            "https://shop.gr/product/x/",
        ),
        ("https://shop.gr/p?gclid=abc&fbclid=def&msclkid=ghi&yclid=1&dclid=2", "https://shop.gr/p"),
        ("https://shop.gr/p?mc_cid=1&mc_eid=2&_ga=2.123&_gl=1*abc", "https://shop.gr/p"),
        ("https://shop.gr/p?srsltid=AfmBOoq&igshid=MzRl&ref=home", "https://shop.gr/p"),
        ("https://shop.gr/p?UTM_Source=x&Gclid=y", "https://shop.gr/p"),
        ("https://shop.gr/p?_hsenc=a&_hsmi=b&mkt_tok=c&pk_campaign=d&mtm_source=e", "https://shop.gr/p"),
        ("https://shop.myshopify.com/products/x?_pos=1&_sid=abc&_ss=r", "https://shop.myshopify.com/products/x"),
        ("https://shop.gr/p?PHPSESSID=abc123&id=5", "https://shop.gr/p?id=5"),
        # meaningful parameters stay
        ("https://shop.gr/p?id=5&utm_source=x", "https://shop.gr/p?id=5"),
        (
            "https://shop.gr/index.php?route=product/product&product_id=42&utm_source=x",
            "https://shop.gr/index.php?product_id=42&route=product%2Fproduct",
        ),
        ("https://shop.gr/products/x?variant=4242&fbclid=z", "https://shop.gr/products/x?variant=4242"),
        ("https://shop.gr/category/?page=2&orderby=price", "https://shop.gr/category/?orderby=price&page=2"),
        ("https://shop.gr/search?q=merino&utm_medium=email", "https://shop.gr/search?q=merino"),
        ("https://shop.gr/p?reference=ABC", "https://shop.gr/p?reference=ABC"),
        ("https://shop.gr/p?utm=1", "https://shop.gr/p?utm=1"),
        # not absolute: canonicalized as far as possible
        ("/relative/path?utm_source=x&a=1", "/relative/path?a=1"),
        ("", ""),
    ],
)
def test_canonicalize_url(url: str, canonical: str) -> None:
    assert canonicalize_url(url) == canonical


def test_canonicalize_url_is_idempotent() -> None:
    url = "HTTPS://Shop.GR:443/Μαλλί/Product.html?utm_source=x&b=2&a=1#top"
    once = canonicalize_url(url)
    assert canonicalize_url(once) == once


@pytest.mark.parametrize(
    ("name", "tracking"),
    [
        *[(name, True) for name in ("utm_source", "utm_anything", "gclid", "_ga", "ref", "_pos")],
        *[(name, False) for name in ("id", "product_id", "route", "page", "variant", "q")],
    ],
)
def test_is_tracking_parameter(name: str, tracking: bool) -> None:
    assert is_tracking_parameter(name) is tracking


DEMO = "http://127.0.0.1:8123/atmosphere/"
REAL = "https://www.atmosphere.gr/"


@pytest.mark.parametrize(
    ("path", "product_id"),
    [
        ("product/merino-wool/", "product/merino-wool"),
        ("product/merino-wool", "product/merino-wool"),
        ("product/merino-wool/?utm_source=newsletter&gclid=x", "product/merino-wool"),
        ("product/merino-wool/#reviews", "product/merino-wool"),
        ("Product/Merino-Wool/", "Product/Merino-Wool"),
        ("merino-wool.html", "merino-wool"),  # Magento's URL suffix
        ("12-merino-wool.html?utm_medium=cpc", "12-merino-wool"),  # PrestaShop
        ("yarns/merino-wool.htm", "yarns/merino-wool"),
        ("index.php?route=product/product&product_id=42", "index.php?product_id=42&route=product%2Fproduct"),
        ("products/merino-wool?variant=4242", "products/merino-wool?variant=4242"),
        ("προϊόν/μαλλί-μερινό/", "προϊόν/μαλλί-μερινό"),
        ("%CF%80%CF%81%CE%BF%CF%8A%CF%8C%CE%BD/x/", "προϊόν/x"),
        ("", "index"),
    ],
)
def test_product_id_is_the_path_relative_to_the_shop_root(path: str, product_id: str) -> None:
    assert product_id_from_url(DEMO + path, DEMO) == product_id


@pytest.mark.parametrize(
    "path",
    ["product/merino-wool/", "merino-wool.html", "index.php?route=product/product&product_id=42", "μαλλί/", "a/" * 80],
)
def test_product_id_is_the_same_on_every_host(path: str) -> None:
    ids = {
        product_id_from_url(DEMO + path, DEMO),
        product_id_from_url(REAL + path, REAL),
        product_id_from_url("http://atmosphere.gr/" + path, REAL),  # http -> https, www. or not
        product_id_from_url("https://ATMOSPHERE.gr:443/" + path, "https://atmosphere.gr"),  # base without "/"
        product_id_from_url(
            "https://staging.example/shops/atmosphere/" + path, "https://staging.example/shops/atmosphere/"
        ),
    }
    assert len(ids) == 1


def test_long_relative_ids_are_hashed_from_the_relative_part() -> None:
    path = "category/" + "very-long-slug-" * 10 + "/"
    relative = ("category/" + "very-long-slug-" * 10).strip("/")
    expected = hashlib.sha1(relative.encode(), usedforsecurity=False).hexdigest()[:16]
    assert len(relative) > 120
    assert product_id_from_url(DEMO + path, DEMO) == expected
    assert product_id_from_url(REAL + path, REAL) == expected


def test_a_120_character_id_is_kept() -> None:
    relative = "p/" + "x" * 118
    assert product_id_from_url(DEMO + relative, DEMO) == relative


@pytest.mark.parametrize(
    "url",
    [
        "https://other-shop.gr/product/merino-wool/",
        "http://127.0.0.1:8123/knitshop/product/merino-wool/",  # another shop on the same host
        "http://127.0.0.1:9999/atmosphere/product/merino-wool/",  # another port
        "http://127.0.0.1:8123/atmosphere-outlet/x",  # a sibling path that merely starts alike
    ],
)
def test_urls_outside_the_shop_root_hash_the_whole_canonical_url(url: str) -> None:
    expected = hashlib.sha1(canonicalize_url(url).encode(), usedforsecurity=False).hexdigest()[:16]
    assert product_id_from_url(url, DEMO) == expected


def test_tracking_noise_does_not_change_the_hash_of_outside_urls() -> None:
    url = "https://other-shop.gr/product/x/"
    assert product_id_from_url(url + "?utm_source=a#top", DEMO) == product_id_from_url(url, DEMO)


def test_results_are_strings() -> None:
    for url in ("https://shop.gr/p?utm_source=1", "", "/x", "https://shop.gr"):
        assert isinstance(canonicalize_url(url), str)
        assert isinstance(product_id_from_url(url, "https://shop.gr/"), str)
