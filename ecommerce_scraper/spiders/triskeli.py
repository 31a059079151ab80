"""The triskeli shop (config/sites.json: sites.triskeli)."""

from .base import ShopSpider


class TriskeliSpider(ShopSpider):
    name = "triskeli"
