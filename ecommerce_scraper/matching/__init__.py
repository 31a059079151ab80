"""Matching the same product across shops (issue 15): identity, grouping, comparison, persistence.

The library (nothing here reads the database):

- :mod:`.units`: what is matched: a product, or each colour of a page that sells its colours as
  variants (one unit key format, ``(site, "<product_id>#<variant sku>")``).
- :mod:`.identity`: a unit's shop-independent identity from its stored state (GTIN, brand,
  product line, colour, weight, length); :mod:`.transliterate` the Greek to Latin letters it uses.
- :mod:`.matcher`: groups of products of different shops (pins, GTIN, brand + line + colour),
  the manual controls of ``config/matches.csv``; :mod:`.rematch` the groups again after changes.
- :mod:`.compare`: ``compare.csv`` rows, each group's cheapest shop and price spread.
- :mod:`.own_catalog`: ``OWN_CATALOG``'s CSV (the user's own shop, not crawled) as product states.
- :mod:`.position`: the user's price position against each competitor, from any groups and states.

The persisted result (the database): :mod:`.store` its tables, :mod:`.sync` keeping them up to
date (incrementally, or from scratch), :mod:`.extension` doing so after each stored crawl.
:mod:`..exports.compare_export` writes ``compare.csv`` and master.xlsx's Compare sheet from it.
"""
