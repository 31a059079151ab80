"""The ban a test proxy answers with: Cloudflare's managed challenge ("Just a moment..."),
page and headers, as a banned client sees it."""

from __future__ import annotations

from typing import Final

from testkit.proxy_wire import HOST, local_response

BAN_STATUSES: Final = frozenset({403, 429, 503})


def challenge_page(host: str = HOST, ray: str = "8a1b2c3d4e5f6a7b") -> str:
    """The HTML of a Cloudflare managed challenge ("Just a moment...") for ``host``."""
    return _CHALLENGE_HTML.replace("{host}", host).replace("{ray}", ray)


_CHALLENGE_HTML: Final = """<!DOCTYPE html><html lang="en-US"><head><title>Just a moment...</title>\
<meta http-equiv="Content-Type" content="text/html; charset=UTF-8">\
<meta http-equiv="X-UA-Compatible" content="IE=Edge">\
<meta name="robots" content="noindex,nofollow"><meta name="viewport" content="width=device-width,initial-scale=1">\
<style>*{box-sizing:border-box;margin:0;padding:0}html{line-height:1.15;-webkit-text-size-adjust:100%;color:#313131;\
font-family:system-ui,-apple-system,BlinkMacSystemFont,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}\
body{display:flex;flex-direction:column;height:100vh;min-height:100vh}.main-content{margin:8rem auto;max-width:60rem;\
padding-left:1.5rem}.h2{font-size:1.5rem;font-weight:500;line-height:2.25rem}</style>\
<meta http-equiv="refresh" content="390"></head><body class="no-js"><div class="main-wrapper" role="main">\
<div class="main-content"><h1 class="zone-name-title h1">{host}</h1>\
<h2 id="challenge-running" class="h2">Checking if the site connection is secure</h2>\
<noscript><div id="challenge-error-title"><div class="h2"><span class="icon-wrapper">\
<div class="heading-icon warning-icon"></div></span><span id="challenge-error-text">\
Enable JavaScript and cookies to continue</span></div></div></noscript>\
<div id="challenge-body-text" class="core-msg spacer">{host} needs to review the security of your connection \
before proceeding.</div><div id="challenge-success-text" class="h2">Verification successful</div></div></div>\
<script>(function(){window._cf_chl_opt={cvId: '3',cZone: "{host}",cType: 'managed',cNounce: '41926',cRay: '{ray}',\
cHash: 'c5a1f1e3b9d2a4e',cUPMDTk: "\\/?__cf_chl_tk=q1w2e3r4t5y6u7i8o9p0-1700000000-0-gaNycGzNDRA",\
cFPWv: 'b',cTTimeMs: '1000',cMTimeMs: '390000',cTplV: 5,cTplB: 'cf',cK: "",\
fa: "\\/?__cf_chl_f_tk=q1w2e3r4t5y6u7i8o9p0-1700000000-0-gaNycGzNDRA",md: "m0d3l",cRq: {ru: 'aHR0cDovL3t9Lw==',\
ra: 'TW96aWxsYS81LjA=',rm: 'R0VU',d: 'a1b2c3',t: 'MTcwMDAwMDAwMC4wMDAwMDA=',cT: Math.floor(Date.now() / 1000),m: 'x',\
i1: 'y',i2: 'z',zh: 'w',uh: 'v',hh: 'u'}};var cpo = document.createElement('script');\
cpo.src = '/cdn-cgi/challenge-platform/h/b/orchestrate/chl_page/v1?ray={ray}';window._cf_chl_opt.cOgUHash = \
location.hash === '' && location.href.indexOf('#') !== -1 ? '#' : location.hash;window._cf_chl_opt.cOgUQuery = \
location.search === '' && location.href.slice(0, location.href.length - window._cf_chl_opt.cOgUHash.length)\
.indexOf('?') !== -1 ? '?' : location.search;if (window.history && window.history.replaceState) {var ogU = \
location.pathname + window._cf_chl_opt.cOgUQuery + window._cf_chl_opt.cOgUHash;history.replaceState(null, null, \
"\\/?__cf_chl_rt_tk=q1w2e3r4t5y6u7i8o9p0-1700000000-0-gaNycGzNDRA" + window._cf_chl_opt.cOgUHash);\
cpo.onload = function() {history.replaceState(null, null, ogU);}}document.getElementsByTagName('head')[0]\
.appendChild(cpo);}());</script><div class="footer" role="contentinfo"><div class="footer-inner">\
<div class="clearfix diagnostic-wrapper"><div class="ray-id">Ray ID: <code>{ray}</code></div></div>\
<div class="text-center" id="footer-text">Performance &amp; security by <a rel="noopener noreferrer" \
href="https://www.cloudflare.com?utm_source=challenge&amp;utm_campaign=m" target="_blank">Cloudflare</a></div>\
</div></div></body></html>"""


def ban_page(status: int, host: str, ray: str) -> bytes:
    """A banned request's whole answer: the challenge page for ``host`` with Cloudflare's headers."""
    body = challenge_page(host, ray).encode()
    headers = [
        ("Content-Type", "text/html; charset=UTF-8"),
        ("Accept-CH", "Sec-CH-UA-Bitness, Sec-CH-UA-Arch, Sec-CH-UA-Full-Version, Sec-CH-UA-Mobile"),
        ("Cache-Control", "private, max-age=0, no-store, no-cache, must-revalidate, post-check=0, pre-check=0"),
        ("Expires", "Thu, 01 Jan 1970 00:00:01 GMT"),
        ("cf-mitigated", "challenge"),
        ("Cross-Origin-Embedder-Policy", "require-corp"),
        ("Cross-Origin-Opener-Policy", "same-origin"),
        ("Cross-Origin-Resource-Policy", "same-origin"),
        ("Origin-Agent-Cluster", "?1"),
        ("Permissions-Policy", "accelerometer=(),autoplay=(),camera=(),clipboard-read=(),clipboard-write=()"),
        ("Referrer-Policy", "same-origin"),
        ("X-Content-Type-Options", "nosniff"),
        ("X-Frame-Options", "SAMEORIGIN"),
        ("Vary", "Accept-Encoding"),
        ("Server", "cloudflare"),
        ("CF-RAY", f"{ray}-ATH"),
    ]
    return local_response(status, headers, body)
