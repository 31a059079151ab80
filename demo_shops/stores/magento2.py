"""A Magento Open Source 2.4 shop with the Luma theme (demo site ``triskeli``).

What it imitates, as a browser and a crawler see a real Luma shop:

* URL rewrites: categories ``<slug>.html`` / ``<parent>/<child>.html`` (anchor categories
  list their subcategories' products), ``?p=N`` pagination, ``product_list_limit``
  (12/24/36), ``product_list_order``, layered-navigation ``cat``; products ``<url_key>.html``
  (and the system route ``catalog/product/view/id/N``); ``checkout/cart/``,
  ``customer/account/`` (redirects to the login page), ``catalogsearch/result/?q=``.
* GraphQL at ``graphql`` (GET ``query``/``variables`` or POST JSON): ``products`` and
  ``storeConfig`` over a subset of the real schema, parsed for real (syntax errors are
  HTTP 400, validation and input errors 200 with an ``errors`` array, as Magento answers).
  Money values are JSON numbers, as Magento emits them.
* ``sitemap.xml`` (one urlset, split into an index past 50,000 URLs as Magento does),
  Magento's recommended robots.txt rules.
* Luma markup: ``price-box`` / ``data-price-amount``, ``stock available|unavailable``,
  ``x-magento-init`` with the configurable product's ``spConfig``, microdata on ``body``.

Store configuration this shop runs with: "Display Out of Stock Products" = Yes, so
out-of-stock products stay in listings and out-of-stock children stay in ``spConfig`` with
a ``salable`` map (Magento 2.4's behaviour); the common "SKU switcher" extension adds the
children's ``sku`` map to ``spConfig``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import re
import zlib
from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, ClassVar

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from ..catalog import CATEGORIES, Catalog, Category, DemoProduct, DemoVariant
from ..store import DemoRequest, DemoResponse, Store, format_price

#: Templates of this store. Its own environment: no file checks per page, and the macros
#: module is built once (``{% import %}`` would rebuild it on every render).
TEMPLATES = Environment(
    loader=PackageLoader("demo_shops", "templates"),
    autoescape=select_autoescape(["html", "xml"]),
    trim_blocks=True,
    lstrip_blocks=True,
    auto_reload=False,
)
MACROS = TEMPLATES.get_template("magento2/_macros.html").module
CHROME = TEMPLATES.get_template("magento2/_chrome.html").module

STATIC_VERSION = "1700000000"
THEME_PATH = "frontend/Magento/luma/el_GR"
ROOT_CATEGORY_ID = 2  # Magento's "Default Category"
URL_SUFFIX = ".html"
PAGE_SIZES = (12, 24, 36)
SITEMAP_MAX_URLS = 50_000
IMAGE_CACHE_HASH = hashlib.md5(b"product_page_image_medium", usedforsecurity=False).hexdigest()

#: Configurable attributes by the option label the catalog uses: (attribute id, code).
CONFIGURABLE_ATTRIBUTES: dict[str, tuple[int, str]] = {
    "Χρώμα": (93, "color"),
    "Colour": (93, "color"),
    "Μέγεθος": (144, "size"),
    "Size": (144, "size"),
}


# --- money as Magento prints it -------------------------------------------------------


def price_number(amount: Decimal) -> str:
    """A price as PHP prints a float: ``8.9``, ``14``, never ``14.00``."""
    text = format(amount.normalize(), "f")
    return text if "." not in text else text.rstrip("0").rstrip(".")


_JSON_NUMBER_MARK = "\x00num:"
_JSON_NUMBER_RE = re.compile(r'"\\u0000num:(-?[0-9.]+)"')


def magento_json(data: Any, *, escape: bool = False) -> str:
    """JSON with Decimals as bare numbers (no float on the way).

    ``escape=True`` escapes non-ASCII and slashes as PHP's ``json_encode`` does in the
    page's inline JSON (so ``</script>`` can never appear in it).
    """

    def encode_decimal(value: object) -> str:
        if isinstance(value, Decimal):
            return _JSON_NUMBER_MARK + price_number(value)
        raise TypeError(f"not JSON serializable: {type(value).__name__}")

    text = json.dumps(data, ensure_ascii=escape, default=encode_decimal, separators=(",", ":"))
    text = _JSON_NUMBER_RE.sub(r"\1", text)
    return text.replace("/", "\\/") if escape else text


def _uid(entity_id: int | str) -> str:
    """GraphQL ``uid``: base64 of the entity id."""
    return base64.b64encode(str(entity_id).encode()).decode()


def _percent_off(regular: Decimal, final: Decimal) -> Decimal:
    if not regular:
        return Decimal(0)
    return ((regular - final) * 100 / regular).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


# --- the catalog as Magento models it --------------------------------------------------


@dataclass(frozen=True)
class ConfigurableAttribute:
    attribute_id: int
    code: str
    label: str


@dataclass
class OptionRegistry:
    """Option ids (``value_index``) of configurable attribute values, stable per label."""

    ids: dict[tuple[int, str], int] = field(default_factory=dict)

    def option_id(self, attribute_id: int, label: str) -> int:
        key = (attribute_id, label)
        if key not in self.ids:
            candidate = 5000 + zlib.crc32(label.encode()) % 4000
            taken = set(self.ids.values())
            while candidate in taken:
                candidate += 1
            self.ids[key] = candidate
        return self.ids[key]


def configurable_attributes(product: DemoProduct) -> list[ConfigurableAttribute]:
    labels = list(product.variants[0].options) if product.variants else []
    out = []
    for label in labels:
        attribute_id, code = CONFIGURABLE_ATTRIBUTES.get(label, (200 + zlib.crc32(label.encode()) % 100, "option"))
        out.append(ConfigurableAttribute(attribute_id, code, label))
    return out


def category_url_path(category: Category) -> str:
    return "/".join(c.slug for c in category.path())


def image_path(relative: str) -> str:
    """``media/foo.jpg`` as Magento stores it: ``media/catalog/product/f/o/foo.jpg``."""
    name = relative.rsplit("/", 1)[-1]
    return f"media/catalog/product/{name[0]}/{name[1]}/{name}"


def cached_image_path(relative: str) -> str:
    name = relative.rsplit("/", 1)[-1]
    return f"media/catalog/product/cache/{IMAGE_CACHE_HASH}/{name[0]}/{name[1]}/{name}"


def price_range(product: DemoProduct) -> tuple[Decimal, Decimal, Decimal, Decimal]:
    """(min regular, min final, max regular, max final) as Magento's price index has them.

    A configurable's range covers every child, in stock or not ("Display Out of Stock
    Products" = Yes makes out-of-stock children count).
    """
    if product.variants:
        finals = [v.price for v in product.variants if v.price is not None]
        regulars = [v.regular_price or v.price for v in product.variants if v.price is not None]
        return min(regulars), min(finals), max(regulars), max(finals)
    price = product.price or Decimal(0)
    regular = product.regular_price or price
    return regular, price, regular, price


# --- GraphQL: a small but real parser, validator and executor -------------------------


class GraphQLError(Exception):
    """An error as GraphQL reports it; ``syntax`` errors are answered with HTTP 400."""

    def __init__(
        self,
        message: str,
        line: int | None = None,
        column: int | None = None,
        *,
        category: str | None = "graphql",
        path: list[str] | None = None,
        syntax: bool = False,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.line, self.column = line, column
        self.category, self.path, self.syntax = category, path, syntax

    def as_dict(self) -> dict[str, Any]:
        error: dict[str, Any] = {"message": self.message}
        if self.category:
            error["extensions"] = {"category": self.category}
        if self.line is not None:
            error["locations"] = [{"line": self.line, "column": self.column}]
        if self.path:
            error["path"] = self.path
        return error


@dataclass
class Token:
    kind: str  # punct, spread, name, int, float, string, eof
    value: str
    line: int
    column: int

    def describe(self) -> str:
        if self.kind == "eof":
            return "<EOF>"
        if self.kind in ("punct", "spread"):
            return f'"{self.value}"'
        return {"name": "Name", "int": "Int", "float": "Float", "string": "String"}[self.kind] + f' "{self.value}"'


_TOKEN_RE = re.compile(
    r"""
    (?P<ignored>[\s,\ufeff]+|\#[^\n\r]*)
  | (?P<spread>\.\.\.)
  | (?P<punct>[!$&()\:=@\[\]{}|])
  | (?P<float>-?(?:0|[1-9][0-9]*)(?:\.[0-9]+(?:[eE][+-]?[0-9]+)?|[eE][+-]?[0-9]+))
  | (?P<int>-?(?:0|[1-9][0-9]*))
  | (?P<block>\"\"\"(?:\\\"\"\"|[^"]|"(?!""))*\"\"\")
  | (?P<string>"(?:\\(?:["\\/bfnrt]|u[0-9A-Fa-f]{4})|[^"\\\n\r])*")
  | (?P<name>[_A-Za-z][_0-9A-Za-z]*)
    """,
    re.VERBOSE,
)


def tokenize(source: str) -> list[Token]:
    line_starts = [0] + [m.end() for m in re.finditer(r"\r\n|\n|\r", source)]

    def position(offset: int) -> tuple[int, int]:
        line = bisect_right(line_starts, offset)
        return line, offset - line_starts[line - 1] + 1

    tokens: list[Token] = []
    offset = 0
    while offset < len(source):
        match = _TOKEN_RE.match(source, offset)
        if match is None:
            line, column = position(offset)
            if source[offset] == '"':
                raise GraphQLError("Syntax Error: Unterminated string.", line, column, category=None, syntax=True)
            char = source[offset]
            raise GraphQLError(
                f'Syntax Error: Cannot parse the unexpected character "{char}".',
                line,
                column,
                category=None,
                syntax=True,
            )
        kind, text = match.lastgroup or "", match.group()
        offset = match.end()
        if kind == "ignored":
            continue
        line, column = position(match.start())
        if kind == "block":
            kind, text = "string", text[3:-3].replace('\\"""', '"""')
        elif kind == "string":
            text = json.loads(text)
        tokens.append(Token(kind, text, line, column))
    line, column = position(len(source))
    tokens.append(Token("eof", "", line, column))
    return tokens


@dataclass
class Variable:
    name: str


class EnumValue(str):
    """An unquoted enum literal (``ASC``)."""


@dataclass
class FieldNode:
    alias: str | None
    name: str
    arguments: dict[str, Any]
    directives: list[tuple[str, dict[str, Any]]]
    selections: list[Any] | None
    line: int
    column: int

    @property
    def key(self) -> str:
        return self.alias or self.name


@dataclass
class InlineFragment:
    type_condition: str | None
    directives: list[tuple[str, dict[str, Any]]]
    selections: list[Any]
    line: int
    column: int


@dataclass
class FragmentSpread:
    name: str
    directives: list[tuple[str, dict[str, Any]]]
    line: int
    column: int


@dataclass
class Operation:
    kind: str
    name: str | None
    variables: dict[str, tuple[str, Any]]  # name -> (type, default)
    selections: list[Any]
    line: int
    column: int


@dataclass
class Fragment:
    name: str
    type_condition: str
    selections: list[Any]
    line: int
    column: int


class Parser:
    """Recursive descent over GraphQL's executable grammar (no type system definitions)."""

    def __init__(self, source: str) -> None:
        self.tokens = tokenize(source)
        self.pos = 0

    @property
    def token(self) -> Token:
        return self.tokens[self.pos]

    def error(self, expected: str) -> GraphQLError:
        token = self.token
        return GraphQLError(
            f"Syntax Error: Expected {expected}, found {token.describe()}.",
            token.line,
            token.column,
            category=None,
            syntax=True,
        )

    def peek(self, kind: str, value: str | None = None) -> bool:
        return self.token.kind == kind and (value is None or self.token.value == value)

    def expect(self, kind: str, value: str | None = None) -> Token:
        if not self.peek(kind, value):
            raise self.error(f'"{value}"' if value else "Name" if kind == "name" else kind)
        token = self.token
        self.pos += 1
        return token

    def skip(self, kind: str, value: str | None = None) -> bool:
        if self.peek(kind, value):
            self.pos += 1
            return True
        return False

    def document(self) -> tuple[list[Operation], dict[str, Fragment]]:
        operations: list[Operation] = []
        fragments: dict[str, Fragment] = {}
        if self.peek("eof"):
            raise self.error("Name")  # an empty document
        while not self.peek("eof"):
            token = self.token
            if token.kind == "punct" and token.value == "{":
                operations.append(Operation("query", None, {}, self.selection_set(), token.line, token.column))
            elif token.kind == "name" and token.value in ("query", "mutation", "subscription"):
                operations.append(self.operation())
            elif token.kind == "name" and token.value == "fragment":
                fragment = self.fragment()
                fragments[fragment.name] = fragment
            else:
                raise GraphQLError(
                    f"Syntax Error: Unexpected {token.describe()}.",
                    token.line,
                    token.column,
                    category=None,
                    syntax=True,
                )
        return operations, fragments

    def operation(self) -> Operation:
        start = self.expect("name")
        name = self.expect("name").value if self.peek("name") else None
        variables: dict[str, tuple[str, Any]] = {}
        if self.skip("punct", "("):
            while not self.skip("punct", ")"):
                self.expect("punct", "$")
                var_name = self.expect("name").value
                self.expect("punct", ":")
                var_type = self.type_reference()
                default = self.value(const=True) if self.skip("punct", "=") else None
                variables[var_name] = (var_type, default)
        self.directives()
        return Operation(start.value, name, variables, self.selection_set(), start.line, start.column)

    def fragment(self) -> Fragment:
        start = self.expect("name", "fragment")
        name = self.expect("name").value
        if name == "on":
            raise self.error("Name")
        self.expect("name", "on")
        type_condition = self.expect("name").value
        self.directives()
        return Fragment(name, type_condition, self.selection_set(), start.line, start.column)

    def type_reference(self) -> str:
        if self.skip("punct", "["):
            inner = self.type_reference()
            self.expect("punct", "]")
            text = f"[{inner}]"
        else:
            text = self.expect("name").value
        return text + "!" if self.skip("punct", "!") else text

    def selection_set(self) -> list[Any]:
        self.expect("punct", "{")
        selections = []
        while not self.skip("punct", "}"):
            selections.append(self.selection())
        if not selections:
            raise GraphQLError(
                'Syntax Error: Expected Name, found "}".',
                self.tokens[self.pos - 1].line,
                self.tokens[self.pos - 1].column,
                category=None,
                syntax=True,
            )
        return selections

    def selection(self) -> Any:
        token = self.token
        if self.skip("spread"):
            if self.peek("name") and self.token.value != "on":
                name = self.expect("name").value
                return FragmentSpread(name, self.directives(), token.line, token.column)
            type_condition = None
            if self.skip("name", "on"):
                type_condition = self.expect("name").value
            directives = self.directives()
            return InlineFragment(type_condition, directives, self.selection_set(), token.line, token.column)
        name_token = self.expect("name")
        alias, name = None, name_token.value
        if self.skip("punct", ":"):
            alias, name = name, self.expect("name").value
        arguments = self.arguments()
        directives = self.directives()
        selections = self.selection_set() if self.peek("punct", "{") else None
        return FieldNode(alias, name, arguments, directives, selections, name_token.line, name_token.column)

    def arguments(self, const: bool = False) -> dict[str, Any]:
        arguments: dict[str, Any] = {}
        if self.skip("punct", "("):
            while not self.skip("punct", ")"):
                name = self.expect("name").value
                self.expect("punct", ":")
                arguments[name] = self.value(const)
        return arguments

    def directives(self) -> list[tuple[str, dict[str, Any]]]:
        directives = []
        while self.skip("punct", "@"):
            directives.append((self.expect("name").value, self.arguments()))
        return directives

    def value(self, const: bool = False) -> Any:
        token = self.token
        if token.kind == "punct" and token.value == "$" and not const:
            self.pos += 1
            return Variable(self.expect("name").value)
        if token.kind == "int":
            self.pos += 1
            return int(token.value)
        if token.kind == "float":
            self.pos += 1
            return Decimal(token.value)
        if token.kind == "string":
            self.pos += 1
            return token.value
        if token.kind == "name":
            self.pos += 1
            return {"true": True, "false": False, "null": None}.get(token.value, EnumValue(token.value))
        if token.kind == "punct" and token.value == "[":
            self.pos += 1
            items = []
            while not self.skip("punct", "]"):
                items.append(self.value(const))
            return items
        if token.kind == "punct" and token.value == "{":
            self.pos += 1
            fields: dict[str, Any] = {}
            while not self.skip("punct", "}"):
                name = self.expect("name").value
                self.expect("punct", ":")
                fields[name] = self.value(const)
            return fields
        raise GraphQLError(
            f"Syntax Error: Unexpected {token.describe()}.", token.line, token.column, category=None, syntax=True
        )


def _named(type_ref: str) -> str:
    return type_ref.strip("[]!")


_PRODUCT_INTERFACE: dict[str, str] = {
    "id": "Int",
    "uid": "ID!",
    "sku": "String",
    "name": "String",
    "type_id": "String",
    "url_key": "String",
    "url_suffix": "String",
    "canonical_url": "String",
    "stock_status": "ProductStockStatus",
    "only_x_left_in_stock": "Float",
    "description": "ComplexTextValue",
    "short_description": "ComplexTextValue",
    "meta_title": "String",
    "meta_description": "String",
    "meta_keyword": "String",
    "categories": "[CategoryInterface]",
    "media_gallery": "[MediaGalleryInterface]",
    "image": "ProductImage",
    "small_image": "ProductImage",
    "thumbnail": "ProductImage",
    "price_range": "PriceRange!",
    "special_price": "Float",
    "new_from_date": "String",
    "created_at": "String",
    "updated_at": "String",
    "rating_summary": "Float!",
    "review_count": "Int!",
    "country_of_manufacture": "String",
}
_CATEGORY_FIELDS: dict[str, str] = {
    "id": "Int",
    "uid": "ID!",
    "name": "String",
    "url_key": "String",
    "url_path": "String",
    "url_suffix": "String",
    "level": "Int",
    "path": "String",
    "position": "Int",
    "product_count": "Int",
    "breadcrumbs": "[Breadcrumb]",
}
_IMAGE_FIELDS: dict[str, str] = {"url": "String", "label": "String", "position": "Int", "disabled": "Boolean"}

SCHEMA: dict[str, dict[str, str]] = {
    "Query": {"products": "Products", "storeConfig": "StoreConfig"},
    "Products": {"items": "[ProductInterface]", "page_info": "SearchResultPageInfo", "total_count": "Int"},
    "SearchResultPageInfo": {"current_page": "Int", "page_size": "Int", "total_pages": "Int"},
    "ProductInterface": _PRODUCT_INTERFACE,
    "SimpleProduct": {**_PRODUCT_INTERFACE, "weight": "Float"},
    "VirtualProduct": _PRODUCT_INTERFACE,
    "BundleProduct": {**_PRODUCT_INTERFACE, "weight": "Float"},
    "GroupedProduct": {**_PRODUCT_INTERFACE, "weight": "Float"},
    "DownloadableProduct": _PRODUCT_INTERFACE,
    "ConfigurableProduct": {
        **_PRODUCT_INTERFACE,
        "weight": "Float",
        "configurable_options": "[ConfigurableProductOptions]",
        "variants": "[ConfigurableVariant]",
    },
    "ComplexTextValue": {"html": "String!"},
    "CategoryInterface": _CATEGORY_FIELDS,
    "CategoryTree": {**_CATEGORY_FIELDS, "children": "[CategoryTree]"},
    "Breadcrumb": {
        "category_id": "Int",
        "category_uid": "ID!",
        "category_name": "String",
        "category_level": "Int",
        "category_url_key": "String",
        "category_url_path": "String",
    },
    "MediaGalleryInterface": _IMAGE_FIELDS,
    "ProductImage": _IMAGE_FIELDS,
    "PriceRange": {"minimum_price": "ProductPrice!", "maximum_price": "ProductPrice"},
    "ProductPrice": {"regular_price": "Money!", "final_price": "Money!", "discount": "ProductDiscount"},
    "Money": {"value": "Float", "currency": "CurrencyEnum"},
    "ProductDiscount": {"amount_off": "Float", "percent_off": "Float"},
    "ConfigurableProductOptions": {
        "id": "Int",
        "uid": "ID!",
        "attribute_id": "String",
        "attribute_id_v2": "Int",
        "attribute_uid": "ID!",
        "attribute_code": "String",
        "label": "String",
        "position": "Int",
        "product_id": "Int",
        "use_default": "Boolean",
        "values": "[ConfigurableProductOptionsValues]",
    },
    "ConfigurableProductOptionsValues": {
        "value_index": "Int",
        "uid": "ID",
        "label": "String",
        "default_label": "String",
        "store_label": "String",
        "use_default_value": "Boolean",
    },
    "ConfigurableVariant": {"attributes": "[ConfigurableAttributeOption]", "product": "SimpleProduct"},
    "ConfigurableAttributeOption": {"code": "String", "label": "String", "value_index": "Int", "uid": "ID!"},
    "StoreConfig": {
        "id": "Int",
        "code": "String",
        "store_code": "ID",
        "store_name": "String",
        "locale": "String",
        "base_currency_code": "String",
        "default_display_currency_code": "String",
        "base_url": "String",
        "base_link_url": "String",
        "base_media_url": "String",
        "root_category_id": "Int",
        "root_category_uid": "ID",
        "product_url_suffix": "String",
        "category_url_suffix": "String",
        "grid_per_page": "Int",
        "list_per_page": "Int",
        "timezone": "String",
    },
}
IMPLEMENTATIONS: dict[str, frozenset[str]] = {
    "ProductInterface": frozenset(
        {
            "SimpleProduct",
            "VirtualProduct",
            "BundleProduct",
            "GroupedProduct",
            "DownloadableProduct",
            "ConfigurableProduct",
        }
    ),
    "CategoryInterface": frozenset({"CategoryTree"}),
    "MediaGalleryInterface": frozenset({"ProductImage"}),
}
#: Arguments by (type, field) -> argument -> input type.
FIELD_ARGUMENTS: dict[tuple[str, str], dict[str, str]] = {
    ("Query", "products"): {
        "search": "String",
        "filter": "ProductAttributeFilterInput",
        "pageSize": "Int",
        "currentPage": "Int",
        "sort": "ProductAttributeSortInput",
    },
}
INPUT_TYPES: dict[str, dict[str, str]] = {
    "ProductAttributeFilterInput": {
        "category_id": "FilterEqualTypeInput",
        "category_uid": "FilterEqualTypeInput",
        "category_url_path": "FilterEqualTypeInput",
        "sku": "FilterEqualTypeInput",
        "url_key": "FilterEqualTypeInput",
        "name": "FilterMatchTypeInput",
        "description": "FilterMatchTypeInput",
        "short_description": "FilterMatchTypeInput",
        "price": "FilterRangeTypeInput",
    },
    "FilterEqualTypeInput": {"eq": "String", "in": "[String]"},
    "FilterMatchTypeInput": {"match": "String", "match_type": "FilterMatchTypeEnum"},
    "FilterRangeTypeInput": {"from": "String", "to": "String"},
    "ProductAttributeSortInput": {
        "name": "SortEnum",
        "price": "SortEnum",
        "position": "SortEnum",
        "relevance": "SortEnum",
    },
}
LEAF_TYPES = frozenset(
    {"Int", "Float", "String", "Boolean", "ID", "ProductStockStatus", "CurrencyEnum", "SortEnum", "FilterMatchTypeEnum"}
)


def _possible_types(type_name: str) -> frozenset[str]:
    return IMPLEMENTATIONS.get(type_name, frozenset({type_name}))


class Validator:
    """The validation rules a crawler's query can break: unknown fields/types/arguments,
    missing or superfluous sub-selections, undefined variables and fragments."""

    def __init__(self, fragments: dict[str, Fragment], operation: Operation) -> None:
        self.fragments = fragments
        self.operation = operation
        self.errors: list[GraphQLError] = []
        self.used_variables: set[str] = set()

    def run(self) -> list[GraphQLError]:
        root = {"query": "Query"}.get(self.operation.kind)
        if root is None:
            self.errors.append(
                GraphQLError(
                    f"Schema is not configured for {self.operation.kind}s.",
                    self.operation.line,
                    self.operation.column,
                )
            )
            return self.errors
        self.selections(self.operation.selections, root, set())
        for name in sorted(self.used_variables - set(self.operation.variables)):
            self.errors.append(GraphQLError(f'Variable "${name}" is not defined.'))
        return self.errors

    def selections(self, selections: list[Any], parent: str, spreading: set[str]) -> None:
        for selection in selections:
            self.directives(getattr(selection, "directives", []), selection)
            if isinstance(selection, FieldNode):
                self.field(selection, parent, spreading)
            elif isinstance(selection, InlineFragment):
                target = selection.type_condition or parent
                if self.fragment_type_ok(target, parent, selection):
                    self.selections(selection.selections, target, spreading)
            else:
                self.spread(selection, parent, spreading)

    def spread(self, spread: FragmentSpread, parent: str, spreading: set[str]) -> None:
        fragment = self.fragments.get(spread.name)
        if fragment is None:
            self.errors.append(GraphQLError(f'Unknown fragment "{spread.name}".', spread.line, spread.column))
        elif spread.name in spreading:
            self.errors.append(
                GraphQLError(f'Cannot spread fragment "{spread.name}" within itself.', spread.line, spread.column)
            )
        elif self.fragment_type_ok(fragment.type_condition, parent, spread):
            self.selections(fragment.selections, fragment.type_condition, spreading | {spread.name})

    def fragment_type_ok(self, target: str, parent: str, node: Any) -> bool:
        if target not in SCHEMA:
            self.errors.append(GraphQLError(f'Unknown type "{target}".', node.line, node.column))
            return False
        if not _possible_types(target) & _possible_types(parent):
            self.errors.append(
                GraphQLError(
                    f'Fragment cannot be spread here as objects of type "{parent}" can never be of type "{target}".',
                    node.line,
                    node.column,
                )
            )
            return False
        return True

    def directives(self, directives: list[tuple[str, dict[str, Any]]], node: Any) -> None:
        for name, arguments in directives:
            if name not in ("include", "skip"):
                self.errors.append(GraphQLError(f'Unknown directive "@{name}".', node.line, node.column))
            self.collect_variables(arguments)

    def field(self, node: FieldNode, parent: str, spreading: set[str]) -> None:
        if node.name == "__typename":
            return
        fields = SCHEMA[parent]
        if node.name not in fields:
            hint = ""
            if parent == "ProductInterface" and node.name in SCHEMA["ConfigurableProduct"]:
                hint = ' Did you mean to use an inline fragment on "ConfigurableProduct"?'
            self.errors.append(
                GraphQLError(f'Cannot query field "{node.name}" on type "{parent}".{hint}', node.line, node.column)
            )
            return
        allowed = FIELD_ARGUMENTS.get((parent, node.name), {})
        for argument in node.arguments:
            if argument not in allowed:
                self.errors.append(
                    GraphQLError(
                        f'Unknown argument "{argument}" on field "{node.name}" of type "{parent}".',
                        node.line,
                        node.column,
                    )
                )
        self.collect_variables(node.arguments)
        type_ref = fields[node.name]
        named = _named(type_ref)
        if named in LEAF_TYPES:
            if node.selections is not None:
                self.errors.append(
                    GraphQLError(
                        f'Field "{node.name}" must not have a selection since type "{type_ref}" has no subfields.',
                        node.line,
                        node.column,
                    )
                )
        elif node.selections is None:
            self.errors.append(
                GraphQLError(
                    f'Field "{node.name}" of type "{type_ref}" must have a selection of subfields. '
                    f'Did you mean "{node.name} {{ ... }}"?',
                    node.line,
                    node.column,
                )
            )
        else:
            self.selections(node.selections, named, spreading)

    def collect_variables(self, value: Any) -> None:
        if isinstance(value, Variable):
            self.used_variables.add(value.name)
        elif isinstance(value, dict):
            for item in value.values():
                self.collect_variables(item)
        elif isinstance(value, list):
            for item in value:
                self.collect_variables(item)


def coerce_variables(operation: Operation, provided: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, (type_ref, default) in operation.variables.items():
        if name in provided and provided[name] is not None:
            values[name] = provided[name]
        elif default is not None:
            values[name] = default
        elif type_ref.endswith("!"):
            raise GraphQLError(f'Variable "${name}" of required type "{type_ref}" was not provided.')
        else:
            values[name] = None
    return values


def substitute(value: Any, variables: dict[str, Any]) -> Any:
    if isinstance(value, Variable):
        return variables.get(value.name)
    if isinstance(value, dict):
        return {k: substitute(v, variables) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute(v, variables) for v in value]
    return value


def check_input(value: Any, type_ref: str, where: str) -> None:
    """Input coercion errors for the argument types a crawler sends (Int, String, input objects)."""
    if value is None:
        return
    named = _named(type_ref)
    if type_ref.startswith("["):
        for item in value if isinstance(value, list) else [value]:
            check_input(item, named, where)
        return
    if named == "Int" and (isinstance(value, bool) or not isinstance(value, int)):
        shown = json.dumps(value, default=str)
        raise GraphQLError(f"{where}: Int cannot represent non-integer value: {shown}", category="graphql")
    if named == "String" and not isinstance(value, (str, int)):
        shown = json.dumps(value, default=str)
        raise GraphQLError(f"{where}: String cannot represent a non string value: {shown}", category="graphql")
    if named == "SortEnum" and value not in ("ASC", "DESC"):
        raise GraphQLError(f'{where}: Value "{value}" does not exist in "SortEnum" enum.', category="graphql")
    if named in INPUT_TYPES:
        if not isinstance(value, dict):
            raise GraphQLError(f'{where}: Expected type "{named}" to be an object.', category="graphql")
        for key, item in value.items():
            if key not in INPUT_TYPES[named]:
                raise GraphQLError(f'Field "{key}" is not defined by type "{named}".', category="graphql")
            check_input(item, INPUT_TYPES[named][key], where)


def check_arguments(node: FieldNode, variables: dict[str, Any]) -> None:
    """Argument values (variables substituted) against their declared input types."""
    declared = FIELD_ARGUMENTS.get(("Query", node.name), {})
    for name, value in substitute(node.arguments, variables).items():
        if name in declared:
            try:
                check_input(value, declared[name], f'Field "{node.name}" argument "{name}"')
            except GraphQLError as error:
                error.line, error.column = node.line, node.column
                raise


def include_selection(directives: list[tuple[str, dict[str, Any]]], variables: dict[str, Any]) -> bool:
    for name, arguments in directives:
        condition = bool(substitute(arguments.get("if"), variables))
        if (name == "include" and not condition) or (name == "skip" and condition):
            return False
    return True


def project(
    value: Any, selections: list[Any], type_name: str, fragments: dict[str, Fragment], variables: dict[str, Any]
) -> Any:
    """The part of a resolved object (plain dicts and lists) the selection set asks for."""
    if value is None:
        return None
    if isinstance(value, list):
        return [project(item, selections, type_name, fragments, variables) for item in value]
    runtime = value.get("__typename", type_name)
    out: dict[str, Any] = {}
    for node in _collect_fields(selections, runtime, fragments, variables):
        if node.name == "__typename":
            out[node.key] = runtime
            continue
        raw = value.get(node.name)
        if node.selections is None:
            out[node.key] = raw
        else:
            child_type = _named(SCHEMA[runtime][node.name])
            merged = out.get(node.key)
            projected = project(raw, node.selections, child_type, fragments, variables)
            out[node.key] = _merge(merged, projected) if merged is not None else projected
    return out


def _merge(left: Any, right: Any) -> Any:
    """Two selections of one response key (``price_range`` asked twice) merge field-wise."""
    if isinstance(left, dict) and isinstance(right, dict):
        return {**left, **{k: _merge(left[k], v) if k in left else v for k, v in right.items()}}
    if isinstance(left, list) and isinstance(right, list) and len(left) == len(right):
        return [_merge(a, b) for a, b in zip(left, right, strict=True)]
    return right


def _collect_fields(
    selections: list[Any], runtime: str, fragments: dict[str, Fragment], variables: dict[str, Any]
) -> list[FieldNode]:
    out: list[FieldNode] = []
    for selection in selections:
        if not include_selection(selection.directives, variables):
            continue
        if isinstance(selection, FieldNode):
            out.append(selection)
            continue
        if isinstance(selection, InlineFragment):
            condition, inner = selection.type_condition, selection.selections
        else:
            fragment = fragments[selection.name]
            condition, inner = fragment.type_condition, fragment.selections
        if condition is None or runtime in _possible_types(condition):
            out.extend(_collect_fields(inner, runtime, fragments, variables))
    return out


# --- the store ------------------------------------------------------------------------


class Magento2Store(Store):
    platform = "magento2"

    #: "Display Out of Stock Products" (Stores > Configuration > Catalog > Inventory).
    show_out_of_stock: ClassVar[bool] = True

    def __init__(self, catalog: Catalog) -> None:
        super().__init__(catalog)
        self.options = OptionRegistry()
        self.position = {p.product_id: n for n, p in enumerate(catalog.products)}
        self.categories = list(CATEGORIES)
        self.category_by_id = {c.id: c for c in CATEGORIES}
        self.category_products: dict[int, list[DemoProduct]] = {c.id: [] for c in CATEGORIES}
        for product in catalog.products:
            ancestors = {a.id for c in product.categories for a in c.path()}
            for category_id in ancestors:
                self.category_products[category_id].append(product)
            for variant in product.variants:
                for attribute in configurable_attributes(product):
                    self.options.option_id(attribute.attribute_id, variant.options[attribute.label])
        # Magento's url_rewrite table: request path -> entity.
        self.rewrites: dict[str, DemoProduct | Category] = {}
        for category in CATEGORIES:
            self.rewrites[category_url_path(category) + URL_SUFFIX] = category
        for product in catalog.products:
            self.rewrites[product.slug + URL_SUFFIX] = product
        self._graphql_products: dict[tuple[str, str], dict[str, Any]] = {}
        self._sitemaps: dict[str, list[str]] = {}
        self._chrome: dict[str, dict[str, Markup]] = {}
        self._tiles: dict[tuple[str, str, str], Markup] = {}

    # --- Store interface ------------------------------------------------------------

    def product_path(self, product: DemoProduct) -> str:
        return product.slug + URL_SUFFIX

    def robots_disallow(self) -> list[str]:
        # Adobe's recommended rules for Magento 2, minus "/*?" (it would hide ?p=N pages
        # and GET GraphQL, which this shop wants crawled), plus the trap.
        return [
            "index.php/",
            "*.php$",
            "catalog/product_compare/",
            "catalog/category/view/",
            "catalog/product/view/",
            "catalogsearch/",
            "checkout/",
            "customer/",
            "review/",
            "sendfriend/",
            "wishlist/",
            "*?SID=",
            "*?*product_list_mode=",
            "*?*product_list_order=",
            "*?*product_list_dir=",
            self.trap_path,
        ]

    def sitemap_paths(self) -> list[str]:
        return ["sitemap.xml"]

    def handle(self, request: DemoRequest) -> DemoResponse:
        path = request.path
        if path in ("graphql", "graphql/"):
            return self.graphql(request)
        if path == "":
            return self.home(request)
        entity = self.rewrites.get(path)
        if isinstance(entity, Category):
            return self.category_page(request, entity)
        if entity is not None:
            return self.product_page(request, entity)
        route = self.system_route(request)
        if route is not None:
            return route
        if path.startswith("static/"):
            return self.static_asset(path)
        if path == "sitemap.xml" or re.fullmatch(r"sitemap-1-\d+\.xml", path):
            return self.sitemap(request, path)
        return self.not_found(request)

    def system_route(self, request: DemoRequest) -> DemoResponse | None:
        """Magento's router: ``module/controller/action/param/value`` paths."""
        path = request.path.rstrip("/")
        if match := re.fullmatch(r"catalog/product/view/id/(\d+)(?:/.*)?", path):
            product = self.catalog.by_id.get(match.group(1))
            return self.product_page(request, product) if product else self.not_found(request)
        if match := re.fullmatch(r"catalog/category/view/id/(\d+)(?:/.*)?", path):
            category = self.category_by_id.get(int(match.group(1)))
            return self.category_page(request, category) if category else self.not_found(request)
        if path in ("checkout/cart", "checkout/cart/index"):
            return self.page(request, "magento2/cart.html", body_class="checkout-cart-index page-layout-1column")
        if path == "checkout":
            return DemoResponse.redirect(request.url("checkout/cart/"), 302)
        if path in ("customer/account", "customer/account/index"):
            return DemoResponse.redirect(request.url("customer/account/login/"), 302)
        if path == "customer/account/login" or path.startswith("customer/account/login/"):
            return self.page(request, "magento2/login.html", body_class="customer-account-login page-layout-1column")
        if path == "customer/account/create":
            return self.page(
                request, "magento2/register.html", body_class="customer-account-create page-layout-1column"
            )
        if path in ("catalogsearch/result", "catalogsearch/result/index"):
            return self.search_page(request)
        if path in ("contact", "privacy-policy-cookie-restriction-mode"):
            return self.page(request, "magento2/cms.html", body_class="cms-page-view page-layout-1column", cms=path)
        return None

    # --- pages ---------------------------------------------------------------------

    def page(self, request: DemoRequest, template: str, status: int = 200, **context: Any) -> DemoResponse:
        context.setdefault("robots", "INDEX,FOLLOW")
        response = self.render(
            template,
            store_url=request.store_url,
            static=self.static_url(request),
            chrome=self.chrome(request, context.get("query") or ""),
            url=request.url,
            num=price_number,
            form_key=self.form_key(request),
            **context,
        )
        response.status = status
        response.headers.update(self.page_headers(request))
        return response

    def static_url(self, request: DemoRequest) -> str:
        return f"{request.store_url}static/version{STATIC_VERSION}/{THEME_PATH}/"

    def chrome(self, request: DemoRequest, query: str = "") -> dict[str, Markup]:
        """Head assets, header with menu, footer: the same on every page, rendered once per host
        (the search results page alone shows its query in the header's search box)."""
        cached = self._chrome.get(request.store_url) if not query else None
        if cached is None:
            static = self.static_url(request)
            cached = {
                "head": CHROME.head(static),
                "top": CHROME.top(request.store_url, static, self.menu(), self.catalog.language, query),
                "bottom": CHROME.bottom(request.store_url, self.trap_path),
            }
            if not query:
                self._chrome[request.store_url] = cached
        return cached

    def page_headers(self, request: DemoRequest) -> dict[str, str]:
        session = hashlib.sha1(request.store_url.encode(), usedforsecurity=False).hexdigest()[:26]
        # Two Set-Cookie lines; the header dict is case-sensitive, HTTP isn't.
        return {
            "Set-Cookie": f"PHPSESSID={session}; Max-Age=3600; path=/; HttpOnly; SameSite=Lax",
            "set-cookie": f"form_key={self.form_key(request)}; Max-Age=3600; path=/; SameSite=Lax",
            "X-Frame-Options": "SAMEORIGIN",
            "X-Content-Type-Options": "nosniff",
            "X-XSS-Protection": "1; mode=block",
            "Cache-Control": "max-age=0, must-revalidate, no-cache, no-store",
            "Pragma": "no-cache",
            "Vary": "Accept-Encoding",
        }

    def form_key(self, request: DemoRequest) -> str:
        return hashlib.sha1(b"form_key" + request.store_url.encode(), usedforsecurity=False).hexdigest()[:16]

    def menu(self) -> list[tuple[Category, list[Category]]]:
        top = [c for c in self.categories if c.parent is None]
        return [(c, [s for s in self.categories if s.parent == c]) for c in top]

    def not_found(self, request: DemoRequest) -> DemoResponse:
        return self.page(
            request,
            "magento2/404.html",
            status=404,
            body_class="cms-no-route cms-noroute-index page-layout-2columns-right",
            robots="NOINDEX,NOFOLLOW",
        )

    def home(self, request: DemoRequest) -> DemoResponse:
        featured = list(self.catalog.products[:8])
        return self.page(
            request,
            "magento2/home.html",
            body_class="cms-home cms-index-index page-layout-1column",
            products=[self.tile(request, p) for p in featured],
            canonical=request.store_url,
        )

    def category_page(self, request: DemoRequest, category: Category) -> DemoResponse:
        products = self.category_products[category.id]
        layered = [(c, len(self.category_products[c.id])) for c in self.categories if c.parent == category]
        selected = self.category_by_id.get(request.int_arg("cat", 0))
        if selected is not None and selected.parent == category:
            products = self.category_products[selected.id]
        url_path = category_url_path(category)
        return self.listing(
            request,
            products,
            template="magento2/category.html",
            base_path=url_path + URL_SUFFIX,
            body_class=(
                f"page-with-filter page-products categorypath-{url_path.replace('/', '-')} category-{category.slug} "
                "catalog-category-view page-layout-2columns-left"
            ),
            category=category,
            layered=layered,
            title=category.name(self.catalog.language),
            canonical=request.url(url_path + URL_SUFFIX),
        )

    def search_page(self, request: DemoRequest) -> DemoResponse:
        query = (request.arg("q") or "").strip()
        if not query:
            return DemoResponse.redirect(request.store_url, 302)
        products = self.search(query)
        return self.listing(
            request,
            products,
            template="magento2/search.html",
            base_path="catalogsearch/result/",
            body_class="page-products page-with-filter catalogsearch-result-index page-layout-2columns-left",
            title=f"Αποτελέσματα αναζήτησης για: '{query}'",
            query=query,
            robots="NOINDEX,FOLLOW",
        )

    def search(self, text: str) -> list[DemoProduct]:
        words = [w for w in re.split(r"\W+", text.lower()) if w]
        return [p for p in self.catalog.products if any(w in p.name.lower() or w in p.sku.lower() for w in words)]

    def listing(
        self,
        request: DemoRequest,
        products: list[DemoProduct],
        *,
        template: str,
        base_path: str,
        **context: Any,
    ) -> DemoResponse:
        limit = request.int_arg("product_list_limit", PAGE_SIZES[0])
        if limit not in PAGE_SIZES:
            limit = PAGE_SIZES[0]
        order = request.arg("product_list_order") or "position"
        direction = request.arg("product_list_dir") or "asc"
        ordered = self.sort(products, order, direction)
        last_page = max(1, math.ceil(len(ordered) / limit))
        # Magento's collection clamps an out-of-range page to the last one.
        current = min(max(1, request.int_arg("p", 1)), last_page)
        page_items = ordered[(current - 1) * limit : current * limit]
        kept = {k: v[0] for k, v in request.query.items() if k != "p" and v}

        def page_url(page: int) -> str:
            query = {**kept, **({"p": page} if page > 1 else {})}
            return request.url(base_path, **query)

        first_page = max(1, min(current - 2, last_page - 4))
        pages = [(n, page_url(n)) for n in range(first_page, min(last_page, first_page + 4) + 1)]
        return self.page(
            request,
            template,
            products=[self.tile(request, p) for p in page_items],
            total=len(ordered),
            first=(current - 1) * limit + 1 if page_items else 0,
            last=(current - 1) * limit + len(page_items),
            current=current,
            last_page=last_page,
            pages=pages,
            previous_url=page_url(current - 1) if current > 1 else None,
            next_url=page_url(current + 1) if current < last_page else None,
            limit=limit,
            order=order,
            **context,
        )

    def sort(self, products: list[DemoProduct], order: str, direction: str) -> list[DemoProduct]:
        reverse = direction == "desc"
        if order == "name":
            return sorted(products, key=lambda p: p.name.lower(), reverse=reverse)
        if order == "price":
            return sorted(products, key=lambda p: (price_range(p)[1], self.position[p.product_id]), reverse=reverse)
        return list(reversed(products)) if reverse else list(products)

    def tile(self, request: DemoRequest, product: DemoProduct, kind: str = "grid") -> Markup:
        """A product tile's HTML, rendered once per host: listings show the same tiles again and again."""
        key = (request.store_url, product.product_id, kind)
        cached = self._tiles.get(key)
        if cached is None:
            item = self.listing_item(request, product)
            if kind == "related":
                cached = MACROS.related_item(item)
            else:
                cached = MACROS.product_item(item, request.store_url, self.form_key(request))
            self._tiles[key] = cached
        return cached

    def render(self, template: str, **context: Any) -> DemoResponse:
        """:meth:`Store.render` on this module's environment (templates never reload here)."""
        context.setdefault("site", self.site)
        context.setdefault("language", self.catalog.language)
        context.setdefault("trap_path", self.trap_path)
        context.setdefault("m", MACROS)
        return DemoResponse(TEMPLATES.get_template(template).render(**context))

    def listing_item(self, request: DemoRequest, product: DemoProduct) -> dict[str, Any]:
        """What a product tile (grid item, related product, widget) shows."""
        min_regular, min_final, _, _ = price_range(product)
        return {
            "id": product.product_id,
            "name": product.name,
            "sku": product.sku,
            "url": request.url(self.product_path(product)),
            "image": request.url(cached_image_path(product.images[0])),
            "configurable": bool(product.variants),
            "final": self.money(min_final),
            "regular": self.money(min_regular) if min_regular > min_final else None,
            "in_stock": product.availability == "in_stock",
        }

    def money(self, amount: Decimal) -> dict[str, str]:
        """A price as the price box prints it: ``data-price-amount`` and the formatted text."""
        return {"num": price_number(amount), "text": format_price(amount, self.catalog.language)}

    def product_page(self, request: DemoRequest, product: DemoProduct) -> DemoResponse:
        language = self.catalog.language
        url = request.url(self.product_path(product))
        min_regular, min_final, _, _ = price_range(product)
        count = len(self.catalog.products)
        position = self.position[product.product_id]
        neighbours = {self.catalog.products[(position + k) % count].product_id: k for k in (1, 2, 3, 5)}
        related = [self.catalog.by_id[i] for i in neighbours if i != product.product_id]
        attributes = {"Κατασκευαστής" if language == "el" else "Manufacturer": product.brand}
        attributes.update(product.attributes)
        if product.gtin:
            attributes["EAN"] = product.gtin
        images = [request.url(image_path(i)) for i in product.images]
        salable = product.availability == "in_stock"
        sp_config = self.sp_config(product, request) if product.variants and salable else None
        description = product.description
        return self.page(
            request,
            "magento2/product.html",
            body_class=(
                f"catalog-product-view product-{product.slug} "
                f"{'page-product-configurable ' if product.variants else ''}page-layout-1column"
            ),
            product=product,
            page_title=product.name,
            meta_description=description[:255],
            canonical=url,
            og_image=images[0],
            hreflang=[("el", url), ("en", f"{url}?___store=en"), ("x-default", url)],
            final=min_final,
            regular=min_regular if min_regular > min_final else None,
            item=self.listing_item(request, product),
            salable=salable,
            sp_config=magento_json(sp_config, escape=True) if sp_config else None,
            super_attributes=self.super_attributes(product) if sp_config else [],
            gallery=magento_json(self.gallery(product, request), escape=True),
            images=images,
            attributes=attributes,
            breadcrumbs=[
                (c.name(language), request.url(category_url_path(c) + URL_SUFFIX)) for c in product.category.path()
            ],
            related=[self.tile(request, p, "related") for p in related],
            add_to_cart_url=request.url(
                f"checkout/cart/add/uenc/{_uid(url).rstrip('=')},/product/{product.product_id}/"
            ),
        )

    def super_attributes(self, product: DemoProduct) -> list[dict[str, Any]]:
        return [{"id": a.attribute_id, "label": a.label} for a in configurable_attributes(product)]

    def gallery(self, product: DemoProduct, request: DemoRequest) -> dict[str, Any]:
        data = [
            {
                "thumb": request.url(cached_image_path(i)),
                "img": request.url(cached_image_path(i)),
                "full": request.url(image_path(i)),
                "caption": product.name,
                "position": str(n + 1),
                "isMain": n == 0,
                "type": "image",
                "videoUrl": None,
            }
            for n, i in enumerate(product.images)
        ]
        return {
            "[data-gallery-role=gallery-placeholder]": {
                "mage/gallery/gallery": {
                    "mixins": ["magnifier/magnify"],
                    "magnifierOpts": {"fullscreenzoom": "20", "top": "", "left": "", "width": "", "height": ""},
                    "data": data,
                    "options": {"nav": "thumbs", "loop": True, "keyboard": True, "arrows": True},
                    "fullscreen": {"nav": "thumbs", "loop": True},
                    "breakpoints": {"mobile": {"conditions": {"max-width": "767px"}, "options": {"nav": "dots"}}},
                }
            }
        }

    def sp_config(self, product: DemoProduct, request: DemoRequest) -> dict[str, Any]:
        """``Magento\\ConfigurableProduct\\Block\\Product\\View\\Type\\Configurable::getJsonConfig``."""
        children = [v for v in product.variants if self.show_out_of_stock or v.availability == "in_stock"]
        attributes: dict[str, Any] = {}
        index: dict[str, dict[str, str]] = {}
        salable: dict[str, dict[str, list[str]]] = {}
        for position, attribute in enumerate(configurable_attributes(product)):
            options: dict[str, dict[str, Any]] = {}
            for child in children:
                label = child.options[attribute.label]
                option_id = str(self.options.option_id(attribute.attribute_id, label))
                option = options.setdefault(option_id, {"id": option_id, "label": label, "products": []})
                option["products"].append(str(child.variant_id))
                index.setdefault(str(child.variant_id), {})[str(attribute.attribute_id)] = option_id
                if child.availability == "in_stock":
                    salable.setdefault(str(attribute.attribute_id), {}).setdefault(option_id, []).append(
                        str(child.variant_id)
                    )
            attributes[str(attribute.attribute_id)] = {
                "id": str(attribute.attribute_id),
                "code": attribute.code,
                "label": attribute.label,
                "options": list(options.values()),
                "position": str(position),
            }
        min_regular, min_final, _, _ = price_range(product)
        config: dict[str, Any] = {
            "attributes": attributes,
            "template": "<%- data.price %>\u00a0€",
            "currencyFormat": "%s\u00a0€",
            "optionPrices": {str(c.variant_id): self.option_prices(c) for c in children},
            "priceFormat": {
                "pattern": "%s\u00a0€",
                "precision": 2,
                "requiredPrecision": 2,
                "decimalSymbol": ",",
                "groupSymbol": ".",
                "groupLength": 3,
                "integerRequired": False,
            },
            "prices": {
                "baseOldPrice": {"amount": min_regular},
                "oldPrice": {"amount": min_regular},
                "basePrice": {"amount": min_final},
                "finalPrice": {"amount": min_final},
            },
            "productId": product.product_id,
            "chooseText": "Επιλέξτε μια επιλογή...",
            "images": [],
            "index": index,
            "salable": salable if self.show_out_of_stock else [],
            "canDisplayShowOutOfStockStatus": self.show_out_of_stock,
            "sku": {str(c.variant_id): c.sku for c in children},
        }
        return {
            "#product_addtocart_form": {"configurable": {"spConfig": config, "gallerySwitchStrategy": "replace"}},
            "*": {"Magento_Swatches/js/configurable-customer-data": {}},
        }

    def option_prices(self, variant: DemoVariant) -> dict[str, Any]:
        final = variant.price or Decimal(0)
        regular = variant.regular_price or final
        return {
            "baseOldPrice": {"amount": regular},
            "oldPrice": {"amount": regular},
            "basePrice": {"amount": final},
            "finalPrice": {"amount": final},
            "tierPrices": [],
            "msrpPrice": {"amount": None},
        }

    # --- sitemap, static ----------------------------------------------------------

    def sitemap(self, request: DemoRequest, path: str) -> DemoResponse:
        files = self._sitemaps.get(request.store_url)
        if files is None:
            files = self._sitemaps[request.store_url] = self.build_sitemaps(request)
        if path == "sitemap.xml":
            return DemoResponse.xml(files[0])
        number = int(path.removeprefix("sitemap-1-").removesuffix(".xml"))
        if len(files) == 1 or not 1 <= number < len(files):
            return self.not_found(request)
        return DemoResponse.xml(files[number])

    def build_sitemaps(self, request: DemoRequest) -> list[str]:
        """``sitemap.xml`` alone, or (past the URL limit) an index and ``sitemap-1-N.xml`` parts."""
        lastmod = (date(2024, 1, 1) + timedelta(days=self.catalog.day - 1)).isoformat() + "T08:00:00+00:00"
        entries = [_sitemap_url(request.store_url, lastmod, "daily", "1.0")]
        entries += [
            _sitemap_url(request.url(category_url_path(c) + URL_SUFFIX), lastmod, "daily", "0.5")
            for c in self.categories
        ]
        for product in self.catalog.products:
            image = request.url(image_path(product.images[0]))
            entries.append(
                _sitemap_url(request.url(self.product_path(product)), lastmod, "daily", "1.0", image, product.name)
            )
        head = (
            '<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
            'xmlns:content="http://www.google.com/schemas/sitemap-content/1.0" '
            'xmlns:image="http://www.google.com/schemas/sitemap-image/1.1">'
        )
        parts = [entries[i : i + SITEMAP_MAX_URLS] for i in range(0, len(entries), SITEMAP_MAX_URLS)]
        if len(parts) == 1:
            return [head + "".join(parts[0]) + "</urlset>"]
        index = "".join(
            f"<sitemap><loc>{request.url(f'sitemap-1-{n}.xml')}</loc><lastmod>{lastmod}</lastmod></sitemap>"
            for n in range(1, len(parts) + 1)
        )
        index_xml = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{index}</sitemapindex>'
        )
        return [index_xml] + [head + "".join(part) + "</urlset>" for part in parts]

    def static_asset(self, path: str) -> DemoResponse:
        if not path.startswith(f"static/version{STATIC_VERSION}/{THEME_PATH}/"):
            return DemoResponse.not_found()
        if path.endswith(".js"):
            return DemoResponse("/* Magento 2 static asset */\n", 200, "application/javascript")
        if path.endswith(".css"):
            return DemoResponse("/* Magento 2 static asset */\n", 200, "text/css")
        return DemoResponse.not_found()

    # --- GraphQL ------------------------------------------------------------------

    def graphql(self, request: DemoRequest) -> DemoResponse:
        try:
            query, variables, operation_name = self.graphql_request(request)
            operations, fragments = Parser(query).document()
        except GraphQLError as error:
            return self.graphql_response(request, {"errors": [error.as_dict()]}, 400 if error.syntax else 200)
        operation = self.pick_operation(operations, operation_name)
        if isinstance(operation, GraphQLError):
            return self.graphql_response(request, {"errors": [operation.as_dict()]}, 200)
        errors = Validator(fragments, operation).run()
        if errors:
            return self.graphql_response(request, {"errors": [e.as_dict() for e in errors]}, 200)
        try:
            values = coerce_variables(operation, variables)
            root_fields = _collect_fields(operation.selections, "Query", fragments, values)
            for node in root_fields:
                check_arguments(node, values)
        except GraphQLError as error:  # input coercion fails before anything runs: no "data"
            return self.graphql_response(request, {"errors": [error.as_dict()]}, 200)
        data: dict[str, Any] = {}
        result_errors: list[dict[str, Any]] = []
        for node in root_fields:
            try:
                data[node.key] = self.resolve_root(node, request, fragments, values)
            except GraphQLError as error:
                error.line, error.column, error.path = node.line, node.column, [node.key]
                data[node.key] = None
                result_errors.append(error.as_dict())
        body: dict[str, Any] = {"errors": result_errors, "data": data} if result_errors else {"data": data}
        return self.graphql_response(request, body, 200)

    def graphql_request(self, request: DemoRequest) -> tuple[str, dict[str, Any], str | None]:
        if request.method == "POST":
            content_type = request.headers.get("content-type", "")
            if not content_type.startswith("application/json"):
                raise GraphQLError(
                    f'Request content type must be application/json. Content type "{content_type}" was given.',
                    category=None,
                    syntax=True,
                )
            try:
                payload = json.loads(request.body or b"{}")
            except ValueError:
                raise GraphQLError("Unable to parse the request.", category=None, syntax=True) from None
            if not isinstance(payload, dict):
                raise GraphQLError("Unable to parse the request.", category=None, syntax=True)
            variables = payload.get("variables") or {}
            return (
                str(payload.get("query") or ""),
                variables if isinstance(variables, dict) else {},
                payload.get("operationName"),
            )
        if request.method not in ("GET", "HEAD"):
            raise GraphQLError("Request method not allowed.", category=None, syntax=True)
        raw_variables = request.arg("variables")
        try:
            variables = json.loads(raw_variables) if raw_variables else {}
        except ValueError:
            raise GraphQLError("Unable to parse the variables.", category=None, syntax=True) from None
        return (
            request.arg("query") or "",
            variables if isinstance(variables, dict) else {},
            request.arg("operationName"),
        )

    def pick_operation(self, operations: list[Operation], name: str | None) -> Operation | GraphQLError:
        if name:
            for operation in operations:
                if operation.name == name:
                    return operation
            return GraphQLError(f'Unknown operation named "{name}".', category="request")
        if len(operations) != 1:
            return GraphQLError(
                "Must provide operation name if query contains multiple operations.", category="request"
            )
        return operations[0]

    def graphql_response(self, request: DemoRequest, body: dict[str, Any], status: int) -> DemoResponse:
        headers = {"X-Content-Type-Options": "nosniff", "X-Frame-Options": "SAMEORIGIN"}
        if request.method == "GET" and status == 200 and "errors" not in body:
            # Cacheable GET queries: Varnish/FPC keys them by X-Magento-Cache-Id.
            headers["Cache-Control"] = "max-age=86400, public, s-maxage=86400"
            headers["X-Magento-Cache-Id"] = hashlib.sha256(request.store_url.encode()).hexdigest()
        else:
            headers["Cache-Control"] = "no-store, no-cache, must-revalidate, max-age=0"
            headers["Pragma"] = "no-cache"
        return DemoResponse(magento_json(body, escape=True), status, "application/json", headers)

    def resolve_root(
        self, node: FieldNode, request: DemoRequest, fragments: dict[str, Fragment], variables: dict[str, Any]
    ) -> Any:
        arguments = substitute(node.arguments, variables)
        if node.name == "products":
            result = self.resolve_products(arguments, request)
            return project(result, node.selections or [], "Products", fragments, variables)
        if node.name == "storeConfig":
            return project(self.store_config(request), node.selections or [], "StoreConfig", fragments, variables)
        return None

    def store_config(self, request: DemoRequest) -> dict[str, Any]:
        return {
            "id": 1,
            "code": "default",
            "store_code": "default",
            "store_name": "Triskeli",
            "locale": "el_GR",
            "base_currency_code": self.catalog.profile.currency,
            "default_display_currency_code": self.catalog.profile.currency,
            "base_url": request.store_url,
            "base_link_url": request.store_url,
            "base_media_url": request.url("media/"),
            "root_category_id": ROOT_CATEGORY_ID,
            "root_category_uid": _uid(ROOT_CATEGORY_ID),
            "product_url_suffix": URL_SUFFIX,
            "category_url_suffix": URL_SUFFIX,
            "grid_per_page": PAGE_SIZES[0],
            "list_per_page": 10,
            "timezone": "Europe/Athens",
        }

    def resolve_products(self, arguments: dict[str, Any], request: DemoRequest) -> dict[str, Any]:
        if arguments.get("search") is None and arguments.get("filter") is None:
            raise GraphQLError("'search' or 'filter' input argument is required.", category="graphql-input")
        page_size = arguments.get("pageSize")
        page_size = 20 if page_size is None else page_size
        current_page = arguments.get("currentPage")
        current_page = 1 if current_page is None else current_page
        if page_size < 1:
            raise GraphQLError("pageSize value must be greater than 0.", category="graphql-input")
        if current_page < 1:
            raise GraphQLError("currentPage value must be greater than 0.", category="graphql-input")
        products = self.filter_products(arguments.get("filter") or {}, arguments.get("search"))
        products = self.sort_products(products, arguments.get("sort") or {})
        total = len(products)
        total_pages = math.ceil(total / page_size)
        if total and current_page > total_pages:
            raise GraphQLError(
                f"currentPage value {current_page} specified is greater than the {total_pages} page(s) available.",
                category="graphql-input",
            )
        page = products[(current_page - 1) * page_size : current_page * page_size]
        return {
            "total_count": total,
            "page_info": {"current_page": current_page, "page_size": page_size, "total_pages": total_pages},
            "items": [self.graphql_product(p, request) for p in page],
        }

    def filter_products(self, filters: dict[str, Any], search: str | None) -> list[DemoProduct]:
        products = list(self.catalog.products)
        for name, condition in filters.items():
            condition = condition or {}
            if name in ("category_id", "category_uid", "category_url_path"):
                allowed = self.category_filter(name, condition)
                products = [p for p in products if p.product_id in allowed]
            elif name in ("sku", "url_key"):
                wanted = _equal_values(condition)
                products = [p for p in products if (p.sku if name == "sku" else p.slug) in wanted]
            elif name in ("name", "description", "short_description"):
                text = str(condition.get("match") or "").lower()
                products = [p for p in products if text in (p.name if name == "name" else p.description).lower()]
            elif name == "price":
                low, high = _range(condition.get("from")), _range(condition.get("to"))
                products = [
                    p
                    for p in products
                    if (low is None or price_range(p)[1] >= low) and (high is None or price_range(p)[1] <= high)
                ]
        if search:
            found = {p.product_id for p in self.search(search)}
            products = [p for p in products if p.product_id in found]
        return products

    def category_filter(self, name: str, condition: dict[str, Any]) -> set[str]:
        wanted = _equal_values(condition)
        ids: set[int] = set()
        for value in wanted:
            if name == "category_uid":
                try:
                    value = base64.b64decode(value).decode()
                except ValueError:
                    continue
            if name == "category_url_path":
                ids.update(c.id for c in self.categories if category_url_path(c) == value)
            elif str(value).isdigit():
                ids.add(int(value))
        allowed: set[str] = set()
        for category_id in ids:
            if category_id == ROOT_CATEGORY_ID:
                return {p.product_id for p in self.catalog.products}
            allowed.update(p.product_id for p in self.category_products.get(category_id, []))
        return allowed

    def sort_products(self, products: list[DemoProduct], sort: dict[str, Any]) -> list[DemoProduct]:
        for key, direction in reversed(list(sort.items())):
            reverse = direction == "DESC"
            if key == "name":
                products = sorted(products, key=lambda p: p.name.lower(), reverse=reverse)
            elif key == "price":
                products = sorted(products, key=lambda p: price_range(p)[1], reverse=reverse)
            elif key == "position" and reverse:
                products = list(reversed(products))
        return products

    def graphql_product(self, product: DemoProduct, request: DemoRequest) -> dict[str, Any]:
        """Every field this schema knows for one product (cached per store URL)."""
        key = (request.store_url, product.product_id)
        cached = self._graphql_products.get(key)
        if cached is None:
            cached = self._graphql_products[key] = self.build_graphql_product(product, request)
        return cached

    def build_graphql_product(self, product: DemoProduct, request: DemoRequest) -> dict[str, Any]:
        language = self.catalog.language
        currency = self.catalog.profile.currency
        gallery = [
            {
                "__typename": "ProductImage",
                "url": request.url(cached_image_path(i)),
                "label": product.name,
                "position": n + 1,
                "disabled": False,
            }
            for n, i in enumerate(product.images)
        ]
        categories: dict[int, dict[str, Any]] = {}
        for category in product.categories:
            for node in category.path():
                categories.setdefault(node.id, self.graphql_category(node, language))
        min_regular, min_final, max_regular, max_final = price_range(product)
        data: dict[str, Any] = {
            "__typename": "ConfigurableProduct" if product.variants else "SimpleProduct",
            "id": product.numeric_id,
            "uid": _uid(product.numeric_id),
            "sku": product.sku,
            "name": product.name,
            "type_id": "configurable" if product.variants else "simple",
            "url_key": product.slug,
            "url_suffix": URL_SUFFIX,
            "canonical_url": self.product_path(product),
            "stock_status": "IN_STOCK" if product.availability == "in_stock" else "OUT_OF_STOCK",
            "only_x_left_in_stock": None,
            "description": {"html": f"<p>{_html_escape(product.description)}</p>"},
            "short_description": {"html": ""},
            "meta_title": product.name,
            "meta_description": product.description[:255],
            "meta_keyword": product.name,
            "categories": list(categories.values()),
            "media_gallery": gallery,
            "image": gallery[0],
            "small_image": gallery[0],
            "thumbnail": gallery[0],
            "price_range": {
                "minimum_price": _product_price(min_regular, min_final, currency),
                "maximum_price": _product_price(max_regular, max_final, currency),
            },
            "special_price": product.price if product.on_sale and not product.variants else None,
            "rating_summary": 0,
            "review_count": 0,
            "weight": Decimal("0.1"),
        }
        if product.variants:
            attributes = configurable_attributes(product)
            data["configurable_options"] = [self.graphql_option(product, a, n) for n, a in enumerate(attributes)]
            data["variants"] = [self.graphql_variant(product, v, attributes, request) for v in product.variants]
        return data

    def graphql_category(self, category: Category, language: str) -> dict[str, Any]:
        path = category.path()
        return {
            "__typename": "CategoryTree",
            "id": category.id,
            "uid": _uid(category.id),
            "name": category.name(language),
            "url_key": category.slug,
            "url_path": category_url_path(category),
            "url_suffix": URL_SUFFIX,
            "level": len(path) + 1,
            "path": "/".join(["1", str(ROOT_CATEGORY_ID), *(str(c.id) for c in path)]),
            "position": self.categories.index(category) + 1,
            "product_count": len(self.category_products[category.id]),
            "breadcrumbs": [
                {
                    "category_id": c.id,
                    "category_uid": _uid(c.id),
                    "category_name": c.name(language),
                    "category_level": n + 2,
                    "category_url_key": c.slug,
                    "category_url_path": category_url_path(c),
                }
                for n, c in enumerate(path[:-1])
            ]
            or None,
        }

    def graphql_option(self, product: DemoProduct, attribute: ConfigurableAttribute, position: int) -> dict[str, Any]:
        labels = list(dict.fromkeys(v.options[attribute.label] for v in product.variants))
        return {
            "id": product.numeric_id * 10 + position,
            "uid": _uid(f"configurable/{product.numeric_id}/{attribute.attribute_id}"),
            "attribute_id": str(attribute.attribute_id),
            "attribute_id_v2": attribute.attribute_id,
            "attribute_uid": _uid(attribute.attribute_id),
            "attribute_code": attribute.code,
            "label": attribute.label,
            "position": position,
            "product_id": product.numeric_id,
            "use_default": False,
            "values": [
                {
                    "value_index": self.options.option_id(attribute.attribute_id, label),
                    "uid": _uid(
                        f"configurable/{attribute.attribute_id}/{self.options.option_id(attribute.attribute_id, label)}"
                    ),
                    "label": label,
                    "default_label": label,
                    "store_label": label,
                    "use_default_value": True,
                }
                for label in labels
            ],
        }

    def graphql_variant(
        self,
        product: DemoProduct,
        variant: DemoVariant,
        attributes: list[ConfigurableAttribute],
        request: DemoRequest,
    ) -> dict[str, Any]:
        currency = self.catalog.profile.currency
        final = variant.price or Decimal(0)
        regular = variant.regular_price or final
        suffix = variant.sku.rsplit("-", 1)[-1].lower()
        child = {
            "__typename": "SimpleProduct",
            "id": variant.variant_id,
            "uid": _uid(variant.variant_id),
            "sku": variant.sku,
            "name": f"{product.name}-{variant.name}",
            "type_id": "simple",
            "url_key": f"{product.slug}-{suffix}",
            "url_suffix": URL_SUFFIX,
            "canonical_url": None,
            "stock_status": "IN_STOCK" if variant.availability == "in_stock" else "OUT_OF_STOCK",
            "description": {"html": f"<p>{_html_escape(product.description)}</p>"},
            "short_description": {"html": ""},
            "categories": [],
            "media_gallery": [],
            "image": {
                "__typename": "ProductImage",
                "url": request.url(cached_image_path(product.images[0])),
                "label": variant.name,
                "position": 1,
                "disabled": False,
            },
            "price_range": {
                "minimum_price": _product_price(regular, final, currency),
                "maximum_price": _product_price(regular, final, currency),
            },
            "special_price": final if variant.regular_price else None,
            "rating_summary": 0,
            "review_count": 0,
            "weight": Decimal("0.1"),
        }
        option_ids = {
            a.attribute_id: self.options.option_id(a.attribute_id, variant.options[a.label]) for a in attributes
        }
        return {
            "attributes": [
                {
                    "code": a.code,
                    "label": variant.options[a.label],
                    "value_index": option_ids[a.attribute_id],
                    "uid": _uid(f"configurable/{a.attribute_id}/{option_ids[a.attribute_id]}"),
                }
                for a in attributes
            ],
            "product": child,
        }


def _product_price(regular: Decimal, final: Decimal, currency: str) -> dict[str, Any]:
    return {
        "regular_price": {"value": regular, "currency": currency},
        "final_price": {"value": final, "currency": currency},
        "discount": {"amount_off": regular - final, "percent_off": _percent_off(regular, final)},
    }


def _equal_values(condition: dict[str, Any]) -> set[str]:
    values: list[Any] = []
    if condition.get("eq") is not None:
        values.append(condition["eq"])
    values += condition.get("in") or []
    return {str(v) for v in values}


def _range(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value)) if value not in (None, "") else None
    except ArithmeticError:
        return None


def _html_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _sitemap_url(
    loc: str, lastmod: str, changefreq: str, priority: str, image: str | None = None, title: str | None = None
) -> str:
    image_xml = (
        f"<image:image><image:loc>{_html_escape(image)}</image:loc>"
        f"<image:title>{_html_escape(title or '')}</image:title></image:image>"
        if image
        else ""
    )
    return (
        f"<url><loc>{_html_escape(loc)}</loc><lastmod>{lastmod}</lastmod><changefreq>{changefreq}</changefreq>"
        f"<priority>{priority}</priority>{image_xml}</url>"
    )
