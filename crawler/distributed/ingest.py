"""``newsarchive ingest``: the single writer, from the items queue into the archive.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from crawler.archive import Archive, utcnow
from crawler.distributed.frontier import (
    INGEST_BATCH,
    WORKER_COUNTS,
    Frontier,
    Keys,
    _s,
    connect,
    frontier_name,
    read_run,
)
from crawler.gc_tuning import tune as tune_gc
from crawler.items import Article


# -- ingest ------------------------------------------------------------------------------------
@dataclass
class IngestReport:
    records: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: int = 0
    recovered: int = 0
    #: article records without usable prepared data (older workers, or data that did
    #: not fit the record's text): the archive computed it
    recomputed: int = 0
    #: records that could not be read (a newer worker's format, damaged data): moved to
    #: the ``rejected`` list in Redis, as they were
    rejected: int = 0
    finished_run: int | None = None
    run_status: str | None = None
    seconds: float = 0.0
    per_site: dict[str, dict[str, int]] = field(default_factory=dict)

    def summary(self) -> str:
        rate = self.records / self.seconds if self.seconds else 0.0
        text = (
            f"ingested {self.records} records ({rate:.0f}/s): {self.new} new, "
            f"{self.updated} updated, {self.unchanged} unchanged, {self.errors} page errors"
        )
        if self.recomputed:
            text += (f"; {self.recomputed} records without usable prepared data (from an "
                     "older worker?) computed here")  # fmt: skip
        if self.rejected:
            text += f"; {self.rejected} unreadable records set aside"
        if self.recovered:
            text += f"; {self.recovered} re-processed from an interrupted ingest"
        if self.finished_run is not None:
            text += f"; run {self.finished_run} closed: {self.run_status}"
        return text

    @property
    def exit_code(self) -> Any:
        from crawler.crawl import STATUS_EXIT
        from crawler.errors import ExitCode

        code = ExitCode.OK if self.run_status is None else STATUS_EXIT.get(
            self.run_status, ExitCode.PARTIAL)  # fmt: skip
        if self.rejected and code == ExitCode.OK:
            return ExitCode.PARTIAL  # not every record is in the archive
        return code


def run_ingest(
    redis_url: str,
    db_path: str | Path,
    *,
    frontier: str | None = None,
    batch: int = INGEST_BATCH,
    wait: bool = True,
    log: IO[str] | None = None,
) -> IngestReport:
    """Write the workers' records into the archive until the run is done, then close it.

    Holds the archive's lock (a local ``newsarchive crawl`` cannot run meanwhile). With
    ``wait=False`` it writes what is queued and returns without waiting for the run.
    """
    from crawler.crawl import archive_lock

    keys = Keys(frontier_name(db_path, frontier))
    client = connect(redis_url)
    report = IngestReport()
    started = time.monotonic()
    hook = os.environ.get("NEWSARCHIVE_TEST_KILL_AFTER_COMMIT")  # fault injection (tests)
    warned_stuck = False
    with archive_lock(db_path), Archive(db_path) as archive:
        tune_gc()  # start-up is done: as a crawl process does (crawler/gc_tuning.py)
        leftover = client.lrange(keys.processing, 0, -1)
        if leftover:  # an ingest died between pop and commit (or commit and ack)
            leftover.reverse()  # oldest first
            for i in range(0, len(leftover), batch):
                _write_batch(archive, client, keys, leftover[i : i + batch], report, log)
            report.recovered = len(leftover)
        while True:
            records = _pop_batch(client, keys, batch, block=False)
            if records:
                _write_batch(archive, client, keys, records, report, log, hook)
                continue
            frontier_ = Frontier(client, keys)
            run = read_run(client, keys)
            if run.get("status") != "running":
                break
            sites = json.loads(run["sites"])
            frontier_.requeue_dead(sites)
            if _run_done(client, keys, frontier_, sites):
                report.finished_run = int(run["crawl_id"])
                report.run_status = finish_run(archive, client, keys, run)
                break
            if not wait:
                break
            records = _pop_batch(client, keys, batch, block=True)  # waits up to 1 s
            if records:
                _write_batch(archive, client, keys, records, report, log, hook)
                continue
            if log is not None and not warned_stuck and _stuck(client, keys, frontier_, sites):
                log.write(f"ingest: the frontier of run {run['crawl_id']} has requests but no "
                          "worker is alive; start `newsarchive crawl --redis ...`\n")  # fmt: skip
                log.flush()
                warned_stuck = True
    report.seconds = time.monotonic() - started
    return report


def _pop_batch(client: Any, keys: Keys, size: int, block: bool) -> list[bytes]:
    """Up to ``size`` records, oldest first, moved to ``processing``. With ``block``, waits
    up to 1 s for the first one; else returns at once (an empty list: nothing queued).

    Only this ingest (it holds the archive lock) moves records into ``processing``, and
    it empties it batch by batch, oldest first: a batch is always the oldest records
    there, at its right end (which is what :func:`_write_batch`'s ``LTRIM`` relies on).
    """
    if block:
        first = client.blmove(keys.items, keys.processing, 1, "RIGHT", "LEFT")
        if first is None:
            return []
        records, size = [first], size - 1
    else:
        records = []
    pipe = client.pipeline(transaction=False)
    for _ in range(size):
        pipe.lmove(keys.items, keys.processing, "RIGHT", "LEFT")
    records.extend(r for r in pipe.execute() if r is not None)
    return records


def _write_batch(archive: Archive, client: Any, keys: Keys, records: list[bytes],
                 report: IngestReport, log: IO[str] | None = None,
                 kill_hook: str | None = None) -> None:  # fmt: skip
    """Write ``records`` in one transaction, then remove them from ``processing``; a
    record that cannot be read goes to ``rejected`` instead (one line on ``log``)."""
    from crawler.distributed.queue import decode_record, peek

    updated: dict[str, int] = {}
    rejected: list[bytes] = []
    conn = archive.db.conn
    with archive._write():  # one transaction; upsert_article's own become savepoints
        for raw in records:
            try:
                record = decode_record(raw)
            except ValueError as exc:
                rejected.append(raw)
                reason = (f"unreadable record ({exc}); set aside, as it was, in Redis list "
                          f"{keys.rejected}")  # fmt: skip
                _reject(archive, peek(raw), reason, report)
                if log is not None:
                    log.write(f"ingest: {reason}\n")
                    log.flush()
                continue
            kind = record["kind"]
            crawl_id = record.get("crawl_id")
            site = record.get("site") or "?"
            counts = report.per_site.setdefault(site, {"new": 0, "updated": 0, "errors": 0})
            if kind == "error":
                _error_once(archive, crawl_id, site, record["url"], record["reason"])
                report.errors += 1
                counts["errors"] += 1
                continue
            page = record.get("page")
            if page is not None and conn.execute(
                "select 1 from pages where url = ? and fetched_at = ? limit 1",
                [page.url, page.fetched_at],
            ).fetchone():
                page = None  # this very response is stored already (a record seen twice)
            if kind == "aliases":
                archive.add_aliases(record["url"], record["aliases"])
                continue
            if kind == "dropped":
                if page is not None:
                    archive.store_page(page)
                continue
            article = record["article"]
            if not record["prepared"]:
                report.recomputed += 1
            article.page = page
            if page is None:
                article.extra_pages = []  # stored with its first page already
            outcome = archive.upsert_article(article, crawl_id)
            if outcome == "new":
                report.new += 1
                counts["new"] += 1
            elif outcome == "updated":
                report.updated += 1
                counts["updated"] += 1
                updated[site] = updated.get(site, 0) + 1
            else:
                report.unchanged += 1
    if kill_hook and report.records == 0:
        import signal

        os.kill(os.getpid(), signal.SIGKILL)  # committed, not acked: the restart must cope
    pipe = client.pipeline()  # MULTI/EXEC: set aside and acknowledged together
    if rejected:
        pipe.lpush(keys.rejected, *rejected)
    # the batch is the oldest len(records) of ``processing``, at its right end
    # (:func:`_pop_batch`): dropped without sending every record back to Redis
    pipe.ltrim(keys.processing, 0, -len(records) - 1)
    for site, n in updated.items():
        pipe.hincrby(keys.counts, f"{site}:updated", n)
    pipe.execute()
    report.rejected += len(rejected)
    report.records += len(records) - len(rejected)


def _error_once(archive: Archive, crawl_id: int | None, site: str, url: str,
                reason: str) -> None:  # fmt: skip
    """A ``crawl_errors`` row, unless a record written before (then not acknowledged)
    left it already."""
    seen = archive.db.conn.execute(
        "select 1 from crawl_errors where crawl_id is ? and url = ? and reason = ?",
        [crawl_id, url, reason],
    ).fetchone()
    if not seen:
        archive.record_error(crawl_id, site, url, reason)


def _reject(archive: Archive, head: dict[str, Any], reason: str, report: IngestReport) -> None:
    """An unreadable record's page error in the run log, when its header names the page
    (so the run's site is partial); a header that cannot be read names nothing."""
    article = head.get("article")
    url = head.get("url") or (article.get("url") if isinstance(article, dict) else None)
    if not isinstance(url, str):
        return
    crawl_id = head.get("crawl_id") if isinstance(head.get("crawl_id"), int) else None
    site = str(head.get("site") or "?")
    _error_once(archive, crawl_id, site, url, reason)
    report.errors += 1
    report.per_site.setdefault(site, {"new": 0, "updated": 0, "errors": 0})["errors"] += 1


def _run_done(client: Any, keys: Keys, frontier: Frontier, sites: list[str]) -> bool:
    """Every worker gone, nothing in the frontier, in flight or queued for ingest."""
    workers = frontier.workers()
    if not workers:
        return False  # no worker has started yet
    for worker, info in workers.items():
        if info.get("status") == "running" and frontier.alive(worker):
            return False
    if any(frontier.pending(site) for site in sites):
        return False
    return not client.llen(keys.items) and not client.llen(keys.processing)


def _stuck(client: Any, keys: Keys, frontier: Frontier, sites: list[str]) -> bool:
    workers = frontier.workers()
    alive = any(frontier.alive(w) for w in workers)
    return bool(workers) and not alive and any(frontier.pending(s) for s in sites)


def finish_run(archive: Archive, client: Any, keys: Keys, run: dict[str, str]) -> str:
    """Close the run's ``crawls`` row: per-site counts, health, and one row per worker."""
    from crawler.archive.health import HealthCounter
    from crawler.archive.runlog import site_status
    from crawler.crawl import overall_status

    crawl_id = int(run["crawl_id"])
    sites = json.loads(run["sites"])
    workers = Frontier(client, keys).workers()
    counts = {_s(k): int(v) for k, v in client.hgetall(keys.counts).items()}
    conn = archive.db.conn
    per_site: dict[str, dict[str, Any]] = {}
    names = Article.field_names()
    for site in sites:
        list_pages = sum(int(w.get("sites", {}).get(site, {}).get("list_pages", 0))
                         for w in workers.values())  # fmt: skip
        health = HealthCounter()
        cursor = conn.execute(
            f"select {', '.join(names)} from articles where crawl_id = ? and site = ?",
            [crawl_id, site],
        )
        new = 0
        for row in cursor:
            health.add(Article(**dict(zip(names, row, strict=True))))
            new += 1
        errors = conn.execute(
            "select count(*) from crawl_errors where crawl_id = ? and site = ?", [crawl_id, site]
        ).fetchone()[0]
        site_counts = {
            "list_pages": list_pages, "new": new, "updated": counts.get(f"{site}:updated", 0),
            "already_archived": int(client.scard(keys.already(site))), "errors": errors,
        }  # fmt: skip
        status = site_status(site_counts, "finished")
        summary = health.summary()
        warning = archive.health_warning(site, summary)
        if warning:
            summary["health_warning"] = warning
            status = "partial" if status == "ok" else status
        per_site[site] = {**site_counts, **summary, "status": status}
    status = overall_status([s["status"] for s in per_site.values()])
    if any(w.get("status") != "finished" for w in workers.values()):
        status = "partial" if status == "ok" else status  # a worker died: say so
    with archive._write():
        rows = []
        for worker, info in workers.items():
            for site, c in info.get("sites", {}).items():
                rows.append({"crawl_id": crawl_id, "worker": worker, "site": site,
                             "host": info.get("host"), "pid": info.get("pid"),
                             "status": info.get("status"), "started_at": info.get("started_at"),
                             "last_seen": info.get("last_seen"),
                             **{k: int(c.get(k, 0)) for k in WORKER_COUNTS}})  # fmt: skip
        if rows:
            archive.db["crawl_workers"].insert_all(
                rows, pk=("crawl_id", "worker", "site"), replace=True, alter=True
            )
    archive.finish_crawl(crawl_id, status, per_site)
    client.hset(keys.run, mapping={"status": "finished", "finished_at": utcnow(),
                                   "result": status})  # fmt: skip
    for site in sites:
        client.delete(keys.dupefilter(site), keys.already(site))
    client.delete(keys.known)
    return status


