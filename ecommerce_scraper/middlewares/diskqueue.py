"""The job folder's request queue (``SCHEDULER_DISK_QUEUE``): Scrapy's ``PickleLifoDiskQueue``, the same
files, with each request's callback and errback named without inspecting the spider for each.

Scrapy's queue stores ``request.to_dict(spider=spider)``, which finds a method's name by listing every
attribute of the spider (``inspect.getmembers``), twice per request (callback and errback): about
0.04 ms a request here, on every page of a crawl. :func:`request_dict` gives the same dict from the
names read once per spider (the first name of a method, as ``getmembers`` lists them, as Scrapy's
``_find_method`` takes it); a callable that is no method of the spider read then goes through
Scrapy's own ``to_dict`` (with its error for a callable that is no method at all).
"""

from __future__ import annotations

import inspect
from typing import Any
from weakref import WeakKeyDictionary

from scrapy import Request, Spider
from scrapy.squeues import PickleLifoDiskQueue

#: spider -> {function of a method: the method's name}
_METHOD_NAMES: WeakKeyDictionary[Spider, dict[Any, str]] = WeakKeyDictionary()


class JobRequestQueue(PickleLifoDiskQueue):  # type: ignore[misc,valid-type]
    def push(self, request: Request) -> None:
        # PickleLifoDiskQueue's push, with the dict made here: its parent pickles it into the file.
        super(PickleLifoDiskQueue, self).push(request_dict(request, self.spider))


def request_dict(request: Request, spider: Spider | None) -> dict[str, Any]:
    """``request.to_dict(spider=spider)`` (Scrapy 2.19), the spider's methods named from a cache."""
    callback = _stored(spider, request.callback)
    errback = _stored(spider, request.errback)
    if callback is _ASK_SCRAPY or errback is _ASK_SCRAPY:
        return request.to_dict(spider=spider)
    d: dict[str, Any] = {"url": request.url, "callback": callback, "errback": errback, "headers": dict(request.headers)}
    for attr in request.attributes:
        d.setdefault(attr, getattr(request, attr))
    if type(request) is not Request:
        d["_class"] = request.__module__ + "." + request.__class__.__name__
    return d


_ASK_SCRAPY = object()


def _stored(spider: Spider | None, func: Any) -> Any:
    """What ``to_dict`` stores for a callback or errback: itself when not callable, else its
    method's name; ``_ASK_SCRAPY`` when the names read cannot tell (Scrapy finds it, or fails)."""
    if not callable(func):
        return func
    function = getattr(func, "__func__", None)
    if not spider or function is None:
        return _ASK_SCRAPY
    names = _METHOD_NAMES.get(spider)
    if names is None:
        names = _METHOD_NAMES[spider] = {}
        for name, method in inspect.getmembers(spider, predicate=inspect.ismethod):
            names.setdefault(method.__func__, name)
    return names.get(function, _ASK_SCRAPY)
