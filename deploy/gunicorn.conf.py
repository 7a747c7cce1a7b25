"""gunicorn settings for one app instance (`gunicorn -c deploy/gunicorn.conf.py -b ADDR app:app`).

Several instances run side by side behind nginx (docs/DEPLOY.md); each is a master with
WEB_CONCURRENCY worker processes of GUNICORN_THREADS threads.
"""
import os
import shutil
import tempfile

workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "gthread"
# A letter PDF holds its thread for the seconds the PDF processes take under load, while using
# no CPU in the worker: with 8 threads, 200 people's PDFs left pages waiting for a free thread
# (plan page p95 0.5-0.9 s); with 32, 68-96 ms (docs/BENCHMARKS.md, "proxy"). Each thread may
# hold a database connection: PostgreSQL's max_connections must cover instances x workers x
# threads (docs/DEPLOY.md).
threads = int(os.environ.get("GUNICORN_THREADS", "32"))
# A request still running after this is killed. Longer than the database's lock wait (10 s) and
# the PDF timeout (45 s), so those end in the app's own 503 pages that keep the typed answer
# (review L1, L10); gunicorn.conf.py at the top of the project explains.
timeout = 60
graceful_timeout = 30
keepalive = 30                # nginx keeps its upstream connections open
accesslog = None              # nginx writes the access log, without personal data
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
proc_name = "navigator"


def _metrics_dir(bind_addresses) -> str:
    """Each instance keeps its workers' Prometheus values in a folder of its own."""
    port = str(bind_addresses[0]).rsplit(":", 1)[-1] if bind_addresses else "default"
    return os.path.join(tempfile.gettempdir(), f"navigator-metrics-{port}")


def on_starting(server):
    from navigator.config import ConfigError, check_workers
    try:        # several production workers need REDIS_URL for their rate limits (config.py)
        check_workers(os.environ, server.cfg.workers)
    except ConfigError as exc:
        server.log.error("refusing to start: %s", exc)
        raise SystemExit(3) from exc
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR") or _metrics_dir(server.cfg.bind)
    shutil.rmtree(folder, ignore_errors=True)     # values of a previous run are not this run's
    os.makedirs(folder, mode=0o700, exist_ok=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = folder  # inherited by the workers


def child_exit(_server, worker):
    from prometheus_client import multiprocess
    multiprocess.mark_process_dead(worker.pid)
