"""Demo stores, one per platform; each module defines one :class:`~..store.Store`."""

from __future__ import annotations

from importlib import import_module

from ..catalog import PROFILES, Catalog
from ..store import Store

#: platform -> "module:Class" (imported lazily so one broken store can't hide the others)
STORE_CLASSES: dict[str, str] = {
    "woocommerce": "woocommerce:WooCommerceStore",
    "shopify": "shopify:ShopifyStore",
    "prestashop": "prestashop:PrestaShopStore",
    "opencart": "opencart:OpenCartStore",
    "magento2": "magento2:Magento2Store",
    "spa": "spa:SpaStore",
    "handmade": "handmade:HandmadeStore",
}


def store_for(catalog: Catalog) -> Store:
    module, _, cls = STORE_CLASSES[PROFILES[catalog.site].platform].partition(":")
    return getattr(import_module(f"{__name__}.{module}"), cls)(catalog)
