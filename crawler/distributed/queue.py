"""The items queue of a distributed run: the records workers push to Redis
(:class:`pipelines.redis_queue.RedisQueuePipeline`) and ``newsarchive ingest`` pops
(:mod:`crawler.distributed.ingest`) and writes with the archive's own code.

A record (version 2) is a small binary frame: a JSON header, then raw byte segments::

    b"NAR2" | header length (uint32, little-endian) | header (JSON, UTF-8) | segment 0 | ...

    {"v": 2, "kind": "article" | "dropped" | "error" | "aliases", "id": "...",
     "worker": "...", "crawl_id": 7, "site": "ccn",
     "segments": [n0, n1, ...],                       # byte length of each segment
     "article": {url, site, title, published_at, source, author, editor, body, fetched_at,
                 pages_missing},
     "page": {url, site, final_url, status, headers, fetched_at, page_no,
              "codec": "zstd", "size": bytes of the response body,
              "data": segment of the stored (compressed) body},
     "extra_pages": [page, ...],                      # pages 2, 3, ... of the article
     "aliases": ["...", ...],                         # other URLs of the article
     "prepared": {"text": CRC-32 of title + NUL + body (UTF-8),
                  "sketch": [...], "shingles": segment,   # dedupe.Fingerprint, or both null
                  "fts": segment, "fts_title": n},        # zstd of the two token buffers
     "url": ..., "reason": ...}                       # errors only ("aliases": url too)

The worker has already done the per-article CPU work a local crawl does in its extraction
workers: the page is compressed as the ``pages`` table stores it, the body's duplicate-check
fingerprint and the search index's token buffers are computed. ``ingest`` only checks that
they belong to the record's text (the CRC) and writes them; a record without them, or
whose prepared data does not fit its text, is stored the slow way (the archive computes
them), as are version-1 records (one JSON object, page ``body_z`` = base64 of zlib) from
older workers. No record is ever unpickled.

``dropped`` is an article page validation refused: only its page is kept (as a local
crawl keeps it). The push and the request's ack are one Redis transaction.
"""

from __future__ import annotations

import base64
import json
import struct
import threading
import uuid
import zlib
from typing import Any

import zstandard

from crawler import search as fts
from crawler.archive import compression, dedupe
from crawler.items import Article, RawPage

#: The version :func:`encode_record` writes; :func:`decode_record` reads 1 and 2.
VERSION = 2
MAGIC = b"NAR2"
_HEAD = struct.Struct("<4sI")
#: Zstandard level of the token buffers (they compress ~3x; level 1 costs the worker
#: ~0.1 ms per article and ingest ~0.01 ms to inflate).
FTS_LEVEL = 1

_local = threading.local()


def _zstd() -> tuple[zstandard.ZstdCompressor, zstandard.ZstdDecompressor]:
    pair = getattr(_local, "zstd", None)
    if pair is None:  # one per thread: zstandard objects are not thread-safe
        pair = _local.zstd = (zstandard.ZstdCompressor(level=FTS_LEVEL),
                              zstandard.ZstdDecompressor())  # fmt: skip
    return pair


def text_crc(title: str | None, body: str | None) -> int:
    """CRC-32 of the text the prepared data was computed from (title, NUL, body)."""
    return zlib.crc32(f"{title or ''}\x00{body or ''}".encode("utf-8", "surrogatepass"))


# -- encoding (the worker) -----------------------------------------------------------------------
class _Frame:
    def __init__(self) -> None:
        self.segments: list[bytes] = []

    def add(self, data: bytes) -> int:
        self.segments.append(data)
        return len(self.segments) - 1


def _page_head(page: RawPage, frame: _Frame) -> dict[str, Any]:
    if page.compressed is not None and page.compression:
        codec, data = page.compression, page.compressed
    else:
        codec, data = compression.compress(page.body)
    return {
        "url": page.url, "site": page.site, "final_url": page.final_url, "status": page.status,
        "headers": page.headers, "fetched_at": page.fetched_at, "page_no": page.page_no,
        "codec": codec, "size": len(page.body), "data": frame.add(data),
    }  # fmt: skip


def prepare(article: Article) -> None:
    """Compute what the extraction worker did not (a multi-page article's whole body):
    ``article.fingerprint`` and ``article.fts_buffers``, from its current text."""
    if article.fingerprint is None:
        article.fingerprint = dedupe.fingerprint(article.body or "")
    if article.fts_buffers is None:
        article.fts_buffers = (fts.document_buffer(article.title or ""),
                               fts.document_buffer(article.body or ""))  # fmt: skip


def _prepared_head(article: Article, frame: _Frame) -> dict[str, Any]:
    prepare(article)
    assert article.fts_buffers is not None
    title_buf, body_buf = article.fts_buffers
    fp = article.fingerprint
    return {
        "text": text_crc(article.title, article.body),
        "sketch": list(fp.sketch) if fp else None,
        "shingles": frame.add(fp.packed) if fp else None,
        "fts": frame.add(_zstd()[0].compress(title_buf + body_buf)),
        "fts_title": len(title_buf),
    }


def encode_record(kind: str, *, crawl_id: int | None, worker: str | None, site: str | None,
                  article: Article | None = None, **extra: Any) -> bytes:  # fmt: skip
    """One record for the ``items`` list (version 2).

    An ``article`` record carries the prepared data (:func:`prepare` computes what the
    article lacks); its ``fingerprint`` and ``fts_buffers`` must be those of its current
    title and body, as the extraction worker leaves them.
    """
    frame = _Frame()
    record: dict[str, Any] = {
        "v": VERSION, "kind": kind, "id": uuid.uuid4().hex, "worker": worker,
        "crawl_id": crawl_id, "site": site, **extra,
    }  # fmt: skip
    if article is not None:
        record["article"] = article.to_dict()
        if article.page is not None:
            record["page"] = _page_head(article.page, frame)
        if article.extra_pages:
            record["extra_pages"] = [_page_head(p, frame) for p in article.extra_pages]
        if article.aliases:
            record["aliases"] = list(article.aliases)
        if kind == "article":
            record["prepared"] = _prepared_head(article, frame)
    record["segments"] = [len(s) for s in frame.segments]
    head = json.dumps(record, ensure_ascii=False).encode("utf-8")
    return b"".join((_HEAD.pack(MAGIC, len(head)), head, *frame.segments))


# -- decoding (ingest) ------------------------------------------------------------------------
def decode_record(raw: bytes | str) -> dict[str, Any]:
    """A record with ``article`` as :class:`Article` and ``page`` as :class:`RawPage`.

    The article's ``fingerprint`` and ``fts_buffers`` and the pages' compressed bodies
    are set from the prepared data when it is there and fits the record's text; else
    they are left empty (None) and the archive computes them. ``record["prepared"]`` is
    True when all of it was usable. Raises :class:`ValueError` for a record that cannot
    be read (unknown version, truncated, corrupt page data).
    """
    if isinstance(raw, str):
        raw = raw.encode("utf-8")
    try:
        record = _decode_v1(raw) if raw[:1] == b"{" else _decode_v2(raw)
    except (TypeError, KeyError, AttributeError, IndexError) as exc:
        raise ValueError(f"malformed record ({type(exc).__name__}: {exc})") from None
    _check(record)
    return record


#: What each kind of record must hold, for ``ingest``.
_NEEDS = {"article": ("article",), "dropped": (), "error": ("url", "reason"),
          "aliases": ("url", "aliases")}  # fmt: skip


def _check(record: dict[str, Any]) -> None:
    kind = record.get("kind")
    if kind not in _NEEDS:
        raise ValueError(f"unknown record kind {kind!r}")
    missing = [k for k in _NEEDS[kind] if not record.get(k)]
    if missing:
        raise ValueError(f"{kind} record without {', '.join(missing)}")
    article = record.get("article")
    if article is not None and not article.url:
        raise ValueError(f"{kind} record: an article without a url")


def _decode_v2(raw: bytes) -> dict[str, Any]:
    if len(raw) < _HEAD.size:
        raise ValueError("truncated record")
    magic, size = _HEAD.unpack_from(raw)
    if magic != MAGIC:
        raise ValueError(f"unknown record format {magic!r}")
    end = _HEAD.size + size
    try:
        record = json.loads(raw[_HEAD.size : end])
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"unreadable record header: {exc}") from None
    if record.get("v") != VERSION:
        raise ValueError(f"unknown record version {record.get('v')!r}")
    view = memoryview(raw)
    segments: list[bytes] = []
    for n in record.get("segments") or ():
        if not isinstance(n, int) or n < 0:
            raise ValueError(f"record header: segment length {n!r}")
        segments.append(bytes(view[end : end + n]))
        end += n
    if end != len(raw):
        raise ValueError(f"record is {len(raw)} bytes, its segments say {end}")
    if record.get("article") is not None:
        article = _article(record)
        article.extra_pages = [_page_v2(p, segments) for p in record.get("extra_pages") or []]
        record["prepared"] = _apply_prepared(article, record.get("prepared"), segments)
        record["article"] = article
    else:
        record["prepared"] = False
    page = record.get("page")
    if page is not None:
        record["page"] = _page_v2(page, segments)
    return record


def peek(raw: bytes) -> dict[str, Any]:
    """What can be read of a record that :func:`decode_record` refused: its header
    (JSON: kind, crawl_id, site, article URL ...), or ``{}``."""
    try:
        if raw[:1] == b"{":
            head = json.loads(raw)
        else:
            magic, size = _HEAD.unpack_from(raw)
            head = json.loads(raw[_HEAD.size : _HEAD.size + size]) if magic == MAGIC else {}
    except (struct.error, UnicodeDecodeError, json.JSONDecodeError):
        return {}
    return head if isinstance(head, dict) else {}


def _article(record: dict[str, Any]) -> Article:
    names = set(Article.field_names())
    article = Article(**{k: v for k, v in record["article"].items() if k in names})
    article.aliases = tuple(record.get("aliases") or ())
    return article


def _page_v2(page: dict[str, Any], segments: list[bytes]) -> RawPage:
    """The page, its body inflated from the stored bytes (which the archive then keeps
    as they are): a body that does not inflate to its size is a corrupt record."""
    codec, size = page.pop("codec", None), page.pop("size", None)
    try:
        data = segments[page.pop("data")]
        body = compression.decompress(codec, data)
    except (IndexError, KeyError, TypeError) as exc:
        raise ValueError(f"page {page.get('url')}: no page data ({exc})") from None
    except ValueError as exc:
        raise ValueError(f"page {page.get('url')}: {exc}") from None
    if size is not None and size != len(body):
        raise ValueError(f"page {page.get('url')}: {len(body)} bytes, the record says {size}")
    return RawPage(body=body, compressed=data, compression=codec, **page)


def _apply_prepared(article: Article, prepared: Any, segments: list[bytes]) -> bool:
    """Set the article's fingerprint and token buffers from ``prepared`` if it fits the
    article's text; returns whether it did (else both stay None: the archive computes
    them)."""
    if not isinstance(prepared, dict) or prepared.get("text") != text_crc(
        article.title, article.body
    ):
        return False
    try:
        sketch, shingles = prepared.get("sketch"), prepared.get("shingles")
        if sketch is None and shingles is None:
            fingerprint = None  # too short to be linked: the archive sees so at once
        else:
            packed = segments[shingles]
            if (not sketch or len(packed) % 4 or len(sketch) > dedupe.SKETCH_SIZE
                    or len(sketch) > len(packed) // 4 or sketch != sorted(sketch)):  # fmt: skip
                return False
            fingerprint = dedupe.Fingerprint(tuple(sketch), packed)
        buffers = _zstd()[1].decompress(segments[prepared["fts"]])
        split = prepared["fts_title"]
        if not isinstance(split, int) or not 0 <= split <= len(buffers):
            return False
    except (IndexError, KeyError, TypeError, zstandard.ZstdError):
        return False
    article.fingerprint = fingerprint
    article.fts_buffers = (buffers[:split], buffers[split:])
    return True


# -- version 1 (workers before the prepared data) -------------------------------------------------
def _page_from_v1(page: dict[str, Any]) -> RawPage:
    try:
        body = zlib.decompress(base64.b64decode(page.pop("body_z")))
    except (KeyError, ValueError, zlib.error) as exc:
        raise ValueError(f"page {page.get('url')}: unreadable body ({exc})") from None
    return RawPage(body=body, **page)


def _decode_v1(raw: bytes) -> dict[str, Any]:
    try:
        record = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"unreadable record: {exc}") from None
    if record.get("v") != 1:
        raise ValueError(f"unknown record version {record.get('v')!r}")
    if record.get("article") is not None:
        article = _article(record)
        article.extra_pages = [_page_from_v1(p) for p in record.get("extra_pages") or []]
        record["article"] = article
    record["prepared"] = False
    page = record.get("page")
    if page is not None:
        record["page"] = _page_from_v1(page)
    return record
