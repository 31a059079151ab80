"""The shop's ``graphql`` endpoint: reading GET and POST requests, answering as Magento does, and the
``products`` and ``storeConfig`` resolvers.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
from decimal import Decimal
from typing import Any

from ...catalog import Category, DemoProduct, DemoVariant
from ...store import DemoRequest, DemoResponse, Store
from .graphql_executor import Validator, check_arguments, coerce_variables, collect_fields, project, substitute
from .graphql_parser import FieldNode, Fragment, GraphQLError, Operation, Parser
from .model import (
    PAGE_SIZES,
    ROOT_CATEGORY_ID,
    URL_SUFFIX,
    ConfigurableAttribute,
    OptionRegistry,
    cached_image_path,
    category_url_path,
    configurable_attributes,
    encode_uid,
    html_escape,
    magento_json,
    percent_off,
    price_range,
)


class Magento2GraphQL(Store):
    """The ``graphql`` endpoint: requests and responses, the ``products`` and ``storeConfig`` resolvers."""

    # Built by Magento2Store.__init__.
    options: OptionRegistry
    position: dict[str, int]
    categories: list[Category]
    category_by_id: dict[int, Category]
    category_products: dict[int, list[DemoProduct]]
    _graphql_products: dict[tuple[str, str], dict[str, Any]]

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
            root_fields = collect_fields(operation.selections, "Query", fragments, values)
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
            "root_category_uid": encode_uid(ROOT_CATEGORY_ID),
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
            "uid": encode_uid(product.numeric_id),
            "sku": product.sku,
            "name": product.name,
            "type_id": "configurable" if product.variants else "simple",
            "url_key": product.slug,
            "url_suffix": URL_SUFFIX,
            "canonical_url": self.product_path(product),
            "stock_status": "IN_STOCK" if product.availability == "in_stock" else "OUT_OF_STOCK",
            "only_x_left_in_stock": None,
            "description": {"html": f"<p>{html_escape(product.description)}</p>"},
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
            "uid": encode_uid(category.id),
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
                    "category_uid": encode_uid(c.id),
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
            "uid": encode_uid(f"configurable/{product.numeric_id}/{attribute.attribute_id}"),
            "attribute_id": str(attribute.attribute_id),
            "attribute_id_v2": attribute.attribute_id,
            "attribute_uid": encode_uid(attribute.attribute_id),
            "attribute_code": attribute.code,
            "label": attribute.label,
            "position": position,
            "product_id": product.numeric_id,
            "use_default": False,
            "values": [
                {
                    "value_index": self.options.option_id(attribute.attribute_id, label),
                    "uid": encode_uid(
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
            "uid": encode_uid(variant.variant_id),
            "sku": variant.sku,
            "name": f"{product.name}-{variant.name}",
            "type_id": "simple",
            "url_key": f"{product.slug}-{suffix}",
            "url_suffix": URL_SUFFIX,
            "canonical_url": None,
            "stock_status": "IN_STOCK" if variant.availability == "in_stock" else "OUT_OF_STOCK",
            "description": {"html": f"<p>{html_escape(product.description)}</p>"},
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
                    "uid": encode_uid(f"configurable/{a.attribute_id}/{option_ids[a.attribute_id]}"),
                }
                for a in attributes
            ],
            "product": child,
        }


def _product_price(regular: Decimal, final: Decimal, currency: str) -> dict[str, Any]:
    return {
        "regular_price": {"value": regular, "currency": currency},
        "final_price": {"value": final, "currency": currency},
        "discount": {"amount_off": regular - final, "percent_off": percent_off(regular, final)},
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
