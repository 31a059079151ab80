"""What the headless browser (scrapy-playwright) may skip."""

from __future__ import annotations

from typing import Any

_HEAVY = frozenset({"image", "media", "font"})


def abort_heavy_request(request: Any) -> bool:
    """Skip images, media and fonts: rendering a product's data doesn't need them."""
    return request.resource_type in _HEAVY
