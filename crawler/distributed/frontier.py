"""The shared frontier on Redis: its keys, the connection, the reliable queue with its
in-flight requests, the scheduler (scrapy-redis) and :class:`Frontier` queries.

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
``items``                  list    records: articles with their raw page, errors
``processing``             list    records ingest has popped and not yet committed
``rejected``               list    records ingest could not read, kept as they were
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
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from scrapy_redis import picklecompat
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.queue import PriorityQueue
from scrapy_redis.scheduler import Scheduler

from crawler.errors import NewsarchiveError, UsageError

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
#: A worker's per-site counts (``workers`` hash; ``crawl_workers`` columns).
WORKER_COUNTS = ("pages", "list_pages", "articles_fetched", "queued", "dropped",
                 "already_archived", "errors")  # fmt: skip

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
        self.rejected = f"{self.base}:rejected"
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




