"""Health alerts: a crawl the health monitors judged suspect (``monitors/health.py``: a coverage or
item-count monitor failed) sends one message to ``HEALTH_NOTIFY`` instead of its business alerts,
which would only repeat what a broken extraction invented ("price changed to nothing").

``HEALTH_NOTIFY``: Apprise URLs, separated by spaces or new lines (environment or setting; a list
in a setting). Checked at start-up with the alerts file (``check_health_notify``).
"""

from __future__ import annotations

import os
from typing import Any

from scrapy.exceptions import UsageError

from ..monitors.health import crawl_health, crawl_is_suspect


def health_destinations(settings: Any = None) -> list[str]:
    """The Apprise URLs health alerts go to; ``[]`` when none are set."""
    # As ALERTS_FILE and the others: the setting (so -s on the command line) first, then the environment.
    value = (settings.get("HEALTH_NOTIFY") if settings is not None else None) or os.environ.get("HEALTH_NOTIFY")
    if not value:
        return []
    urls = value.split() if isinstance(value, str) else [str(url) for url in value]
    return [url.strip() for url in urls if url.strip()]


def check_health_notify(settings: Any) -> None:
    """The add-on's start-up check: every ``HEALTH_NOTIFY`` URL is one Apprise can send to."""
    from .delivery import apprise_problem, mask_destination

    for position, url in enumerate(health_destinations(settings), 1):
        problem = apprise_problem(url)
        if problem:
            raise UsageError(f"HEALTH_NOTIFY, URL {position} ({mask_destination(url)}): {problem}", print_help=False)


def health_message(crawl: Any) -> tuple[str, str] | None:
    """Title and text of the health alert for a stored crawl; ``None`` when it is not suspect."""
    if not crawl_is_suspect(crawl):
        return None
    health = crawl_health(crawl) or {}
    failed = [result for result in health.get("results") or [] if not result.get("passed")]
    title = f"{crawl.site}: crawl {crawl.crawl_id} looks broken ({', '.join(r['name'] for r in failed)})"
    lines = [
        f"The {crawl.site} crawl {crawl.crawl_id} failed its health monitors: the shop's pages may have changed.",
        f"Status: {crawl.status}" + (f" ({crawl.status_note})" if crawl.status_note else ""),
        "",
    ]
    for result in failed:
        figures = ", ".join(f"{key} {value}" for key, value in (result.get("figures") or {}).items())
        lines.append(f"- {result['name']}: {result.get('note') or 'failed'}" + (f" [{figures}]" if figures else ""))
    lines += [
        "",
        "Nothing was marked removed, and this crawl's changes were not sent as price or stock alerts.",
    ]
    return title, "\n".join(lines)
