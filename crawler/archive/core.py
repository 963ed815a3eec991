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

import os
import sqlite3
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlite_utils

from crawler import search as fts
from crawler.archive import dedupe
from crawler.archive.copies import SyndicatedCopies
from crawler.archive.pages import RawPages
from crawler.archive.runlog import RunLog
from crawler.archive.schema import (
    BUSY_TIMEOUT,
    create_schema,
    utcnow,
)
from crawler.errors import ArchiveError
from crawler.items import EXTRACTED_FIELDS, Article


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


class Archive(RawPages, SyndicatedCopies, RunLog):
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
            create_schema(db)

    # -- articles -----------------------------------------------------------------------------
    def has_site(self, site: str) -> bool:
        """Whether any archived article belongs to ``site`` (an index lookup)."""
        row = self.db.execute("select 1 from articles where site = ? limit 1", [site]).fetchone()
        return row is not None

    def site_names(self) -> list[str]:
        """The sites of the archived articles, sorted."""
        return [r[0] for r in self.db.execute(
            "select distinct site from articles where site is not null order by site")]  # fmt: skip

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
