"""Browser tests: the app on a live server in a thread (SQLite file, CSRF on, as in production)
and headless Debian Chromium through Playwright. No browser download, no network: any
request that leaves 127.0.0.1 fails the test."""
from __future__ import annotations

import threading
from urllib.parse import urlsplit

import pytest
from werkzeug.serving import make_server

from navigator import create_app, db

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('browser') / 'navigator.db'}"
    db.upgrade(url)
    app = create_app({"DATABASE_URL": url, "WTF_CSRF_ENABLED": True})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)
    app.extensions["db_engine"].dispose()


@pytest.fixture(scope="session")
def browser():
    playwright_api = pytest.importorskip("playwright.sync_api")
    with playwright_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, live_server):
    """A fresh browser profile whose every request must stay on the live server."""
    context = browser.new_context(viewport={"width": 1024, "height": 800})
    outside: list[str] = []
    server_host = urlsplit(live_server).netloc

    def guard(route):
        if urlsplit(route.request.url).netloc == server_host:
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    context.route("**/*", guard)
    tab = context.new_page()
    yield tab
    context.close()
    assert outside == [], f"requests left the app: {outside}"
