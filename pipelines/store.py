"""Store articles in the archive, committed in small batches, and log failed pages."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from twisted.internet import task

from crawler.archive import Archive
from crawler.archive.health import HealthCounter
from crawler.archive.runlog import site_status
from crawler.errors import ArchiveError
from crawler.items import Article
from crawler.signals import STAT, aliases_found, page_failed


class StorePipeline:
    """Upsert each :class:`Article` into ``ARCHIVE_DB`` and count new/updated/unchanged.

    When ``NEWSARCHIVE_CRAWL_ID`` is set (``newsarchive crawl`` does that), rows and
    errors belong to that run; otherwise (plain ``scrapy crawl``) the pipeline opens
    and closes a run of its own in the ``crawls`` table.

    Articles are committed ``NEWSARCHIVE_COMMIT_ITEMS`` at a time, or
    ``NEWSARCHIVE_COMMIT_SECONDS`` after the first of a batch, whichever comes first
    (:meth:`Archive.upsert_batched`), and when the spider closes. The spiders of one
    crawl process share one connection per archive file (:data:`ARCHIVES`): a second
    connection would wait for the first one's open transaction, on the same thread.
    """

    def __init__(
        self,
        crawler: Crawler,
        db_path: str,
        crawl_id: int | None,
        commit_items: int = 50,
        commit_seconds: float = 1.0,
    ) -> None:
        self.crawler = crawler
        self.db_path = db_path
        self.crawl_id = crawl_id
        self.own_run = crawl_id is None
        self.archive: Archive | None = None
        self.health = HealthCounter()
        self.commit_items = max(1, commit_items)
        self.commit_seconds = max(0.0, commit_seconds)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StorePipeline:
        db_path = crawler.settings.get("ARCHIVE_DB")
        if not db_path:
            raise NotConfigured("ARCHIVE_DB is not set")
        crawl_id = crawler.settings.getint("NEWSARCHIVE_CRAWL_ID") or None
        pipeline = cls(
            crawler,
            db_path,
            crawl_id,
            commit_items=crawler.settings.getint("NEWSARCHIVE_COMMIT_ITEMS", 50),
            commit_seconds=crawler.settings.getfloat("NEWSARCHIVE_COMMIT_SECONDS", 1.0),
        )
        crawler.signals.connect(pipeline._on_page_failed, signal=page_failed)
        crawler.signals.connect(pipeline._on_item_dropped, signal=signals.item_dropped)
        crawler.signals.connect(pipeline._on_aliases_found, signal=aliases_found)
        return pipeline

    def open_spider(self) -> None:
        self.archive = ARCHIVES.acquire(self.db_path, self.commit_seconds)
        if self.own_run:
            self.crawl_id = self.archive.start_crawl([self._site()])
            ARCHIVES.own_runs.add(self)

    def close_spider(self) -> None:
        if self.archive is None:
            return
        self.archive.commit_batch()
        stats = self.crawler.stats
        if stats is not None:
            stats.set_value(STAT + "health", self.health.summary())
        ARCHIVES.own_runs.discard(self)
        if self.own_run and self.crawl_id is not None:
            reason = stats.get_value("finish_reason") if stats else None
            counts = site_counts(stats.get_stats() if stats else {})
            counts.update(self.health.summary())
            warning = self.archive.health_warning(self._site(), counts)
            status = site_status(counts, reason)
            if warning:
                counts["health_warning"] = warning
                status = "partial" if status == "ok" else status
                spider = self.crawler.spider
                if spider is not None:
                    spider.logger.warning("%s: %s", self._site(), warning)
            counts["status"] = status
            self.archive.finish_crawl(self.crawl_id, status, {self._site(): counts})
        ARCHIVES.release(self.archive)
        self.archive = None

    def process_item(self, item: Article) -> Article:
        assert self.archive is not None
        self.health.add(item)
        outcome = self.archive.upsert_batched(item, self.crawl_id)
        if self.archive.batch_size() >= self.commit_items:
            self.archive.commit_batch()
        stats = self.crawler.stats
        if stats is not None:
            key = "already_archived" if outcome == "unchanged" else outcome
            stats.inc_value(STAT + key)
        return item

    def finish_interrupted(self) -> None:
        """Close this pipeline's own run as ``interrupted`` with the counts so far: the
        crawl was stopped at once (a second Ctrl-C) and :meth:`close_spider` never runs."""
        if self.archive is None or self.crawl_id is None:
            return
        stats = self.crawler.stats
        counts = site_counts(stats.get_stats() if stats else {})
        counts.update(self.health.summary())
        counts["status"] = "interrupted"
        self.archive.commit_batch()
        self.archive.finish_crawl(self.crawl_id, "interrupted", {self._site(): counts})

    def _site(self) -> str:
        spider = self.crawler.spider
        return getattr(spider, "site", None) or getattr(spider, "name", "?")

    def _on_item_dropped(self, item: Any, spider: Any) -> None:
        """A dropped article page still counts for health, and its response is kept."""
        if spider is not self.crawler.spider or not isinstance(item, Article):
            return
        self.health.add(item)
        if self.archive is not None and item.page is not None:
            self.archive.store_page(item.page)

    def _on_aliases_found(self, url: str, aliases: list[str], spider: Any) -> None:
        if self.archive is not None and spider is self.crawler.spider:
            self.archive.add_aliases(url, aliases)

    def _on_page_failed(self, url: str, reason: str, spider: Any) -> None:
        if self.archive is not None and spider is self.crawler.spider:
            self.archive.record_error(self.crawl_id, self._site(), url, reason)


class SharedArchives:
    """One open :class:`Archive` per file for all the store pipelines of a process, and
    one timer per archive that commits its batch once it is ``commit_seconds`` old."""

    def __init__(self) -> None:
        self._open: dict[Path, _Shared] = {}
        #: Pipelines that opened a run of their own (plain ``scrapy crawl``) and have not
        #: closed it yet.
        self.own_runs: set[StorePipeline] = set()

    def acquire(self, db_path: str | Path, commit_seconds: float = 1.0) -> Archive:
        key = Path(db_path).resolve()
        shared = self._open.get(key)
        if shared is None:
            shared = self._open[key] = _Shared(Archive(db_path), commit_seconds)
        shared.users += 1
        return shared.archive

    def release(self, archive: Archive) -> None:
        """Close ``archive`` (committing its batch) when its last user is done."""
        for key, shared in list(self._open.items()):
            if shared.archive is archive:
                shared.users -= 1
                if shared.users:
                    return
                del self._open[key]
                shared.stop()
                break
        archive.close()

    def close_all(self) -> None:
        """Commit and close every open archive now: the crawl was stopped at once (a
        second Ctrl-C) and its pipelines' ``close_spider`` will never run. The runs
        that pipelines opened themselves (``scrapy crawl``) are closed ``interrupted``."""
        for pipeline in list(self.own_runs):
            try:
                pipeline.finish_interrupted()
            except ArchiveError:
                pass  # the articles were committed first; the run stays "running"
        self.own_runs.clear()
        for shared in list(self._open.values()):
            shared.stop()
            shared.archive.close()
        self._open.clear()


class _Shared:
    def __init__(self, archive: Archive, commit_seconds: float) -> None:
        self.archive = archive
        self.users = 0
        self.commit_seconds = commit_seconds
        self.timer: task.LoopingCall | None = None
        if commit_seconds > 0:
            self.timer = task.LoopingCall(self._commit_if_due)
            self.timer.start(min(commit_seconds, 1.0) / 2, now=False)

    def _commit_if_due(self) -> None:
        if self.archive.batch_age() >= self.commit_seconds:
            self.archive.commit_batch()

    def stop(self) -> None:
        if self.timer is not None and self.timer.running:
            self.timer.stop()


#: The store pipelines' archives (a crawl process crawls several sites into one file).
ARCHIVES = SharedArchives()


def site_counts(stats: dict[str, Any]) -> dict[str, Any]:
    """The run-log counts of one site from its crawler's stats."""
    return {
        key: int(stats.get(STAT + key, 0) or 0)
        for key in ("list_pages", "new", "updated", "already_archived", "errors")
    }
