"""The archive: one SQLite file that only grows (see ARCHITECTURE.md).

It owns the ``Archive`` class (:mod:`crawler.archive.core`: connections, transactions,
articles, aliases, batched writes) with its parts: the schema and its migrations
(:mod:`.schema`), raw pages (:mod:`.pages`) and their compression (:mod:`.compression`),
the duplicate check (:mod:`.dedupe`, the fingerprints; :mod:`.copies`, the SQL), the run
log and stats (:mod:`.runlog`), WARC export (:mod:`.warc`) and extraction health
(:mod:`.health`). It indexes articles for search through :mod:`crawler.search`; it imports
no Scrapy (import-linter checks it).
"""

from crawler.archive.core import Archive, busy_timeout
from crawler.archive.schema import ARTICLE_COLUMNS, BUSY_TIMEOUT, utcnow

__all__ = ["ARTICLE_COLUMNS", "BUSY_TIMEOUT", "Archive", "busy_timeout", "utcnow"]
