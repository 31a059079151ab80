"""PrestaShop 1.6's inline JavaScript: the ``addJsDef`` globals and ``product.js``'s prices.

A 1.6 product page defines its data as ``var name = value;`` globals (:class:`JsGlobals`); its
combinations (``combinationsFromController``) are priced the way ``product.js``'s
``updatePrice()`` does (:class:`Pricing`), in Decimal, rounded half-up to cents as the shop
displays them. Read by :mod:`ecommerce_scraper.platforms.prestashop`.
"""

from __future__ import annotations

import json
import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from scrapy.http import TextResponse

from ..extraction.toolkit import Variant, node_text, select
from ..normalize import parse_price

CENT = Decimal("0.01")
JS_VAR = r"\bvar\s+{name}\s*=\s*"
#: Every ``var name =`` of a script, in one pass (what JS_VAR finds for one name, for all of them).
_JS_VARS = re.compile(JS_VAR.format(name=r"([^\W\d][\w$]*|\$[\w$]*)"))
#: The same without its leading ``\b``, which keeps the regex engine from jumping to each "var"
#: (a literal prefix); :func:`_var_starts` checks the word boundary itself.
_JS_VARS_UNBOUNDED = re.compile(_JS_VARS.pattern.removeprefix(r"\b"))
_JSON = json.JSONDecoder(parse_float=Decimal, strict=False)


# --- globals ----------------------------------------------------------------


class JsGlobals:
    """``var name = value;`` definitions of a page's inline scripts (``addJsDef`` output)."""

    def __init__(self, response: TextResponse) -> None:
        self.text = "\n".join(response.xpath("//script[not(@src)]/text()").getall())
        self._cache: dict[str, Any] = {}
        #: name -> where its first definition's value starts (one scan, not one per name asked)
        self._starts: dict[str, int] = {}
        for name, end in _var_starts(self.text):
            self._starts.setdefault(name, end)

    def get(self, name: str, default: Any = None) -> Any:
        if name not in self._cache:
            at = self._starts.get(name)
            if at is None and not name.isidentifier():  # not a plain name: the scan cannot have found it
                match = re.search(JS_VAR.format(name=re.escape(name)), self.text)
                at = match.end() if match else None
            self._cache[name] = _js_value(self.text, at) if at is not None else _MISSING
        value = self._cache[name]
        return default if value is _MISSING else value


def _var_starts(text: str) -> list[tuple[str, int]]:
    """``(name, end)`` of each ``_JS_VARS`` match of ``text``, as ``finditer`` gives them: a match
    whose ``var`` follows a word character fails ``\b``, and the search goes on one further."""
    found = []
    at = 0
    while match := _JS_VARS_UNBOUNDED.search(text, at):
        start = match.start()
        if start and (text[start - 1].isalnum() or text[start - 1] == "_"):
            at = start + 1
            continue
        found.append((match.group(1), match.end()))
        at = match.end()
    return found


_MISSING = object()


def _js_value(text: str, at: int) -> Any:
    """The literal at ``text[at:]``: a single-quoted string or JSON; ``_MISSING`` if neither."""
    if text.startswith("'", at):
        out: list[str] = []
        index = at + 1
        while index < len(text):
            char = text[index]
            if char == "\\" and index + 1 < len(text):
                following = text[index + 1]
                out.append({"n": "\n", "t": "\t", "r": "\r"}.get(following, following))
                index += 2
                continue
            if char == "'":
                return "".join(out)
            out.append(char)
            index += 1
        return _MISSING
    try:
        return _JSON.raw_decode(text, at)[0]
    except ValueError:
        return _MISSING


# --- prices ----------------------------------------------------------------------------


class Pricing:
    """What ``product.js`` needs to price a combination."""

    def __init__(
        self,
        base_excl: Decimal,
        tax_factor: Decimal,
        ecotax: Decimal,
        product_specific: dict[str, Any] | None,
    ) -> None:
        self.base_excl = base_excl
        self.tax_factor = tax_factor
        self.ecotax = ecotax
        self.product_specific = product_specific

    @classmethod
    def from_js(cls, js: JsGlobals) -> Pricing | None:
        base = decimal_of(js.get("productPriceTaxExcluded"))
        if base is None:
            base = decimal_of(js.get("productBasePriceTaxExcl"))
        if base is None:
            return None
        no_tax = js.get("noTaxForThisProduct") is True or js.get("customerGroupWithoutTax") is True
        tax_rate = decimal_of(js.get("taxRate")) or Decimal(0)
        tax_factor = Decimal(1) if no_tax else 1 + tax_rate / 100
        ecotax = decimal_of(js.get("default_eco_tax")) or Decimal(0)
        ecotax_rate = decimal_of(js.get("ecotaxTax_rate")) or Decimal(0)
        specific = js.get("product_specific_price")
        return cls(base, tax_factor, ecotax * (1 + ecotax_rate / 100), specific if isinstance(specific, dict) else None)

    def prices(self, combination: dict[str, Any]) -> tuple[Decimal | None, Decimal | None]:
        """(price, regular price or None), rounded half-up to cents."""
        impact = decimal_of(combination.get("price")) or Decimal(0)
        specific = combination.get("specific_price", self.product_specific)
        specific = specific if isinstance(specific, dict) else None
        excl = self.base_excl + impact
        fixed = decimal_of(specific.get("price")) if specific else None
        if fixed is not None and fixed > 0:  # a specific price replaces the combination's price
            excl = fixed
        regular = excl * self.tax_factor + self.ecotax
        price = regular
        reduction = (decimal_of(specific.get("reduction")) or Decimal(0)) if specific else Decimal(0)
        if specific and reduction > 0:
            if specific.get("reduction_type") == "percentage":
                price = regular * (1 - reduction)
            elif str(specific.get("reduction_tax", "1")) == "0":  # an amount before tax
                price = regular - reduction * self.tax_factor
            else:
                price = regular - reduction
        price_cents, regular_cents = round_cents(price), round_cents(regular)
        return price_cents, (regular_cents if regular_cents > price_cents else None)


def combination_variant(
    combination: dict[str, Any], group_names: dict[str, str], pricing: Pricing | None, js: JsGlobals
) -> Variant:
    values = combination.get("attributes_values")
    options = {}
    if isinstance(values, dict):
        options = {group_names.get(str(group), f"group_{group}"): str(value) for group, value in values.items()}
    price, regular = pricing.prices(combination) if pricing else (None, None)
    reference = str(combination.get("reference") or "").strip()
    return {
        "sku": reference or None,
        "name": " / ".join(options.values()),
        "options": options,
        "price": price,
        "regular_price": regular,
        "availability": _combination_availability(combination, js),
    }


def _combination_availability(combination: dict[str, Any], js: JsGlobals) -> str | None:
    if js.get("stock_management") in (0, False, "0"):
        return "in_stock"
    quantity = int_of(combination.get("quantity"))
    if quantity is None:
        return None
    if quantity > 0:
        return "in_stock"
    if js.get("allowBuyWhenOutOfStock") is True:
        return orderable_out_of_stock(js, combination.get("available_date"))
    return "out_of_stock"


def orderable_out_of_stock(js: JsGlobals, available_date: object) -> str:
    """Out of stock but orderable: a pre-order while an availability date is ahead, else a backorder."""
    today = str(js.get("currentDate") or "")[:10]
    day = str(available_date or "").strip()
    if re.fullmatch(r"\d{2}/\d{2}/\d{4}", day):  # dd/mm/yyyy as the theme prints it
        day = f"{day[6:]}-{day[3:5]}-{day[:2]}"
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", day) and day != "0000-00-00" and (not today or day > today):
        return "preorder"
    return "backorder"


def attribute_group_names(response: TextResponse, js: JsGlobals) -> dict[str, str]:
    """id_attribute_group -> the group's public name, from the attribute fieldsets."""
    names: dict[str, str] = {}
    for fieldset in select(response, "#attributes fieldset.attribute_fieldset, #attributes .attribute_fieldset"):
        label = node_text(fieldset.css("label.attribute_label")).rstrip(":").strip()
        field = fieldset.css("select::attr(name), input.color_pick_hidden::attr(name), input[type=radio]::attr(name)")
        match = re.fullmatch(r"group_(\d+)", field.get() or "")
        if label and match:
            names[match.group(1)] = label
    combos = js.get("attributesCombinations")
    if isinstance(combos, list):  # fallback: the groups' URL names
        for entry in combos:
            if isinstance(entry, dict) and entry.get("id_attribute_group") is not None:
                names.setdefault(str(entry["id_attribute_group"]), str(entry.get("group") or ""))
    return names


def has_reduction(js: JsGlobals) -> bool:
    specific = js.get("product_specific_price")
    return bool(
        (decimal_of(js.get("reduction_percent")) or 0) > 0
        or (decimal_of(js.get("reduction_price")) or 0) > 0
        or (isinstance(specific, dict) and (decimal_of(specific.get("reduction")) or 0) > 0)
    )


def machine_price(value: str | None) -> Decimal | None:
    """A ``content`` attribute (``7.899999``): PHP's float of the price, shown rounded to cents."""
    if not value:
        return None
    amount = parse_price(value, decimal_separator=".").amount
    return round_cents(amount) if amount is not None else None


def shown_price(text: str, currency: str) -> Decimal | None:
    amount = parse_price(text, currency).amount if text else None
    return round_cents(amount) if amount is not None else None


def js_money(value: object) -> Decimal | None:
    amount = decimal_of(value)
    return round_cents(amount) if amount is not None and amount > 0 else None


def round_cents(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def decimal_of(value: object) -> Decimal | None:
    """A JSON number or numeric string of the page's scripts (never a float)."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, Decimal)):
        return Decimal(value)
    try:
        return Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None


def int_of(value: object) -> int | None:
    number = decimal_of(value)
    return int(number) if number is not None else None
