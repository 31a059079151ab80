"""The atmosphere shop (config/sites.json: sites.atmosphere)."""

from .base import ShopSpider


class AtmosphereSpider(ShopSpider):
    name = "atmosphere"
