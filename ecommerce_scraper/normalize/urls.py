"""Canonical URLs (tracking noise removed) and stable ids derived from them.

:func:`canonicalize_url` = w3lib's ``canonicalize_url`` (query arguments sorted, percent-encoding
normalized, fragment dropped, empty ``?`` removed) after:

* removing tracking parameters: ``utm_*``, ``mtm_*``, ``pk_campaign``..., ``hsa_*``, ``_hs*``, click ids
  (``gclid``, ``fbclid``, ``msclkid``, ``yclid``, ``dclid``, ``gbraid``, ``wbraid``, ``ttclid``,
  ``twclid``, ``srsltid``, ``igshid``...), newsletter ids (``mc_cid``, ``mc_eid``, ``mkt_tok``),
  ``_ga``/``_gl``, ``ref``, Shopify's search/recommendation tags (``_pos``, ``_sid``, ``_ss``,
  ``_psq``, ``_fid``, ``pr_*`` recommendation ids, ``variant`` stays) and session ids
  (``PHPSESSID``, ``osCsid``, ``zenid``...). Parameter names are compared case-insensitively.
  Everything else stays (``id``, ``product_id``, ``route``, ``page``, ``variant``, ``q``...):
  for OpenCart ``index.php?route=product/product&product_id=42`` the query *is* the identity;
* lower-casing scheme and host, dropping the port when it is the scheme's default (80/443)
  and an empty user-info; the path keeps its case (paths are case-sensitive on most servers).

:func:`product_id_from_url` gives a product an id from its URL when the platform exposes none.
It must be the same on every host serving the same shop (the demo copy at
``http://127.0.0.1:8000/shop/`` and ``https://shop.example/``), so it is the canonical URL
*relative to the shop root* ``base_url``:

* path and query after ``base_url``, without leading/trailing slashes, path percent-decoded
  (Greek slugs stay readable: ``προϊόν/μαλλί``), query kept canonical (sorted, encoded);
* a final ``.html``/``.htm`` dropped: Magento and PrestaShop add or omit it by a setting, the
  product is the same. ``.php`` stays: ``index.php?…`` and ``product.php?…`` are the
  application's entry points, and dropping the suffix would buy nothing in stability;
* host matching ignores the scheme, a leading ``www.`` and default ports (a shop that redirects
  http to https, or to ``www.``, keeps its ids);
* the shop root itself -> ``"index"``;
* longer than 120 characters -> the first 16 hex digits of the SHA-1 of that relative id
  (still host-independent);
* not under ``base_url`` (another host or a path outside the shop root) -> the first 16 hex
  digits of the SHA-1 of the whole canonical URL.
"""

from __future__ import annotations

import hashlib
import re
from urllib.parse import unquote, urlsplit, urlunsplit

from w3lib.url import canonicalize_url as _w3lib_canonicalize_url

MAX_ID_LENGTH = 120
HASH_LENGTH = 16

_TRACKING_PREFIXES = ("utm_", "mtm_", "hsa_", "_hs", "pr_rec_", "pr_ref_", "pr_prod_", "fb_action_")
_TRACKING_NAMES = frozenset(
    {
        # click ids of ad networks
        "gclid",
        "gclsrc",
        "dclid",
        "gbraid",
        "wbraid",
        "fbclid",
        "msclkid",
        "yclid",
        "ttclid",
        "twclid",
        "li_fat_id",
        "epik",
        "rdt_cid",
        "irclickid",
        "s_kwcid",
        "ef_id",
        "srsltid",
        "igshid",
        "igsh",
        # analytics and newsletters
        "pk_campaign",
        "pk_kwd",
        "pk_keyword",
        "pk_source",
        "pk_medium",
        "pk_content",
        "pk_cid",
        "_ga",
        "_gl",
        "_ke",
        "_kx",
        "mc_cid",
        "mc_eid",
        "mkt_tok",
        "oly_anon_id",
        "oly_enc_id",
        "vero_id",
        "vero_conv",
        "wickedid",
        "trk",
        "trk_contact",
        "trk_msg",
        "trk_module",
        "trk_sid",
        "campaignid",
        "adgroupid",
        "matchtype",
        "fb_source",
        "fb_ref",
        "ref",
        "ref_src",
        "referrer",
        "affiliate",
        "aff_id",
        # Shopify's search / recommendation tags on product links
        "_pos",
        "_sid",
        "_ss",
        "_psq",
        "_fid",
        "pr_seq",
        # session ids in URLs (osCommerce, Zen Cart, PHP)
        "phpsessid",
        "sessionid",
        "jsessionid",
        "oscsid",
        "zenid",
    }
)
_DEFAULT_PORTS = {"http": 80, "https": 443}


def canonicalize_url(url: str) -> str:
    """The canonical form of a URL: tracking parameters out, w3lib canonicalization, tidy host."""
    url = (url or "").strip()
    if not url:
        return ""
    parts = urlsplit(url)
    query = "&".join(pair for pair in parts.query.split("&") if pair and not is_tracking_parameter(_name(pair)))
    canonical = _w3lib_canonicalize_url(urlunsplit(parts._replace(query=query)), keep_fragments=False)
    return _tidy_authority(canonical)


def is_tracking_parameter(name: str) -> bool:
    """Whether a query parameter only tracks the visitor (``utm_source``, ``gclid``, ``ref`` ...)."""
    key = name.strip().casefold()
    return key in _TRACKING_NAMES or key.startswith(_TRACKING_PREFIXES)


def product_id_from_url(url: str, base_url: str) -> str:
    """A stable id from a product URL relative to the shop root (rules in the module docstring)."""
    canonical = canonicalize_url(url)
    relative = _relative_to(canonical, base_url)
    if relative is None:
        return _short_hash(canonical)
    relative = _strip_suffix(relative)
    if not relative:
        return "index"
    return _short_hash(relative) if len(relative) > MAX_ID_LENGTH else relative


# --- internals ---------------------------------------------------------------------------


def _name(pair: str) -> str:
    return unquote(pair.split("=", 1)[0].replace("+", " "))


def _tidy_authority(url: str) -> str:
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        return url
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:  # a port that is no number: leave the URL as it is
        return url
    netloc = host
    if port is not None and port != _DEFAULT_PORTS.get(scheme):
        netloc = f"{host}:{port}"
    userinfo = parts.netloc.rpartition("@")[0] if "@" in parts.netloc else ""
    if userinfo and userinfo != ":":
        netloc = f"{userinfo}@{netloc}"
    return urlunsplit((scheme, netloc, parts.path or "/", parts.query, ""))


def _site_key(url: str) -> tuple[str, str] | None:
    """(host without www. and default port, path) of a canonical URL; None when not absolute."""
    parts = urlsplit(url)
    if not parts.netloc:
        return None
    host = parts.netloc.rpartition("@")[2]
    host = re.sub(r":(?:80|443)$", "", host)
    return host.removeprefix("www."), parts.path or "/"


def _relative_to(canonical: str, base_url: str) -> str | None:
    """``canonical`` relative to ``base_url`` (path percent-decoded, query as is), or None when outside."""
    base = canonicalize_url(base_url)
    url_key, base_key = _site_key(canonical), _site_key(base)
    if url_key is None or base_key is None or url_key[0] != base_key[0]:
        return None
    base_path = base_key[1] if base_key[1].endswith("/") else base_key[1] + "/"
    path = url_key[1]
    if not (path + "/").startswith(base_path):
        return None
    relative_path = unquote(path[len(base_path) :]).strip("/")
    query = urlsplit(canonical).query
    return f"{relative_path}?{query}" if query else relative_path


def _strip_suffix(relative: str) -> str:
    path, question, query = relative.partition("?")
    path = re.sub(r"\.html?$", "", path, flags=re.IGNORECASE)
    return f"{path}{question}{query}"


def _short_hash(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8"), usedforsecurity=False).hexdigest()[:HASH_LENGTH]
