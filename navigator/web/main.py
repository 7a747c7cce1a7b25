"""Home page and health check."""
from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    jsonify,
    render_template,
    request,
    url_for,
)

from navigator import db, metrics, rulebook

bp = Blueprint("main", __name__)


@bp.get("/")
def home():
    return render_template("main/index.html", start_url=url_for("questionnaire.start"))


@bp.get("/healthz")
def healthz():
    reachable, detail = db.database_status(db.engine())
    book = rulebook.current()
    body = {
        "app": "ok",
        "database": "ok" if reachable else "unavailable",
        "rules_version": book.version,
        "rules_reviewed": book.reviewed.isoformat(),
    }
    if not reachable:
        current_app.logger.warning("health check: database unavailable (%s)", detail)
    return jsonify(body), 200 if reachable else 503


@bp.get("/readyz")
def readyz():
    """Ready for traffic: the database answers, the rules are loaded and, when REDIS_URL is set
    (rate limits, queue), Redis answers. A proxy or orchestrator sends traffic only when 200."""
    reachable, _detail = db.database_status(db.engine())
    checks = {"database": "ok" if reachable else "unavailable",
              "rules": rulebook.current().version}
    redis_url = current_app.config.get("REDIS_URL")
    if redis_url:
        checks["redis"] = "ok" if _redis_answers(redis_url) else "unavailable"
    ready = "unavailable" not in checks.values()
    return jsonify({"ready": ready, **checks}), 200 if ready else 503


def _redis_answers(url: str) -> bool:
    import redis
    try:
        return bool(redis.Redis.from_url(url, socket_timeout=1).ping())
    except redis.RedisError:
        return False


@bp.get("/metrics")
def prometheus_metrics():
    """Prometheus text format, for the addresses in METRICS_ALLOW only (the proxy also keeps
    /metrics off the public site)."""
    config = current_app.config
    allowed = {a.strip() for a in str(config.get("METRICS_ALLOW", "")).split(",") if a.strip()}
    if not config.get("METRICS_ENABLED") or request.remote_addr not in allowed:
        abort(404)
    body, content_type = metrics.exposition(str(config.get("REDIS_URL") or ""),
                                            (str(config["REMINDER_QUEUE"]),
                                             str(config["PDF_QUEUE"])))
    return Response(body, content_type=content_type)
