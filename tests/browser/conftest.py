"""Browser tests: the app on a live server in a thread (SQLite file, CSRF on, as in production)
and headless Debian Chromium through Playwright. No browser download, no network: any
request that leaves 127.0.0.1 fails the test."""
from __future__ import annotations

import threading
from contextlib import contextmanager
from urllib.parse import urlsplit

import pytest
from werkzeug.serving import make_server

from navigator import create_app, db

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]


def migrated_app(folder):
    """An app on a fresh, migrated SQLite file, with CSRF on as in production."""
    url = f"sqlite:///{folder / 'navigator.db'}"
    db.upgrade(url)
    return create_app({"DATABASE_URL": url, "WTF_CSRF_ENABLED": True})


@contextmanager
def serving(app):
    """The app on 127.0.0.1 (a free port) in a thread; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)
        db.dispose(app.extensions["db_engine"])


def assert_fits(page, width: int = 360) -> None:
    """Nothing on the page scrolls sideways at `width` px (a 360 px phone unless told)."""
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width, f"{page.url} is {scroll}px wide at {width}px"


@contextmanager
def guarded_page(browser, base_url, width=None, permissions=(), **context_options):
    """A fresh browser profile whose every request must stay on the live server. `width` gives
    an 800 px tall window; other profiles (a phone with touch) come as new_context options."""
    if width is not None:
        context_options.setdefault("viewport", {"width": width, "height": 800})
    context = browser.new_context(**context_options)
    if permissions:
        context.grant_permissions(list(permissions), origin=base_url)
    outside: list[str] = []
    server_host = urlsplit(base_url).netloc

    def guard(route):
        if urlsplit(route.request.url).netloc == server_host:
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    context.route("**/*", guard)
    try:
        yield context.new_page()
    finally:
        context.close()
    assert outside == [], f"requests left the app: {outside}"


@pytest.fixture(scope="session")
def browser_app(tmp_path_factory):
    """The live server's app, for tests that set up data directly."""
    return migrated_app(tmp_path_factory.mktemp("browser"))


@pytest.fixture(scope="session")
def live_server(browser_app):
    with serving(browser_app) as base_url:
        yield base_url


@pytest.fixture(scope="session")
def browser():
    playwright_api = pytest.importorskip("playwright.sync_api")
    with playwright_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, live_server):
    with guarded_page(browser, live_server, width=1024) as tab:
        yield tab
