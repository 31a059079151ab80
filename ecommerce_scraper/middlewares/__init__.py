"""Downloader middlewares: retries with backoff, rotating proxies, ban detection."""
