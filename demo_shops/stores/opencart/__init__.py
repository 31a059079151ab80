"""OpenCart 3.0 demo store (default theme, SEO URLs on): the ``ili_ili`` shop.

What a browser and a crawler see on a real OpenCart 3.0.x shop:

* ``index.php?route=...`` for every controller, and SEO keywords (the ``seo_url`` table) for
  products, categories, manufacturers and information pages. A SEO path is a sequence of
  keywords: ``nimata/malli`` is category path ``10_11``, ``nimata/malli/<product>`` the
  product reached from that category, ``drops/<product>`` from a manufacturer page, and a
  single keyword resolves alone (``malli`` is category ``11``, the leaf-only canonical that
  OpenCart's category controller emits). Unknown keywords and routes are 404s.
* Listings: ``<path>?page=N`` / ``index.php?route=product/category&path=10_11&page=N``,
  manufacturer and special pages the same way, OpenCart's own pagination markup.
* Product pages: ``#product-product``, the ``ul.list-unstyled`` facts and price list, the
  ``#product`` form with one ``select[name=option[N]]`` whose values carry the price delta
  "(+1,00€)". OpenCart has no per-option SKU; this shop runs an option-SKU extension that
  puts it in each ``<option data-sku>``. Price on request: the theme prints
  "Τιμή κατόπιν επικοινωνίας" where the price would be.
* The Google Sitemap feed ``index.php?route=extension/feed/google_sitemap`` (products with
  their image, categories, manufacturers, information pages), OCSESSID cookie, the
  ``common/cart/info`` fragment. No public catalog API.

Deviation from a stock install, on purpose: a product reached without ``path`` shows the
breadcrumbs of its primary category (stock OpenCart shows only Home > product there; Greek
shops commonly add a breadcrumb extension that fills it in).
"""

from .store import OpenCartStore

__all__ = ["OpenCartStore"]
