"""The project's own signals: how the spiders tell the rest what happened to a product page,
and ask what the database knows, without importing the storage (spiders only crawl).

Sent with ``crawler.signals.send_catch_log``; receivers are connected in ``from_crawler``.
"""

#: A product page could not be read, or is gone: kwargs ``site``, ``url`` (as requested,
#: before redirects), ``outcome`` (``"gone"``: it answered 404/410, or no longer answers as
#: that product; ``"failed"``: no answer worth believing — an error status after retries, a
#: network error, robots.txt said no), ``cause`` (``"http_503"``, ``"CannotResolveHostError"``,
#: ``"robots"``, ``"not a product page"`` …) and ``product_id`` (the product the request was
#: checking, when it was one).
page_outcome = object()

#: A question: which known products of ``site`` should be fetched now? kwargs ``site`` and
#: ``reason``: ``"unverified"`` (the last crawl could not check them: fetch them first) or
#: ``"unseen"`` (this crawl has not seen them yet: check them before the crawl closes).
#: A receiver returns a list of ``(product_id, url)``.
known_products = object()

#: The storage has closed a shop's crawl in the database (its status, counts and removals are
#: final): kwargs ``site`` and ``crawl_id``. The export files are written on it.
crawl_stored = object()
