"""Stop a crawl at once on the first Ctrl-C or SIGTERM: no request starts after it.

Scrapy's graceful stop closes the spider once every request already handed to the
downloader is done, and that includes requests still waiting in a download slot's
queue for their ``DOWNLOAD_DELAY`` turn: with a delay of 2 s and 16 queued requests, a
Ctrl-C took 25 s and fetched a dozen more pages. :func:`stop_scheduling` fails those
waiting requests with :class:`Stopped` (the spider ignores it: nothing is recorded as an
error), and :class:`StopGuard` fails any request that reaches the downloader later (a
redirect, a retry) and marks failures seen after the stop ``dont_retry``. Requests
already on the wire finish or time out within ``DOWNLOAD_TIMEOUT``, their articles are
stored, and the run ends ``interrupted``.
"""

from __future__ import annotations

from typing import Any

from scrapy import signals
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request, Response
from twisted.internet import task
from twisted.python.failure import Failure


class Stopped(IgnoreRequest):
    """The crawl is stopping: this request was not sent."""

    def __init__(self) -> None:
        super().__init__("not sent: the crawl is stopping")


def _late(crawler: Any, name: str) -> Any:
    """``crawler.engine`` or ``crawler.stats``, or None before the crawl created it."""
    try:
        return getattr(crawler, name, None)
    except RuntimeError:  # Scrapy's "Crawler.engine is not set yet"
        return None


def stopping(crawler: Any) -> bool:
    """True once the crawler's engine was told to stop (a signal, or ``crawler.stop()``)."""
    engine = _late(crawler, "engine")
    if engine is None:
        return False
    flag = getattr(engine, "_stopping", None)  # set by ExecutionEngine.stop_async()
    if flag is not None:
        return bool(flag)
    return not engine.running and getattr(engine, "start_time", None) is not None


def stop_scheduling(crawler: Any) -> int:
    """Fail every request waiting in the crawler's download slots; returns how many."""
    engine = _late(crawler, "engine")
    downloader = getattr(engine, "downloader", None)
    if downloader is None:
        return 0
    dropped = 0
    for slot in list(downloader.slots.values()):
        while slot.queue:
            _request, deferred = slot.queue.popleft()
            deferred.errback(Failure(Stopped()))
            dropped += 1
    stats = _late(crawler, "stats")
    if dropped and stats is not None:
        stats.inc_value("newsarchive/not_sent_when_stopping", dropped)
    return dropped


class StopGuard:
    """Downloader middleware, last before the download: refuses requests once the crawl
    is stopping, and empties the download queues as soon as it sees the stop (for
    ``scrapy crawl``; ``newsarchive crawl`` empties them in the signal handler itself)."""

    WATCH_SECONDS = 0.1

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        self.stopped = False
        self.watch: task.LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler: Any) -> StopGuard:
        guard = cls(crawler)
        crawler.signals.connect(guard._opened, signal=signals.spider_opened)
        crawler.signals.connect(guard._closed, signal=signals.spider_closed)
        return guard

    def process_request(self, request: Request, spider: Any = None) -> None:
        if stopping(self.crawler):
            raise Stopped()

    # First to see a response or a download error: once the crawl is stopping, a failed
    # page is not retried (the retry would wait for its backoff or Retry-After, and the
    # next run fetches it again anyway).
    def process_response(self, request: Request, response: Response,
                         spider: Any = None) -> Response:  # fmt: skip
        if stopping(self.crawler):
            request.meta["dont_retry"] = True
        return response

    def process_exception(self, request: Request, exception: Exception,
                          spider: Any = None) -> None:  # fmt: skip
        if stopping(self.crawler):
            request.meta["dont_retry"] = True

    def _opened(self) -> None:
        self.watch = task.LoopingCall(self._check)
        self.watch.start(self.WATCH_SECONDS, now=False)

    def _check(self) -> None:
        if not self.stopped and stopping(self.crawler):
            self.stopped = True
            stop_scheduling(self.crawler)

    def _closed(self) -> None:
        if self.watch is not None and self.watch.running:
            self.watch.stop()
