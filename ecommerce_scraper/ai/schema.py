"""The yarn attributes a knitter filters and compares on, as one Pydantic model.

:class:`YarnAttributes` is both the OpenAI structured-outputs schema (the SDK turns it into a
strict JSON schema) and the validator of whatever comes back, from the model or from the rule
extractor. Its JSON schema carries no numeric bounds (not every OpenAI-compatible server
supports them); the bounds live in validators, which the schema does not show.

Every value keeps where it came from (:data:`Source`): ``structured`` (the shop's own attribute
table or structured data), ``rules`` (the rule extractor over the name and description) or
``ai`` (the model). On an item, ``item["ai"]`` maps each found field to
``{"value": ..., "source": ...}`` (:func:`to_item_value`); absent fields are not there.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal, get_args

from pydantic import AfterValidator, BaseModel, ConfigDict, model_validator

Source = Literal["structured", "rules", "ai"]
SOURCES: tuple[str, ...] = get_args(Source)

YarnWeight = Literal["lace", "fingering", "sport", "dk", "worsted", "aran", "bulky", "super_bulky"]
YARN_WEIGHTS: tuple[str, ...] = get_args(YarnWeight)

ProductType = Literal["yarn", "needles", "hook", "notion", "kit", "pattern", "other"]
PRODUCT_TYPES: tuple[str, ...] = get_args(ProductType)


def _within(low: float, high: float) -> AfterValidator:
    def check(value: float | None) -> float | None:
        if value is not None and not low <= value <= high:
            raise ValueError(f"must be between {low:g} and {high:g}")
        return value

    return AfterValidator(check)


def _text(max_chars: int) -> AfterValidator:
    def check(value: str | None) -> str | None:
        if value is None:
            return None
        value = " ".join(value.split())
        if not value:
            return None
        if len(value) > max_chars:
            raise ValueError(f"longer than {max_chars} characters")
        return value

    return AfterValidator(check)


Percent = Annotated[float | None, _within(0, 100)]
Grams = Annotated[float | None, _within(1, 5000)]
Metres = Annotated[float | None, _within(1, 20000)]
Millimetres = Annotated[float | None, _within(0.5, 40)]
Stitches = Annotated[float | None, _within(1, 100)]
ShortText = Annotated[str | None, _text(120)]
LongText = Annotated[str | None, _text(400)]


class FibreShare(BaseModel):
    """One fibre of the composition: ``{"fibre": "merino wool", "percent": 75}``."""

    model_config = ConfigDict(extra="forbid")

    #: English, lower case, singular: ``wool``, ``merino wool``, ``polyamide``, ``acrylic``, ``cotton`` ...
    fibre: Annotated[str, _text(40)]
    percent: Percent


class Gauge(BaseModel):
    """Stitches (and rows) in 10 × 10 cm of stocking stitch."""

    model_config = ConfigDict(extra="forbid")

    stitches: Stitches
    rows: Stitches


class YarnAttributes(BaseModel):
    """What a product's text says about it; ``None`` where it says nothing."""

    model_config = ConfigDict(extra="forbid")

    fibres: list[FibreShare] | None
    weight_g: Grams
    length_m: Metres
    needle_mm_min: Millimetres
    needle_mm_max: Millimetres
    hook_mm: Millimetres
    gauge: Gauge | None
    yarn_weight: YarnWeight | None
    care: LongText
    colour_name: ShortText
    colour_code: Annotated[str | None, _text(30)]
    product_type: ProductType | None
    origin: ShortText

    @model_validator(mode="after")
    def _consistent(self) -> YarnAttributes:
        if self.fibres is not None:
            total = sum(share.percent or 0 for share in self.fibres)
            if total > 100.5:
                raise ValueError(f"fibre percentages add up to {total:g} (over 100)")
            if not self.fibres:
                self.fibres = None
        low, high = self.needle_mm_min, self.needle_mm_max
        if low is not None and high is not None and low > high:
            raise ValueError(f"needle_mm_min {low:g} is above needle_mm_max {high:g}")
        return self

    @classmethod
    def empty(cls) -> YarnAttributes:
        return cls.model_validate(dict.fromkeys(ATTRIBUTE_FIELDS))


#: The attribute fields, in export column order.
ATTRIBUTE_FIELDS: tuple[str, ...] = tuple(YarnAttributes.model_fields)


@dataclass
class Extraction:
    """Found values (JSON-safe, as :func:`found_values` gives them) and where each came from."""

    values: dict[str, Any] = field(default_factory=dict)
    sources: dict[str, Source] = field(default_factory=dict)

    def add(self, values: Mapping[str, Any], source: Source, *, replace: tuple[str, ...] = ()) -> None:
        """Take ``values`` where this extraction has none, or where its value came from a source
        in ``replace`` (the model corrects the rules: ``replace=("rules",)``)."""
        for name, value in values.items():
            if value is None:
                continue
            if name not in self.values or self.sources[name] in replace:
                self.values[name] = value
                self.sources[name] = source

    def attributes(self) -> YarnAttributes:
        """The values as a validated model (absent fields ``None``)."""
        return YarnAttributes.model_validate({**dict.fromkeys(ATTRIBUTE_FIELDS), **self.values})

    def item_value(self) -> dict[str, dict[str, Any]]:
        """``item["ai"]`` (see :func:`to_item_value`)."""
        return to_item_value(self.values, self.sources)

    @classmethod
    def from_item_value(cls, value: Any) -> Extraction:
        """The inverse of :meth:`item_value` (unknown fields and sources are ignored)."""
        extraction = cls()
        if isinstance(value, Mapping):
            for name in ATTRIBUTE_FIELDS:
                entry = value.get(name)
                if isinstance(entry, Mapping) and entry.get("value") is not None and entry.get("source") in SOURCES:
                    extraction.values[name] = entry["value"]
                    extraction.sources[name] = entry["source"]
        return extraction


def found_values(attributes: YarnAttributes) -> dict[str, Any]:
    """The fields that hold a value, JSON-safe (nested models as dicts, whole numbers as int)."""
    dumped = attributes.model_dump(mode="json")
    return {name: _tidy_numbers(value) for name, value in dumped.items() if value is not None}


def to_item_value(values: Mapping[str, Any], sources: Mapping[str, str]) -> dict[str, dict[str, Any]]:
    """``item["ai"]``: ``{field: {"value": v, "source": s}}`` in :data:`ATTRIBUTE_FIELDS` order."""
    return {
        name: {"value": values[name], "source": sources[name]}
        for name in ATTRIBUTE_FIELDS
        if values.get(name) is not None
    }


def _tidy_numbers(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, list):
        return [_tidy_numbers(entry) for entry in value]
    if isinstance(value, dict):
        return {key: _tidy_numbers(entry) for key, entry in value.items()}
    return value
