"""``newsarchive crawl --redis``: a worker's spider, its run and its heartbeat.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import time
import uuid
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from crawler.archive import utcnow
from crawler.distributed.frontier import (
    BEAT,
    IDLE_CLOSE,
    WORKER_COUNTS,
    WORKER_TIMEOUT,
    Frontier,
    Keys,
    _s,
    ack,
    connect,
    frontier_name,
    make_dupefilter,
    read_run,
)
from crawler.errors import UsageError
from crawler.items import Article
from crawler.profiles import Profile
from spiders.portal import PortalSpider

logger = logging.getLogger(__name__)

# -- the worker's spider -----------------------------------------------------------------------
class DistributedPortalSpider(PortalSpider):
    """The portal spider as a worker of a shared frontier.

    Its start requests are in the frontier already (``newsarchive seed`` put them there),
    so ``start()`` only reads the run's archived URLs from Redis. It acks each request
    when the page is done, and stays open while the frontier has requests or another
    worker has requests in flight; once that has lasted ``NEWSARCHIVE_IDLE_CLOSE``
    seconds (or ingest closed the run) it stops.
    """

    name = "portal"

    def __init__(self, *args: Any, client: Any = None, keys: Keys | None = None,
                 worker: str | None = None, **kwargs: Any) -> None:  # fmt: skip
        super().__init__(*args, **kwargs)
        self.client = client
        self.keys = keys
        self.worker = worker
        self._idle_since: float | None = None
        self._last_check = 0.0
        self._dupefilter = make_dupefilter(client, keys, self.site) if client and keys else None

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> DistributedPortalSpider:
        from scrapy import signals

        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider._on_idle, signal=signals.spider_idle)
        crawler.signals.connect(spider._on_spider_error, signal=signals.spider_error)
        return spider

    async def start(self) -> Any:
        assert self.client is not None and self.keys is not None
        self.known = {_s(u) for u in self.client.sscan_iter(self.keys.known, count=5000)}
        for request in ():  # the start requests are in the shared frontier
            yield request

    # -- shared pagination and counts -------------------------------------------------------
    def _list_request(self, url: str, chain: int, force: bool = False) -> Any:
        request = super()._list_request(url, chain, force)
        if request is not None and not force and self._dupefilter is not None:
            fingerprint = self._dupefilter.request_fingerprint(request)
            if self.client.sismember(self._dupefilter.key, fingerprint):
                return None  # another worker scheduled it: walk on to the next page
        return request

    def _consider_article(self, url: str, linked_as: str | None = None) -> Any:
        if url in self.known and url not in self._skipped_known and self.keys is not None:
            self.client.sadd(self.keys.already(self.site), url)
        return super()._consider_article(url, linked_as)

    # -- acks --------------------------------------------------------------------------------
    def parse_list(self, response: Any) -> Iterator[Any]:
        try:
            yield from super().parse_list(response)
        finally:
            ack(self.client, response.meta)

    def parse_sitemap(self, response: Any) -> Iterator[Any]:
        try:
            yield from super().parse_sitemap(response)
        finally:
            ack(self.client, response.meta)

    def parse_feed(self, response: Any) -> Iterator[Any]:
        try:
            yield from super().parse_feed(response)
        finally:
            ack(self.client, response.meta)

    async def parse_article(self, response: Any) -> AsyncIterator[Any]:
        async for output in self._acked(super().parse_article(response), response):
            yield output

    async def parse_continuation(self, response: Any) -> AsyncIterator[Any]:
        async for output in self._acked(super().parse_continuation(response), response):
            yield output

    async def _acked(self, outputs: AsyncIterator[Any], response: Any) -> AsyncIterator[Any]:
        """An article page's callback output; its request is acked with the article's
        push, or (no article: the next page of a multi-page article is queued, or the
        page gave nothing) when the callback is done."""
        handed_over = False
        try:
            async for item in outputs:
                if isinstance(item, Article):
                    item.frontier_ack = response.meta.get("frontier_ack")  # acked with the push
                    handed_over = True
                yield item
        finally:
            if not handed_over:
                ack(self.client, response.meta)

    def on_error(self, failure: Any) -> None:
        try:
            super().on_error(failure)
        finally:
            ack(self.client, failure.request.meta)

    def _on_spider_error(self, failure: Any, response: Any, spider: Any) -> None:
        if spider is self and response is not None:
            ack(self.client, response.meta)

    # -- staying alive while the frontier is not empty --------------------------------------------
    def _on_idle(self, spider: Any) -> None:
        from scrapy.exceptions import DontCloseSpider

        if spider is not self:
            return
        now = time.monotonic()
        if now - self._last_check < BEAT / 2:
            raise DontCloseSpider
        self._last_check = now
        frontier = Frontier(self.client, self.keys)
        if frontier.run_status() != "running":
            return  # ingest closed the run (or it was reseeded): stop
        frontier.requeue_dead([self.site], exclude=self.worker)
        leaked = self.client.hlen(self.keys.inflight(self.site, self.worker))
        if leaked:  # idle, so nothing of ours is in flight: a request never acked
            self.crawler.stats.inc_value("newsarchive/frontier_unacked", leaked)
            self.client.delete(self.keys.inflight(self.site, self.worker))
        if frontier.pending(self.site):
            self._idle_since = None
            raise DontCloseSpider
        idle_close = float(self.settings.getfloat("NEWSARCHIVE_IDLE_CLOSE", IDLE_CLOSE))
        if self._idle_since is None:
            self._idle_since = now
        if now - self._idle_since < idle_close:
            raise DontCloseSpider




# -- worker ------------------------------------------------------------------------------------
@dataclass
class WorkerReport:
    worker: str
    crawl_id: int
    sites: dict[str, dict[str, int]]
    status: str = "ok"

    @property
    def exit_code(self) -> Any:
        from crawler.crawl import STATUS_EXIT
        from crawler.errors import ExitCode

        return STATUS_EXIT.get(self.status, ExitCode.PARTIAL)

    def summary(self) -> str:
        parts = [
            f"{site}: {c.get('list_pages', 0)} list pages, {c.get('queued', 0)} articles queued,"
            f" {c.get('already_archived', 0)} already archived, {c.get('errors', 0)} errors"
            for site, c in self.sites.items()
        ]
        return f"worker {self.worker} (run {self.crawl_id}) {self.status}: " + "; ".join(parts)


def _worker_counts(stats: dict[str, Any]) -> dict[str, int]:
    from crawler.signals import STAT

    out = {k: int(stats.get(STAT + k, 0) or 0) for k in WORKER_COUNTS}
    out["pages"] = int(stats.get("response_received_count", 0) or 0)
    return out


def wait_for_run(client: Any, keys: Keys, timeout: float) -> dict[str, str]:
    """The open run, waiting up to ``timeout`` seconds for ``newsarchive seed``."""
    deadline = time.monotonic() + timeout
    while True:
        run = read_run(client, keys)
        if run.get("status") == "running":
            return run
        if time.monotonic() >= deadline:
            raise UsageError(
                f"no open run on newsarchive:{keys.name} at this Redis; "
                "start one with `newsarchive seed --redis URL SITE...`"
            )
        time.sleep(0.5)


def run_worker(
    profiles: Sequence[Profile],
    redis_url: str,
    db_path: str | Path,
    *,
    frontier: str | None = None,
    overrides: dict[str, str] | None = None,
    full: bool = False,
    verbose: bool = False,
    log_file: str | None = None,
) -> WorkerReport:
    """Crawl from the shared frontier until it has been empty for the idle time.

    Fetched articles go to Redis (``items``) with their raw pages; nothing is written
    to an archive here, so workers run on any machine.
    """
    from crawler.archive.runlog import site_status
    from crawler.crawl import build_settings, overall_status

    names = [p.name for p in profiles]
    if len(set(names)) != len(names):
        raise UsageError(f"a site is named twice: {', '.join(names)}")
    keys = Keys(frontier_name(db_path, frontier))
    client = connect(redis_url)
    settings = build_settings(db_path, overrides, verbose=verbose, log_file=log_file)
    idle_close = settings.getfloat("NEWSARCHIVE_IDLE_CLOSE", IDLE_CLOSE)
    run = wait_for_run(client, keys, idle_close)
    seeded = json.loads(run["sites"])
    missing = [n for n in names if n not in seeded]
    if missing:
        raise UsageError(
            f"{', '.join(missing)}: not in run {run['crawl_id']} (seeded: {', '.join(seeded)})"
        )
    crawl_id = int(run["crawl_id"])
    worker = f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
    settings.set("NEWSARCHIVE_CRAWL_ID", crawl_id, priority="cmdline")
    settings.set("NEWSARCHIVE_FRONTIER", keys.name, priority="cmdline")
    settings.set("NEWSARCHIVE_WORKER_ID", worker, priority="cmdline")
    settings.set("REDIS_URL", redis_url, priority="cmdline")
    settings.set("SCHEDULER", "crawler.distributed.frontier.FrontierScheduler", priority="cmdline")
    settings.set("DUPEFILTER_CLASS", "scrapy_redis.dupefilter.RFPDupeFilter", priority="cmdline")
    settings.set("SCHEDULER_PERSIST", True, priority="cmdline")
    pipelines = dict(settings.getdict("ITEM_PIPELINES"))
    pipelines.pop("pipelines.store.StorePipeline", None)
    pipelines["pipelines.redis_queue.RedisQueuePipeline"] = 800
    settings.set("ITEM_PIPELINES", pipelines, priority="cmdline")

    from scrapy.crawler import CrawlerProcess

    process = CrawlerProcess(settings)
    crawlers = []
    for profile in profiles:
        crawler = process.create_crawler(DistributedPortalSpider)
        process.crawl(crawler, profile=profile, full=full, client=client, keys=keys,
                      worker=worker)  # fmt: skip
        crawlers.append((profile.name, crawler))
    beat = _Heartbeat(client, keys, worker, crawlers, settings)
    beat.beat("running")
    stop = beat.start()
    try:
        process.start()
    finally:
        stop()
    per_site = {}
    statuses = []
    for site, crawler in crawlers:
        stats = crawler.stats.get_stats() if crawler.stats else {}
        counts = _worker_counts(stats)
        per_site[site] = counts
        statuses.append(site_status(counts, stats.get("finish_reason")))
    status = overall_status(statuses)
    beat.beat("finished" if status != "interrupted" else "interrupted")
    client.delete(keys.alive(worker))
    return WorkerReport(worker, crawl_id, per_site, status)


class _Heartbeat:
    """A worker's presence in Redis: its ``alive`` key, its counts; and a nudge to each
    engine so that requests other workers add are picked up without Scrapy's 5 s wait."""

    def __init__(self, client: Any, keys: Keys, worker: str, crawlers: list[tuple[str, Any]],
                 settings: Any) -> None:  # fmt: skip
        self.client = client
        self.keys = keys
        self.worker = worker
        self.crawlers = crawlers
        self.timeout = settings.getfloat("NEWSARCHIVE_WORKER_TIMEOUT", WORKER_TIMEOUT)
        self.started_at = utcnow()
        self._last = 0.0

    def beat(self, status: str = "running") -> None:
        sites = {
            site: _worker_counts(c.stats.get_stats() if c.stats else {})
            for site, c in self.crawlers
        }
        record = {"host": socket.gethostname(), "pid": os.getpid(), "status": status,
                  "started_at": self.started_at, "last_seen": utcnow(), "sites": sites}  # fmt: skip
        pipe = self.client.pipeline()
        if status == "running":
            pipe.set(self.keys.alive(self.worker), 1, px=max(1, int(self.timeout * 1000)))
        pipe.hset(self.keys.workers, self.worker, json.dumps(record))
        pipe.execute()

    def _tick(self) -> None:
        now = time.monotonic()
        if now - self._last >= 1.0:
            self._last = now
            try:
                self.beat()
            except Exception as exc:  # a Redis hiccup must not kill the reactor loop
                logger.warning("heartbeat failed: %s", exc)
        for _, crawler in self.crawlers:
            slot = getattr(getattr(crawler, "engine", None), "_slot", None)
            nextcall = getattr(slot, "nextcall", None)
            if nextcall is not None:
                nextcall.schedule()

    def start(self) -> Any:
        from twisted.internet import reactor, task

        loop = task.LoopingCall(self._tick)
        reactor.callWhenRunning(loop.start, BEAT / 2)  # type: ignore[attr-defined]

        def stop() -> None:
            if loop.running:
                loop.stop()

        return stop




