"""``newsarchive seed``: open a distributed run and put the start pages into the frontier.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from crawler.archive import Archive, utcnow
from crawler.distributed.frontier import (
    Keys,
    _s,
    connect,
    frontier_name,
    make_dupefilter,
    make_queue,
    read_run,
)
from crawler.distributed.worker import DistributedPortalSpider
from crawler.errors import LockedError, UsageError
from crawler.profiles import Profile


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




