"""Shop platform adapters and platform detection."""

from __future__ import annotations

from importlib import import_module

from scrapy.http import TextResponse

from .base import ApiPage, ListingLinks, PartialProduct, Platform

#: platform name -> "module:Class", imported lazily.
PLATFORM_CLASSES: dict[str, str] = {
    "woocommerce": "woocommerce:WooCommercePlatform",
    "shopify": "shopify:ShopifyPlatform",
    "prestashop": "prestashop:PrestaShopPlatform",
    "opencart": "opencart:OpenCartPlatform",
    "magento2": "magento2:Magento2Platform",
}


def platform_class(name: str) -> type[Platform]:
    """The adapter class for ``name``; ``"none"`` is the plain :class:`Platform`."""
    if name == "none":
        return Platform
    module, _, cls = PLATFORM_CLASSES[name].partition(":")
    return getattr(import_module(f"{__name__}.{module}"), cls)


def detect_platform(response: TextResponse, threshold: int = 50) -> str:
    """The most likely platform of a shop from one of its pages, or ``"none"``."""
    best, best_score = "none", 0
    for name in PLATFORM_CLASSES:
        try:
            score = platform_class(name).detect(response)
        except ImportError:  # an adapter that isn't there can't be detected
            continue
        if score > best_score:
            best, best_score = name, score
    return best if best_score >= threshold else "none"


__all__ = ["ApiPage", "ListingLinks", "PartialProduct", "Platform", "detect_platform", "platform_class"]
