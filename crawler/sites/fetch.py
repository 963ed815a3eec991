"""Fetching a portal's pages for ``sites new`` and ``sites check``: one polite
:class:`Fetcher` (delay, size cap, timeout, the crawler's User-Agent).
"""


from __future__ import annotations

import time
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlsplit

from crawler.errors import NewsarchiveError

FETCH_TIMEOUT = 30
MAX_PAGE_BYTES = 20 * 1024 * 1024
#: Pages fetched to confirm an article group.
CONFIRM_PAGES = 3
#: Seconds between two requests to the portal (politeness); ``--delay`` changes it.
DEFAULT_DELAY = 1.0


class FetchError(NewsarchiveError):
    """The list page could not be fetched (network, HTTP status, robots.txt)."""


# -- fetching ------------------------------------------------------------------------------
class Fetcher:
    """Polite GETs: our User-Agent, robots.txt obeyed, ``delay`` seconds between requests."""

    def __init__(self, delay: float = DEFAULT_DELAY, user_agent: str | None = None,
                 obey_robots: bool = True) -> None:  # fmt: skip
        from crawler.settings import USER_AGENT

        self.delay = delay
        self.obey_robots = obey_robots
        self.user_agent = user_agent or USER_AGENT
        self._robots: dict[str, Any] = {}
        self._last = 0.0
        self.fetched: list[str] = []

    def _get(self, url: str) -> tuple[int, bytes, str | None, str]:
        wait = self._last + self.delay - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        request = urllib.request.Request(url, headers={"User-Agent": self.user_agent})
        try:
            try:
                with urllib.request.urlopen(request, timeout=FETCH_TIMEOUT) as response:
                    data = response.read(MAX_PAGE_BYTES)
                    charset = response.headers.get_content_charset()
                    return response.status, data, charset, response.geturl()
            except urllib.error.HTTPError as exc:
                return exc.code, b"", None, url
        finally:
            self._last = time.monotonic()
            self.fetched.append(url)

    def allowed(self, url: str) -> bool:
        """Whether robots.txt of ``url``'s host lets our User-Agent fetch it."""
        from protego import Protego

        if not self.obey_robots:
            return True
        parts = urlsplit(url)
        root = f"{parts.scheme}://{parts.netloc}"
        if root not in self._robots:
            try:
                status, data, _, _ = self._get(root + "/robots.txt")
            except (OSError, ValueError):
                status, data = 404, b""
            if status in (401, 403):
                text = "User-agent: *\nDisallow: /\n"
            elif 200 <= status < 300:
                text = data.decode("utf-8", "replace")
            else:
                text = ""
            self._robots[root] = Protego.parse(text)
        return bool(self._robots[root].can_fetch(url, self.user_agent))

    def fetch(self, url: str) -> tuple[bytes, str | None, str]:
        """(body, header charset, final URL); :class:`FetchError` with a one-line reason."""
        if not self.allowed(url):
            raise FetchError(f"{url}: robots.txt does not allow {self.user_agent} to fetch it")
        try:
            status, data, charset, final = self._get(url)
        except (OSError, ValueError) as exc:
            reason = getattr(exc, "reason", None) or exc
            raise FetchError(f"{url}: cannot fetch: {reason}") from exc
        if status != 200:
            raise FetchError(f"{url}: HTTP {status}")
        if not data.strip():
            raise FetchError(f"{url}: empty response")
        return data, charset, final



