"""What the model is asked: the instructions and a product's relevant text, trimmed to a token cap.

The text is the product's name, brand, category path, the shop's attribute table and its
description (nothing else of the page: prices, stock and SEO fields say nothing about the
yarn and cost tokens). The description is what gets cut when the text is over the cap.

:data:`PROMPT_VERSION` names these instructions: change it whenever they change, so the
cache (keyed by model, prompt version and text) asks again.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping
from typing import Any

from .schema import PRODUCT_TYPES, YARN_WEIGHTS

PROMPT_VERSION = "2026-12-03"

SYSTEM_PROMPT = f"""You read one product of a yarn and knitting shop (Greek or English text) and \
fill in the attributes a knitter compares across shops. Use only what the text states; leave a \
field null when the text does not state it. Never guess a value from the brand or the name of a \
yarn line alone.

- fibres: each fibre with its percentage, the fibre name in English, lower case, singular \
(wool, merino wool, alpaca, mohair, kid mohair, silk, cotton, linen, acrylic, polyamide, \
polyester, viscose, bamboo, cashmere); nylon is polyamide.
- weight_g and length_m: of one ball or skein, in grams and metres (convert yards to metres: × 0.9144).
- needle_mm_min and needle_mm_max: the recommended knitting needle size range in mm (one size: both the same).
- hook_mm: the recommended crochet hook size in mm, only when a size is given.
- gauge: stitches and rows in 10 × 10 cm.
- yarn_weight: one of {", ".join(YARN_WEIGHTS)} (4 ply is fingering, 8 ply dk, chunky bulky).
- care: the washing instructions as written, in the text's language.
- colour_name and colour_code: only for a product sold in one colour.
- product_type: one of {", ".join(PRODUCT_TYPES)}.
- origin: the country where it is made, in English."""

#: Characters per token assumed when trimming (UTF-8 bytes / 4: Greek letters take two bytes,
#: and tokenizers split Greek more finely than English, so this errs on the safe side).
BYTES_PER_TOKEN = 4


def estimate_tokens(text: str) -> int:
    """A tokenizer-free estimate of the tokens ``text`` costs (no tokenizer offline)."""
    return math.ceil(len(text.encode("utf-8")) / BYTES_PER_TOKEN)


def product_text(product: Mapping[str, Any], max_tokens: int) -> str:
    """The product's relevant text, at most ``max_tokens`` (estimated); ``""`` when it has none."""
    head: list[str] = []
    for label, key in (("Name", "name"), ("Brand", "brand"), ("Category", "category")):
        value = _one_line(product.get(key))
        if value:
            head.append(f"{label}: {value}")
    breadcrumbs = product.get("breadcrumbs")
    if isinstance(breadcrumbs, list | tuple) and breadcrumbs:
        head.append("Path: " + " > ".join(_one_line(part) for part in breadcrumbs if _one_line(part)))
    attributes = product.get("attributes")
    if isinstance(attributes, Mapping) and attributes:
        head.append("Attributes:")
        head += [f"- {_one_line(key)}: {_one_line(value)}" for key, value in attributes.items() if _one_line(value)]
    description = " ".join(str(product.get("description") or "").split())
    text = "\n".join(head)
    if not description:
        return text
    room = max_tokens - estimate_tokens(text + "\nDescription: ")
    if room <= 0:
        return _cut(text, max_tokens)
    return f"{text}\nDescription: {_cut(description, room)}".lstrip("\n")


def messages(text: str) -> list[dict[str, str]]:
    """The chat messages for one product."""
    return [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": text}]


def cache_key(model: str, text: str) -> str:
    """What identifies an answer: the model, these instructions and the product's text."""
    return hashlib.sha256(f"{model}\n{PROMPT_VERSION}\n{text}".encode()).hexdigest()


def _one_line(value: Any) -> str:
    if value is None:
        return ""
    return " ".join(str(value).split())


def _cut(text: str, max_tokens: int) -> str:
    """``text`` cut to ``max_tokens`` (estimated), at a word boundary where there is one."""
    encoded = text.encode("utf-8")
    limit = max_tokens * BYTES_PER_TOKEN
    if len(encoded) <= limit:
        return text
    ellipsis = " …"
    cut = encoded[: max(0, limit - len(ellipsis.encode()))].decode("utf-8", errors="ignore")
    space = cut.rfind(" ")
    return (cut[:space] if space > len(cut) // 2 else cut) + ellipsis
