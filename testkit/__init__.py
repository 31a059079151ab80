"""Helpers that the tests and the benchmarks share: demo shops on free ports, ``scrapy crawl``
subprocesses and what they stored, local forward proxies. Not part of the Scrapyd egg."""
