"""Scrapy components that make broken servers fail clearly instead of silently.

* :class:`RetryAfterMiddleware` replaces Scrapy's RetryMiddleware: it waits before each
  retry, as long as a 503/429 response's ``Retry-After`` asks (up to
  ``NEWSARCHIVE_RETRY_AFTER_MAX`` seconds), else with exponential backoff
  (``NEWSARCHIVE_RETRY_BACKOFF`` seconds, doubled each try, at most
  ``NEWSARCHIVE_RETRY_BACKOFF_MAX``).
* :class:`RedirectGuardMiddleware` turns redirects that Scrapy would drop without a word
  (to another domain, to a non-http URL, in a loop) into a failure with a reason.
* :class:`ByteCounter` counts the bytes received per request, so a download cut by
  ``DOWNLOAD_MAXSIZE`` can be told from other cancellations.
* :func:`describe_failure` turns any download failure into the one-line reason that goes
  into ``crawl_errors``.

They are enabled in ``crawler/settings.py``.
"""

from __future__ import annotations

import logging
import re
import time
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from http import HTTPStatus
from typing import Any
from urllib.parse import urldefrag, urljoin, urlsplit

from scrapy import signals
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
)
from scrapy.http import Request, Response
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet import error as twisted_error
from twisted.python.failure import Failure
from twisted.web._newclient import ResponseFailed

from crawler.stopping import stopping

_REDIRECTS = (301, 302, 303, 307, 308)
#: request.meta keys set here
BYTES_KEY = "newsarchive_bytes"
RETRY_AFTER_KEY = "newsarchive_retry_after"


class PageRejected(IgnoreRequest):
    """A page deliberately not fetched or not kept; ``reason`` is what the run log shows."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# -- retries --------------------------------------------------------------------------------
def retry_after_seconds(value: bytes | str | None, now: datetime | None = None) -> float | None:
    """A ``Retry-After`` header (delay-seconds or HTTP-date) in seconds; None if unusable."""
    if not value:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


#: How often a retry's wait looks whether the crawl is stopping (Ctrl-C, SIGTERM).
_SLEEP_STEP = 0.1


async def _sleep(seconds: float, crawler: Any = None) -> None:
    """Wait ``seconds``, or less: the wait ends as soon as ``crawler`` is stopping, so a
    retry's backoff or ``Retry-After`` never holds a stopped crawl's exit."""
    if seconds <= 0:
        return
    from twisted.internet import reactor, task

    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        if crawler is not None and stopping(crawler):
            return
        step = min(left, _SLEEP_STEP)
        await maybe_deferred_to_future(task.deferLater(reactor, step, lambda: None))


class RetryAfterMiddleware(RetryMiddleware):
    """RetryMiddleware that waits before retrying: ``Retry-After`` on 503/429, else backoff."""

    def __init__(self, settings: Any) -> None:
        super().__init__(settings)
        self.backoff = settings.getfloat("NEWSARCHIVE_RETRY_BACKOFF", 1.0)
        self.backoff_max = settings.getfloat("NEWSARCHIVE_RETRY_BACKOFF_MAX", 30.0)
        self.retry_after_max = settings.getfloat("NEWSARCHIVE_RETRY_AFTER_MAX", 120.0)

    def _backoff(self, request: Request) -> float:
        tries = int(request.meta.get("retry_times", 0))
        return min(self.backoff * (2**tries), self.backoff_max)

    async def process_response(  # type: ignore[override]
        self, request: Request, response: Response, spider: Any = None
    ) -> Request | Response:
        if request.meta.get("dont_retry", False) or response.status not in self.retry_http_codes:
            return response
        delay = self._backoff(request)
        if response.status in (429, 503):
            asked = retry_after_seconds(response.headers.get(b"Retry-After"))
            if asked is not None:
                if asked > self.retry_after_max:
                    request.meta[RETRY_AFTER_KEY] = asked
                    return response  # not worth waiting for: fail now, say why
                delay = max(delay, asked) if self.backoff else asked
        retry = self._retry(request, _status_text(response.status))
        if retry is None:
            return response
        await _sleep(delay, self.crawler)
        if stopping(self.crawler):  # stopped while waiting: no retry, the failure stands
            return response
        return retry

    async def process_exception(  # type: ignore[override]
        self, request: Request, exception: Exception, spider: Any = None
    ) -> Request | Response | None:
        if not isinstance(exception, self.exceptions_to_retry) or request.meta.get(
            "dont_retry", False
        ):
            return None
        retry = self._retry(request, exception)
        if retry is not None:
            await _sleep(self._backoff(request), self.crawler)
            if stopping(self.crawler):  # stopped while waiting: no retry, the error stands
                return None
        return retry


# -- redirects ------------------------------------------------------------------------------
def _host_regex(domains: list[str]) -> re.Pattern[str] | None:
    domains = [d for d in domains if d]
    if not domains:
        return None
    return re.compile(rf"^(.*\.)?({'|'.join(re.escape(d) for d in domains)})$", re.IGNORECASE)


class RedirectGuardMiddleware:
    """Fail redirects that Scrapy would drop silently, with a reason for the run log.

    Runs before RedirectMiddleware sees the response (a higher order number). A
    redirect to a host outside the spider's ``allowed_domains``, to a non-http(s) URL,
    or back to a URL already in its own chain raises :class:`PageRejected`.
    """

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Any) -> RedirectGuardMiddleware:
        return cls(crawler)

    def process_response(
        self, request: Request, response: Response, spider: Any = None
    ) -> Request | Response:
        spider = self.crawler.spider
        if response.status not in _REDIRECTS or b"Location" not in response.headers:
            return response
        if request.meta.get("dont_redirect") or request.meta.get("handle_httpstatus_all"):
            return response
        location = response.headers[b"Location"].decode("latin-1").strip()
        target = urljoin(request.url, location)
        parts = urlsplit(target)
        if parts.scheme not in ("http", "https"):
            raise PageRejected(
                f"HTTP {response.status} redirect to a URL that is not http(s), not followed: "
                f"{target[:200]}"
            )
        allowed = _host_regex(list(getattr(spider, "allowed_domains", None) or []))
        if allowed is not None and not allowed.search(parts.hostname or ""):
            raise PageRejected(
                f"HTTP {response.status} redirect to another domain, not followed: {target[:200]}"
            )
        chain = [*request.meta.get("redirect_urls", []), request.url]
        seen = {urldefrag(u)[0] for u in chain}
        if urldefrag(target)[0] in seen:
            shown = " -> ".join([*chain, target][-4:])
            raise PageRejected(f"redirect loop: {shown}")
        return response


# -- sizes ------------------------------------------------------------------------------------
class ByteCounter:
    """Counts body bytes per request in ``request.meta[BYTES_KEY]`` (an extension)."""

    @classmethod
    def from_crawler(cls, crawler: Any) -> ByteCounter:
        counter = cls()
        crawler.signals.connect(counter.bytes_received, signal=signals.bytes_received)
        return counter

    def bytes_received(self, data: bytes, request: Request, spider: Any = None) -> None:
        request.meta[BYTES_KEY] = request.meta.get(BYTES_KEY, 0) + len(data)


# -- robots.txt -------------------------------------------------------------------------------
#: The logger of Scrapy's RobotsTxtMiddleware.
ROBOTS_LOGGER = "scrapy.downloadermiddlewares.robotstxt"


class _RobotsErrorOneLine(logging.Filter):
    """Scrapy logs a robots.txt it could not download as an ERROR with the whole Twisted
    traceback (40 lines on a cron job's stderr whenever a portal is down). Make it one
    warning line; the site's pages then fail, or not, and are reported as usual."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args if isinstance(record.args, dict) else {}
        if record.exc_info and "request" in args and "f_exception" in args:
            site = urlsplit(getattr(args["request"], "url", "")).netloc
            record.msg = "robots.txt of %s could not be fetched (%s): its pages are tried anyway"
            record.args = (site, args["f_exception"])
            record.exc_info = None
            record.exc_text = None
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


class RobotsTxtErrors:
    """Extension: installs :class:`_RobotsErrorOneLine` on Scrapy's robots.txt logger."""

    @classmethod
    def from_crawler(cls, crawler: Any) -> RobotsTxtErrors:
        logger = logging.getLogger(ROBOTS_LOGGER)
        if not any(isinstance(f, _RobotsErrorOneLine) for f in logger.filters):
            logger.addFilter(_RobotsErrorOneLine())
        return cls()


# -- reasons ----------------------------------------------------------------------------------
def _status_text(status: int) -> str:
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return str(status)


def _tries(request: Request | None) -> str:
    n = int(request.meta.get("retry_times", 0)) if request is not None else 0
    return f" (gave up after {n + 1} tries)" if n else ""


def describe_failure(failure: Failure, default: str, settings: Any = None) -> str:
    """The reason recorded in ``crawl_errors`` for a failed download: short and specific.

    ``default`` is returned for failures it has nothing better to say about.
    """
    exc = failure.value
    request: Request | None = getattr(failure, "request", None)
    meta = request.meta if request is not None else {}
    maxsize = meta.get("download_maxsize") or (
        settings.getint("DOWNLOAD_MAXSIZE") if settings is not None else 0
    )
    if isinstance(exc, PageRejected):
        return exc.reason
    if isinstance(exc, HttpError):
        response = exc.response
        if response.status in _REDIRECTS:
            return default
        text = f"HTTP {_status_text(response.status)}"
        asked = meta.get(RETRY_AFTER_KEY)
        if asked is not None:
            limit = settings.getfloat("NEWSARCHIVE_RETRY_AFTER_MAX") if settings else None
            text += f"; the server asked to retry after {asked:.0f} s"
            if limit:
                text += f", more than NEWSARCHIVE_RETRY_AFTER_MAX ({limit:.0f} s)"
            return text
        return text + _tries(request)
    if isinstance(exc, DownloadTimeoutError | twisted_error.TimeoutError):
        timeout = meta.get("download_timeout")
        within = f" within DOWNLOAD_TIMEOUT ({timeout:g} s)" if timeout else ""
        return f"download timed out: no complete response{within}{_tries(request)}"
    if isinstance(exc, DownloadCancelledError):
        received = int(meta.get(BYTES_KEY, 0))
        m = re.search(r"Expected to receive (\d+) bytes", str(exc))
        if m:
            return (
                f"page larger than DOWNLOAD_MAXSIZE ({maxsize} bytes): "
                f"the server announced {m.group(1)} bytes"
            )
        if maxsize and received > maxsize:
            return (
                f"page larger than DOWNLOAD_MAXSIZE ({maxsize} bytes): "
                f"download cut after {received} bytes"
            )
        return f"download cancelled after {received} bytes"
    if isinstance(exc, IgnoreRequest):
        text = str(exc)
        m = re.search(r"\((\d+) B compressed, (\d+) B decompressed so far\).*?\((\d+) B\)", text)
        if m and "DOWNLOAD_MAXSIZE" in text:
            return (
                f"page larger than DOWNLOAD_MAXSIZE ({m.group(3)} bytes) once decompressed: "
                f"{m.group(1)} bytes compressed inflated past the limit"
            )
        if "max redirections" in text:
            hops = len(meta.get("redirect_urls", [])) or (
                settings.getint("REDIRECT_MAX_TIMES") if settings is not None else "?"
            )
            return f"too many redirects (more than REDIRECT_MAX_TIMES, {hops} hops)"
        return default
    if isinstance(exc, ResponseDataLossError):
        cause = exc.__cause__
        reasons = getattr(cause, "reasons", []) or []
        reset = any(r.check(twisted_error.ConnectionLost) for r in reasons
                    if isinstance(r, Failure))  # fmt: skip
        how = "reset by the server" if reset else "closed"
        received = meta.get(BYTES_KEY)
        got = f" ({received} bytes received)" if received is not None else ""
        return (
            f"connection {how} before the whole page arrived: body shorter than its "
            f"Content-Length{got}{_tries(request)}"
        )
    if isinstance(exc, ResponseFailed):
        inner = "; ".join(
            str(r.value) for r in getattr(exc, "reasons", []) if isinstance(r, Failure)
        )
        return f"connection lost mid-response: {inner or exc}{_tries(request)}"
    if isinstance(exc, DownloadConnectionRefusedError | twisted_error.ConnectionRefusedError):
        return f"connection refused{_tries(request)}"
    if isinstance(exc, CannotResolveHostError | twisted_error.DNSLookupError):
        host = urlsplit(request.url).hostname if request is not None else "?"
        return f"host not found (DNS): {host}{_tries(request)}"
    if isinstance(exc, twisted_error.ConnectionLost | twisted_error.ConnectionDone):
        return f"connection lost: {exc}{_tries(request)}"
    return default
