"""HTML to tagged PDF through WeasyPrint, shared by the letters and the plan PDF. No Flask.

Nothing is fetched from the network or from disk except files inside the app's own static
folder: the HTML holds text people typed, so a stray URL must never become a request.
"""
from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections.abc import Generator, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import closing
from pathlib import Path
from typing import NamedTuple

from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse, url_is_absolute

from navigator.metrics import PDF_SECONDS
from navigator.services.pdf_merge import merge_tagged_pdfs

STATIC_DIR = (Path(__file__).resolve().parent.parent / "static").resolve()
# Relative URLs in a document resolve against the static folder.
BASE_URL = STATIC_DIR.as_uri() + "/"


_per_thread = threading.local()


def _font_config() -> FontConfiguration:
    """One font configuration per thread: building it again for each PDF costs tens of ms."""
    config = getattr(_per_thread, "font_config", None)
    if config is None:
        config = _per_thread.font_config = FontConfiguration()
    return config


def _stylesheet(path: Path) -> CSS:
    """The parsed stylesheet, once per thread: parsing it again for each PDF costs about a tenth
    of a letter's render time."""
    sheets = _per_thread.__dict__.setdefault("stylesheets", {})
    if path not in sheets:
        if static_path(path.as_uri()) is None:
            raise RefusedURL(f"refused the stylesheet {str(path)[:200]!r}: not a static file")
        sheets[path] = CSS(string=path.read_text(encoding="utf-8"), base_url=path.as_uri(),
                           url_fetcher=StaticOnlyFetcher(), font_config=_font_config())
    return sheets[path]


class PdfDocument(NamedTuple):
    """What render_pdfs makes one PDF of. `stylesheet`: a file of the static folder applied to
    the document (as a user stylesheet, so the document's own <style> rules win over it)."""
    html: str
    title: str
    author: str
    stylesheet: Path | None = None


class PdfRenderError(RuntimeError):
    """The PDF could not be made; the web layer shows a message page, the case is untouched."""


class RefusedURL(ValueError):
    """A document asked for a resource outside the static folder."""


class StaticOnlyFetcher(URLFetcher):
    """Serves files under STATIC_DIR; refuses every other URL (http, https, data, other files)."""

    def fetch(self, url, headers=None):
        path = static_path(url)
        if path is None:
            raise RefusedURL(f"refused to fetch {url[:200]!r}: only the app's static files load")
        return URLFetcherResponse(path.as_uri(), path.read_bytes())


def static_path(url: str) -> Path | None:
    """The file a file:// URL names, when it exists inside the static folder; else None."""
    if not url_is_absolute(url) or not url.lower().startswith("file:"):
        return None
    from urllib.parse import unquote, urlsplit

    parts = urlsplit(url)
    if parts.netloc not in ("", "localhost"):
        return None
    path = Path(unquote(parts.path)).resolve()
    if not path.is_relative_to(STATIC_DIR) or not path.is_file():
        return None
    return path


# PDF layout is CPU-bound for a tenth of a second or more. With PDF_PROCESSES > 0 it runs in
# worker processes at a lower CPU priority, so the pages of everyone else are not held up
# behind it (in a thread it would also hold the interpreter lock of the web process).
_pool: ProcessPoolExecutor | None = None
_pool_owner: int | None = None
_pool_workers = 0   # how many processes _pool was made with
_pool_size = 0      # how many the setting asks for
_pool_lock = threading.Lock()
PDF_NICENESS = 10
PDF_TIMEOUT_SECONDS = 45   # below gunicorn.conf.py timeout (60 s): review L10


def use_processes(count: int) -> None:
    """Render in `count` lower-priority processes (0: in the calling thread). The workers are
    started and warmed up at once, so the first person to ask for a PDF does not wait for them."""
    global _pool_size
    _pool_size = max(0, int(count))
    if _pool_size and not _pool_ready():   # called on every request: no lock when all is set
        _executor()


def _start_pdf_process() -> None:
    """In each PDF process: a lower CPU priority, and an end when the web worker that started
    it is gone (killed by gunicorn's timeout, an operator or the OOM killer), instead of living
    on as an orphan holding tens of MB (review L10)."""
    os.nice(PDF_NICENESS)
    parent = os.getppid()
    threading.Thread(target=_exit_when_orphaned, args=(parent,), daemon=True,
                     name="exit-with-parent").start()


def _exit_when_orphaned(parent: int, interval: float = 1.0) -> None:
    while os.getppid() == parent:
        time.sleep(interval)
    os._exit(0)


def _pool_ready() -> bool:
    """This process has a pool of the size the setting asks for (a forked child does not)."""
    return _pool is not None and _pool_owner == os.getpid() and _pool_workers == _pool_size


def _executor() -> ProcessPoolExecutor:
    """This process's pool, made on first use (after a server forks its workers)."""
    global _pool, _pool_owner, _pool_workers
    with _pool_lock:
        if not _pool_ready():
            _shut_down_own_pool()
            _pool = ProcessPoolExecutor(max_workers=_pool_size, initializer=_start_pdf_process,
                                        mp_context=multiprocessing.get_context("spawn"))
            _pool_owner, _pool_workers = os.getpid(), _pool_size
            for _ in range(_pool_size):   # starts each worker: imports, fonts, first layout
                _pool.submit(_render, "<p>warm-up</p>", "warm-up", "")
        if _pool is None:             # (_pool_ready() was true, or it was just made)
            raise RuntimeError("no PDF process pool")
        return _pool


def render_pdf(html: str, title: str, author: str, stylesheet: Path | None = None) -> bytes:
    """A tagged (PDF/UA-1) PDF with embedded fonts, carrying the given title and author.

    Page size (US Letter) and page numbers come from the document's @page CSS (its own or
    `stylesheet`'s, see PdfDocument).
    """
    return render_pdfs([PdfDocument(html, title, author, stylesheet)])[0]


def render_pdfs(documents: Sequence[PdfDocument]) -> list[bytes]:
    """Each document as its own tagged PDF (see render_pdf), in the same order.

    With the process pool on, every document is submitted at once, so they render side by side;
    otherwise one after the other in the calling thread. Any failure, or all of them not done
    within PDF_TIMEOUT_SECONDS, raises PdfRenderError (the documents not started are cancelled).
    """
    with PDF_SECONDS.labels("one" if len(documents) == 1 else "several").time(), \
            closing(_rendered_in_order(documents)) as pdfs:
        return list(pdfs)


def _rendered_in_order(documents: Sequence[PdfDocument]) -> Generator[bytes, None, None]:
    """The PDFs of render_pdfs, each given as soon as it and those before it are done."""
    if not _pool_size:
        yield from (_render(*document) for document in documents)
        return
    futures = []
    try:
        executor = _executor()
        futures = [executor.submit(_render, *document) for document in documents]
        deadline = time.monotonic() + PDF_TIMEOUT_SECONDS
        for future in futures:
            yield future.result(timeout=max(0.0, deadline - time.monotonic()))
    except PdfRenderError:
        raise
    except Exception as exc:  # a dead worker process or a timeout: still "no PDF"
        if isinstance(exc, BrokenProcessPool):
            _discard_pool()   # so the next request starts fresh workers instead of failing too
        raise PdfRenderError(type(exc).__name__) from exc
    finally:
        for future in futures:
            future.cancel()


def _discard_pool() -> None:
    with _pool_lock:
        _shut_down_own_pool()


def _shut_down_own_pool() -> None:
    """Stops this process's pool, if it has one (a forked child leaves its parent's alone).
    The caller holds _pool_lock."""
    global _pool
    if _pool is not None and _pool_owner == os.getpid():
        _pool.shutdown(wait=False, cancel_futures=True)
    _pool = None


def render_merged_pdf(documents: Sequence[PdfDocument], title: str, author: str) -> bytes:
    """Several documents rendered as by render_pdfs and merged into one tagged PDF. Each PDF
    joins the merge as soon as it is done (in order), so with the process pool on the merge
    overlaps the rendering of the last documents instead of following it."""
    with PDF_SECONDS.labels("several").time(), closing(_rendered_in_order(documents)) as pdfs:
        try:
            return merge_tagged_pdfs(pdfs, title, author)
        except PdfRenderError:
            raise
        except Exception as exc:  # pikepdf and the merge's own checks: all mean "no PDF"
            raise PdfRenderError(type(exc).__name__) from exc


def _render(html: str, title: str, author: str, stylesheet: Path | None = None) -> bytes:
    try:
        sheets = [_stylesheet(stylesheet)] if stylesheet is not None else []
        document = HTML(string=html, base_url=BASE_URL, url_fetcher=StaticOnlyFetcher()).render(
            font_config=_font_config(), stylesheets=sheets)
        document.metadata.title = title
        document.metadata.authors = [author]
        return document.write_pdf(pdf_variant="pdf/ua-1")
    except Exception as exc:  # WeasyPrint and its libraries raise many kinds; all mean "no PDF"
        raise PdfRenderError(type(exc).__name__) from exc
