"""The work a crawl hands to its extraction processes: pure, picklable, no Scrapy."""

from __future__ import annotations

import multiprocessing
import signal
from collections.abc import Mapping
from concurrent.futures import ProcessPoolExecutor

from crawler import compression, dedupe, fts
from crawler.extract import extract
from crawler.items import Article


def extract_page(
    body: bytes, url: str, charset: str | None, fields: Mapping[str, str] | None
) -> tuple[Article, str, bytes]:
    """Extract one fetched page, and do the rest of the per-page CPU work that needs no
    archive: compress its bytes for the ``pages`` table (``(article, codec, data)``) and
    compute the body's fingerprint for the duplicate check (``article.fingerprint``) and
    the search index's token buffers of its title and body (``article.fts_buffers``)."""
    article = extract(body, url, http_encoding=charset, fields=fields or None)
    article.fingerprint = dedupe.fingerprint(article.body or "")
    article.fts_buffers = (
        fts.document_buffer(article.title or ""),
        fts.document_buffer(article.body or ""),
    )
    codec, data = compression.compress(body)
    return article, codec, data


def ignore_sigint() -> None:
    """Pool initializer: a terminal's Ctrl-C reaches the whole process group, but only the
    crawl should react (it stops cleanly and then shuts the pool down)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


class SharedPool:
    """One extraction pool for every spider of a crawl process, however many sites it
    crawls: the first spider that needs it starts it, the last one to close shuts it."""

    def __init__(self) -> None:
        self._pool: ProcessPoolExecutor | None = None
        self._users: set[int] = set()

    def get(self, user: object, processes: int) -> ProcessPoolExecutor:
        self._users.add(id(user))
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                max_workers=processes,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=ignore_sigint,  # Ctrl-C stops the crawl, which stops the pool
            )
        return self._pool

    def discard(self, pool: ProcessPoolExecutor) -> None:
        """Forget ``pool`` if it is the current one and broke (a worker died); the next
        :meth:`get` starts a new one."""
        if pool is self._pool:
            pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None

    def release(self, user: object) -> None:
        self._users.discard(id(user))
        if not self._users and self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


#: The crawl process's extraction pool (``NEWSARCHIVE_EXTRACT_PROCESSES`` workers).
POOL = SharedPool()
