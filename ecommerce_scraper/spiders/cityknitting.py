"""The cityknitting shop (config/sites.json: sites.cityknitting)."""

from .base import ShopSpider


class CityknittingSpider(ShopSpider):
    name = "cityknitting"
