"""A distributed worker's last pipeline: push each article, with its raw page, to Redis.

Used instead of :class:`~pipelines.store.StorePipeline` by ``newsarchive crawl --redis``;
``newsarchive ingest`` pops the records and writes them with the archive's own code.

A record is one JSON object (UTF-8)::

    {"v": 1, "kind": "article" | "dropped" | "error" | "aliases", "id": "...",
     "worker": "...", "crawl_id": 7, "site": "ccn",
     "article": {url, site, title, published_at, source, author, editor, body, fetched_at,
                 pages_missing},
     "page": {url, site, final_url, status, headers, fetched_at, page_no,
              "body_z": base64 of the zlib-compressed response body},
     "extra_pages": [page, ...],                      # pages 2, 3, ... of the article
     "aliases": ["...", ...],                         # other URLs of the article
     "url": ..., "reason": ...}                       # errors only ("aliases": url too)

``dropped`` is an article page validation refused: only its page is kept (as a local
crawl keeps it). The push and the request's ack are one Redis transaction.
"""

from __future__ import annotations

import base64
import json
import uuid
import zlib
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler

from crawler.items import Article, RawPage
from crawler.signals import STAT, aliases_found, page_failed

VERSION = 1


def _page_dict(page: RawPage) -> dict[str, Any]:
    return {
        "url": page.url, "site": page.site, "final_url": page.final_url, "status": page.status,
        "headers": page.headers, "fetched_at": page.fetched_at, "page_no": page.page_no,
        "body_z": base64.b64encode(zlib.compress(page.body, 1)).decode("ascii"),
    }  # fmt: skip


def _page_from_dict(page: dict[str, Any]) -> RawPage:
    body = zlib.decompress(base64.b64decode(page.pop("body_z")))
    return RawPage(body=body, **page)


def encode_record(kind: str, *, crawl_id: int | None, worker: str | None, site: str | None,
                  article: Article | None = None, **extra: Any) -> bytes:  # fmt: skip
    """One record for the ``items`` list."""
    record: dict[str, Any] = {
        "v": VERSION, "kind": kind, "id": uuid.uuid4().hex, "worker": worker,
        "crawl_id": crawl_id, "site": site, **extra,
    }  # fmt: skip
    if article is not None:
        record["article"] = article.to_dict()
        if article.page is not None:
            record["page"] = _page_dict(article.page)
        if article.extra_pages:
            record["extra_pages"] = [_page_dict(p) for p in article.extra_pages]
        if article.aliases:
            record["aliases"] = list(article.aliases)
    return json.dumps(record, ensure_ascii=False).encode("utf-8")


def decode_record(raw: bytes | str) -> dict[str, Any]:
    """A record with ``article`` as :class:`Article` and ``page`` as :class:`RawPage`."""
    record = json.loads(raw)
    if record.get("v") != VERSION:
        raise ValueError(f"unknown record version {record.get('v')!r}")
    if record.get("article") is not None:
        names = set(Article.field_names())
        article = Article(**{k: v for k, v in record["article"].items() if k in names})
        article.aliases = tuple(record.get("aliases") or ())
        article.extra_pages = [_page_from_dict(p) for p in record.get("extra_pages") or []]
        record["article"] = article
    page = record.get("page")
    if page is not None:
        record["page"] = _page_from_dict(page)
    return record


class RedisQueuePipeline:
    """LPUSH each article to ``newsarchive:NAME:items`` and ack its request, atomically.

    Also pushes an ``error`` record for every failed page (the ``page_failed`` signal)
    and a ``dropped`` record for an article validation refused.
    """

    def __init__(self, crawler: Crawler) -> None:
        from crawler.distributed.run import Keys, connect

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
        from crawler.distributed.run import ack

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
