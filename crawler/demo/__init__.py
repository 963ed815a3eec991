"""The bundled demo portal and a small static HTTP server for it.

The server sends no charset in ``Content-Type``: pages declare theirs in ``<meta>``,
as the GBK portal of the demo does. It can log every request it receives (one
``METHOD PATH`` line each), which the tests use to see what a crawl fetched.

``python -m crawler.demo --port 0`` runs it in the foreground and prints its base URL.
"""

from __future__ import annotations

import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

PORTAL_DIR = Path(__file__).resolve().parent / "portal"
#: The port the bundled demo profiles point at.
DEFAULT_PORT = 8765
DEFAULT_BASE = f"http://127.0.0.1:{DEFAULT_PORT}"
DEMO_SITES = ("demo-xfzx", "demo-zlxw")

_TYPES = {
    ".html": "text/html",
    ".htm": "text/html",
    ".shtml": "text/html",
    ".xml": "application/xml",
    ".txt": "text/plain",
    ".pdf": "application/pdf",
}


class PortalHandler(SimpleHTTPRequestHandler):
    """Static files, no charset in the header, optional request log."""

    server_version = "newsarchive-demo/1"
    log_path: Path | None = None
    _log_lock = threading.Lock()

    def guess_type(self, path: Any) -> str:
        return _TYPES.get(Path(str(path)).suffix.lower(), "application/octet-stream")

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (stdlib name)
        pass  # quiet; the request log below is the record

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        if self.log_path is not None:
            with self._log_lock, open(self.log_path, "a", encoding="utf-8") as fh:
                fh.write(f"{self.command} {self.path} {code}\n")

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-store")
        super().end_headers()


def make_server(
    root: str | Path = PORTAL_DIR,
    host: str = "127.0.0.1",
    port: int = 0,
    log_path: str | Path | None = None,
) -> ThreadingHTTPServer:
    """A threaded HTTP server serving ``root``; ``port=0`` picks a free port."""
    handler = type(
        "Handler", (PortalHandler,), {"log_path": Path(log_path) if log_path else None}
    )
    server = ThreadingHTTPServer((host, port), partial(handler, directory=str(root)))
    server.daemon_threads = True
    return server


def serve_in_thread(server: ThreadingHTTPServer) -> threading.Thread:
    thread = threading.Thread(target=server.serve_forever, name="demo-portal", daemon=True)
    thread.start()
    return thread


def base_url(server: ThreadingHTTPServer) -> str:
    host, port = server.server_address[:2]
    return f"http://{host}:{port}"


def serve_until_interrupted(server: ThreadingHTTPServer) -> None:
    """Serve in the foreground until Ctrl-C, then close the socket."""
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
