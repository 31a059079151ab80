"""For scrapyd-deploy, which builds the Scrapyd egg with ``python setup.py bdist_uberegg``.

Everything is declared in pyproject.toml (packages, package data, the Scrapy entry point).
"""

from setuptools import setup

setup()
