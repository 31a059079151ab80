"""Normalization of what shops print: prices, availability, URLs."""

from .availability import AVAILABILITIES, map_availability
from .price import ParsedPrice, normalize_currency, parse_price, to_decimal
from .urls import canonicalize_url, is_tracking_parameter, product_id_from_url

__all__ = [
    "AVAILABILITIES",
    "ParsedPrice",
    "canonicalize_url",
    "is_tracking_parameter",
    "map_availability",
    "normalize_currency",
    "parse_price",
    "product_id_from_url",
    "to_decimal",
]
