"""Microdata read by extraction/microdata.py gives what extruct itself gives, on odd markup and on
the demo shops' pages: the items, and the text of every element."""

from __future__ import annotations

import gc
import tracemalloc

import extruct
import pytest
from extruct.w3cmicrodata import LxmlMicrodataExtractor
from scrapy.http import HtmlResponse

from ecommerce_scraper.extraction.microdata import _DROPPED, microdata_items, text_content

from .demo_pages import DemoSite

ODD_TEXT = """<html><head><title>T</title><style>x</style></head><body>
<div>one<!-- c -->two<script>s</script>three<b>bold</b><!--c2--><?pi x?>tail<style>st</style></div>
<p>( x<span>y</span>) , z<i>!</i>?<br>line<br/>next</p>
<ul><li>a</li><li>b<ul><li>c</li></ul></li>  </ul><table><tr><td>1</td><td>2</td></tr></table>
<div><script>only</script></div><div><!--x-->after comment<meta content=1>after meta<link href=x>after link</div>
<div>  <h2> Head </h2> text <p>para <a href=#>link</a>.</p><image>img</image><noscript>ns</noscript></div>
<div><span>a</span><script>z</script><span>b</span>tail<script>k</script>tail2</div>
<span><b></b><i> </i>x\u00a0y\u2003z</span><div><div><div><p>deep</p></div>text</div></div>
</body></html>"""

ODD_ITEMS = [
    '<div itemscope itemtype="http://schema.org/Product"><span itemprop="name">  A \n  b\t c </span>'
    '<script itemprop="x">var a=1</script><style itemprop="y">p{}</style><div itemprop="description">Hi '
    '<b>there</b>, you<p>para</p><!-- c --></div><span itemprop="e"></span><td itemprop="t">\u00a0x y </td>'
    '<p itemprop="c"><!-- c -->txt</p><a itemprop="url" href="/x"> u </a><meta itemprop="m" content="mc"></div>',
    '<div itemscope><span itemprop="a b">two</span><div itemprop="offers" itemscope '
    'itemtype="http://schema.org/Offer"><span itemprop="price">1,00 €</span></div></div>',
    '<div itemscope itemtype="http://schema.org/Thing"></div><p itemscope itemtype="y">  leaf  p </p>',
    '<div itemscope itemtype="http://schema.org/Product"><div itemprop="offers" itemscope '
    'itemtype="http://schema.org/AggregateOffer"><div itemprop="offers" itemscope itemtype="http://schema.org/Offer">'
    '<span itemprop="price">1</span><div itemscope itemtype="http://schema.org/Thing"><span itemprop="name">inner'
    '</span></div></div></div><span itemprop="name">P</span></div><div itemscope itemtype="http://schema.org/Product">'
    '<div itemscope itemtype="http://schema.org/Product" itemprop="isRelatedTo"><span itemprop="name">rel</span>'
    '</div><span itemprop="name">second</span></div>',
    '<div itemscope itemtype="http://schema.org/Product" itemref="a b"><span itemprop="name">n</span></div>'
    '<div id="a"><span itemprop="sku">S1</span><div itemscope><span itemprop="sku">no</span></div></div>'
    '<span id="b" itemprop="brand" itemscope itemtype="http://schema.org/Brand"><span itemprop="name">B</span></span>',
]


def page(html: str) -> HtmlResponse:
    return HtmlResponse("http://shop.test/p", body=html.encode(), encoding="utf-8")


def extruct_items(response: HtmlResponse) -> list[dict]:
    root = response.selector.root
    return extruct.extract(root, base_url=response.url, syntaxes=["microdata"], uniform=True)["microdata"]


def test_every_element_reads_as_extruct_cleans_and_walks_it() -> None:
    extruct_text = LxmlMicrodataExtractor()._extract_textContent
    root = page(ODD_TEXT).selector.root
    elements = [e for e in root.iter() if isinstance(e.tag, str) and e.tag not in _DROPPED]
    assert len(elements) > 30
    for element in elements:
        assert text_content(element) == extruct_text(element), element.tag


@pytest.mark.parametrize("html", ODD_ITEMS)
def test_odd_microdata_gives_extruct_s_items(html: str) -> None:
    response = page(f"<html><body>{html}</body></html>")
    assert microdata_items(response.selector.root, response.url) == extruct_items(response)


@pytest.mark.parametrize("site", ["knitshop", "triskeli"])  # the demo shops with microdata
def test_demo_pages_give_extruct_s_items(site: str) -> None:
    shop = DemoSite(site)
    found = 0
    for product in shop.products[:12]:
        response = shop.response(shop.product_url(product), shop=shop.root)
        items = microdata_items(response.selector.root, response.url)
        assert items == extruct_items(response)
        found += len(items)
    assert found >= 12


def test_reading_items_keeps_no_memory_per_page() -> None:
    # extruct's set:difference query, compiled with its EXSLT prefix, kept an error-log entry per
    # call (libxml2 2.13+): 300 pages kept 283 KB. Python's allocations are counted exactly.
    root = page(ODD_ITEMS[3] + ODD_ITEMS[4]).selector.root
    microdata_items(root, "http://shop.test/p")
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for _ in range(300):
            assert microdata_items(root, "http://shop.test/p")
        gc.collect()
        kept = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert kept < 20_000, f"{kept} bytes kept after 300 pages"
