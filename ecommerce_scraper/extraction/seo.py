"""SEO fields of a page: title, meta description, h1, robots, OpenGraph, canonical, hreflang."""

from __future__ import annotations

from typing import Any

from lxml import etree
from scrapy.http import TextResponse

from .toolkit import clean_text

#: The <meta> keys read, by name (ASCII letters in any case) or property (exactly).
_META_KEYS = ("description", "robots", "og:title", "og:description", "og:image")
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")

# Compiled once and run on the tree Scrapy parsed: parsel would wrap every match in a Selector.
_METAS = etree.XPath("//meta[@content]")
_CANONICAL = etree.XPath('//link[@rel="canonical"]/@href')
_HREFLANG = etree.XPath('//link[@rel="alternate"][@hreflang][@href]')
_TITLE_TEXT = etree.XPath("//head/title//text()")
_FIRST_H1_TEXT = etree.XPath("(//h1)[1]//text()")


def _metas(root: Any) -> dict[str, str | None]:
    """Each key's first ``<meta content>`` whose name or property it is, cleaned; one pass over the page."""
    found: dict[str, str] = {}
    for meta in _METAS(root):
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
    root = response.selector.root
    meta = _metas(root)
    canonical = next(map(str, _CANONICAL(root)), None)
    hreflang = {link.get("hreflang"): response.urljoin(link.get("href")) for link in _HREFLANG(root)}
    fields = {
        "seo_title": clean_text(" ".join(_TITLE_TEXT(root))) or None,
        "meta_description": meta["description"],
        "h1": clean_text(" ".join(_FIRST_H1_TEXT(root))) or None,
        "meta_robots": meta["robots"],
        "og_title": meta["og:title"],
        "og_description": meta["og:description"],
        "og_image": response.urljoin(og) if (og := meta["og:image"]) else None,
        "canonical_url": response.urljoin(canonical.strip()) if canonical and canonical.strip() else None,
        "hreflang": hreflang or None,
    }
    return {k: v for k, v in fields.items() if v is not None}
