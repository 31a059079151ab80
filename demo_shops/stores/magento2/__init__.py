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

from .store import Magento2Store

__all__ = ["Magento2Store"]
