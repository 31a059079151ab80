"""SEO fields of a page: title, meta description, h1, robots, OpenGraph, canonical, hreflang."""

from __future__ import annotations

from typing import Any

from scrapy.http import TextResponse

from .toolkit import clean_text


def _meta(response: TextResponse, key: str) -> str | None:
    value = response.xpath(
        f'//meta[translate(@name, "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")="{key}" '
        f'or @property="{key}"]/@content'
    ).get()
    return clean_text(value) or None if value is not None else None


def extract_seo(response: TextResponse) -> dict[str, Any]:
    """The SEO fields of the Product item (empty values left out)."""
    canonical = response.xpath('//link[@rel="canonical"]/@href').get()
    hreflang = {
        link.attrib["hreflang"]: response.urljoin(link.attrib["href"])
        for link in response.xpath('//link[@rel="alternate"][@hreflang][@href]')
    }
    fields = {
        "seo_title": clean_text(" ".join(response.xpath("//head/title//text()").getall())) or None,
        "meta_description": _meta(response, "description"),
        "h1": clean_text(" ".join(response.xpath("(//h1)[1]//text()").getall())) or None,
        "meta_robots": _meta(response, "robots"),
        "og_title": _meta(response, "og:title"),
        "og_description": _meta(response, "og:description"),
        "og_image": response.urljoin(og) if (og := _meta(response, "og:image")) else None,
        "canonical_url": response.urljoin(canonical.strip()) if canonical and canonical.strip() else None,
        "hreflang": hreflang or None,
    }
    return {k: v for k, v in fields.items() if v is not None}
