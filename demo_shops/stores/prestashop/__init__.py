"""PrestaShop 1.6 demo store (default-bootstrap theme, friendly URLs, gsitemap): the ``knitshop`` shop.

What a browser and a crawler see on a real PrestaShop 1.6.1 shop:

* Friendly URLs: categories ``<id>-<rewrite>`` (``11-malli``, pages ``?p=N``, ``?n=`` products
  per page), products ``<category>/<id>-<rewrite>-<ean13>.html`` (1.6's default product route
  ``{category:/}{id}-{rewrite}{-:ean13}.html``: the EAN-13 part only when the product has one),
  CMS pages ``content/<id>-<rewrite>``, ``prices-drop``, ``new-products``, ``contact-us``,
  ``sitemap``, the cart ``order``. The legacy ``index.php?controller=...&id_product=N`` URLs
  301 to the friendly ones. Unknown paths get the ``pagenotfound`` page with status 404.
* No public catalog API (the webservice needs a key). The gsitemap module writes
  ``1_index_sitemap.xml`` -> ``1_el_0_sitemap.xml`` (home, products with ``<image:image>``,
  categories, CMS pages; ``<loc>`` in CDATA, CRLF line ends), which robots.txt announces.
* Product pages: ``body#product``, schema.org microdata, ``#our_price_display`` /
  ``#old_price_display`` / ``#reduction_percent_display``, ``#availability_value`` with its
  ``label-success/-warning/-danger`` class, ``#product_reference``, the ``#buy_block`` form with
  ``id_product``, attribute groups (``select[name=group_1]`` for sizes, the colour-picker list
  with a hidden ``group_3`` input for colours) and the ``addJsDef`` globals at the end of the
  body: ``combinationsFromController`` (impacts tax excluded, 6 decimals), ``productPriceTaxExcluded``,
  ``taxRate``, ``reduction_percent``, ``product_specific_price``, ``allowBuyWhenOutOfStock``...
  exactly as ``product.tpl``/``product.js`` use them.
* Prices: every amount is stored tax excluded with 6 decimals, derived from the truth
  (``round6(price_incl / 1.24)``), so ``round2((base + impact) * 1.24)`` is the truth's regular
  price and a percentage ``specific_price`` (product level: a sale discounts every combination)
  gives the sale price. The theme's quirk is kept: microdata says InStock for a product that
  can be ordered out of stock (a backorder); the availability label says what it is.
* Price on request: ``show_price=0``, ``available_for_order=0``: no price block, no add to cart,
  while the JS globals still carry ``productPrice = 0`` (as real shops do).

Deviations from a stock install, on purpose: a canonical link, OpenGraph tags and hreflang
alternates (Greek shops add an SEO module for them); ``en/`` pages mirror the Greek ones; a
product in a second category is linked from that category's listing under that category's
path (some themes build links from the current category), and that URL is served with the
canonical of the default category; other wrong category/rewrite parts 301 to the canonical URL.
"""

from .model import php_json
from .store import PrestaShopStore

__all__ = ["PrestaShopStore", "php_json"]
