"""The job folder's queue stores what Scrapy's own would: request_dict is request.to_dict."""

from __future__ import annotations

import pytest
from scrapy import FormRequest, Request
from scrapy.http import JsonRequest
from scrapy.utils.test import get_crawler

from ecommerce_scraper.middlewares.diskqueue import JobRequestQueue, request_dict

from .demo_pages import shop_spider


def requests(spider) -> list[Request]:
    return [
        Request("http://shop.test/a", callback=spider.parse_page, errback=spider.on_error, meta={"shop": "x"}),
        Request("http://shop.test/b", callback=spider.parse_api, cb_kwargs={"follow": False}, priority=3, flags=["f"]),
        Request("http://shop.test/c"),
        Request("http://shop.test/d", callback=spider.parse_page, dont_filter=True, encoding="latin-1"),
        FormRequest("http://shop.test/e", formdata={"q": "1"}, callback=spider.parse_sitemap),
        JsonRequest("http://shop.test/f", data={"a": 1}, callback=spider.parse_page, errback=spider.on_api_error),
    ]


def test_request_dict_is_scrapy_s_to_dict() -> None:
    spider = shop_spider("knitshop", "prestashop")
    for request in requests(spider):
        assert request_dict(request, spider) == request.to_dict(spider=spider)
    with pytest.raises(ValueError, match="not an instance method"):  # as to_dict without a spider
        request_dict(requests(spider)[0], None)


def test_a_callable_that_is_no_spider_method_goes_as_in_scrapy() -> None:
    spider = shop_spider("knitshop", "prestashop")
    with pytest.raises(ValueError, match="not an instance method"):
        request_dict(Request("http://shop.test/a", callback=lambda response: None), spider)
    # Another spider's method of the same function: named as Scrapy names it (it compares functions).
    other = Request("http://shop.test/a", callback=shop_spider("ili_ili").parse_robots)
    assert request_dict(other, spider) == other.to_dict(spider=spider)


def test_the_queue_gives_back_the_requests(tmp_path) -> None:
    spider = shop_spider("knitshop", "prestashop")
    crawler = get_crawler(type(spider))
    crawler.spider = spider
    queue = JobRequestQueue(crawler, str(tmp_path / "q"))
    sent = requests(spider)
    for request in sent:
        queue.push(request)
    back = [queue.pop() for _ in sent][::-1]  # last in, first out
    assert [r.to_dict(spider=spider) for r in back] == [r.to_dict(spider=spider) for r in sent]
    queue.close()
