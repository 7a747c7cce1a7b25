"""A small HTTP/1.1 client for the load test: one keep-alive connection and a cookie jar per
simulated user, loopback only. Standard library, so the load needs no extra package."""
from __future__ import annotations

import http.client
import random
import re
import time
from dataclasses import dataclass, field
from urllib.parse import urlencode, urljoin, urlsplit

CSRF_FIELD = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|'
                        r'name="csrf_token" value="([^"]+)"|value="([^"]+)" name="csrf_token"')


@dataclass
class Sample:
    name: str
    seconds: float
    status: int


@dataclass
class Browser:
    host: str
    port: int
    samples: list[Sample] = field(default_factory=list)
    cookies: dict[str, str] = field(default_factory=dict)
    # (shortest, longest) pause in seconds before each click, as a person reads the page;
    # None: no pause (a saturation test).
    think: tuple[float, float] | None = None
    _connection: http.client.HTTPConnection | None = None

    def __post_init__(self) -> None:
        if self.host not in ("127.0.0.1", "localhost", "::1"):
            raise ValueError("the load test only talks to this machine")

    def _conn(self) -> http.client.HTTPConnection:
        if self._connection is None:
            self._connection = http.client.HTTPConnection(self.host, self.port, timeout=30)
        return self._connection

    def request(self, name: str, method: str, path: str, form: dict | None = None,
                follow: bool = True) -> tuple[int, str, bytes]:
        """(status, final path, body); every hop is recorded as one sample under `name`."""
        body = urlencode(form).encode() if form is not None else None
        if self.think:
            time.sleep(random.uniform(*self.think))  # nosec B311: a pause, not a secret
        for _ in range(10):
            headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
            if body is not None:
                headers["Content-Type"] = "application/x-www-form-urlencoded"
            start = time.perf_counter()
            try:
                connection = self._conn()
                connection.request(method, path, body=body, headers=headers)
                response = connection.getresponse()
                data = response.read()
            except (ConnectionError, http.client.HTTPException, OSError):
                self._connection = None
                self.samples.append(Sample(name, time.perf_counter() - start, 599))
                return 599, path, b""
            self.samples.append(Sample(name, time.perf_counter() - start, response.status))
            for header in response.headers.get_all("Set-Cookie") or []:
                key, _, rest = header.partition("=")
                self.cookies[key.strip()] = rest.split(";", 1)[0]
            if follow and response.status in (301, 302, 303, 307, 308):
                path = urlsplit(urljoin(path, response.headers["Location"])).path or "/"
                method, body = "GET", None
                continue
            return response.status, path, data
        return 599, path, b""

    def get(self, name: str, path: str) -> tuple[int, str, bytes]:
        return self.request(name, "GET", path)

    def post(self, name: str, path: str, form: dict) -> tuple[int, str, bytes]:
        return self.request(name, "POST", path, form)

    def close(self) -> None:
        """Closes the connection; the next request opens a new one."""
        if self._connection is not None:
            self._connection.close()
            self._connection = None


def csrf_token(html: bytes) -> str | None:
    match = CSRF_FIELD.search(html.decode("utf-8", "replace"))
    if not match:
        return None
    return next(group for group in match.groups() if group)
