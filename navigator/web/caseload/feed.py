"""The calendar feed: a worker's secret link (made, shown once, revoked here) that calendar
apps read without signing in."""
from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from navigator import clock, db, rulebook
from navigator.extensions import limiter
from navigator.services import accounts, audit
from navigator.services import caseload as service
from navigator.services.feed import worker_calendar
from navigator.web.caseload import bp, feed_bp
from navigator.web.caseload.routes import user


@bp.get("/feed")
def feed_settings():
    return render_template("caseload/feed.html", has_feed=bool(user().feed_token_hash),
                           feed_url=None)


@bp.post("/feed")
def issue_feed():
    token = accounts.issue_feed_token(db.get_session(), user())
    audit.record(db.get_session(), user(), "feed.issue")
    url = url_for("feed.calendar", token=token, _external=True)
    return render_template("caseload/feed.html", has_feed=True, feed_url=url)


@bp.post("/feed/revoke")
def revoke_feed():
    accounts.revoke_feed_token(db.get_session(), user())
    audit.record(db.get_session(), user(), "feed.revoke")
    flash(_("The calendar feed is turned off. Calendars using the old link stop updating."))
    return redirect(url_for("caseload.feed_settings"))


@feed_bp.get("/<token>.ics")
@limiter.limit("60 per minute")
def calendar(token: str):
    dbs = db.get_session()
    worker = accounts.find_by_feed_token(dbs, token)
    if worker is None:
        abort(404)
    items = service.due_items(dbs, worker, rulebook.current(), clock.today_in(worker.time_zone),
                              days=365)
    audit.record(dbs, worker, "feed.read")
    body = worker_calendar(items, lambda pid: url_for("caseload.case_page", public_id=pid,
                                                      _external=True))
    return Response(body, mimetype="text/calendar")
