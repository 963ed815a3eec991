"""The archive: one SQLite file that only grows (see ARCHITECTURE.md).

It owns the ``Archive`` class with its schema and migrations and the run log
(:mod:`crawler.archive.core`), raw pages and their compression (:mod:`.compression`), the
duplicate check (:mod:`.dedupe`), WARC export (:mod:`.warc`) and the health report
(:mod:`.health`). It indexes articles for search through :mod:`crawler.search`; it imports
no Scrapy (import-linter checks it).
"""

from crawler.archive.core import ARTICLE_COLUMNS, BUSY_TIMEOUT, Archive, busy_timeout, utcnow

__all__ = ["ARTICLE_COLUMNS", "BUSY_TIMEOUT", "Archive", "busy_timeout", "utcnow"]
