"""SEO fields of a page: title, meta description, h1, robots, OpenGraph, canonical, hreflang."""

from __future__ import annotations

from typing import Any

from lxml import etree
from scrapy.http import TextResponse

from .toolkit import clean_text

#: The <meta> keys read, by name (ASCII letters in any case) or property (exactly).
_META_KEYS = ("description", "robots", "og:title", "og:description", "og:image")
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_METAS = "//meta[@content]"
#: Compiled once; evaluated on the parsed page itself: a page has dozens of <meta>, and a parsel
#: Selector (and its attrib dict) for each cost more than reading them.
_METAS_XPATH = etree.XPath(_METAS)


def _metas(response: TextResponse) -> dict[str, str | None]:
    """Each key's first ``<meta content>`` whose name or property it is, cleaned; one pass over the page."""
    found: dict[str, str] = {}
    root = response.selector.root
    metas = _METAS_XPATH(root) if isinstance(root, etree._Element) else response.xpath(_METAS)
    for meta in metas:
        attrib = meta.attrib
        name = attrib.get("name")
        lowered = name.translate(_ASCII_LOWER) if name is not None else None
        prop = attrib.get("property")
        for key in _META_KEYS:
            if key not in found and (lowered == key or prop == key):
                found[key] = attrib["content"]
        if len(found) == len(_META_KEYS):
            break
    return {key: clean_text(value) or None if (value := found.get(key)) is not None else None for key in _META_KEYS}


def extract_seo(response: TextResponse) -> dict[str, Any]:
    """The SEO fields of the Product item (empty values left out)."""
    meta = _metas(response)
    canonical = response.xpath('//link[@rel="canonical"]/@href').get()
    hreflang = {
        link.attrib["hreflang"]: response.urljoin(link.attrib["href"])
        for link in response.xpath('//link[@rel="alternate"][@hreflang][@href]')
    }
    fields = {
        "seo_title": clean_text(" ".join(response.xpath("//head/title//text()").getall())) or None,
        "meta_description": meta["description"],
        "h1": clean_text(" ".join(response.xpath("(//h1)[1]//text()").getall())) or None,
        "meta_robots": meta["robots"],
        "og_title": meta["og:title"],
        "og_description": meta["og:description"],
        "og_image": response.urljoin(og) if (og := meta["og:image"]) else None,
        "canonical_url": response.urljoin(canonical.strip()) if canonical and canonical.strip() else None,
        "hreflang": hreflang or None,
    }
    return {k: v for k, v in fields.items() if v is not None}
