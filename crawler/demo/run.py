"""``newsarchive demo``: serve the bundled portal, crawl it, list what was archived."""

from __future__ import annotations

import errno
from pathlib import Path
from typing import Any

from crawler.archive import Archive
from crawler.crawl import CrawlReport, progress_stream, run_crawl
from crawler.demo import (
    DEFAULT_BASE,
    DEFAULT_PORT,
    DEMO_SITES,
    base_url,
    make_server,
    serve_in_thread,
    serve_until_interrupted,
)
from crawler.errors import NewsarchiveError
from crawler.profiles import load_profile

#: The demo runs on loopback: no need to be polite to ourselves.
DEMO_OVERRIDES = {"AUTOTHROTTLE_ENABLED": "False", "DOWNLOAD_DELAY": "0"}


def _server(port: int | None) -> Any:
    try:
        return make_server(port=DEFAULT_PORT if port is None else port)
    except OSError as exc:
        if port is None and exc.errno == errno.EADDRINUSE:
            return make_server(port=0)  # 8765 is taken: any free port will do
        raise NewsarchiveError(f"cannot serve the demo portal on port {port}: {exc}") from exc


def run_demo(db_path: str | Path, port: int | None = None) -> tuple[CrawlReport, list[dict]]:
    """Crawl both demo portals into ``db_path``; return the report and the archived rows."""
    server = _server(port)
    serve_in_thread(server)
    try:
        url = base_url(server)
        profiles = [load_profile(name).rebased(DEFAULT_BASE, url) for name in DEMO_SITES]
        report = run_crawl(
            profiles, db_path, overrides=DEMO_OVERRIDES, progress=progress_stream()
        )
    finally:
        server.shutdown()
        server.server_close()
    with Archive(db_path, readonly=True) as archive:
        rows = list(
            archive.db.query(
                "select site, published_at, title from articles"
                " where site in (?, ?) order by site, published_at",
                list(DEMO_SITES),
            )
        )
    return report, rows


def serve_demo(port: int | None = None) -> None:
    """Serve the demo portal in the foreground until Ctrl-C."""
    server = _server(port)
    print(f"serving the demo portal on {base_url(server)}/ (Ctrl-C to stop)", flush=True)
    serve_until_interrupted(server)
