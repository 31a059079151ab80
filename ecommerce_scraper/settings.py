"""Scrapy settings. Politeness is on by default; the command line overrides anything here
(``-s DOWNLOAD_DELAY=0 -s AUTOTHROTTLE_ENABLED=false`` for a local demo shop), and each shop
spider applies its ``config/sites.json`` rate at "spider" priority, below the command line.
"""

import os

from ecommerce_scraper.config import BotConfig

BOT_NAME = "ecommerce_scraper"
SPIDER_MODULES = ["ecommerce_scraper.spiders"]
NEWSPIDER_MODULE = "ecommerce_scraper.spiders"
COMMANDS_MODULE = "ecommerce_scraper.commands"
# When a crawl starts (not when a Crawler is merely built): the database reachable and migrated,
# the AI settings, the proxy list, the job folder and crawl id. See ecommerce_scraper/addon.py.
ADDONS = {"ecommerce_scraper.addon.CrawlSetup": 0}

# An honest identity; shop spiders replace it with the one in config/sites.json ("bot").
USER_AGENT = BotConfig().user_agent

# --- politeness -------------------------------------------------------------------------
ROBOTSTXT_OBEY = True
ROBOTSTXT_PARSER = "scrapy.robotstxt.ProtegoRobotParser"
DOWNLOAD_DELAY = 0.5  # 2 requests/s per shop; sites.json rate_limit changes it per shop
DOWNLOAD_DELAY_JITTER = 0  # the rate is a promise, not an average
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 2
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
DOWNLOAD_TIMEOUT = 30
# Response size caps. Scrapy's defaults (1 GiB, warning at 32 MiB) bound nothing a shop page
# needs: a product or listing page is tens to hundreds of KB of HTML, a catalog API page a few MB.
# 32 MiB leaves them ample room and keeps the pages in flight far below the machine's memory; a
# page past it (as downloaded, or once unpacked from gzip/br/deflate/zstd: a decompression bomb)
# is dropped, logged and counted (pages/too_large), and the crawl goes on. A page past 8 MiB is
# logged as a warning: worth a look, nothing more.
DOWNLOAD_MAXSIZE = 32 * 1024 * 1024
DOWNLOAD_WARNSIZE = 8 * 1024 * 1024
# Sitemaps may be larger than pages: the protocol (sitemaps.org) allows 50 MB (52,428,800 bytes)
# uncompressed. This caps a sitemap's download and its unpacking (.xml.gz or Content-Encoding);
# a larger one is skipped with a warning (sitemaps/too_large) and discovery goes on by other routes.
SITEMAP_MAX_SIZE = 50 * 1024 * 1024
SITEMAP_WARN_SIZE = 40 * 1024 * 1024  # within a fifth of the protocol's limit: worth a warning
RETRY_ENABLED = True
RETRY_TIMES = 4  # attempts after the first, per request; then the failure is logged with its URL
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
RETRY_BACKOFF_BASE = 1.0  # seconds before the first retry (× 2 each time, × 0.5-1 jitter) ...
RETRY_BACKOFF_MAX = 60.0  # ... at most this
RETRY_AFTER_MAX = 600.0  # a Retry-After longer than this is capped (the shop is asked again then)
COOKIES_ENABLED = True
TELNETCONSOLE_ENABLED = False
# Scrapy 2.19's RemoteControl extension opens a loopback port that runs code sent to it.
REMOTE_CONTROL_ENABLED = False

# --- JavaScript pages: scrapy-playwright with the system Chromium, only for requests that
# ask for it (meta["playwright"]); Playwright and the browser start on the first such request
# (ecommerce_scraper.browser.BrowserWhenAsked), never in a crawl that needs none.
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
DOWNLOAD_HANDLERS = {
    "http": "ecommerce_scraper.browser.BrowserWhenAsked",
    "https": "ecommerce_scraper.browser.BrowserWhenAsked",
}
PLAYWRIGHT_BROWSER_TYPE = "chromium"
PLAYWRIGHT_LAUNCH_OPTIONS = {
    "executable_path": os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"),
    "headless": True,
    # As root Chromium needs --no-sandbox; the rest keeps it off a network it can't reach.
    "args": [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ],
}
PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT = 30_000
PLAYWRIGHT_MAX_PAGES_PER_CONTEXT = 4
# Images, fonts and media are not needed to read a product: don't download them.
PLAYWRIGHT_ABORT_REQUEST = "ecommerce_scraper.browser.abort_heavy_request"

# --- downloader middlewares: retries with backoff (Retry-After pauses the shop), rotating proxies
# for the shops with "proxies": true in config/sites.json, ban detection tuned for shops.
DOWNLOADER_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "ecommerce_scraper.middlewares.retry.BackoffRetryMiddleware": 550,
    "ecommerce_scraper.middlewares.proxies.ShopProxyMiddleware": 610,
    "ecommerce_scraper.middlewares.proxies.ShopBanDetectionMiddleware": 620,
}
# Waiting requests (a retry's backoff, a Retry-After, every proxy resting) wait in the scheduler,
# not in the downloader where they would hold places of CONCURRENT_REQUESTS; a download slot gets
# no more requests than it can send at once (ecommerce_scraper.middlewares.waits).
SCHEDULER = "ecommerce_scraper.middlewares.waits.ShopScheduler"
SCHEDULER_PRIORITY_QUEUE = "ecommerce_scraper.middlewares.waits.ReadySlotsPriorityQueue"
# The job folder's queue: Scrapy's PickleLifoDiskQueue, the same files, each request's callback named
# without listing the spider's attributes (ecommerce_scraper.middlewares.diskqueue).
SCHEDULER_DISK_QUEUE = "ecommerce_scraper.middlewares.diskqueue.JobRequestQueue"
# Proxies: the PROXIES environment variable, else PROXY_LIST, else the file PROXY_LIST_PATH (default
# config/proxies.txt: one URL per line, http(s)://user:password@host:port; never committed).
PROXY_LIST_PATH = os.environ.get("PROXY_LIST_PATH")
ROTATING_PROXY_BACKOFF_BASE = 300  # a banned proxy rests 0-5 min, doubling per ban in a row ...
ROTATING_PROXY_BACKOFF_CAP = 3600  # ... up to an hour
ROTATING_PROXY_PAGE_RETRY_TIMES = 5  # a banned page is tried through this many proxies
PROXY_WAIT_MAX = 60  # every proxy resting: a request waits at most this long for one

# --- jobs: every crawl gets its own JOBDIR under JOBS_DIR (default <EXPORTS_DIR>/jobs); a crawl
# stopped cleanly (Ctrl-C, SIGTERM, a Scrapyd cancel) resumes with -s RESUME=true.
JOBS_DIR = os.environ.get("JOBS_DIR")
RESUME = False
# --- several Scrapyd nodes (ops/nodes.py, ops/distribute.py): SCRAPYD_URLS (space-separated) names them;
# with more than one, DATABASE_URL must be PostgreSQL (refused at start-up). `scrapy schedule` passes
# both to each job; SCRAPYD_NODE, the job's node, is stored in the crawl's stats (jobs/node) so that a
# stopped crawl is resumed on the node holding its job folder.
SCRAPYD_URLS = os.environ.get("SCRAPYD_URLS")
SCRAPYD_NODE = None
EXTENSIONS = {
    "ecommerce_scraper.jobs.CrawlJobs": 100,
    "ecommerce_scraper.logs.ReadableLogs": 110,
    # Each crawl's files once the storage has closed it; master.xlsx once per process (EXPORT_FILES).
    "ecommerce_scraper.exports.extension.CrawlExports": 500,
    # Business alerts: one digest per rule of ALERTS_FILE / config/alerts.json and stored crawl (Apprise).
    "ecommerce_scraper.alerts.extension.BusinessAlerts": 510,
    # The same product across shops: the stored match groups updated for each stored crawl (MATCHING_AFTER_CRAWL).
    "ecommerce_scraper.matching.extension.CrawlMatching": 515,
    "spidermon.contrib.scrapy.extensions.Spidermon": 520,
    # Each shop's crawl as Prometheus gauges, pushed at close when PROMETHEUS_PUSHGATEWAY is set.
    "ecommerce_scraper.metrics.extension.CrawlMetrics": 530,
    # A running crawl's row shows its pages, items and errors so far, every PROGRESS_INTERVAL seconds.
    "ecommerce_scraper.metrics.progress.CrawlProgress": 540,
    # Freed heap memory returned to the system every MEMORY_TRIM_INTERVAL seconds (glibc's malloc_trim).
    "ecommerce_scraper.memory.FreedMemoryReturn": 550,
}
EXPORT_FILES = True
# Each crawl's files (and master.xlsx, compare.csv, index.html) uploaded through Scrapy's feed
# storages (FEED_STORAGES: s3://, gs://, ftp://, file://) under this URI, so several nodes' files
# land in one place (exports/upload.py); unset: only under EXPORTS_DIR.
EXPORTS_URI = os.environ.get("EXPORTS_URI")
# --- business alerts (ecommerce_scraper.alerts): rules in ALERTS_FILE (environment or -s), else
# config/alerts.json when it exists, else off. A failed delivery is retried ALERTS_RETRY_TIMES times
# (3 attempts in all), ALERTS_RETRY_BACKOFF seconds before the first retry, doubling; at the end of
# a crawl the process waits at most ALERTS_DELIVERY_TIMEOUT seconds for its deliveries.
ALERTS_FILE = os.environ.get("ALERTS_FILE")
ALERTS_RETRY_TIMES = 2
ALERTS_RETRY_BACKOFF = 2.0
ALERTS_DELIVERY_TIMEOUT = 30
# --- matching across shops (ecommerce_scraper.matching, exports/compare.csv): the manual pin/apart
# controls in MATCHES_FILE (environment or -s), else config/matches.csv when it exists.
MATCHES_FILE = os.environ.get("MATCHES_FILE")
# The user's own shop, for the price position (Compare sheet, index.html, "match": "undercut" alerts):
# OWN_CATALOG (environment or -s) names a CSV of sku/gtin,name,price; else own_site in config/sites.json.
OWN_CATALOG = os.environ.get("OWN_CATALOG")

# After each stored crawl, the stored match groups are brought up to date for that shop's new,
# changed and removed products (ecommerce_scraper.matching.extension CrawlMatching).
MATCHING_AFTER_CRAWL = True
# From this many current products in the database, that matching runs in a child process (its memory
# is returned when it ends; ecommerce_scraper.matching.process); 0: always, -1: never.
MATCHING_PROCESS_PRODUCTS = 20_000
# --- metrics (ecommerce_scraper.metrics): the Pushgateway (http://host:9091) from the environment
# or -s; unset, nothing is pushed. A push waits at most PROMETHEUS_PUSH_TIMEOUT seconds.
PROMETHEUS_PUSHGATEWAY = os.environ.get("PROMETHEUS_PUSHGATEWAY")
PROMETHEUS_PUSH_TIMEOUT = 10
MEMORY_TRIM_INTERVAL = 2.0  # seconds between returns of freed memory to the system (ecommerce_scraper.memory); 0: off
PROGRESS_INTERVAL = 30  # seconds between a running crawl's progress updates of its crawls row; 0: off

# --- items --------------------------------------------------------------------------------
ITEM_PIPELINES = {
    "ecommerce_scraper.pipelines.validate.ValidatePipeline": 100,
    "ecommerce_scraper.pipelines.dedup.DedupPipeline": 200,
    "ecommerce_scraper.pipelines.attributes.AttributesPipeline": 300,
    "ecommerce_scraper.pipelines.coverage.FieldCoveragePipeline": 700,
    "ecommerce_scraper.pipelines.storage.StoragePipeline": 800,
}
# --- yarn attributes (ecommerce_scraper.ai): the shop's table and rules always; an OpenAI-compatible
# model too when the environment has OPENAI_API_KEY (never a setting: settings are logged).
OPENAI_MODEL = os.environ.get("OPENAI_MODEL", "gpt-4o-mini")
OPENAI_BASE_URL = os.environ.get("OPENAI_BASE_URL")  # Ollama, vLLM, llama.cpp, a gateway ...
AI_ENABLED = True  # False: rules only, even with a key
AI_MAX_CALLS = 5000  # per crawl: API requests, retries included; then rules only, with a warning
AI_MAX_TOKENS = 5_000_000  # per crawl, input + output
AI_CONCURRENCY = 4  # calls at once
AI_TIMEOUT = 30  # seconds per call
AI_MAX_ATTEMPTS = 4  # per product, for 429/5xx/timeouts (exponential backoff, Retry-After honoured)
AI_INPUT_MAX_TOKENS = 1000  # the product text sent is cut to this (estimated)
AI_PRICE_INPUT_PER_MTOK = "0.15"  # USD per million tokens (gpt-4o-mini list price), for the cost estimate
AI_PRICE_OUTPUT_PER_MTOK = "0.60"

# --- storage (ecommerce_scraper.storage): DATABASE_URL from the environment or -s; unset,
# SQLite at <EXPORTS_DIR>/catalog.sqlite3. PostgreSQL: postgresql+psycopg://user:pass@host/db
DATABASE_URL = os.environ.get("DATABASE_URL")
STORAGE_BATCH_SIZE = 500  # items per transaction; a killed crawl loses at most one batch
# Removals are trusted only after a clean crawl: finish reason "finished", an error rate
# (ERROR log lines per response) at most this, and at least this share of the previous
# crawl's products seen.
REMOVALS_MAX_ERROR_RATE = 0.05
REMOVALS_MIN_SEEN_SHARE = 0.9
# --- crawl health monitors (ecommerce_scraper.monitors; README "Crawl health"): judged when each
# shop's crawl closes, against its previous finished crawl, before its status and removals are
# decided. A failed item-count or coverage monitor makes the crawl partial (suspect: nothing
# removed, its changes flagged). Spidermon reports the verdicts when the engine stops.
MONITORS_ENABLED = True
MONITORS_MAX_ITEM_DROP = 0.10  # products: at most 10% fewer than the previous finished crawl
MONITORS_MAX_COVERAGE_DROP = 0.05  # price, availability, name, sku, main_image: at most 5 points lower
MONITORS_MAX_ERROR_RATE = 0.05  # errors per response
MONITORS_MAX_BAN_RATE = 0.05  # ban answers per response
MONITORS_MAX_GIVEN_UP_RATE = 0.01  # requests that gave up retrying (retry/max_reached) per response
MONITORS_FINISH_REASONS = ["finished"]
SPIDERMON_ENABLED = True
SPIDERMON_ENGINE_STOP_MONITORS = ["ecommerce_scraper.monitors.suite.CrawlHealthSuite"]
EXPORTS_DIR = os.environ.get("EXPORTS_DIR", "exports")
FEED_EXPORT_ENCODING = "utf-8"
# `-O out.xlsx` and `-O out.csv` give the export files' columns, formula-safe.
FEED_EXPORTERS = {
    "xlsx": "ecommerce_scraper.exports.feeds.XlsxItemExporter",
    "csv": "ecommerce_scraper.exports.feeds.SafeCsvItemExporter",
}

LOG_LEVEL = "INFO"
LOG_FORMATTER = "scrapy.logformatter.LogFormatter"

# Items of one callback's output processed at once. Scrapy starts this many asyncio workers for
# every response; a product page yields one or two items, and the default 100 workers per page
# cost about 8% of a crawl's CPU (make bench: 1,000-product knitshop, 11.6 -> 10.7 CPU-s). 16 keeps
# an API page of 250 products ahead of the model's AI_CONCURRENCY.
CONCURRENT_ITEMS = 16
# Downloaded responses waiting for the spider, in bytes of body (Scrapy's default: 5 MB). Past it the
# engine sends no new request until the spider catches up. Parsing is the bottleneck whenever
# responses queue here, so a longer queue holds memory without speed: a 1,000-product crawl with
# politeness lifted peaked at 280 MB with 5 MB, 244 MB with 500 KB, at the same CPU seconds.
SCRAPER_SLOT_MAX_ACTIVE_SIZE = 500_000
