"""ecommerce_scraper: a live, trustworthy picture of other shops' catalogs."""

__version__ = "0.1.0"
