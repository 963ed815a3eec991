"""Re-run the current extractor on stored pages, without the network.

The library behind ``newsarchive reextract``. Pages are decompressed and extracted
in a process pool (every core by default); the parent process alone writes to the
archive, one transaction per batch. Each run is recorded in ``reextracts`` with the
number of changes per field.

It also gives each article its identity (issue 17) in archives written before it
existed: a row keyed by the URL that was linked, whose stored page shows a different
final URL (a same-site redirect) or declares another ``rel=canonical`` / ``og:url``, is
moved to that URL, the old key becoming an alias (``url_aliases``); rows that turn out to
be one article are merged, the merged-away content kept in ``article_versions``. A
multi-page article is re-extracted from all its stored pages, in order.
"""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from crawler import multipage, quality
from crawler.archive import Archive, utcnow
from crawler.items import EXTRACTED_FIELDS, Article
from crawler.urls import article_identity, canonical_url, declared_canonical

#: Pages sent to a worker at a time.
BATCH = 64


@dataclass
class ReextractReport:
    pages: int = 0
    updated: int = 0
    new: int = 0
    unchanged: int = 0
    failed: int = 0
    #: rows moved to their final or canonical URL, and rows merged into another
    rekeyed: int = 0
    merged: int = 0
    #: ``(url, reason)`` of stored pages that could not be read (damaged rows)
    unreadable: list[tuple[str, str]] = field(default_factory=list)
    changed_fields: Counter = field(default_factory=Counter)
    seconds: float = 0.0
    jobs: int = 1

    def summary(self) -> str:
        changes = ", ".join(f"{f} {self.changed_fields.get(f, 0)}" for f in EXTRACTED_FIELDS)
        rate = self.pages / self.seconds if self.seconds else 0.0
        return (
            f"reextract: {self.pages} pages, {self.updated} updated, {self.new} new, "
            f"{self.unchanged} unchanged, {self.failed} not articles"
            + (f", {len(self.unreadable)} unreadable" if self.unreadable else "")
            + (f", {self.rekeyed} moved to their final URL" if self.rekeyed else "")
            + (f", {self.merged} merged into another row" if self.merged else "")
            + f"; changed fields: {changes}"
            f" ({rate:.0f} pages/s, {self.jobs} processes)"
        )


def _charset(headers: dict[str, str]) -> str | None:
    for key, value in headers.items():
        if key.lower() == "content-type":
            for part in value.split(";")[1:]:
                name, _, charset = part.partition("=")
                if name.strip().lower() == "charset" and charset.strip():
                    return charset.strip().strip("\"'")
    return None


def _work(batch: list[tuple]) -> list[dict[str, Any]]:
    """In a worker: decompress and extract a batch of pages (with their continuation
    pages), and work out each article's identity."""
    from crawler.archive.compression import decompress
    from crawler.extract import extract
    from crawler.profiles import load_profile

    profiles: dict[str | None, Any] = {}
    out = []
    for page_id, url, site, compressed, headers_json, codec, fetched_at, final_url, more in batch:
        try:
            body = decompress(codec, compressed)
            more_bodies = [(decompress(c, b), h, u) for b, h, c, u in more]
        except ValueError as exc:  # a damaged row: reported, the rest goes on
            out.append({"url": url, "site": site, "fetched_at": fetched_at, "error": str(exc)})
            continue
        if site not in profiles:
            try:
                profiles[site] = load_profile(site) if site else None
            except Exception:  # a site without a bundled profile: generic extraction
                profiles[site] = None
        profile = profiles[site]
        fields = (profile.fields or None) if profile is not None else None
        headers = json.loads(headers_json or "{}")
        article = extract(body, url, http_encoding=_charset(headers), fields=fields)
        if more_bodies:
            bodies = [article.body or ""]
            for page_body, page_headers, page_url in more_bodies:
                charset = _charset(json.loads(page_headers or "{}"))
                bodies.append(extract(page_body, page_url, http_encoding=charset,
                                      fields=fields).body or "")  # fmt: skip
            article.body = "\n".join(b for b in map(multipage.strip_page_nav, bodies) if b)
        here = final_url or url
        found = multipage.PageLinks()
        if not more:  # no stored group: does the page link other pages of its article?
            setting = profile.article_pages if profile is not None else None
            found = multipage.examine(body, here, canonical_url(here), setting)
        declared = declared_canonical(body, here)
        identity = article_identity(url, here, declared, profile)
        out.append({"url": url, "site": site, "fetched_at": fetched_at, "identity": identity,
                    "page_id": page_id, "links": found.links, "continues": found.continues,
                    **{f: getattr(article, f) for f in EXTRACTED_FIELDS}})  # fmt: skip
    return out


def _batches(archive: Archive, site: str | None, since: str | None) -> Iterator[list[tuple]]:
    """Batches of :func:`_read` rows of the latest pages.

    Only the page ids are read up front; each batch is read when the pool needs it,
    so memory stays bounded and no cursor stays open across the writes.
    """
    ids = archive.page_ids(site, since)
    for start in range(0, len(ids), BATCH):
        yield _read(archive, ids[start : start + BATCH])


def _read(archive: Archive, ids: list[int]) -> list[tuple]:
    """(id, url, site, body, headers, compression, fetched_at, final_url, continuation
    pages) of the stored pages ``ids``; a continuation page is (body, headers,
    compression, final_url), the latest of each page number, in page order."""
    marks = ",".join("?" * len(ids))
    more: dict[int, list[tuple]] = {}
    for row in archive.db.execute(
        "select first_page_id, body, headers, compression, final_url from pages p"
        f" where first_page_id in ({marks}) and id = (select max(id) from pages q"
        " where q.first_page_id = p.first_page_id and q.page_no = p.page_no)"
        " order by page_no",
        ids,
    ):
        more.setdefault(row[0], []).append(tuple(row[1:]))
    return [
        (*row, more.get(row[0], []))
        for row in archive.db.execute(
            "select id, url, site, body, headers, compression, fetched_at, final_url"
            f" from pages where id in ({marks}) and first_page_id is null order by id",
            ids,
        )
    ]


def _results(batches: Iterable[list[tuple]], jobs: int) -> Iterator[list[dict[str, Any]]]:
    """Extraction results batch by batch; at most 2 batches per process in flight."""
    if jobs <= 1:
        for batch in batches:
            yield _work(batch)
        return
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        pending: set[Future] = set()
        for batch in batches:
            pending.add(pool.submit(_work, batch))
            if len(pending) >= 2 * jobs:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    yield future.result()
        for future in pending:
            yield future.result()


def reextract(
    db_path: str | Path,
    *,
    site: str | None = None,
    since: str | None = None,
    jobs: int | None = None,
) -> ReextractReport:
    """Re-extract the latest stored page of every URL (of ``site``, fetched since ``since``)."""
    jobs = jobs or os.cpu_count() or 1
    report = ReextractReport(jobs=jobs)
    started = time.perf_counter()
    started_at = utcnow()
    with Archive(db_path, create=False) as archive:
        for results in _results(_batches(archive, site, since), jobs):
            for record in results:
                report.pages += 1
                if "error" in record:
                    report.unreadable.append((record["url"], record["error"]))
                    continue
                if not archive.is_first_page(record["page_id"]):
                    continue  # an old separate row's page, now in its article's group
                continues = record.pop("continues")
                if continues and continues != record["url"]:
                    if archive.get_article(archive.resolve(continues)) is not None:
                        continue  # page 2, 3, ... of an archived article: adopted by its page 1
                missing = None
                links = record.pop("links")
                if links:  # pages of this article stored as rows of their own by older crawls
                    adopted = archive.adopt_pages(record["page_id"], record["url"], links)
                    report.merged += adopted
                    missing = len(links) - adopted
                    if adopted:
                        (record,) = _work(_read(archive, [record["page_id"]]))
                        record.pop("links"), record.pop("continues")
                record.pop("page_id")
                identity = record.pop("identity")
                article = Article(**record)
                if quality.problem(article):
                    report.failed += 1
                    continue
                quality.tidy(article)
                if identity != article.url:  # an archive from before identities
                    if archive.get_article(article.url) is not None:
                        moved = archive.rekey(article.url, identity)
                        report.rekeyed += moved == "rekeyed"
                        report.merged += moved == "merged"
                    else:
                        archive.add_aliases(identity, [article.url])
                    article.url = identity
                stored = archive.get_article(article.url)
                article.pages_missing = stored.pages_missing if stored else None
                if missing is not None:  # linked pages that were never fetched: the next
                    article.pages_missing = missing  # crawl fetches the article again
                outcome, changed = archive.apply_extraction(article)
                setattr(report, outcome, getattr(report, outcome) + 1)
                report.changed_fields.update(changed if outcome != "unchanged" else [])
        report.seconds = time.perf_counter() - started
        with archive._write():
            archive.db["reextracts"].insert(
                {"started_at": started_at, "finished_at": utcnow(), "site": site, "since": since,
                 "pages": report.pages, "updated": report.updated, "new": report.new,
                 "unchanged": report.unchanged, "failed": report.failed,
                 "changed_fields": json.dumps(dict(report.changed_fields)),
                 "processes": jobs, "rekeyed": report.rekeyed,
                 "merged": report.merged},  # fmt: skip
                pk="id",
                alter=True,
            )
    return report
