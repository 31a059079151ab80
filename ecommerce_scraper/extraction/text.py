"""Whitespace and HTML-to-text helpers shared by the extractors."""

from __future__ import annotations

import re

from w3lib.html import remove_tags, replace_entities

_SPACE = re.compile(r"\s+")


def clean_text(text: str | None) -> str:
    """Collapse whitespace (NBSP included) and strip."""
    return _SPACE.sub(" ", (text or "").replace("\u00a0", " ")).strip()


def html_to_text(html: str | None) -> str:
    """Plain text of an HTML fragment; block ends become spaces so words don't glue."""
    if not html:
        return ""
    spaced = re.sub(r"(?i)<\s*(br|/p|/div|/li|/h\d|/tr)\b[^>]*>", " ", html)
    return clean_text(replace_entities(remove_tags(spaced)))
