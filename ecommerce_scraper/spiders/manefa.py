"""The manefa shop (config/sites.json: sites.manefa)."""

from .base import ShopSpider


class ManefaSpider(ShopSpider):
    name = "manefa"
