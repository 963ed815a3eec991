"""Raw pages: every fetched response, compressed, kept for re-extraction and WARC
export (a mixin of :class:`crawler.archive.Archive`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from crawler.archive import compression
from crawler.errors import ArchiveError
from crawler.items import RawPage
from crawler.urls import canonical_url


class RawPages:
    """The ``pages`` table: store, group, list and read back raw pages."""

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



def page_from_row(row: dict[str, Any]) -> RawPage:
    body = compression.decompress(row.get("compression"), row["body"] or b"")
    return RawPage(
        url=row["url"], site=row.get("site"), final_url=row["final_url"], status=row["status"],
        headers=json.loads(row["headers"] or "{}"), body=body, fetched_at=row["fetched_at"],
        page_no=row.get("page_no") or 1,
    )  # fmt: skip


