"""The archive's schema and its migrations: tables, columns and indexes are created when
missing, never dropped or renamed.
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlite_utils

from crawler import search as fts
from crawler.items import EXTRACTED_FIELDS

#: How long a writer waits for another writer's transaction before giving up (seconds);
#: ``NEWSARCHIVE_BUSY_TIMEOUT`` in the environment overrides it.
BUSY_TIMEOUT = 30.0

ARTICLE_COLUMNS: dict[str, type] = {
    "url": str,
    "site": str,
    "title": str,
    "published_at": str,
    "source": str,
    "author": str,
    "editor": str,
    "body": str,
    "fetched_at": str,
    "archived_at": str,
    "crawl_id": int,
    "duplicate_of": str,
    "pages_missing": int,
}


#: Per-site extraction health recorded with each run (share of new articles, 0..1).
HEALTH_FIELDS = ("title", "body", "published_at", "source", "author")


def utcnow() -> str:
    """The current UTC time as ISO 8601 with seconds, e.g. ``2026-11-26T13:01:14Z``."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")



def create_schema(db: sqlite_utils.Database) -> None:
    """Create missing tables, columns and indexes (inside the caller's transaction)."""
    articles = db["articles"]
    if not articles.exists():
        articles.create(ARTICLE_COLUMNS, pk="url")
    else:
        have = articles.columns_dict
        for col, typ in ARTICLE_COLUMNS.items():
            if col not in have:
                articles.add_column(col, typ)
    articles.create_index(["site", "published_at"], if_not_exists=True)
    articles.create_index(["archived_at"], if_not_exists=True)
    fts.ensure_index(db)  # search index articles_fts and its triggers
    articles.create_index(["duplicate_of"], if_not_exists=True)
    if not db["pages"].exists():
        db["pages"].create(
            {"id": int, "url": str, "site": str, "final_url": str, "status": int,
             "headers": str, "fetched_at": str, "compression": str, "size": int,
             "body": bytes},
            pk="id",
        )  # fmt: skip
        db["pages"].create_index(["url", "fetched_at"])
    have = db["pages"].columns_dict
    for col in ("page_no", "first_page_id"):  # multi-page articles
        if col not in have:
            db["pages"].add_column(col, int)
    if not db["url_aliases"].exists():
        db["url_aliases"].create(
            {"alias": str, "url": str, "first_seen": str}, pk="alias"
        )
        db["url_aliases"].create_index(["url"])
    if not db["fingerprints"].exists():
        db["fingerprints"].create({"hash": int, "url": str})
        db["fingerprints"].create_index(["hash"])
        db["fingerprints"].create_index(["url"])
    if not db["shingle_sets"].exists():
        db["shingle_sets"].create({"url": str, "sketch": bytes, "shingles": bytes},
                                  pk="url")  # fmt: skip
    if not db["article_versions"].exists():
        db["article_versions"].create(
            {"id": int, "url": str, **{f: str for f in EXTRACTED_FIELDS},
             "fetched_at": str, "replaced_at": str},  # fmt: skip
            pk="id",
            foreign_keys=[("url", "articles", "url")],
        )
        db["article_versions"].create_index(["url"])
    if not db["crawls"].exists():
        db["crawls"].create(
            {"id": int, "started_at": str, "finished_at": str, "status": str,
             "sites": str, "list_pages": int, "new": int, "updated": int,
             "already_archived": int, "errors": int, "pid": int},  # fmt: skip
            pk="id",
        )
    if not db["crawl_sites"].exists():
        db["crawl_sites"].create(
            {"crawl_id": int, "site": str, "status": str, "list_pages": int, "new": int,
             "updated": int, "already_archived": int, "errors": int},  # fmt: skip
            pk=("crawl_id", "site"),
            foreign_keys=[("crawl_id", "crawls", "id")],
        )
    sites = db["crawl_sites"]
    have = sites.columns_dict
    for col, typ in {"pages": int, **{f"empty_{f}": float for f in HEALTH_FIELDS},
                     "median_body_chars": int, "health_warning": str}.items():
        if col not in have:
            sites.add_column(col, typ)  # fmt: skip
    if not db["crawl_errors"].exists():
        db["crawl_errors"].create(
            {"id": int, "crawl_id": int, "site": str, "url": str, "reason": str,
             "at": str},  # fmt: skip
            pk="id",
            foreign_keys=[("crawl_id", "crawls", "id")],
        )
        db["crawl_errors"].create_index(["crawl_id"])

