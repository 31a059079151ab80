"""``python -m demo_shops serve|catalog``: the demo stores and their truth."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator

from .catalog import PROFILES, build_catalog
from .server import serve
from .stores import store_for
from .truth import match_groups


def catalog_lines(site: str, products: int, day: int, seed: int, base_url: str) -> Iterator[str]:
    """``demo catalog``'s output: the shop's true products, one JSON document a line, with their
    ``match_group`` (:mod:`.truth`; on a page of colour variants, each variant's)."""
    catalog = build_catalog(site, products, day, seed)
    store = store_for(catalog)
    store_url = base_url.rstrip("/") + f"/{site}/"
    for product in catalog.products:
        truth = store.truth(product, store_url)
        truth["match_group"], variant_groups = match_groups(product, products, day, seed)
        for variant, group in zip(truth["variants"], variant_groups, strict=True):
            variant["match_group"] = group
        yield json.dumps(truth, ensure_ascii=False)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m demo_shops", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve_cmd = commands.add_parser("serve", help="serve every demo store under http://127.0.0.1:PORT/<site>/")
    serve_cmd.add_argument("--port", type=int, default=8800, help="0 picks a free port (printed)")
    serve_cmd.add_argument("--host", default="127.0.0.1", help="bind address (loopback by default)")
    crawl_cmd = commands.add_parser("crawl", help="start the demo stores and crawl them all with the shop spiders")
    crawl_cmd.add_argument("--sites", default=",".join(PROFILES), help="comma-separated shops (default: all)")
    crawl_cmd.add_argument(
        "--port", type=int, default=8800, help="demo server port; keep it across days, URLs are part of products"
    )
    catalog_cmd = commands.add_parser("catalog", help="print a shop's true products as JSON Lines")
    catalog_cmd.add_argument("site", choices=sorted(PROFILES))
    catalog_cmd.add_argument(
        "--base-url", default="http://127.0.0.1:8800/", help="server root the URLs are printed for"
    )
    for cmd in (serve_cmd, catalog_cmd, crawl_cmd):
        cmd.add_argument("--products", type=int, default=40, help="products per shop (default 40)")
        cmd.add_argument("--day", type=int, default=1, help="catalog day; day D+1 changes prices, stock, products")
        cmd.add_argument("--seed", type=int, default=1)
    serve_cmd.add_argument(
        "--faults", default=None, help='e.g. "5xx=0.1,429=0.05,truncate=0.02,reset=0.02,slow=0.05" or "all"'
    )
    serve_cmd.add_argument(
        "--break-prices-on-day",
        type=int,
        default=0,
        metavar="D",
        help="from catalog day D on, product pages lose their price markup (a redesign; the fault broken_prices=D)",
    )
    args = parser.parse_args(argv)

    if args.command == "crawl":
        from .crawl import main as crawl_main

        sites = [s for s in args.sites.split(",") if s]
        return crawl_main(args.products, sites, day=args.day, seed=args.seed, port=args.port)

    if args.command == "catalog":
        for line in catalog_lines(args.site, args.products, args.day, args.seed, args.base_url):
            sys.stdout.write(line + "\n")
        return 0

    faults = args.faults
    if args.break_prices_on_day:
        faults = ",".join(filter(None, [faults, f"broken_prices={args.break_prices_on_day}"]))
    server = serve(args.port, args.products, args.day, args.seed, faults, args.host)
    print(f"demo stores on http://127.0.0.1:{server.server_port}/ ({', '.join(PROFILES)})", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
