"""A Shopify Online Store 2.0 shop running the Dawn theme (sittingknitting).

What a browser or crawler sees on a real Shopify shop, on one loopback path:

* pages: home, ``collections`` (list), ``collections/<handle>?page=N`` (12 per page, Dawn's
  product grid with collection-scoped card links ``collections/<c>/products/<handle>``),
  ``products/<handle>`` (also reachable inside any collection, canonical ``products/<handle>``,
  ``?variant=ID`` selects a variant), ``cart``, ``search``, ``pages/*``, ``policies/*``;
  every path also exists under the ``el/`` Markets locale prefix (untranslated content).
* the public catalog API: ``products.json?limit=L&page=N`` and
  ``collections/<handle>/products.json`` (limit 30 by default, 250 at most, a page past the
  end is ``{"products": []}``); the AJAX ``products/<handle>.js`` (prices in cents) and
  ``products/<handle>.json`` (``{"product": ...}``, prices as strings); ``cart.js``.
* sitemaps: ``sitemap.xml`` index -> ``sitemap_products_1.xml?from=ID&to=ID`` (the shop's home
  URL first, as Shopify does), ``sitemap_collections_1.xml``, ``sitemap_pages_1.xml``;
  robots.txt has Shopify's default rules.
* response headers ``X-ShopId``, ``powered-by: Shopify``, ``X-Shopify-Stage``, ...
"""

from .store import ShopifyStore

__all__ = ["ShopifyStore"]
