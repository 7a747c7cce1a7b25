"""Response headers every page gets: a strict CSP, no framing, no Referer (resume links carry
tokens), no MIME sniffing, HSTS when served over HTTPS, and `Cache-Control: no-store` on all but
static files (pages and downloads hold answers, letters and client names, which must not stay
in a shared computer's browser cache or a proxy). Installed by web/pipeline.py."""
from __future__ import annotations

from flask import Response, request

CONTENT_SECURITY_POLICY = "; ".join((  # noqa: FLY002 one directive a line
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
))
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
}
HSTS = "max-age=63072000; includeSubDomains"


def add_security_headers(response: Response) -> Response:
    """Adds each header the response does not set itself. (Headers.setdefault would raise and
    catch an exception for every missing header; this page-wide hook runs on every request.)"""
    present = {name.lower() for name, _value in response.headers}
    wanted = {**HEADERS, "Strict-Transport-Security": HSTS} if request.is_secure else HEADERS
    for name, value in wanted.items():
        if name.lower() not in present:
            response.headers.add(name, value)
    if "cache-control" not in present and request.endpoint != "static":
        response.headers.add("Cache-Control", "no-store")
        response.headers.add("Pragma", "no-cache")      # for HTTP/1.0 caches
    return response

