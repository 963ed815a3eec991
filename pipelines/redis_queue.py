"""A distributed worker's last pipeline: push each article, with its raw page, to Redis.

Used instead of :class:`~pipelines.store.StorePipeline` by ``newsarchive crawl --redis``;
``newsarchive ingest`` pops the records and writes them with the archive's own code. The
record format and the queue are :mod:`crawler.distributed.queue`; the push and the
request's ack are one Redis transaction.
"""

from __future__ import annotations

from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler

from crawler.distributed.frontier import Keys, ack, connect
from crawler.distributed.queue import encode_record
from crawler.items import Article
from crawler.signals import STAT, aliases_found, page_failed


class RedisQueuePipeline:
    """LPUSH each article to ``newsarchive:NAME:items`` and ack its request, atomically.

    Also pushes an ``error`` record for every failed page (the ``page_failed`` signal)
    and a ``dropped`` record for an article validation refused.
    """

    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        self.crawler = crawler
        self.client = connect(settings.get("REDIS_URL"))
        self.keys = Keys(settings.get("NEWSARCHIVE_FRONTIER"))
        self.crawl_id = settings.getint("NEWSARCHIVE_CRAWL_ID") or None
        self.worker = settings.get("NEWSARCHIVE_WORKER_ID")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RedisQueuePipeline:
        pipeline = cls(crawler)
        crawler.signals.connect(pipeline._on_page_failed, signal=page_failed)
        crawler.signals.connect(pipeline._on_item_dropped, signal=signals.item_dropped)
        crawler.signals.connect(pipeline._on_item_error, signal=signals.item_error)
        crawler.signals.connect(pipeline._on_aliases_found, signal=aliases_found)
        return pipeline

    def _site(self) -> str | None:
        return getattr(self.crawler.spider, "site", None)

    def _push(self, record: bytes, item: Any = None) -> None:
        pipe = self.client.pipeline()  # MULTI/EXEC: the record and the ack together
        pipe.lpush(self.keys.items, record)
        ack(self.client, {"frontier_ack": getattr(item, "frontier_ack", None)}, pipe)
        pipe.execute()

    def process_item(self, item: Article) -> Article:
        record = encode_record("article", crawl_id=self.crawl_id, worker=self.worker,
                               site=self._site(), article=item)  # fmt: skip
        self._push(record, item)
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value(STAT + "queued")
        return item

    def _on_item_dropped(self, item: Any, spider: Any) -> None:
        if spider is not self.crawler.spider or not isinstance(item, Article):
            return
        page_only = Article(url=item.url, site=item.site, page=item.page)
        record = encode_record("dropped", crawl_id=self.crawl_id, worker=self.worker,
                               site=self._site(), article=page_only)  # fmt: skip
        self._push(record, item)
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value(STAT + "dropped")

    def _on_item_error(self, item: Any, response: Any, spider: Any, failure: Any) -> None:
        if spider is not self.crawler.spider:
            return
        url = getattr(item, "url", None) or getattr(response, "url", "?")
        self._on_page_failed(url, f"not archived: {failure.value}", spider, item)

    def _on_aliases_found(self, url: str, aliases: list[str], spider: Any) -> None:
        if spider is not self.crawler.spider:
            return
        record = encode_record("aliases", crawl_id=self.crawl_id, worker=self.worker,
                               site=self._site(), url=url, aliases=list(aliases))  # fmt: skip
        self._push(record)

    def _on_page_failed(self, url: str, reason: str, spider: Any, item: Any = None) -> None:
        if spider is not self.crawler.spider:
            return
        record = encode_record("error", crawl_id=self.crawl_id, worker=self.worker,
                               site=self._site(), url=url, reason=reason)  # fmt: skip
        self._push(record, item)
