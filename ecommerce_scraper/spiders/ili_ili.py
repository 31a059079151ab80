"""The ili_ili shop (config/sites.json: sites.ili_ili)."""

from .base import ShopSpider


class IliIliSpider(ShopSpider):
    name = "ili_ili"
