"""Distributed crawls: many workers share one frontier on Redis, one ingest writes the archive.

This is the library behind ``newsarchive seed``, ``newsarchive crawl --redis`` and
``newsarchive ingest``::

    newsarchive seed   --redis URL SITE...   # on the archive's machine: opens a run
    newsarchive crawl  --redis URL SITE...   # any number, on any machine: the workers
    newsarchive ingest --redis URL           # on the archive's machine: the one writer

Every key of one archive's frontier starts with ``newsarchive:NAME:`` (NAME is
``--frontier``, by default the stem of ``--db``: ``archive`` for ``archive.db``):

=========================  ======  ==========================================================
``run``                    hash    the open run: ``crawl_id``, ``sites``, ``status``, ...
``known``                  set     article URLs archived before the run (seed writes it)
``<site>:requests``        zset    the frontier (scrapy-redis ``PriorityQueue``)
``<site>:dupefilter``      set     request fingerprints ever scheduled (scrapy-redis)
``<site>:inflight:<w>``    hash    requests worker ``w`` popped and has not finished yet
``<site>:already``         set     known article URLs the run met (its "already archived")
``workers``                hash    worker id -> JSON: host, pid, status, per-site counts
``alive:<w>``              string  expires unless worker ``w`` keeps beating (its heartbeat)
``items``                  list    JSON records: articles with their raw page, errors
``processing``             list    records ingest has popped and not yet committed
``counts``                 hash    ingest's per-site ``updated`` counts
=========================  ======  ==========================================================

Nothing is lost when a process dies. A worker moves each request it pops into its
``inflight`` hash in the same Redis script, and deletes it only when the page is done
(its article is on ``items``, its links are in the frontier, or its error is recorded);
a worker whose heartbeat expired has its in-flight requests put back into the frontier
by any live worker. Ingest moves records ``items`` -> ``processing`` (BLMOVE), writes a
batch in one archive transaction, and removes them from ``processing`` after the
commit; on start it first writes whatever ``processing`` still holds. Writing a record
twice changes nothing (an article is then "unchanged", a page or error already stored
is not stored again).
"""

from __future__ import annotations

import json
import logging
import os
import re
import socket
import time
import uuid
from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from scrapy_redis import picklecompat
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.queue import PriorityQueue
from scrapy_redis.scheduler import Scheduler

from crawler.archive import Archive, utcnow
from crawler.errors import LockedError, NewsarchiveError, UsageError
from crawler.items import Article
from crawler.profiles import Profile
from spiders.portal import PortalSpider

logger = logging.getLogger(__name__)

#: Seconds the frontier must stay empty before a worker stops (``-s NEWSARCHIVE_IDLE_CLOSE``).
IDLE_CLOSE = 30.0
#: Seconds without a heartbeat after which a worker counts as dead and its in-flight
#: requests go back into the frontier (``-s NEWSARCHIVE_WORKER_TIMEOUT``).
WORKER_TIMEOUT = 30.0
#: Records ingest writes per archive transaction.
INGEST_BATCH = 200
#: Seconds between a worker's heartbeats (and its checks of the shared frontier).
BEAT = 0.5

_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")


class RedisUnavailable(NewsarchiveError):
    """Redis cannot be reached or used (exit code 3)."""


# -- keys and connection -------------------------------------------------------------------
class Keys:
    """The Redis key names of one archive's frontier."""

    def __init__(self, name: str) -> None:
        if not _NAME.match(name):
            raise UsageError(f"--frontier {name!r}: use letters, digits, '.', '_' and '-' only")
        self.name = name
        self.base = f"newsarchive:{name}"
        self.run = f"{self.base}:run"
        self.known = f"{self.base}:known"
        self.workers = f"{self.base}:workers"
        self.items = f"{self.base}:items"
        self.processing = f"{self.base}:processing"
        self.counts = f"{self.base}:counts"
        self.seq = f"{self.base}:seq"

    def requests(self, site: str) -> str:
        return f"{self.base}:{site}:requests"

    def dupefilter(self, site: str) -> str:
        return f"{self.base}:{site}:dupefilter"

    def inflight(self, site: str, worker: str) -> str:
        return f"{self.base}:{site}:inflight:{worker}"

    def already(self, site: str) -> str:
        return f"{self.base}:{site}:already"

    def alive(self, worker: str) -> str:
        return f"{self.base}:alive:{worker}"


def frontier_name(db_path: str | Path, name: str | None = None) -> str:
    """``--frontier NAME``, or the archive file's stem (``archive`` for ``archive.db``)."""
    return name or Path(db_path).stem or "archive"


def connect(url: str) -> Any:
    """A Redis client for ``url`` (``redis://HOST:PORT/DB``), checked with PING."""
    import redis

    if not url.startswith(("redis://", "rediss://", "unix://")):
        raise UsageError(f"--redis {url!r}: expected redis://HOST:PORT/DB")
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=10, socket_timeout=60)
        client.ping()
    except (redis.RedisError, ValueError) as exc:
        raise RedisUnavailable(f"cannot use Redis at {url}: {exc}") from exc
    return client


def _s(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def read_run(client: Any, keys: Keys) -> dict[str, str]:
    return {_s(k): _s(v) for k, v in client.hgetall(keys.run).items()}


# -- the reliable queue and the scheduler (scrapy-redis) ----------------------------------------
# Pop the best request and park it in the worker's in-flight hash, atomically.
_POP = """
local r = redis.call('ZRANGE', KEYS[1], 0, 0)
if #r == 0 then return false end
redis.call('ZREM', KEYS[1], r[1])
local id = redis.call('INCR', KEYS[3])
redis.call('HSET', KEYS[2], id, r[1])
return {id, r[1]}
"""
# Schedule a request: mark its fingerprint seen and add it to the frontier in one step
# (ARGV[1] empty: dont_filter). Two round-trips would let a worker killed between them
# leave a fingerprint "seen" whose request is nowhere: the list page it came from is
# requeued, but the article request is then filtered out for good.
_ENQUEUE = """
if ARGV[1] ~= '' and redis.call('SADD', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[3])
return 1
"""
# Put every in-flight request of a (dead) worker back into the frontier.
_REQUEUE = """
local all = redis.call('HGETALL', KEYS[1])
for i = 1, #all, 2 do redis.call('ZADD', KEYS[2], 0, all[i + 1]) end
redis.call('DEL', KEYS[1])
return #all / 2
"""


def make_queue(client: Any, spider: Any, keys: Keys, worker: str | None) -> Any:
    """scrapy-redis's PriorityQueue on ``<site>:requests``; with ``worker``, pops are
    reliable: each popped request waits in the worker's in-flight hash until acked."""
    key = keys.requests(spider.site)
    if worker is None:
        return PriorityQueue(server=client, spider=spider, key=key, serializer=picklecompat)
    queue = ReliablePriorityQueue(server=client, spider=spider, key=key, serializer=picklecompat)
    queue.inflight = keys.inflight(spider.site, worker)
    queue.seq = keys.seq
    return queue


class ReliablePriorityQueue(PriorityQueue):
    """Pops park the request in the worker's in-flight hash until it is acked."""

    inflight: str
    seq: str

    def pop(self, timeout: int = 0) -> Any:
        got = self.server.eval(_POP, 3, self.key, self.inflight, self.seq)
        if not got:
            return None
        request = self._decode_request(got[1])
        previous = request.meta.get("frontier_ack")
        if previous:  # a retry or redirect of a request that was in flight: done now
            self.server.hdel(previous[0], previous[1])
        request.meta["frontier_ack"] = [self.inflight, _s(got[0])]
        return request


def make_dupefilter(client: Any, keys: Keys, site: str) -> Any:
    return RFPDupeFilter(client, key=keys.dupefilter(site))


def ack(client: Any, meta: dict[str, Any] | None, pipe: Any = None) -> None:
    """The request of ``meta`` is done: drop it from its worker's in-flight hash."""
    ref = (meta or {}).get("frontier_ack")
    if ref:
        (pipe or client).hdel(ref[0], ref[1])


class FrontierScheduler(Scheduler):
    """scrapy-redis's Scheduler with keys per archive and site, reliable pops, and none of
    its calls Scrapy 2.19 deprecates (``spider.log``, ``stats.inc_value(spider=)``).

    Settings: ``REDIS_URL``, ``NEWSARCHIVE_FRONTIER`` (key prefix name),
    ``NEWSARCHIVE_WORKER_ID``; ``SCHEDULER_PERSIST`` is implied (the frontier outlives
    any one worker).
    """

    @classmethod
    def from_crawler(cls, crawler: Any) -> FrontierScheduler:
        instance = cls.from_settings(crawler.settings)
        instance.stats = crawler.stats
        instance.keys = Keys(crawler.settings.get("NEWSARCHIVE_FRONTIER"))
        instance.worker = crawler.settings.get("NEWSARCHIVE_WORKER_ID")
        return instance

    def open(self, spider: Any) -> None:
        self.spider = spider
        self.queue = make_queue(self.server, spider, self.keys, self.worker)
        self.df = make_dupefilter(self.server, self.keys, spider.site)

    def close(self, reason: str) -> None:
        pass  # persistent: the frontier belongs to the run, not to this worker

    def enqueue_request(self, request: Any) -> bool:
        fingerprint = "" if request.dont_filter else self.df.request_fingerprint(request)
        added = self.server.eval(
            _ENQUEUE, 2, self.df.key, self.queue.key, fingerprint, -request.priority,
            self.queue._encode_request(request),
        )  # fmt: skip
        if not added:
            self.df.log(request, self.spider)
            ack(self.server, request.meta)  # a redirect to a page already scheduled
            return False
        if self.stats:
            self.stats.inc_value("scheduler/enqueued/redis")
        return True

    def next_request(self) -> Any:
        request = self.queue.pop()
        if request is not None and self.stats:
            self.stats.inc_value("scheduler/dequeued/redis")
        return request


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


class Frontier:
    """Queries on the shared frontier, used by workers and ingest alike."""

    def __init__(self, client: Any, keys: Keys) -> None:
        self.client = client
        self.keys = keys

    def run_status(self) -> str | None:
        status = self.client.hget(self.keys.run, "status")
        return _s(status) if status is not None else None

    def workers(self) -> dict[str, dict[str, Any]]:
        return {_s(k): json.loads(v) for k, v in self.client.hgetall(self.keys.workers).items()}

    def alive(self, worker: str) -> bool:
        return bool(self.client.exists(self.keys.alive(worker)))

    def requeue_dead(self, sites: Iterable[str], exclude: str | None = None) -> int:
        """Put the in-flight requests of workers without a heartbeat back. Returns how many."""
        moved = 0
        for worker in self.client.hkeys(self.keys.workers):
            worker = _s(worker)
            if worker == exclude or self.alive(worker):
                continue
            for site in sites:
                n = int(self.client.eval(_REQUEUE, 2, self.keys.inflight(site, worker),
                                         self.keys.requests(site)))  # fmt: skip
                if n:
                    logger.warning("worker %s stopped beating: %d %s requests back", worker,
                                   n, site)  # fmt: skip
                moved += n
        return moved

    def pending(self, site: str) -> int:
        """Requests of ``site`` still to do: in the frontier or in any worker's hands."""
        total = int(self.client.zcard(self.keys.requests(site)))
        for worker in self.client.hkeys(self.keys.workers):
            total += int(self.client.hlen(self.keys.inflight(site, _s(worker))))
        return total


# -- seed --------------------------------------------------------------------------------------
@dataclass
class SeedReport:
    crawl_id: int
    frontier: str
    requests: dict[str, int]
    known: int

    def summary(self) -> str:
        per_site = ", ".join(f"{s}: {n} requests" for s, n in self.requests.items())
        return (
            f"run {self.crawl_id} seeded on newsarchive:{self.frontier}: {per_site}; "
            f"{self.known} archived URLs will not be fetched"
        )


def seed_requests(spider: Any) -> list[Any]:
    """The requests a local crawl starts with: list pages, sitemaps, feeds."""
    from scrapy.http import Request

    profile = spider.profile
    out = []
    for chain, url in enumerate(profile.start_urls):
        request = spider._list_request(url, chain, force=True)
        if request is not None:
            out.append(request)
    for url in profile.sitemap_urls:
        out.append(Request(url, callback=spider.parse_sitemap, errback=spider.on_error,
                           meta={"kind": "sitemap"}))  # fmt: skip
    for url in profile.feed_urls:
        out.append(Request(url, callback=spider.parse_feed, errback=spider.on_error,
                           meta={"kind": "feed"}))  # fmt: skip
    return out


def run_seed(profiles: Sequence[Profile], redis_url: str, db_path: str | Path,
             frontier: str | None = None) -> SeedReport:  # fmt: skip
    """Open a distributed run: a ``crawls`` row, the archived URLs and the start requests."""
    names = [p.name for p in profiles]
    if len(set(names)) != len(names):
        raise UsageError(f"a site is named twice: {', '.join(names)}")
    keys = Keys(frontier_name(db_path, frontier))
    client = connect(redis_url)
    run = read_run(client, keys)
    if run.get("status") == "running":
        raise LockedError(
            f"run {run.get('crawl_id')} is still open on newsarchive:{keys.name}; let its "
            f"workers and `newsarchive ingest` finish it (or delete the keys "
            f"newsarchive:{keys.name}:* to abandon it)"
        )
    _clear(client, keys)
    with Archive(db_path) as archive:
        known = archive.known_urls()
        crawl_id = archive.start_crawl(names, os.getpid())
    batch: list[str] = []
    for url in known:
        batch.append(url)
        if len(batch) >= 10000:
            client.sadd(keys.known, *batch)
            batch = []
    if batch:
        client.sadd(keys.known, *batch)
    counts = {}
    for profile in profiles:
        spider = DistributedPortalSpider(profile=profile)
        queue = make_queue(client, spider, keys, None)
        dupefilter = make_dupefilter(client, keys, profile.name)
        counts[profile.name] = 0
        for request in seed_requests(spider):
            if not dupefilter.request_seen(request):
                queue.push(request)
                counts[profile.name] += 1
    client.hset(keys.run, mapping={
        "crawl_id": crawl_id, "sites": json.dumps(names), "status": "running",
        "started_at": utcnow(), "archive": str(Path(db_path).resolve()),
    })  # fmt: skip
    return SeedReport(crawl_id, keys.name, counts, len(known))


def _clear(client: Any, keys: Keys) -> None:
    """Forget a finished run's keys (the run hash last, so workers see a clean state)."""
    doomed = [k for k in client.scan_iter(match=f"{keys.base}:*", count=1000)
              if _s(k) not in (keys.items, keys.processing, keys.seq)]  # fmt: skip
    for i in range(0, len(doomed), 500):
        client.delete(*doomed[i : i + 500])


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


WORKER_COUNTS = ("pages", "list_pages", "articles_fetched", "queued", "dropped",
                 "already_archived", "errors")  # fmt: skip


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
    from crawler.crawl import build_settings, overall_status
    from pipelines.store import site_status

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
    settings.set("SCHEDULER", "crawler.distributed.run.FrontierScheduler", priority="cmdline")
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


# -- ingest ------------------------------------------------------------------------------------
@dataclass
class IngestReport:
    records: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: int = 0
    recovered: int = 0
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
        if self.recovered:
            text += f"; {self.recovered} re-processed from an interrupted ingest"
        if self.finished_run is not None:
            text += f"; run {self.finished_run} closed: {self.run_status}"
        return text

    @property
    def exit_code(self) -> Any:
        from crawler.crawl import STATUS_EXIT
        from crawler.errors import ExitCode

        if self.run_status is None:
            return ExitCode.OK
        return STATUS_EXIT.get(self.run_status, ExitCode.PARTIAL)


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
        leftover = client.lrange(keys.processing, 0, -1)
        if leftover:  # an ingest died between pop and commit (or commit and ack)
            leftover.reverse()  # oldest first
            for i in range(0, len(leftover), batch):
                _write_batch(archive, client, keys, leftover[i : i + batch], report)
            report.recovered = len(leftover)
        while True:
            records = _pop_batch(client, keys, batch)
            if records:
                _write_batch(archive, client, keys, records, report, kill_hook=hook)
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
            if log is not None and not warned_stuck and _stuck(client, keys, frontier_, sites):
                log.write(f"ingest: the frontier of run {run['crawl_id']} has requests but no "
                          "worker is alive; start `newsarchive crawl --redis ...`\n")  # fmt: skip
                log.flush()
                warned_stuck = True
    report.seconds = time.monotonic() - started
    return report


def _pop_batch(client: Any, keys: Keys, size: int) -> list[bytes]:
    """Up to ``size`` records, oldest first, moved to ``processing`` (waits up to 1 s)."""
    first = client.blmove(keys.items, keys.processing, 1, "RIGHT", "LEFT")
    if first is None:
        return []
    pipe = client.pipeline(transaction=False)
    for _ in range(size - 1):
        pipe.lmove(keys.items, keys.processing, "RIGHT", "LEFT")
    return [first, *(r for r in pipe.execute() if r is not None)]


def _write_batch(archive: Archive, client: Any, keys: Keys, records: list[bytes],
                 report: IngestReport, kill_hook: str | None = None) -> None:  # fmt: skip
    """Write ``records`` in one transaction, then remove them from ``processing``."""
    from pipelines.redis_queue import decode_record

    updated: dict[str, int] = {}
    conn = archive.db.conn
    with archive._write():  # one transaction; upsert_article's own become savepoints
        for raw in records:
            record = decode_record(raw)
            kind = record["kind"]
            crawl_id = record.get("crawl_id")
            site = record.get("site") or "?"
            counts = report.per_site.setdefault(site, {"new": 0, "updated": 0, "errors": 0})
            if kind == "error":
                seen = conn.execute(
                    "select 1 from crawl_errors where crawl_id is ? and url = ? and reason = ?",
                    [crawl_id, record["url"], record["reason"]],
                ).fetchone()
                if not seen:
                    archive.record_error(crawl_id, site, record["url"], record["reason"])
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
    pipe = client.pipeline()
    for raw in records:
        pipe.lrem(keys.processing, 1, raw)
    for site, n in updated.items():
        pipe.hincrby(keys.counts, f"{site}:updated", n)
    pipe.execute()
    report.records += len(records)


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
    from crawler.crawl import overall_status
    from crawler.items import Article
    from pipelines.store import site_status

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
