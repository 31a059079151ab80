"""The sittingknitting shop (config/sites.json: sites.sittingknitting)."""

from .base import ShopSpider


class SittingknittingSpider(ShopSpider):
    name = "sittingknitting"
