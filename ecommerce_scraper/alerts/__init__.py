"""Business alerts: after each stored crawl, one digest per matching rule of ``config/alerts.json``
(``ALERTS_FILE``), sent with Apprise (e-mail, webhooks, chat services).

- :mod:`.rules`: the rules file, its Pydantic models and its start-up check;
- :mod:`.digest`: a crawl's matching ``changes`` rows and the message text;
- :mod:`.delivery`: sending one message with Apprise, retries with backoff, secrets masked;
- :mod:`.extension`: the Scrapy extension that sends the digests of each stored crawl.
"""
