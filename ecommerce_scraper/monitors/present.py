"""A crawl's health in words, for the report's health panel and master.xlsx's Summary."""

from __future__ import annotations

from typing import Any

from .health import NO_BASELINE, crawl_health

#: monitor -> what it checks, in the report
MONITOR_LABELS: dict[str, str] = {
    "item_count": "Products vs the previous complete crawl",
    "coverage/price": "Price coverage",
    "coverage/availability": "Availability coverage",
    "coverage/name": "Name coverage",
    "coverage/sku": "SKU coverage",
    "coverage/main_image": "Main image coverage",
    "error_rate": "Error rate",
    "bans": "Bans",
    "retries": "Retries given up",
    "finish_reason": "Finish reason",
}


def _figure(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return "—" if value is None else str(value)


def health_rows(crawl_row: Any) -> list[dict[str, Any]]:
    """One row per monitor: ``name``, ``label``, ``passed``, ``note``, ``figures`` (text); ``[]`` never judged."""
    health = crawl_health(crawl_row)
    if health is None:
        return []
    return [
        {
            "name": result["name"],
            "label": MONITOR_LABELS.get(result["name"], result["name"]),
            "passed": bool(result["passed"]),
            "no_baseline": result.get("note") == NO_BASELINE,
            "note": result.get("note") or "",
            "figures": " · ".join(f"{k} {_figure(v)}" for k, v in (result.get("figures") or {}).items()),
        }
        for result in health.get("results", [])
    ]


def health_label(crawl_row: Any) -> str:
    """master.xlsx's ``health``: ``ok``, ``failed: <monitors>`` (``suspect`` first when it is), or
    ``""`` for a crawl never judged (closed before the monitors existed, or by a spool)."""
    health = crawl_health(crawl_row)
    if health is None:
        return ""
    failed = health.get("failed") or []
    if not failed:
        return "ok"
    return ("suspect, " if health.get("suspect") else "") + "failed: " + ", ".join(failed)
