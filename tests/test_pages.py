"""Home page, health check and error pages."""
import logging

import pytest
import sqlalchemy as sa
from werkzeug.exceptions import BadRequest, Forbidden

from navigator import create_app, db


def test_home_page_says_what_it_is(client):
    response = client.get("/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert '<html lang="en">' in html
    assert "insulin pump" in html.lower()
    assert "not legal or medical advice" in html
    assert "Start now" in html
    assert 'href="#main-content"' in html and 'id="main-content"' in html
    assert "<main" in html and 'role="banner"' in html and 'role="contentinfo"' in html
    assert "Rules last reviewed" in html


def test_pages_load_nothing_from_other_hosts(client):
    html = client.get("/").get_data(as_text=True)
    for marker in ('src="http', "src='http", 'href="//', "<script"):
        assert marker not in html
    assert 'rel="stylesheet" href="/static/' in html


def test_static_stylesheet_is_served(client):
    response = client.get("/static/css/site.css")
    assert response.status_code == 200
    assert b".skip-link" in response.data


def test_health_reports_app_and_database(client, app):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["app"] == "ok" and body["database"] == "ok"
    assert body["rules_version"] == app.extensions["rulebook"].version


def test_404_page(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "Page not found" in response.get_data(as_text=True)


def test_api_errors_are_json(client):
    response = client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.get_json()["status"] == 404


@pytest.mark.parametrize("exc, status, text", [
    (BadRequest(), 400, "could not understand"),
    (Forbidden(), 403, "do not have access"),
])
def test_client_error_pages(app, exc, status, text):
    @app.get("/_raise")
    def _raise():
        raise exc

    response = app.test_client().get("/_raise")
    assert response.status_code == status
    assert text in response.get_data(as_text=True)


def test_500_page_and_log_without_personal_data(app, caplog):
    @app.get("/_boom")
    def _boom():
        raise ValueError("patient Jane Doe, member ID XJ123456789")

    with caplog.at_level(logging.ERROR):
        response = app.test_client().get("/_boom")
    assert response.status_code == 500
    assert "problem with the service" in response.get_data(as_text=True)
    assert "ValueError" in caplog.text
    assert "Jane Doe" not in caplog.text and "XJ123456789" not in caplog.text


def test_database_unreachable_gives_503_page_and_health(caplog):
    # Port 1 on loopback: nothing listens, so the connection is refused at once.
    app = create_app({"DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/none"})

    @app.get("/_needs_db")
    def _needs_db():
        db.get_session().execute(sa.text("SELECT 1"))
        return "ok"

    client = app.test_client()
    with caplog.at_level(logging.WARNING):
        page = client.get("/_needs_db")
        health = client.get("/healthz")
    assert page.status_code == 503
    assert "service is unavailable" in page.get_data(as_text=True)
    assert health.status_code == 503
    assert health.get_json() == {**health.get_json(), "app": "ok", "database": "unavailable"}
    assert "nobody" not in caplog.text  # the URL (and its credentials) never reach the log


def test_security_headers_on_every_response(client):
    for path in ("/", "/healthz", "/no-such-page"):
        headers = client.get(path).headers
        csp = headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert "'unsafe-inline'" not in csp
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "no-referrer"
        assert "Strict-Transport-Security" not in headers


def test_hsts_only_over_https(client):
    response = client.get("/", base_url="https://localhost")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_api_is_rate_limited(db_url):
    app = create_app({"DATABASE_URL": db_url, "API_RATE_LIMIT": "3 per minute"})
    client = app.test_client()
    codes = [client.get("/api/v1/rules").status_code for _ in range(5)]
    assert codes[:3] == [200, 200, 200] and codes[3:] == [429, 429]
    assert client.get("/api/v1/rules").get_json()["status"] == 429
