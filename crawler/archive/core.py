"""The archive: one SQLite file, written through sqlite-utils.

Tables (documented in README.md):

* ``articles``: one row per article URL (canonical). Columns are only ever added.
* ``article_versions``: the previous content of an article each time a refresh changed it.
* ``crawls``: one row per ``newsarchive crawl`` run; ``crawl_sites`` its per-site counts
  and extraction health; ``crawl_errors`` every page that failed, with its URL and reason.
* ``pages``: every fetched article response, exactly as received, compressed
  (:mod:`crawler.archive.compression`: Zstandard; ``zlib`` rows from older versions are read too).
* ``fingerprints``: the bottom-k shingle sketch of each body, to find syndicated copies
  (``articles.duplicate_of``); ``shingle_sets`` the full packed shingle set of each body,
  to confirm them without re-reading archived bodies.
* ``url_aliases``: every other URL that led to an article (redirects, ``rel=canonical``,
  tracking-parameter variants, continuation pages), ``alias -> url``.
* ``pages.page_no`` / ``pages.first_page_id``: the pages of a multi-page article.

Every write is its own transaction, so a killed crawl keeps every article already stored.
The file is in WAL mode, so readers (Datasette, sqlite-utils) never block a crawl.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlite_utils

from crawler import search as fts
from crawler.archive import compression, dedupe
from crawler.errors import ArchiveError
from crawler.items import EXTRACTED_FIELDS, Article, RawPage
from crawler.urls import canonical_url

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
        self,
        path: str | Path,
        *,
        readonly: bool = False,
        timeout: float | None = None,
        create: bool = True,
    ) -> None:
        """Open the archive at ``path``; ``readonly`` opens it read-only (SQLite
        ``mode=ro``, or ``immutable=1`` on a read-only location: :func:`connect_readonly`),
        and ``create=False`` (commands that update an existing archive) refuses to make
        one where there is none. Raises :class:`ArchiveError` (exit 3)."""
        self.path = Path(path)
        self.readonly = readonly
        self._batch: list[tuple[Article, int | None]] = []
        self._batch_started = 0.0
        #: The duplicate check's work since opening: ``rows`` read from SQLite, shingle
        #: sets ``unpacked``, archived bodies ``reshingled`` (old rows only).
        self.dedupe_work: Counter[str] = Counter()
        timeout = busy_timeout() if timeout is None else timeout
        if self.path.is_dir():
            raise ArchiveError(f"{self.path}: is a directory, not an archive file")
        parent = self.path.parent
        if not readonly and not parent.is_dir():
            raise ArchiveError(f"{self.path}: folder {parent} does not exist")
        if (readonly or not create) and not self.path.exists():
            raise ArchiveError(f"{self.path}: no archive here (nothing has been crawled yet?)")
        try:
            if readonly:
                conn = connect_readonly(self.path, timeout)
            else:
                conn = sqlite3.connect(str(self.path), timeout=timeout)
            _prepare_connection(conn, timeout)
            self.db = sqlite_utils.Database(conn)
            conn.execute("select count(*) from sqlite_master").fetchone()
            if (readonly or not create) and not self.db["articles"].exists():
                conn.close()
                raise ArchiveError(
                    f"{self.path}: not a newsarchive archive (an SQLite file without an "
                    "articles table)"
                )
            if not readonly:
                self.ensure_schema()
        except sqlite3.Error as exc:
            raise ArchiveError(_explain(self.path, exc)) from exc

    # -- lifecycle -------------------------------------------------------------------------
    def close(self) -> None:
        """Close the connection; an open batch (:meth:`upsert_batched`) is committed first."""
        try:
            self.commit_batch()
        finally:
            self.db.conn.close()

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction. BEGIN IMMEDIATE takes the write lock up front, so a
        concurrent writer makes us wait (busy_timeout) instead of failing on upgrade;
        sqlite-utils calls inside become savepoints of this transaction."""
        conn = self.db.conn
        try:
            if conn.in_transaction:
                with self.db.atomic():
                    yield conn
                return
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
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

    # -- articles -----------------------------------------------------------------------------
    def known_urls(self, site: str | None = None) -> set[str]:
        """Every archived article URL and every alias of one (of one site, if given).

        An article with continuation pages missing (``pages_missing``) is not known, so
        the next run fetches it again, and neither are its aliases.
        """
        if not self.db["articles"].exists():
            return set()
        where = "1" if not self._has("articles", "pages_missing") else (
            "coalesce(a.pages_missing, 0) = 0")  # fmt: skip
        where += " and a.site = ?" if site else ""
        params = [site] if site else []
        rows = self.db.execute(f"select a.url from articles a where {where}", params)
        urls = {r[0] for r in rows}
        if self.db["url_aliases"].exists():
            rows = self.db.execute(
                f"select l.alias from url_aliases l join articles a on a.url = l.url where {where}",
                params,
            )
            urls.update(r[0] for r in rows)
        return urls

    def _has(self, table: str, column: str) -> bool:
        """Whether ``table`` has ``column`` (a read-only archive written by an older
        version has not been upgraded)."""
        return any(
            row[1] == column for row in self.db.execute(f"pragma table_info('{table}')")
        )

    def aliases_of(self, url: str) -> list[str]:
        """The other URLs recorded for the article ``url`` (``url_aliases``), sorted."""
        if not self.db["url_aliases"].exists():
            return []
        rows = self.db.execute("select alias from url_aliases where url = ? order by alias", [url])
        return [r[0] for r in rows]

    def resolve(self, url: str) -> str:
        """The article URL that ``url`` is an alias of, or ``url`` itself."""
        if self.db["url_aliases"].exists():
            row = self.db.execute("select url from url_aliases where alias = ?", [url]).fetchone()
            if row:
                return row[0]
        return url

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
        with self._write():
            return self._store(article, crawl_id)

    # -- batched writes (a crawl's store pipeline) -------------------------------------------
    def upsert_batched(self, article: Article, crawl_id: int | None = None) -> str:
        """:meth:`upsert_article` inside one transaction shared with the articles before
        it, until :meth:`commit_batch`. Returns the same outcome.

        One commit per batch instead of one per article saves SQLite's commit and lets
        FTS5 write its pending terms once per batch. Until the commit, a killed process
        loses the batch (the next incremental run fetches those pages again: nothing
        records them as seen); committed rows are never lost. If an article fails, the
        batch is rolled back and its articles are written again one transaction each, so
        only the failing one is lost, with its error raised.
        """
        if not article.url:
            raise ValueError("an article needs a url")
        conn = self.db.conn
        try:
            if not conn.in_transaction:
                conn.execute("BEGIN IMMEDIATE")
                self._batch_started = time.monotonic()
            outcome = self._store(article, crawl_id)
        except Exception:  # a half-written article must not be committed with the batch
            self._replay_batch()
            return self.upsert_article(article, crawl_id)
        self._batch.append((article, crawl_id))
        return outcome

    def batch_size(self) -> int:
        """How many articles the open batch holds (0: no batch)."""
        return len(self._batch)

    def batch_age(self) -> float:
        """Seconds since the open batch began (0.0: no batch)."""
        return time.monotonic() - self._batch_started if self._batch else 0.0

    def commit_batch(self) -> None:
        """Commit the articles of :meth:`upsert_batched` (nothing to do without a batch)."""
        if not self._batch:
            return
        try:
            self.db.conn.execute("COMMIT")
        except sqlite3.Error:
            self._replay_batch()
        self._batch = []

    def _replay_batch(self) -> None:
        """Roll the batch back and write its articles again, one transaction each. Raises
        the first :class:`ArchiveError` after trying them all."""
        conn = self.db.conn
        try:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
        except sqlite3.Error as exc:
            raise ArchiveError(_explain(self.path, exc)) from exc
        pending, self._batch = self._batch, []
        first: ArchiveError | None = None
        for article, crawl_id in pending:
            try:
                self.upsert_article(article, crawl_id)
            except ArchiveError as exc:
                first = first or exc
        if first is not None:
            raise first

    def _store(self, article: Article, crawl_id: int | None) -> str:
        """The raw page(s), if attached, then the article and its aliases, inside the
        caller's transaction. An alias that is an archived article of its own (stored
        before its final URL was known) is merged into this one."""
        if article.page is not None:
            first = self._insert_page(article.page)
            for page in article.extra_pages:
                self._insert_page(page, first_page_id=first)
        outcome = self._upsert(article, crawl_id)
        if article.aliases:
            assert article.url is not None
            self._add_aliases(article.url, article.aliases)
        return outcome

    # -- aliases ----------------------------------------------------------------------------
    def add_aliases(self, url: str, aliases: Iterable[str]) -> None:
        """Record ``aliases`` as other URLs of the article ``url``, in one transaction."""
        with self._write():
            self._add_aliases(url, aliases)

    def _add_aliases(self, url: str, aliases: Iterable[str]) -> None:
        conn = self.db.conn
        now = utcnow()
        row = conn.execute("select url from url_aliases where alias = ?", [url]).fetchone()
        if row and not conn.execute("select 1 from articles where url = ?", [url]).fetchone():
            url = row[0]  # ``url`` is itself an alias (a redirect hop): point at its article
        for alias in dict.fromkeys(a for a in aliases if a and a != url):
            if conn.execute("select 1 from articles where url = ?", [alias]).fetchone():
                self._merge(alias, url)
            conn.execute(
                "insert into url_aliases (alias, url, first_seen) values (?, ?, ?)"
                " on conflict (alias) do update set url = excluded.url",
                [alias, url, now],
            )
        # an article that became an alias of another: its aliases follow it
        conn.execute("update url_aliases set url = ? where url in"
                     " (select alias from url_aliases where url = ?)", [url, url])  # fmt: skip
        conn.execute("delete from url_aliases where alias = ?", [url])

    def rekey(self, old: str, new: str) -> str:
        """Move the article ``old`` to the URL ``new`` (its final or canonical URL), in
        one transaction: ``old`` becomes an alias; when ``new`` is archived already the
        two rows are merged (see :meth:`_merge`). Returns ``"rekeyed"`` or ``"merged"``."""
        with self._write() as conn:
            exists = conn.execute("select 1 from articles where url = ?", [new]).fetchone()
            outcome = "merged" if exists else "rekeyed"
            if outcome == "rekeyed":
                conn.execute("pragma defer_foreign_keys = on")  # versions follow below
                conn.execute("update articles set url = ? where url = ?", [new, old])
                self._repoint(old, new)
            self._add_aliases(new, [old])
            return outcome

    def _merge(self, old: str, new: str) -> None:
        """Fold the article row ``old`` into the row ``new`` (both exist): ``old``'s
        content goes to ``article_versions`` of ``new``, its pages, versions and the
        copies linked to it move to ``new``, and the row is deleted. Nothing is lost."""
        conn = self.db.conn
        columns = (*EXTRACTED_FIELDS, "fetched_at")
        row = conn.execute(
            f"select {', '.join(columns)} from articles where url = ?", [old]
        ).fetchone()
        if row is None:
            return
        self._insert("article_versions", {"url": new, **dict(zip(columns, row, strict=True)),
                                          "replaced_at": utcnow()})  # fmt: skip
        conn.execute("delete from fingerprints where url = ?", [old])
        conn.execute("delete from shingle_sets where url = ?", [old])
        self._repoint(old, new)
        conn.execute("delete from articles where url = ?", [old])

    def _repoint(self, old: str, new: str) -> None:
        conn = self.db.conn
        conn.execute("update article_versions set url = ? where url = ?", [new, old])
        conn.execute("update pages set url = ? where url = ?", [new, old])
        conn.execute("update fingerprints set url = ? where url = ?", [new, old])
        conn.execute("update shingle_sets set url = ? where url = ?", [new, old])
        conn.execute("update articles set duplicate_of = ? where duplicate_of = ?", [new, old])
        conn.execute("update articles set duplicate_of = null where url = duplicate_of")

    def _upsert(self, article: Article, crawl_id: int | None) -> str:
        """The article row, inside the caller's transaction."""
        buffers = article.fts_buffers or (None, None)
        with fts.pretokenized((article.title, buffers[0]), (article.body, buffers[1])):
            return self._upsert_row(article, crawl_id)

    def _upsert_row(self, article: Article, crawl_id: int | None) -> str:
        record = article.to_dict()
        record["fetched_at"] = record.get("fetched_at") or utcnow()
        columns = ", ".join((*EXTRACTED_FIELDS, "fetched_at"))
        old = self.db.conn.execute(
            f"select {columns} from articles where url = ?", [article.url]
        ).fetchone()
        if old is None:
            record["archived_at"] = utcnow()
            record["crawl_id"] = crawl_id
            record["duplicate_of"] = self._link_duplicate(
                article.url, article.body or "", article.fingerprint
            )
            self._insert("articles", record)
            return "new"
        previous = dict(zip((*EXTRACTED_FIELDS, "fetched_at"), old, strict=True))
        missing = self.db.conn.execute(
            "select pages_missing from articles where url = ?", [article.url]
        ).fetchone()[0]
        if all(previous[f] == record[f] for f in EXTRACTED_FIELDS):
            if (missing or 0) != (article.pages_missing or 0):
                self.db["articles"].update(article.url, {"pages_missing": article.pages_missing})
                return "updated"
            return "unchanged"
        self._insert("article_versions", {"url": article.url, **previous, "replaced_at": utcnow()})
        update = {f: record[f] for f in (*EXTRACTED_FIELDS, "fetched_at", "site", "pages_missing")}
        if previous["body"] != record["body"]:
            update["duplicate_of"] = self._link_duplicate(
                article.url, article.body or "", article.fingerprint
            )
        self.db["articles"].update(article.url, update)
        return "updated"

    def apply_extraction(self, article: Article) -> tuple[str, list[str]]:
        """Store a re-extracted article: ``(outcome, changed field names)``.

        Like :meth:`upsert_article` (previous content goes to ``article_versions``), and
        an article whose body did not change but has no fingerprint yet (an archive
        written by an older version) gets one, with its ``duplicate_of`` link.
        """
        with self._write() as conn:
            row = conn.execute(
                f"select {', '.join(EXTRACTED_FIELDS)} from articles where url = ?",
                [article.url],
            ).fetchone()
            changed = (
                list(EXTRACTED_FIELDS)
                if row is None
                else [f for f, old in zip(EXTRACTED_FIELDS, row, strict=True)
                      if old != getattr(article, f)]  # fmt: skip
            )
            outcome = self._upsert(article, None)
            if outcome != "new":  # a new body got its fingerprint and set just now
                self._upgrade_fingerprint(article)
            return outcome, changed

    def _upgrade_fingerprint(self, article: Article) -> None:
        """Bring an article whose body did not change, written by an older version, up to
        date: without a fingerprint it gets one and its ``duplicate_of`` link; with a
        fingerprint but no stored shingle set it gets the set (its link stays: the same
        check made it)."""
        conn = self.db.conn
        has_print = conn.execute(
            "select 1 from fingerprints where url = ? limit 1", [article.url]
        ).fetchone()
        if not has_print:
            link = self._link_duplicate(article.url, article.body or "", article.fingerprint)
            conn.execute("update articles set duplicate_of = ? where url = ?", [link, article.url])
            return
        if conn.execute("select 1 from shingle_sets where url = ?", [article.url]).fetchone():
            return
        mine = article.fingerprint or dedupe.fingerprint(article.body or "")
        if mine is not None:
            conn.execute(
                "insert into shingle_sets (url, sketch, shingles) values (?, ?, ?)",
                [article.url, dedupe.pack(mine.sketch), mine.packed],
            )

    def _insert(self, table: str, record: dict[str, Any]) -> None:
        """A plain parameterised INSERT into a table the schema created (the hot path:
        sqlite-utils' ``Table.insert`` introspects the table on every call)."""
        names = ", ".join(f'"{k}"' for k in record)
        marks = ", ".join("?" * len(record))
        self.db.conn.execute(
            f'insert into "{table}" ({names}) values ({marks})', list(record.values())
        )

    # -- raw pages ----------------------------------------------------------------------------
    def store_page(self, page: RawPage) -> None:
        """Keep a fetched response that produced no article (it can be re-extracted later)."""
        with self._write():
            self._insert_page(page)

    def _insert_page(self, page: RawPage, first_page_id: int | None = None) -> int:
        """Insert one response; returns its ``pages.id``. A continuation page of a
        multi-page article names its group's first page (``first_page_id``)."""
        if page.compressed is not None and page.compression:
            codec, data = page.compression, page.compressed
        else:
            codec, data = compression.compress(page.body)
        self._insert(
            "pages",
            {"url": page.url, "site": page.site, "final_url": page.final_url,
             "status": page.status,
             "headers": json.dumps(page.headers, ensure_ascii=False),
             "fetched_at": page.fetched_at, "compression": codec, "size": len(page.body),
             "body": data, "page_no": page.page_no, "first_page_id": first_page_id}  # fmt: skip
        )
        return int(self.db.conn.execute("select last_insert_rowid()").fetchone()[0])

    def is_first_page(self, page_id: int) -> bool:
        """Whether the stored page ``page_id`` is an article's first (or only) page."""
        row = self.db.execute("select first_page_id from pages where id = ?", [page_id]).fetchone()
        return row is not None and row[0] is None

    def adopt_pages(self, first_page_id: int, url: str, links: dict[int, str]) -> int:
        """Make the stored pages of ``links`` (``{page number: URL}``, pages 2, 3, ... of
        the article ``url`` whose first page is ``first_page_id``) that an older crawl
        archived as articles of their own part of the article: their pages join its
        group, their rows are merged into it (:meth:`_merge`) and their URLs become
        aliases. One transaction; returns how many pages were adopted."""
        with self._write() as conn:
            if not conn.execute("select 1 from articles where url = ?", [url]).fetchone():
                return 0
            adopted = 0
            for n, link in sorted(links.items()):
                page_url = canonical_url(link)
                if page_url == url or not conn.execute(
                    "select 1 from pages where url = ? and first_page_id is null", [page_url]
                ).fetchone():
                    continue
                conn.execute(
                    "update pages set url = ?, page_no = ?, first_page_id = ?"
                    " where url = ? and first_page_id is null",
                    [url, n, first_page_id, page_url],
                )
                self._add_aliases(url, [page_url])  # merges its row, if it has one
                adopted += 1
            return adopted

    def page_group(self, first_page_id: int) -> list[RawPage]:
        """The continuation pages stored with the first page ``first_page_id``, in page
        order (empty for a one-page article)."""
        rows = self.db.query(
            "select * from pages where first_page_id = ? order by page_no, id", [first_page_id]
        )
        return [page_from_row(row) for row in rows]

    def page_ids(self, site: str | None = None, since: str | None = None) -> list[int]:
        """Ids of the latest stored response of every URL (of ``site``, fetched since
        ``since``), oldest first: what ``reextract`` and ``export-warc`` work on."""
        first = " and q.first_page_id is null" if self._has("pages", "first_page_id") else ""
        sql = (
            "select id from pages p"
            f" where p.id = (select max(id) from pages q where q.url = p.url{first})"
        )
        params: list[Any] = []
        if site:
            sql += " and p.site = ?"
            params.append(site)
        if since:
            sql += " and p.fetched_at >= ?"
            params.append(since)
        return [row[0] for row in self.db.execute(sql + " order by p.id", params)]

    def iter_pages(
        self,
        site: str | None = None,
        since: str | None = None,
        unreadable: list[tuple[str, str]] | None = None,
        continuations: bool = False,
    ) -> Iterator[RawPage]:
        """The latest stored response of every URL, filtered like :meth:`page_ids`, each
        followed by its multi-page article's continuation pages if ``continuations``.

        A page whose stored body cannot be decompressed (a damaged row) is skipped and
        ``(url, reason)`` appended to ``unreadable`` when given; without it, it raises
        :class:`ArchiveError` naming the page.
        """
        continuations = continuations and self._has("pages", "first_page_id")
        for page_id in self.page_ids(site, since):
            sql = "select * from pages where id = ?"
            if continuations:
                sql += " or first_page_id = ? order by coalesce(page_no, 1), id"
            params = [page_id, page_id] if continuations else [page_id]
            for row in self.db.query(sql, params):
                try:
                    yield page_from_row(row)
                except ValueError as exc:
                    if unreadable is None:
                        raise ArchiveError(
                            f"{self.path}: stored page {row['url']} (pages.id {page_id}): {exc}"
                        ) from None
                    unreadable.append((row["url"], str(exc)))

    # -- syndicated copies ------------------------------------------------------------------
    def _link_duplicate(
        self, url: str, body: str, mine: dedupe.Fingerprint | None = None
    ) -> str | None:
        """Store ``url``'s fingerprint and shingle set; return the earliest archived article
        it copies.

        ``mine`` is ``dedupe.fingerprint(body)`` if the caller has it already (the crawl's
        extraction worker computes it, off the crawl process). The work is bounded
        whatever the archive holds: at most ``CANDIDATES_PER_HASH`` fingerprint rows per
        sketch hash, then at most ``MAX_CANDIDATES`` candidates (one query), each confirmed
        on its stored shingle set (one row) unless it could not change the result (its
        root is no earlier than the one found). Only a candidate archived by a version without
        ``shingle_sets`` (no row there) is confirmed on its body's text, as before.
        :attr:`dedupe_work` counts the rows read and the sets unpacked.
        """
        conn = self.db.conn
        work = self.dedupe_work
        conn.execute("delete from fingerprints where url = ?", [url])
        conn.execute("delete from shingle_sets where url = ?", [url])
        if mine is None:
            mine = dedupe.fingerprint(body)
        if mine is None:
            return None
        hashes = list(mine.sketch)
        conn.executemany(
            "insert into fingerprints (hash, url) values (?, ?)", [(h, url) for h in hashes]
        )
        conn.execute(
            "insert into shingle_sets (url, sketch, shingles) values (?, ?, ?)",
            [url, dedupe.pack(hashes), mine.packed],
        )
        # Each sketch hash is looked up on its own, newest rows first and at most
        # CANDIDATES_PER_HASH of them: a very common 4-gram cannot make every insert
        # read more rows as the archive grows, and a real copy shares about half its
        # sketch, so its rarer hashes still find it. SQLite counts the shared hashes;
        # the first row returned is the number of fingerprint rows the lookups read
        # (SQLite 3.35+ materialises a CTE used twice; older ones compute it twice).
        per_hash = (
            "select url from fingerprints where hash = ?"
            f" order by rowid desc limit {int(dedupe.CANDIDATES_PER_HASH)}"
        )
        hits = " union all ".join([f"select * from ({per_hash})"] * len(hashes))
        found = conn.execute(
            f"with hits as ({hits})"
            " select null, count(*) from hits union all"
            " select * from (select url, count(*) as n from hits where url != ? group by url"
            f" having n >= ? order by n desc, url limit {int(dedupe.MAX_CANDIDATES)})",
            [*hashes, url, dedupe.MIN_SHARED],
        ).fetchall()  # fmt: skip
        work["rows"] += found[0][1] + len(found) - 1
        candidates = [r[0] for r in found[1:]]
        if not candidates:
            return None
        # One query for every candidate: its date, its root's date, its stored sketch.
        rows = {r[0]: r[1:] for r in conn.execute(
            "select a.url, a.archived_at, a.duplicate_of, r.url is not null, r.archived_at,"
            " s.sketch, s.url is not null from articles a"
            " left join articles r on r.url = a.duplicate_of"
            " left join shingle_sets s on s.url = a.url"
            f" where a.url in ({', '.join('?' * len(candidates))})",
            candidates,
        )}  # fmt: skip
        work["rows"] += len(rows) + sum(1 for r in rows.values() if r[2])
        mine_set: set[int] | None = None
        best: tuple[str, str] | None = None  # (archived_at, root url)
        for other in candidates:
            row = rows.get(other)
            if row is None:
                continue
            archived_at, root, has_root, root_archived_at, their_sketch, stored = row
            root = root or other
            if root == url:
                continue  # a copy of this very article (its body changed): no self-link
            archived = (root_archived_at if has_root else archived_at) if root != other \
                else archived_at  # fmt: skip
            if best is not None and not (archived or "") < best[0]:
                continue  # confirmed or not, it could not replace the earliest root found
            if stored:
                theirs = dedupe.unpack_sketch(their_sketch)
            else:  # archived before shingle sets were stored: its fingerprint rows
                theirs = [r[0] for r in conn.execute(
                    "select hash from fingerprints where url = ?", [other])]  # fmt: skip
                work["rows"] += len(theirs)
            if dedupe.estimate(hashes, theirs) < dedupe.ESTIMATE_FLOOR:
                continue  # cheap rejection before the full sets
            if mine_set is None:
                mine_set = mine.shingles()
                work["unpacked"] += 1
            if stored:
                (packed,) = conn.execute(
                    "select shingles from shingle_sets where url = ?", [other]
                ).fetchone()
                work["rows"] += 1
                work["unpacked"] += 1
                same = dedupe.same_story_packed(mine_set, packed)
            else:
                (text,) = conn.execute(
                    "select body from articles where url = ?", [other]
                ).fetchone()
                work["rows"] += 1
                work["reshingled"] += 1
                same = dedupe.same_story(mine_set, dedupe.shingles(text or ""))
            if same:
                best = (archived or "", root)
        return best[1] if best else None

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
        """Close a run: its status, the per-site counts and extraction health."""
        keys = ("list_pages", "new", "updated", "already_archived", "errors")
        health_keys = ("pages", *(f"empty_{f}" for f in HEALTH_FIELDS), "median_body_chars",
                       "health_warning")  # fmt: skip
        totals = {k: sum(int(s.get(k, 0)) for s in per_site.values()) for k in keys}
        with self._write():
            for site, counts in per_site.items():
                self.db["crawl_sites"].upsert(
                    {"crawl_id": crawl_id, "site": site, "status": counts.get("status", status),
                     **{k: int(counts.get(k, 0)) for k in keys},
                     **{k: counts.get(k) for k in health_keys if k in counts}},  # fmt: skip
                    pk=("crawl_id", "site"),
                )
            self.db["crawls"].update(
                crawl_id, {"finished_at": utcnow(), "status": status, **totals}
            )

    def health_history(self, site: str, limit: int = 10) -> list[dict[str, Any]]:
        """Extraction health of the site's most recent finished runs, newest first."""
        return list(
            self.db.query(
                "select s.* from crawl_sites s join crawls c on c.id = s.crawl_id"
                " where s.site = ? and c.finished_at is not null and s.pages is not null"
                " order by s.crawl_id desc limit ?",
                [site, limit],
            )
        )

    def health_warning(self, site: str, current: dict[str, Any]) -> str | None:
        """A warning when this run's extraction health departs from the site's history."""
        from crawler.archive import health

        return health.check(current, self.health_history(site, health.HISTORY_RUNS))

    def mark_stale_crawls(self) -> int:
        """Runs left 'running' by a killed process become 'interrupted'. Returns how many."""
        with self._write() as conn:
            cur = conn.execute(
                "update crawls set status = 'interrupted' where status = 'running'"
            )
            return cur.rowcount

    def last_run_cut_short(self, site: str, before: int | None = None) -> bool:
        """Whether the last run that crawled ``site`` (before run ``before``) was killed,
        interrupted or failed: its list pages were not all walked, so the next run must
        page through them all instead of stopping at the first one with nothing new."""
        if not self.db["crawls"].exists():
            return False
        rows = self.db.execute(
            "select c.status from crawls c, json_each(c.sites) s where s.value = ?"
            " and c.id < ? and c.status != 'running' order by c.id desc limit 1",
            [site, before if before is not None else 1 << 62],
        ).fetchall()
        return bool(rows) and rows[0][0] in ("interrupted", "failed")

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
                    "health_warning": last.get("health_warning") if last else None,
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


def page_from_row(row: dict[str, Any]) -> RawPage:
    body = compression.decompress(row.get("compression"), row["body"] or b"")
    return RawPage(
        url=row["url"], site=row.get("site"), final_url=row["final_url"], status=row["status"],
        headers=json.loads(row["headers"] or "{}"), body=body, fetched_at=row["fetched_at"],
        page_no=row.get("page_no") or 1,
    )  # fmt: skip


def connect_readonly(path: Path, timeout: float) -> sqlite3.Connection:
    """A read-only connection to the archive at ``path`` that never writes a byte.

    SQLite's ``mode=ro`` first. In WAL mode that still needs the ``-shm`` file; where it
    cannot be created (a read-only share, mount or folder) and no ``-wal`` file holds
    changes, the file is opened ``immutable=1`` (nothing can be writing it there). With
    a ``-wal`` it cannot read, the error says so and what to do.
    """
    uri = path.resolve().as_uri()
    conn = sqlite3.connect(uri + "?mode=ro", uri=True, timeout=timeout)
    try:
        conn.execute("select count(*) from sqlite_master").fetchone()
        return conn
    except sqlite3.OperationalError:
        conn.close()
        if os.access(path.parent, os.W_OK):
            raise
    wal = path.with_name(path.name + "-wal")
    if wal.exists() and wal.stat().st_size > 0:
        raise ArchiveError(
            f"{path}: the archive is in a read-only place and {wal.name} holds changes "
            f"that SQLite cannot read without creating {path.name}-shm there; copy the "
            "archive with its -wal file somewhere writable, or checkpoint it where it is "
            f"written (sqlite3 {path.name} 'pragma wal_checkpoint(truncate)')"
        )
    return sqlite3.connect(uri + "?immutable=1", uri=True, timeout=timeout)


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
    # In WAL mode NORMAL syncs at checkpoints, not at every commit: a killed process
    # loses nothing committed; a power cut may lose the last commits, which the next
    # incremental run fetches again because they are not in the archive.
    conn.execute("pragma synchronous = normal")
    fts.register(conn)  # the search tokenizer, needed by every write to articles
