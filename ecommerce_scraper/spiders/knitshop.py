"""The knitshop shop (config/sites.json: sites.knitshop)."""

from .base import ShopSpider


class KnitshopSpider(ShopSpider):
    name = "knitshop"
