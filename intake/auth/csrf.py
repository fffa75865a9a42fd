"""CSRF defences for state-changing requests (OWASP CSRF cheat sheet): a synchronizer token
compared in constant time, plus a same-origin check on Origin / Sec-Fetch-Site. SameSite
cookies are the third layer (set where the cookie is made)."""
from __future__ import annotations

import hmac
from collections.abc import Mapping
from urllib.parse import urlsplit


def tokens_match(expected: str | None, given: str | None) -> bool:
    if not expected or not given:
        return False
    return hmac.compare_digest(expected.encode("utf-8"), given.encode("utf-8"))


def same_origin(headers: Mapping[str, str], scheme: str) -> bool:
    """False when the browser says the request came from another site.

    Sec-Fetch-Site, which pages cannot forge, decides when present. Our pages send
    Referrer-Policy: no-referrer, under which Chromium posts forms with `Origin: null`, so
    Origin is only consulted when Sec-Fetch-Site is absent (older browsers). A request with
    neither (a script, curl) still needs the token, which only our pages carry.
    """
    site = headers.get("sec-fetch-site")
    if site is not None:
        return site in ("same-origin", "none")
    origin = headers.get("origin")
    if origin is None:
        return True
    if origin == "null":
        return False
    parts = urlsplit(origin)
    return parts.scheme == scheme and parts.netloc == headers.get("host", "")
