"""``newsarchive demo``: serve the bundled portal, crawl it, list what was archived."""

from __future__ import annotations

import errno
from collections.abc import Callable
from pathlib import Path
from typing import Any

from crawler.archive import Archive
from crawler.crawl import CrawlReport, progress_stream, run_crawl
from crawler.demo import (
    DEFAULT_BASE,
    DEFAULT_PORT,
    DEMO_SITES,
    PortalHandler,
    base_url,
    make_server,
    serve_in_thread,
    serve_until_interrupted,
)
from crawler.errors import NewsarchiveError
from crawler.profiles import load_profile

#: The demo runs on loopback: no need to be polite to ourselves.
DEMO_OVERRIDES = {"AUTOTHROTTLE_ENABLED": "False", "DOWNLOAD_DELAY": "0"}


def _is_demo_portal(port: int) -> bool:
    """Whether the server on 127.0.0.1:``port`` is a demo portal (``demo --serve``)."""
    import urllib.error
    import urllib.request

    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: no proxy
    try:
        with opener.open(f"http://127.0.0.1:{port}/", timeout=5) as resp:
            server = resp.headers.get("Server", "")
    except urllib.error.HTTPError as exc:
        server = exc.headers.get("Server", "")
    except (OSError, ValueError):
        return False
    return server.startswith(PortalHandler.server_version)


def _server(port: int | None, *, reuse: bool) -> Any:
    """A demo server on ``port`` (default 8765; 0: any free port), or None when ``reuse``
    and a demo portal already runs there (``demo --serve``: the same pages)."""
    port = DEFAULT_PORT if port is None else port
    try:
        return make_server(port=port)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            if _is_demo_portal(port):
                if reuse:
                    return None
                raise NewsarchiveError(
                    f"port {port} is taken: a demo portal already serves "
                    f"http://127.0.0.1:{port}/ (another `newsarchive demo --serve`?)"
                ) from None
            hint = "" if port != DEFAULT_PORT else (
                " (the demo-* profiles point at 8765: stop the program that holds it,"
                " or pass --port N to crawl a copy on port N)"
            )  # fmt: skip
            raise NewsarchiveError(
                f"port {port} is already in use by another program{hint}"
            ) from None
        raise NewsarchiveError(
            f"cannot serve the demo portal on port {port}: {exc.strerror or exc}"
        ) from exc


def run_demo(
    db_path: str | Path, port: int | None = None, notice: Callable[[str], None] | None = None
) -> tuple[CrawlReport, list[dict]]:
    """Crawl both demo portals into ``db_path``; return the report and the archived rows.

    The portal is served on ``port`` (default 8765, where the demo-* profiles point), or,
    when ``newsarchive demo --serve`` already serves it there, that server is crawled
    (``notice`` is told). The port never changes silently, so a rerun finds the same
    URLs and archives nothing twice.
    """
    server = _server(port, reuse=True)
    if server is None:
        url = f"http://127.0.0.1:{DEFAULT_PORT if port is None else port}"
        if notice:
            notice(f"crawling the demo portal already served on {url}/")
    else:
        serve_in_thread(server)
        url = base_url(server)
    try:
        profiles = [load_profile(name).rebased(DEFAULT_BASE, url) for name in DEMO_SITES]
        report = run_crawl(
            profiles, db_path, overrides=DEMO_OVERRIDES, progress=progress_stream()
        )
    finally:
        if server is not None:
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
    """Serve the demo portal in the foreground until Ctrl-C, on ``port`` (default 8765);
    a port in use is an error (:class:`NewsarchiveError`), never another port."""
    server = _server(port, reuse=False)
    print(f"serving the demo portal on {base_url(server)}/ (Ctrl-C to stop)", flush=True)
    serve_until_interrupted(server)
