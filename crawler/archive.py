"""The archive: one SQLite file, written through sqlite-utils.

Tables (documented in README.md):

* ``articles``: one row per article URL (canonical). Columns are only ever added.
* ``article_versions``: the previous content of an article each time a refresh changed it.
* ``crawls``: one row per ``newsarchive crawl`` run; ``crawl_sites`` its per-site counts;
  ``crawl_errors`` every page that failed, with its URL and reason.

Every write is its own transaction, so a killed crawl keeps every article already stored.
The file is in WAL mode, so readers (Datasette, sqlite-utils) never block a crawl.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlite_utils

from crawler.errors import ArchiveError
from crawler.items import EXTRACTED_FIELDS, Article

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
}


def utcnow() -> str:
    """The current UTC time as ISO 8601 with seconds, e.g. ``2026-11-26T13:01:14Z``."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _explain(path: Path, exc: sqlite3.Error) -> str:
    text = str(exc)
    if "file is not a database" in text or "malformed" in text:
        return f"{path}: not a usable SQLite archive ({text}); is it corrupt or another file?"
    if "readonly" in text or "read-only" in text:
        return f"{path}: cannot write the archive ({text}); check file permissions"
    if "locked" in text or "busy" in text:
        return f"{path}: the archive is locked by another writer and stayed busy ({text})"
    if "unable to open" in text:
        return f"{path}: cannot open the archive ({text}); check the path and permissions"
    return f"{path}: {text}"


class Archive:
    """An open archive file.

    >>> with Archive(tmp / "archive.db") as archive:      # doctest: +SKIP
    ...     archive.upsert_article(Article(url="http://a/1", site="a", title="t", body="b"))
    'new'
    """

    def __init__(
        self, path: str | Path, *, readonly: bool = False, timeout: float | None = None
    ) -> None:
        self.path = Path(path)
        self.readonly = readonly
        timeout = busy_timeout() if timeout is None else timeout
        if self.path.is_dir():
            raise ArchiveError(f"{self.path}: is a directory, not an archive file")
        parent = self.path.parent
        if not readonly and not parent.is_dir():
            raise ArchiveError(f"{self.path}: folder {parent} does not exist")
        if readonly and not self.path.exists():
            raise ArchiveError(f"{self.path}: no archive here (nothing has been crawled yet?)")
        try:
            if readonly:
                uri = self.path.resolve().as_uri() + "?mode=ro"
                conn = sqlite3.connect(uri, uri=True, timeout=timeout)
            else:
                conn = sqlite3.connect(str(self.path), timeout=timeout)
            _prepare_connection(conn, timeout)
            self.db = sqlite_utils.Database(conn)
            conn.execute("select count(*) from sqlite_master").fetchone()
            if not readonly:
                self.ensure_schema()
        except sqlite3.Error as exc:
            raise ArchiveError(_explain(self.path, exc)) from exc

    # -- lifecycle -------------------------------------------------------------------------
    def close(self) -> None:
        self.db.conn.close()

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        try:
            with self.db.conn as conn:
                yield conn
        except sqlite3.Error as exc:
            raise ArchiveError(_explain(self.path, exc)) from exc

    # -- schema ------------------------------------------------------------------------------
    def ensure_schema(self) -> None:
        """Create missing tables, columns and indexes. Never drops or renames anything."""
        db = self.db
        if db.journal_mode != "wal":
            db.enable_wal()
        with self._write():
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
            from crawler import fts

            fts.ensure_index(db)  # search index articles_fts and its triggers
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
            if not db["crawl_errors"].exists():
                db["crawl_errors"].create(
                    {"id": int, "crawl_id": int, "site": str, "url": str, "reason": str,
                     "at": str},  # fmt: skip
                    pk="id",
                    foreign_keys=[("crawl_id", "crawls", "id")],
                )
                db["crawl_errors"].create_index(["crawl_id"])

    # -- articles -----------------------------------------------------------------------------
    def known_urls(self, site: str | None = None) -> set[str]:
        """Every archived article URL (of one site, if given)."""
        if not self.db["articles"].exists():
            return set()
        if site is None:
            rows = self.db.execute("select url from articles")
        else:
            rows = self.db.execute("select url from articles where site = ?", [site])
        return {r[0] for r in rows}

    def get_article(self, url: str) -> Article | None:
        rows = list(self.db.query("select * from articles where url = ?", [url]))
        if not rows:
            return None
        names = set(Article.field_names())
        return Article(**{k: v for k, v in rows[0].items() if k in names})

    def upsert_article(self, article: Article, crawl_id: int | None = None) -> str:
        """Store an article. Returns ``"new"``, ``"updated"`` or ``"unchanged"``.

        An article whose extracted fields changed keeps its previous content in
        ``article_versions``. The write is one transaction.
        """
        if not article.url:
            raise ValueError("an article needs a url")
        record = article.to_dict()
        record["fetched_at"] = record.get("fetched_at") or utcnow()
        with self._write() as conn:
            columns = ", ".join((*EXTRACTED_FIELDS, "fetched_at"))
            old = conn.execute(
                f"select {columns} from articles where url = ?", [article.url]
            ).fetchone()
            if old is None:
                record["archived_at"] = utcnow()
                record["crawl_id"] = crawl_id
                self.db["articles"].insert(record)
                return "new"
            previous = dict(zip((*EXTRACTED_FIELDS, "fetched_at"), old, strict=True))
            if all(previous[f] == record[f] for f in EXTRACTED_FIELDS):
                return "unchanged"
            self.db["article_versions"].insert(
                {"url": article.url, **previous, "replaced_at": utcnow()}
            )
            update = {f: record[f] for f in (*EXTRACTED_FIELDS, "fetched_at", "site")}
            self.db["articles"].update(article.url, update)
            return "updated"

    def urls_to_refresh(self, site: str, since: str | None = None) -> list[str]:
        """Archived URLs of ``site`` (published on or after ``since``, if given)."""
        sql = "select url from articles where site = ?"
        params: list[Any] = [site]
        if since:
            sql += " and published_at >= ?"
            params.append(since)
        return [r[0] for r in self.db.execute(sql + " order by url", params)]

    # -- run log ------------------------------------------------------------------------------
    def start_crawl(self, sites: Iterable[str], pid: int | None = None) -> int:
        with self._write():
            table = self.db["crawls"]
            table.insert(
                {"started_at": utcnow(), "status": "running", "sites": json.dumps(list(sites),
                 ensure_ascii=False), "list_pages": 0, "new": 0, "updated": 0,
                 "already_archived": 0, "errors": 0, "pid": pid}  # fmt: skip
            )
            return int(table.last_pk)

    def record_error(self, crawl_id: int | None, site: str, url: str, reason: str) -> None:
        with self._write():
            self.db["crawl_errors"].insert(
                {"crawl_id": crawl_id, "site": site, "url": url, "reason": reason, "at": utcnow()}
            )

    def finish_crawl(self, crawl_id: int, status: str, per_site: dict[str, dict[str, Any]]) -> None:
        """Close a run: its status and the per-site counts."""
        keys = ("list_pages", "new", "updated", "already_archived", "errors")
        totals = {k: sum(int(s.get(k, 0)) for s in per_site.values()) for k in keys}
        with self._write():
            for site, counts in per_site.items():
                self.db["crawl_sites"].upsert(
                    {"crawl_id": crawl_id, "site": site, "status": counts.get("status", status),
                     **{k: int(counts.get(k, 0)) for k in keys}},  # fmt: skip
                    pk=("crawl_id", "site"),
                )
            self.db["crawls"].update(
                crawl_id, {"finished_at": utcnow(), "status": status, **totals}
            )

    def mark_stale_crawls(self) -> int:
        """Runs left 'running' by a killed process become 'interrupted'. Returns how many."""
        with self._write() as conn:
            cur = conn.execute(
                "update crawls set status = 'interrupted' where status = 'running'"
            )
            return cur.rowcount

    # -- stats -------------------------------------------------------------------------------
    def site_stats(self) -> list[dict[str, Any]]:
        """Per site: totals, new in the last run and last 7 days, last good run, last errors."""
        week_ago = (datetime.now(UTC) - timedelta(days=7)).strftime("%Y-%m-%dT%H:%M:%SZ")
        out = []
        for row in self.db.query(
            "select site, count(*) as articles, max(archived_at) as newest,"
            " sum(archived_at >= ?) as new_7d from articles group by site order by site",
            [week_ago],
        ):
            site = row["site"]
            last = self._last_site_run(site)
            good = self._last_site_run(site, status="ok")
            out.append(
                {
                    "site": site,
                    "articles": row["articles"],
                    "new_last_run": last["new"] if last else 0,
                    "new_7_days": row["new_7d"] or 0,
                    "last_run": last["finished_at"] if last else None,
                    "last_run_status": last["status"] if last else None,
                    "last_ok_run": good["finished_at"] if good else None,
                    "errors_last_run": last["errors"] if last else 0,
                }
            )
        return out

    def _last_site_run(self, site: str, status: str | None = None) -> dict[str, Any] | None:
        if not self.db["crawl_sites"].exists():
            return None
        sql = (
            "select s.*, c.finished_at from crawl_sites s join crawls c on c.id = s.crawl_id"
            " where s.site = ?"
        )
        params: list[Any] = [site]
        if status:
            sql += " and s.status = ?"
            params.append(status)
        rows = list(self.db.query(sql + " order by c.id desc limit 1", params))
        return rows[0] if rows else None


def busy_timeout() -> float:
    """``NEWSARCHIVE_BUSY_TIMEOUT`` (seconds) when set to a number, else :data:`BUSY_TIMEOUT`."""
    try:
        return max(0.0, float(os.environ.get("NEWSARCHIVE_BUSY_TIMEOUT", BUSY_TIMEOUT)))
    except ValueError:
        return BUSY_TIMEOUT


def _prepare_connection(conn: sqlite3.Connection, timeout: float | None = None) -> None:
    """Per-connection setup shared by every connection the archive opens."""
    timeout = busy_timeout() if timeout is None else timeout
    conn.execute(f"pragma busy_timeout = {int(timeout * 1000)}")
    conn.execute("pragma foreign_keys = on")
    from crawler import fts

    fts.register(conn)  # the search tokenizer, needed by every write to articles
