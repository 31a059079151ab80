"""The adapters' and extractors' shared helpers (extraction/toolkit.py), in process."""

from __future__ import annotations

from decimal import Decimal

from parsel import Selector
from scrapy.http import HtmlResponse

from ecommerce_scraper.extraction.merge import merge_partials
from ecommerce_scraper.extraction.toolkit import (
    PartialProduct,
    absolute_links,
    clean_text,
    compact,
    html_to_text,
    is_empty,
    node_text,
    put,
    select,
)


def test_one_definition_of_empty() -> None:
    assert all(is_empty(v) for v in (None, "", [], {}))
    assert not any(is_empty(v) for v in (0, Decimal("0"), False, " ", [None], {"a": None}, ()))


def test_put_and_compact_keep_zero_and_false() -> None:
    product: PartialProduct = {}
    for key, value in (("name", ""), ("images", []), ("attributes", {}), ("sku", None)):
        put(product, key, value)
    assert product == {}
    put(product, "price", Decimal("0"))
    put(product, "availability", "in_stock")
    assert product == {"price": Decimal("0"), "availability": "in_stock"}
    assert compact({"a": 0, "b": False, "c": "", "d": [], "e": {}, "f": None}) == {"a": 0, "b": False}


def test_merge_uses_the_same_empty() -> None:
    merged = merge_partials({"price": Decimal("0"), "name": ""}, {"price": Decimal("5"), "name": "Wool"})
    assert merged == {"price": Decimal("0"), "name": "Wool"}  # a stated 0 is a value


def test_clean_text() -> None:
    assert clean_text("  Merino\u00a0 Extra\n\tFine ") == "Merino Extra Fine"
    assert clean_text(None) == "" and clean_text(42) == ""


def test_node_text_leaves_scripts_out_unless_asked() -> None:
    sel = Selector(text="<div><h1> Wool <b>yarn</b></h1><h1>Other</h1><p>a<script>var x = 1;</script></p></div>")
    assert node_text(sel.css("h1")) == "Wool yarn Other"
    assert node_text(sel.css("h1"), first_only=True) == "Wool yarn"
    assert node_text(sel.css("p")) == "a"
    assert node_text(sel.css("p"), scripts=True) == "a var x = 1;"
    assert node_text(sel.css("h1")[0]) == "Wool yarn"  # a Selector as well as a list


def test_html_to_text() -> None:
    html = "<p>Soft\n wool &amp; silk</p><ul><li>50 g</li><li>125 m</li></ul><script>x()</script><style>p{}</style>"
    assert html_to_text(html) == "Soft wool & silk 50 g 125 m"
    assert html_to_text(html, "\n") == "Soft wool & silk\n50 g\n125 m"
    assert html_to_text("a<br>b<BR/>c") == "a b c"
    assert html_to_text("<b>Hel</b>lo") == "Hello"  # inline tags don't split words
    assert html_to_text(None) == "" and html_to_text(12) == "" and html_to_text("") == ""


def test_absolute_links_filters_are_explicit() -> None:
    response = HtmlResponse(url="https://shop.example/c/wool/", body=b"<html></html>")
    hrefs = [" /p/1 ", "p/2", "#top", "javascript:void(0)", "mailto:a@b", "tel:1", "", None, "/p/1", "?add-to-cart=5"]
    assert absolute_links(response, hrefs) == [
        "https://shop.example/p/1",
        "https://shop.example/c/wool/p/2",
        "https://shop.example/c/wool/?add-to-cart=5",
    ]
    assert absolute_links(response, hrefs, skip=("#",), keep=lambda url: "add-to-cart=" not in url) == [
        "https://shop.example/p/1",
        "https://shop.example/c/wool/p/2",
        "javascript:void(0)",
        "mailto:a@b",
        "tel:1",
    ]
    assert "https://shop.example/c/wool/#top" in absolute_links(response, hrefs, skip=())


_TRICKY_PAGE = b"""<html><body><div id=a class="b c"><p itemprop=x>1</p><p class=b>2<i class=b>3</i></p></div>
<a name=q></a><i id=q>z</i><i id=q class="b\tc">y</i><span class="bb">no</span><span class="xb b">yes</span>
<ul class=b><li>1</li><li class="b b">2</li></ul><p itemprop=x id=a>4</p><b title="]">5</b></body></html>"""


def test_select_finds_what_css_finds_in_the_same_order() -> None:
    response = HtmlResponse("https://shop.example/", body=_TRICKY_PAGE, encoding="utf-8")
    queries = (
        "#a p", "#a", ".b p::text", "#zz", ".zz, #a [itemprop=x]::text", "#q", "p:not(.zz)", ".b", "#q.b",
        ".b, #q", "[itemprop=x]", ".b .b", ".b:not(.c)", ":not(.b)", ".b:has(i)", ".b:is(.c, i)", ".c.b::text",
        ".b > .b", ".b:first-child", "[id=q]", "div p.b", "[itemprop=x]::attr(itemprop)", ".b li:last-child",
        ".b::attr(class)", "#a::text", ".b::text", "#a, .xb", "[itemprop=x], #zz", "#q::attr(id)", ".c", "[title]",
    )  # fmt: skip
    for query in queries:
        expected = response.css(query).getall()
        assert select(response, query).getall() == expected, query
        assert select(response.selector, query).getall() == expected, query
        within = response.css("div, ul")
        assert select(within, query).getall() == within.css(query).getall(), query
        assert select(within[0], query).getall() == within[0].css(query).getall(), query
