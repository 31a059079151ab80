"""WooCommerce demo store: WordPress 6.7 + WooCommerce 9.4 + Storefront theme + Yoast SEO.

What a browser and a crawler see of such a shop:

* pretty permalinks with trailing slashes (``product/<slug>/``, ``product-category/<parent>/<child>/``,
  ``shop/page/2/``); a URL without its slash gets WordPress's 301, a leaf category alone gets
  redirected to its full path;
* Storefront markup: ``ul.products li.product`` loops with ``?add-to-cart=ID`` buttons,
  ``woocommerce-Price-amount`` price HTML with ``<del>``/``<ins>`` for sales, ``p.stock`` texts,
  ``form.variations_form`` with ``data-product_variations``, tabs, related products;
* Yoast SEO head (title, description, canonical, robots, OpenGraph, ``@graph`` JSON-LD) and
  sitemaps (``sitemap_index.xml`` -> ``product-sitemap.xml``, ``product-sitemap2.xml`` ...);
* WooCommerce's own Product JSON-LD (Offer / AggregateOffer, no offers at all without a price);
* the public Store API (``wp-json/wc/store/v1/products``) with ``X-WP-Total``/``X-WP-TotalPages``,
  prices as strings in minor units, and ``"0"`` for a product with an empty price, as WooCommerce
  really answers (its money formatter turns ``''`` into ``0``).
"""

from .store import WooCommerceStore

__all__ = ["WooCommerceStore"]
