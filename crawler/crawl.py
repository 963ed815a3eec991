"""Run a crawl: lock the archive, log the run, run one portal spider per site.

This is the library behind ``newsarchive crawl``. Scrapy's reactor can run once per
process, so :func:`run_crawl` is called at most once per process.
"""

from __future__ import annotations

import fcntl
import os
import signal
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from crawler.archive import Archive
from crawler.errors import ArchiveError, ExitCode, LockedError, UsageError
from crawler.profiles import Profile
from crawler.signals import STAT

#: The "URL" of the error recorded for a site whose crawl could not start.
START_UP = "(start-up)"

STATUS_EXIT = {
    "ok": ExitCode.OK,
    "partial": ExitCode.PARTIAL,
    "failed": ExitCode.PARTIAL,
    "interrupted": ExitCode.PARTIAL,
}


@dataclass
class SiteReport:
    site: str
    status: str = "ok"
    list_pages: int = 0
    new: int = 0
    updated: int = 0
    already_archived: int = 0
    errors: int = 0
    error_samples: list[tuple[str, str]] = field(default_factory=list)
    health: dict[str, Any] = field(default_factory=dict)
    health_warning: str | None = None
    #: Why the site's crawl could not start at all (it then has status ``failed``).
    start_error: str | None = None

    def line(self) -> str:
        text = (
            f"{self.site}: {self.list_pages} list pages, {self.new} new, "
            f"{self.already_archived} already archived, {self.errors} errors"
        )
        if self.updated:
            text = text.replace(" new,", f" new, {self.updated} updated,")
        return text


@dataclass
class CrawlReport:
    crawl_id: int
    status: str
    sites: list[SiteReport]

    @property
    def exit_code(self) -> ExitCode:
        return STATUS_EXIT.get(self.status, ExitCode.PARTIAL)

    def summary(self) -> str:
        """The one-line summary ``newsarchive crawl`` prints."""
        return f"crawl {self.crawl_id} {self.status}: " + "; ".join(s.line() for s in self.sites)

    def warnings(self) -> list[str]:
        """One line per site whose extraction health looks broken."""
        return [f"warning: {s.site}: {s.health_warning}" for s in self.sites if s.health_warning]


@contextmanager
def archive_lock(db_path: str | Path) -> Iterator[None]:
    """Hold an exclusive ``flock`` on the archive file for the whole run.

    The OS drops the lock when the process dies, even by SIGKILL, so a stale lock
    never blocks the next run. Raises :class:`LockedError` at once if it is taken.
    """
    path = Path(db_path)
    if path.is_dir():
        raise ArchiveError(f"{path}: is a directory, not an archive file")
    if not path.parent.is_dir():
        raise ArchiveError(f"{path}: folder {path.parent} does not exist")
    try:
        fd = os.open(str(path), os.O_RDONLY | os.O_CREAT, 0o644)
    except OSError as exc:
        raise ArchiveError(f"{path}: cannot create the archive ({exc.strerror})") from exc
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise LockedError(
                f"{db_path}: another newsarchive crawl is running on this archive; "
                "not starting a second one"
            ) from None
        yield
    finally:
        os.close(fd)


@contextmanager
def _signals_kept(received: list[int]) -> Iterator[None]:
    """Until Scrapy installs its own handlers, keep Ctrl-C and SIGTERM in ``received``
    (the crawl acts on them once it runs): an exception raised in the middle of Scrapy's
    set-up would be swallowed and the run logged as ok. Restores the old handlers."""
    kinds = (signal.SIGINT, signal.SIGTERM)
    previous = {signum: signal.getsignal(signum) for signum in kinds}
    for signum in kinds:
        signal.signal(signum, lambda signum, _frame: received.append(signum))
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def parse_setting_overrides(pairs: Sequence[str]) -> dict[str, str]:
    """``["NAME=VALUE", ...]`` (from ``-s``) as a dict; raises UsageError on a bad pair
    or on a value of the wrong type for a known setting (:mod:`crawler.options`)."""
    from crawler.options import check_overrides

    out: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise UsageError(f"-s {pair!r}: expected NAME=VALUE")
        out[name.strip()] = value
    check_overrides(out)
    return out


def build_settings(
    db_path: str | Path,
    overrides: dict[str, str] | None = None,
    *,
    verbose: bool = False,
    log_file: str | None = None,
) -> Any:
    """The project's Scrapy settings with the archive path, logging and ``-s`` overrides."""
    from scrapy.settings import Settings

    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    settings.set("ARCHIVE_DB", str(db_path), priority="cmdline")
    if verbose or log_file:
        settings.set("LOG_ENABLED", True, priority="cmdline")
        settings.set("LOG_LEVEL", "DEBUG" if verbose else "INFO", priority="cmdline")
        if log_file:
            settings.set("LOG_FILE", log_file, priority="cmdline")
    else:
        settings.set("LOG_LEVEL", "ERROR", priority="cmdline")
    for name, value in (overrides or {}).items():
        settings.set(name, value, priority="cmdline")
    return settings


def run_crawl(
    profiles: Sequence[Profile],
    db_path: str | Path,
    *,
    overrides: dict[str, str] | None = None,
    full: bool = False,
    refresh: bool = False,
    since: str | None = None,
    verbose: bool = False,
    log_file: str | None = None,
    progress: IO[str] | None = None,
) -> CrawlReport:
    """Crawl ``profiles`` into the archive at ``db_path`` and log the run.

    Raises :class:`~crawler.errors.ArchiveError` when the archive cannot be used and
    :class:`~crawler.errors.LockedError` when another crawl holds it.
    """
    names = [p.name for p in profiles]
    if len(set(names)) != len(names):
        raise UsageError(f"a site is named twice: {', '.join(names)}")
    # The lock is taken before the archive is opened or migrated.
    early_signals: list[int] = []
    with _signals_kept(early_signals), archive_lock(db_path), Archive(db_path) as archive:
        archive.mark_stale_crawls()
        last_ok = list(
            archive.db.query(
                "select started_at from crawls where status = 'ok' order by id desc limit 1"
            )
        )
        crawl_id = archive.start_crawl(names, os.getpid())
        settings = build_settings(db_path, overrides, verbose=verbose, log_file=log_file)
        settings.set("NEWSARCHIVE_CRAWL_ID", crawl_id, priority="cmdline")
        if last_ok:
            settings.set("NEWSARCHIVE_LAST_RUN", last_ok[0]["started_at"], priority="cmdline")
        try:
            reports = _run_spiders(
                profiles, settings, full, refresh, since, progress, early_signals
            )
        except BaseException:
            archive.finish_crawl(crawl_id, "failed", {})
            raise
        for report in reports:
            if report.start_error:
                archive.record_error(crawl_id, report.site, START_UP, report.start_error)
            report.health_warning = archive.health_warning(report.site, report.health)
            if report.health_warning and report.status == "ok":
                report.status = "partial"
        status = overall_status([r.status for r in reports])
        archive.finish_crawl(
            crawl_id, status, {r.site: {**vars(r), **r.health} for r in reports}
        )
        return CrawlReport(crawl_id, status, reports)




def overall_status(statuses: Sequence[str]) -> str:
    if "interrupted" in statuses:
        return "interrupted"
    if statuses and all(s == "failed" for s in statuses):
        return "failed"
    if any(s != "ok" for s in statuses):
        return "partial"
    return "ok"


def _run_spiders(
    profiles: Sequence[Profile],
    settings: Any,
    full: bool,
    refresh: bool,
    since: str | None,
    progress: IO[str] | None,
    early_signals: list[int],
) -> list[SiteReport]:
    from crawler.worker import POOL
    from pipelines.store import ARCHIVES, site_counts, site_status
    from spiders.portal import PortalSpider

    process = _crawl_process(settings)
    crawlers = []
    #: Sites whose crawler could not start (a pipeline or extension that does not load, a
    #: spider whose set-up raised): site -> the reason, reported as a failed site.
    not_started: dict[str, str] = {}
    for profile in profiles:
        crawler = process.create_crawler(PortalSpider)
        done = process.crawl(crawler, profile=profile, full=full, refresh=refresh, since=since)
        done.addErrback(_not_started, profile.name, not_started)
        crawlers.append((profile, crawler))
    stop_progress = _start_progress(progress, [c for _, c in crawlers])

    from twisted.internet import reactor  # installed by process.crawl()

    def replay_early_signals() -> None:  # Scrapy's handlers are in place by now
        for count, signum in enumerate(early_signals[:2]):
            (process._signal_kill if count else process._signal_shutdown)(signum, None)

    reactor.callWhenRunning(reactor.callLater, 0, replay_early_signals)  # type: ignore[attr-defined]
    try:
        process.start()
    finally:
        stop_progress()
        if process.signals_received >= 2:
            # stopped at once: the spiders were never closed. Commit what the pipelines
            # stored (the run log is written on another connection next) and end the
            # extraction workers without waiting for them.
            ARCHIVES.close_all()
            POOL.terminate()
    reports = []
    for profile, crawler in crawlers:
        stats = crawler.stats.get_stats() if crawler.stats else {}
        counts = site_counts(stats)
        reason = stats.get("finish_reason")
        if process.signals_received and reason != "finished":
            reason = "shutdown"  # a second signal leaves no finish_reason
        status = site_status(counts, reason)
        errors = list(getattr(crawler.spider, "errors", []))
        start_error = not_started.get(profile.name)
        if start_error:
            status = "failed"
            counts["errors"] = counts.get("errors", 0) + 1
            errors.insert(0, (START_UP, start_error))
        health = stats.get(STAT + "health") or {}
        reports.append(
            SiteReport(profile.name, status, error_samples=errors[:20], health=health,
                       start_error=start_error, **counts)  # fmt: skip
        )
    return reports


def _not_started(failure: Any, site: str, not_started: dict[str, str]) -> None:
    """Errback of a site's crawl: it raised before or while starting (Scrapy would log an
    unhandled error with a traceback and the run would look fine)."""
    exc = failure.value
    not_started[site] = f"the crawl could not start: {type(exc).__name__}: {exc}"


def _crawl_process(settings: Any) -> Any:
    """A Scrapy ``CrawlerProcess`` whose first SIGINT/SIGTERM also stops every request
    not yet sent (:func:`crawler.stopping.stop_scheduling`), and which counts signals."""
    from scrapy.crawler import CrawlerProcess

    from crawler.stopping import stop_scheduling

    class CrawlProcess(CrawlerProcess):
        signals_received = 0

        # Scrapy's handlers: the first signal stops gracefully, the second stops the
        # reactor at once. Both run in the signal handler; work goes to the reactor.
        def _signal_shutdown(self, signum: int, frame: Any) -> None:
            from twisted.internet import reactor

            self.signals_received = 1
            super()._signal_shutdown(signum, frame)
            reactor.callFromThread(self._stop_scheduling)  # type: ignore[attr-defined]

        def _signal_kill(self, signum: int, frame: Any) -> None:
            self.signals_received = 2
            super()._signal_kill(signum, frame)

        def _stop_scheduling(self) -> None:
            for crawler in self.crawlers:
                stop_scheduling(crawler)

    return CrawlProcess(settings)


def _start_progress(stream: IO[str] | None, crawlers: list[Any]) -> Callable[[], None]:
    """A live progress line on ``stream`` while the reactor runs (terminals only)."""
    if stream is None:
        return lambda: None
    from twisted.internet import reactor, task

    def total(key: str) -> int:
        return sum(int(c.stats.get_value(STAT + key) or 0) for c in crawlers if c.stats)

    def draw() -> None:
        pages = sum(
            int(c.stats.get_value("response_received_count") or 0) for c in crawlers if c.stats
        )
        stream.write(
            f"\r{pages} pages fetched, {total('new')} new articles, {total('errors')} errors "
        )
        stream.flush()

    loop = task.LoopingCall(draw)
    reactor.callWhenRunning(loop.start, 0.5)  # type: ignore[attr-defined]

    def stop() -> None:
        if loop.running:
            loop.stop()
        stream.write("\r" + " " * 70 + "\r")
        stream.flush()

    return stop


def progress_stream() -> IO[str] | None:
    """stderr when it is a terminal, else None (cron gets no progress line)."""
    return sys.stderr if sys.stderr.isatty() else None
