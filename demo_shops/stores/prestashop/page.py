"""One request being answered: URL building, the context every template needs, listing items,
pagination, and the product page with its ``combinationsFromController`` JavaScript.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from markupsafe import Markup

from ...catalog import Category, DemoProduct
from ...store import DemoRequest, DemoResponse
from .model import (
    AVAILABLE_LATER,
    AVAILABLE_NOW,
    CMS_PAGES,
    COLOUR_HEX,
    DATE_BASE,
    LAST_QUANTITIES,
    NO_LONGER_IN_STOCK,
    PREORDER_LATER,
    RELATED_COUNT,
    SHOP_NAME,
    TAX_FACTOR,
    TAX_RATE,
    PsCombination,
    PsProduct,
    RawJs,
    attribute_group_of,
    js_lines,
    js_var_name,
    link_rewrite,
    micro,
    money,
    neighbours_of,
    php_float,
    php_json,
    reduction_label,
    specific_price_row,
    unique_attributes,
)

if TYPE_CHECKING:  # the store imports this module
    from .store import PrestaShopStore


class Page:
    """One request being answered: URL building and the context every template needs."""

    def __init__(self, store: PrestaShopStore, request: DemoRequest, path: str, lang: str) -> None:
        self.store = store
        self.request = request
        self.path = path
        self.lang = lang

    def url(self, path: str, **query: Any) -> str:
        return self.request.url(path, **query)

    def query_args(self, *names: str) -> dict[str, str]:
        return {name: value for name in names if (value := self.request.arg(name))}

    def render(self, template: str, **context: Any) -> DemoResponse:
        store = self.store
        canonical = context.get("canonical")
        alternates = None
        if canonical:
            relative = canonical[len(self.request.store_url) :]
            alternates = [("el", self.url(relative)), ("en", self.url("en/" + relative))]
            if self.lang == "en":
                canonical = self.url("en/" + relative)
        page_js = js_lines(context.pop("js", {}))
        js = "\n".join(sorted([*self._global_js_lines(context.get("page_name", "")), *page_js], key=js_var_name))
        defaults = {
            **self._shared_context(),
            "lang_iso": self.lang,
            "meta_description": "",
            "meta_robots": "index,follow",
            "breadcrumbs": [],
            "og": None,
            "chrome": self._chrome(),
        }
        context = {**defaults, **context, "canonical": canonical, "alternates": alternates, "js_defs": js}
        return store.render(f"prestashop/{template}", **context)

    def _shared_context(self) -> dict[str, Any]:
        store = self.store
        return {
            "store_url": self.request.store_url,
            "shop_name": SHOP_NAME,
            "top_categories": store.top_categories,
            "children": store.children,
            "category_path": store.category_path,
            "cms_pages": [(c.title, self.url(store.cms_path(c))) for c in CMS_PAGES],
            "static_token": store.static_token,
            "trap_url": self.url(store.trap_path),
            "year": DATE_BASE.year,
        }

    def _chrome(self) -> dict[str, Markup]:
        """Header and footer, the same on every page: rendered once per shop URL."""
        cache = self.store._chrome
        key = self.request.store_url
        if key not in cache:
            shared = self._shared_context()
            cache[key] = {
                # Safe: autoescaped template output.
                part: Markup(self.store.render(f"prestashop/_{part}.html", **shared).body)  # noqa: S704
                for part in ("header", "footer")
            }
        return cache[key]

    def _global_js_lines(self, page_name: str) -> list[str]:
        key = (self.request.store_url, self.lang, page_name)
        cache = self.store._global_js
        if key not in cache:
            cache[key] = js_lines(self._global_js(page_name))
        return cache[key]

    def _global_js(self, page_name: str) -> dict[str, Any]:
        """The globals every 1.6 front page defines (header, blockcart, blocksearch...)."""
        store_url = self.request.store_url
        return {
            "CUSTOMIZE_TEXTFIELD": 1,
            "FancyboxI18nClose": "Κλείσιμο",
            "FancyboxI18nNext": "Επόμενο",
            "FancyboxI18nPrev": "Προηγούμενο",
            "ajax_allowed": True,
            "ajaxsearch": True,
            "baseDir": store_url,
            "baseUri": store_url,
            "blocksearch_type": "top",
            "contentOnly": False,
            "currency": {
                "id": 1,
                "name": "Ευρώ",
                "iso_code": "EUR",
                "iso_code_num": "978",
                "sign": "€",
                "blank": "1",
                "conversion_rate": "1.000000",
                "deleted": "0",
                "format": "2",
                "decimals": "1",
                "active": "1",
                "prefix": "",
                "suffix": " €",
                "id_shop_list": None,
                "force_id": False,
            },
            "currencyBlank": 1,
            "currencyFormat": 2,
            "currencyRate": 1,
            "currencySign": "€",
            "customizationIdMessage": "Προσαρμογή #",
            "delete_txt": "Διαγραφή",
            "displayList": False,
            "freeProductTranslation": "Δωρεάν!",
            "freeShippingTranslation": "Δωρεάν αποστολή!",
            "generated_date": 1709283600 + self.store.catalog.day * 86400,
            "hasDeliveryAddress": False,
            "highDPI": False,
            "id_lang": 1 if self.lang == "el" else 2,
            "img_dir": store_url + "themes/default-bootstrap/img/",
            "instantsearch": False,
            "isGuest": 0,
            "isLogged": 0,
            "isMobile": False,
            "page_name": page_name,
            "priceDisplayMethod": 0,
            "priceDisplayPrecision": 2,
            "quickView": True,
            "removingLinkText": "αφαίρεση αυτού του προϊόντος από το καλάθι μου",
            "roundMode": 2,
            "search_url": store_url + "search",
            "static_token": self.store.static_token,
            "toBeDetermined": "Προς καθορισμό",
            "token": hashlib.md5(self.store.static_token.encode()).hexdigest(),  # noqa: S324
            "usingSecureMode": False,
        }

    # --- pieces -----------------------------------------------------------------------

    def category_crumbs(self, category: Category) -> list[tuple[str, str | None]]:
        path = category.path()
        return [(c.name_el, self.url(self.store.category_path(c)) if c is not path[-1] else None) for c in path]

    def product_url(self, product: DemoProduct, listing: Category | None = None) -> str:
        """A product link; from one of its non-default categories, under that category's path."""
        own = listing if listing is not None and listing in product.categories[1:] else None
        return self.url(self.store.product_path(product, own))

    def list_item(self, product: DemoProduct, listing: Category | None = None) -> dict[str, Any]:
        """What ``product-list.tpl`` shows of a product."""
        ps = self.store.ps_product(product)
        price = money(ps.price()) if ps.show_price else None
        regular = money(ps.price_without_reduction()) if ps.show_price and ps.reduction else None
        return {
            "id": product.numeric_id,
            "name": product.name,
            "url": self.product_url(product, listing),
            "image": self.url(self.store.image_path(product, 1, "home_default")),
            "description": product.description[:120],
            "price": price,
            "regular": regular,
            "reduction": reduction_label(ps.reduction),
            "show_price": ps.show_price,
            "available_for_order": ps.show_price,
            "quantity": ps.quantity,
            "allow_oosp": ps.allow_oosp,
            "has_combinations": bool(ps.combinations),
            "on_sale": ps.reduction is not None,
        }

    def pagination(self, path: str, current: int, pages: int, extra: dict[str, Any]) -> dict[str, Any] | None:
        """``pagination.tpl``: page 1 has no ``p``; far pages collapse into "..."."""

        def link(n: int) -> str:
            return self.url(path, **extra, **({"p": n} if n > 1 else {}))

        shown = sorted({1, pages, *range(max(1, current - 2), min(pages, current + 2) + 1)})
        items: list[dict[str, Any]] = []
        for n in shown:
            if items and n - items[-1]["n"] > 1:
                items.append({"n": n - 1, "truncate": True})
            items.append({"n": n, "url": link(n), "current": n == current, "truncate": False})
        return {
            "items": items,
            "previous": link(current - 1) if current > 1 else None,
            "next": link(current + 1) if current < pages else None,
            "pages": pages,
        }

    def render_product(self, product: DemoProduct, prices_hidden: bool = False) -> DemoResponse:
        """The product page; ``prices_hidden``: as after a redesign that the spider does not know
        (the demo fault ``broken_prices``): no price block, no price in the JavaScript globals nor
        in the related products."""
        store = self.store
        ps = store.ps_product(product)
        canonical = self.url(store.product_path(product))
        category_id = product.category.id
        at = store.category_position[category_id].get(product.product_id, 0)
        related = [self.list_item(p) for p in neighbours_of(store.category_products[category_id], at, RELATED_COUNT)]
        js = self._product_js(ps, self._availability(ps))
        if prices_hidden:
            related = [{**item, "show_price": False} for item in related]
            js = {name: value for name, value in js.items() if "rice" not in name}
        images = [
            {
                "id": product.numeric_id * 10 + n,
                "large": self.url(store.image_path(product, n, "large_default")),
                "thickbox": self.url(store.image_path(product, n, "thickbox_default")),
                "cart": self.url(store.image_path(product, n, "cart_default")),
            }
            for n in (1, 2)
        ]
        groups = self._attribute_groups(ps)
        description_short = product.description.split(". ")[0].rstrip(".") + "."
        meta_description = description_short[:160]
        availability = self._availability(ps)
        return self.render(
            "product.html",
            page_name="product",
            meta_title=f"{product.name} - {SHOP_NAME}",
            meta_description=meta_description,
            canonical=canonical,
            og={
                "type": "product",
                "title": product.name,
                "description": meta_description,
                "image": images[0]["large"],
                "url": canonical,
            },
            breadcrumbs=[
                *[(c.name_el, self.url(store.category_path(c))) for c in product.category.path()],
                (product.name, None),
            ],
            product=product,
            ps=ps,
            price=money(ps.price()) if ps.show_price else None,
            price_content=php_float(ps.price()),
            regular=money(ps.price_without_reduction()) if ps.show_price and ps.reduction else None,
            reduction_label=reduction_label(ps.reduction),
            availability=availability,
            description_short=description_short,
            images=images,
            groups=groups,
            related=related,
            js=js,
            prices_hidden=prices_hidden,
        )

    @staticmethod
    def _availability(ps: PsProduct) -> dict[str, Any]:
        """``#availability_value``: its text and label class, as ``product.tpl`` picks them."""
        if ps.quantity > 0:
            text, label = AVAILABLE_NOW, "label-success"
        elif ps.allow_oosp:
            text, label = (PREORDER_LATER if ps.available_date else AVAILABLE_LATER), "label-warning"
        else:
            text, label = NO_LONGER_IN_STOCK, "label-danger"
        return {
            "text": text,
            "label": label,
            "hidden": not ps.show_price,  # not available for order: the block is hidden
            "schema_in_stock": ps.quantity > 0 or ps.allow_oosp,
            "date": ps.available_date.strftime("%d/%m/%Y") if ps.available_date else None,
        }

    def _attribute_groups(self, ps: PsProduct) -> list[dict[str, Any]]:
        """``$groups``: one entry per attribute group, its values and the default one."""
        groups: dict[int, dict[str, Any]] = {}
        for combination in ps.combinations:
            for group_id, name, attribute_id, value in combination.groups:
                group = groups.setdefault(
                    group_id,
                    {"id": group_id, "name": name, "type": attribute_group_of(name)[1], "values": {}, "default": None},
                )
                group["values"].setdefault(
                    attribute_id, {"id": attribute_id, "name": value, "hex": COLOUR_HEX.get(value.split()[0])}
                )
                if combination is ps.default:
                    group["default"] = attribute_id
        return [
            {**group, "values": sorted(group["values"].values(), key=lambda v: v["id"])}
            for group in sorted(groups.values(), key=lambda g: g["id"])
        ]

    def _product_js(self, ps: PsProduct, availability: dict[str, Any]) -> dict[str, Any]:
        """The ``addJsDef`` variables of ``product.tpl`` (1.6.1)."""
        product = ps.product
        specific = specific_price_row(product, ps.reduction, 0) if ps.reduction else None
        combinations = {str(c.id_product_attribute): self._combination_js(ps, c) for c in ps.combinations}
        kind, amount = ps.reduction or ("", Decimal(0))
        price_excl = micro(ps.base_excl)
        defs: dict[str, Any] = {
            "PS_CATALOG_MODE": False,
            "allowBuyWhenOutOfStock": ps.allow_oosp,
            "attribute_anchor_separator": "-",
            "attributesCombinations": [
                {
                    "id_attribute": str(attribute_id),
                    "id_attribute_group": str(group_id),
                    "attribute": link_rewrite(value),
                    "group": attribute_group_of(name)[2],
                }
                for group_id, name, attribute_id, value in unique_attributes(ps)
            ],
            "availableLaterValue": PREORDER_LATER if ps.available_date else AVAILABLE_LATER,
            "availableNowValue": AVAILABLE_NOW,
            "currentDate": f"{(DATE_BASE + timedelta(days=self.store.catalog.day - 1)).isoformat()} 10:00:00",
            "customerGroupWithoutTax": False,
            "customizationFields": False,
            "customizationId": None,
            "default_eco_tax": Decimal(0),
            "displayPrice": 0,
            "doesntExist": "Ο συνδυασμός αυτός δεν υπάρχει για αυτό το προϊόν. Παρακαλώ επιλέξτε άλλο συνδυασμό.",
            "doesntExistNoMore": NO_LONGER_IN_STOCK,
            "doesntExistNoMoreBut": "με αυτά τα χαρακτηριστικά αλλά είναι διαθέσιμο με άλλα.",
            "ecotaxTax_rate": Decimal(0),
            "fieldRequired": "Παρακαλούμε συμπληρώστε όλα τα απαιτούμενα πεδία πριν την αποθήκευση.",
            "groupReduction": False,
            "idDefaultImage": product.numeric_id * 10 + 1,
            "id_product": product.numeric_id,
            "img_prod_dir": self.request.store_url + "img/p/",
            "img_ps_dir": self.request.store_url + "img/",
            "jqZoomEnabled": False,
            "maxQuantityToAllowDisplayOfLastQuantityMessage": LAST_QUANTITIES,
            "minimalQuantity": 1,
            "noTaxForThisProduct": False,
            "oosHookJsCodeFunctions": [],
            "productAvailableForOrder": ps.show_price,
            "productBasePriceTaxExcl": micro(ps.base_excl + ps.default_impact),
            "productBasePriceTaxExcluded": micro(ps.base_excl + ps.default_impact),
            "productBasePriceTaxIncl": micro((ps.base_excl + ps.default_impact) * TAX_FACTOR),
            "productHasAttributes": bool(ps.combinations),
            "productPrice": ps.price(),
            "productPriceTaxExcluded": price_excl,
            "productPriceTaxIncluded": micro(price_excl * TAX_FACTOR),
            "productPriceWithoutReduction": ps.price_without_reduction(),
            "productReference": product.sku,
            "productShowPrice": ps.show_price,
            "productUnitPriceRatio": Decimal(0),
            "product_fileButtonHtml": "Επιλογή αρχείου",
            "product_fileDefaultHtml": "Δεν επιλέχθηκε αρχείο",
            "product_specific_price": specific or [],
            "quantitiesDisplayAllowed": False,
            "quantityAvailable": 0,
            "reduction_percent": amount * 100 if kind == "percentage" else 0,
            "reduction_price": amount if kind == "amount" else 0,
            "specific_currency": False,
            "specific_price": -1 if specific else 0,
            "stock_management": 1,
            "taxRate": TAX_RATE,
            "uploading_in_progress": "Η μεταφόρτωση είναι σε εξέλιξη, παρακαλώ περιμένετε.",
        }
        if combinations:
            encoded = RawJs(php_json(combinations))
            defs.update(
                combinations=encoded,
                combinationsFromController=encoded,
                displayDiscountPrice="0",
                upToTxt="Έως",
            )
        return defs

    @staticmethod
    def _combination_js(ps: PsProduct, combination: PsCombination) -> dict[str, Any]:
        """One entry of ``combinationsFromController`` (``ProductController::assignAttributesGroups``)."""
        shared = combination.reduction == ps.reduction  # a product-level specific price applies to all
        attribute = 0 if shared else combination.id_product_attribute
        specific = specific_price_row(ps.product, combination.reduction, attribute) if combination.reduction else False
        return {
            "attributes_values": {str(group_id): value for group_id, _, _, value in combination.groups},
            "attributes": [attribute_id for _, _, attribute_id, _ in combination.groups],
            "price": micro(combination.impact),
            "specific_price": specific,
            "ecotax": 0,
            "weight": 0,
            "quantity": combination.quantity,
            "reference": combination.variant.sku,
            "unit_impact": 0,
            "minimal_quantity": "1",
            "date_formatted": "",
            "available_date": "",
            "id_image": -1,
            "list": ",".join(f"'{attribute_id}'" for _, _, attribute_id, _ in combination.groups),
        }
