"""The caseload for workers, one module per area, as in microblog:

- routes.py: the dashboard, due list, one client's case page and its changes (progress, notes,
  hand-over and sharing, export, delete);
- admin.py: members and the audit log (admins);
- feed.py: the calendar feed (its own blueprint: calendar apps cannot sign in);
- client_pages.py: the questionnaire, plan and letters pages of one client, under
  /caseload/clients/<client_id>/..., and the request hooks that guard them;
- forms.py and phrases.py: the forms, and the words put on data.

Every case URL loads the case through `routes.case_or_404`, which answers 404 for any case the
worker may not reach (another organisation's, or a colleague's not shared with a member),
existing or not. Every view, change, download and delete of a case is written to the audit log.
"""
from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint("caseload", __name__, url_prefix="/caseload")
# The feed is read by calendar apps, which cannot sign in: a blueprint without login.
feed_bp = Blueprint("feed", __name__, url_prefix="/feeds")

# The route modules register on `bp` and `feed_bp`, so they are imported after them.
from navigator.web.caseload import admin, client_pages, feed, routes  # noqa: E402, F401


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.register_blueprint(feed_bp)
    client_pages.init_app(app)
