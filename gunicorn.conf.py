"""gunicorn settings for the Pump Access Navigator, read from the current folder by
`gunicorn app:app` (settings given on the command line win).

- timeout: a request may take this long before gunicorn kills its worker. It is longer than the
  database's lock wait (navigator.db.LOCK_WAIT_SECONDS, 10 s), so a locked database ends in the
  app's 503 page that keeps the typed answer, not in gunicorn's bare 500 (review L1); and longer
  than the PDF timeout (navigator.services.pdf.PDF_TIMEOUT_SECONDS), so a slow PDF ends in the
  app's "PDF could not be made" page (review L10).
- workers: gunicorn's own default (WEB_CONCURRENCY, else 1). In production, more than one worker
  needs REDIS_URL: rate-limit counters kept in each worker's memory would multiply every limit by
  the number of workers (review M5, L5), so gunicorn is stopped before any worker starts.

deploy/gunicorn.conf.py is the same for the several-instances set-up (docs/DEPLOY.md).
"""
import os

timeout = 60
graceful_timeout = 30


def on_starting(server):
    """Refuse several workers with in-memory rate limits before any worker starts (the app's own
    check in each worker does the same when this file is not used)."""
    from navigator.config import ConfigError, check_workers

    try:
        check_workers(os.environ, server.cfg.workers)
    except ConfigError as exc:
        server.log.error("refusing to start: %s", exc)
        raise SystemExit(3) from exc
