"""The subset of Magento's GraphQL schema this shop serves: object types, interfaces, arguments and input types."""

from __future__ import annotations


def named_type(type_ref: str) -> str:
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


def possible_types(type_name: str) -> frozenset[str]:
    return IMPLEMENTATIONS.get(type_name, frozenset({type_name}))
