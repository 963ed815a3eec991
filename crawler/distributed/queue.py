"""The items queue of a distributed run: the records workers push to Redis
(:class:`pipelines.redis_queue.RedisQueuePipeline`) and ``newsarchive ingest`` pops
(:mod:`crawler.distributed.ingest`) and writes with the archive's own code.

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

from crawler.items import Article, RawPage

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
