# ecommerce_scraper: `make demo` and `make test` set everything up on a fresh machine.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: help install chromium libreoffice pushgateway demo test lint format bench bench-nodes crawl clean migrate scrapyd scrapyd-bg scrapyd-stop deploy crontab

help:
	@echo "make demo [DAY=2]  crawl the seven demo shops (as they are on DAY) and print what changed"
	@echo "make test    lint (ruff) and run the tests"
	@echo "make bench [ONLY='matching storage ...']   benchmarks (every part, or those: crawl pages faults storage exports matching memory nodes)"
	@echo "make scrapyd | scrapyd-bg | scrapyd-stop   Scrapyd (foreground | background | stop); config/scrapyd.env"
	@echo "make bench-nodes  two local Scrapyd nodes against one: shops finished in the same time"
	@echo "make deploy  deploy the project to every Scrapyd node (SCRAPYD_URLS, else SCRAPYD_URL)"
	@echo "make crontab print the cron lines that schedule each shop through Scrapyd (scrapy crontab --install installs them)"
	@echo "make crawl SITE=knitshop [BASE_URL=...] [RESUME=1]   crawl one shop (politely); RESUME=1 goes on with its stopped crawl"

$(STAMP): requirements.txt requirements-dev.txt constraints.txt
	@test -n "$(PYTHON)" || { echo "Python 3.11 is required"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements-dev.txt -c constraints.txt
	touch $(STAMP)

install: $(STAMP)

chromium:
	@scripts/ensure-chromium.sh

libreoffice:
	@scripts/ensure-libreoffice.sh

pushgateway:
	@scripts/ensure-pushgateway.sh

demo: install chromium migrate
	$(BIN)/python -m demo_shops crawl --products $(or $(PRODUCTS),40) --day $(or $(DAY),1)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

test: lint chromium libreoffice pushgateway
	$(BIN)/pytest -q -n 2 --dist worksteal --durations=15

bench: install chromium
	$(BIN)/python -m bench.run $(if $(ONLY),--only $(ONLY))

bench-nodes: install chromium
	$(BIN)/python -m bench.nodes

crawl: install migrate
	@test -n "$(SITE)" || { echo "usage: make crawl SITE=<shop> [BASE_URL=...] [RESUME=1]"; exit 2; }
	$(BIN)/scrapy crawl $(SITE) $(if $(BASE_URL),-a base_url=$(BASE_URL)) $(if $(RESUME),-s RESUME=true)

# Brings the database (DATABASE_URL, default sqlite:///exports/catalog.sqlite3) to the schema this code needs.
migrate: install
	$(BIN)/alembic upgrade head

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache build *.egg-info

# Scrapyd (scrapyd.conf; address and credentials from the environment or config/scrapyd.env).
scrapyd: install
	$(BIN)/python -m ecommerce_scraper.ops.scrapyd run

scrapyd-bg: install
	$(BIN)/python -m ecommerce_scraper.ops.scrapyd start

scrapyd-stop: install
	$(BIN)/python -m ecommerce_scraper.ops.scrapyd stop

deploy: install
	$(BIN)/python -m ecommerce_scraper.ops.scrapyd deploy

crontab: install
	$(BIN)/scrapy crontab
