"""Read saved pages or URLs and extract them: the library behind ``newsarchive extract``."""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from crawler.items import EXTRACTED_FIELDS

#: Largest input read, in bytes; bigger files are cut (like Scrapy's DOWNLOAD_MAXSIZE).
MAX_INPUT_BYTES = 20 * 1024 * 1024
FETCH_TIMEOUT = 30


def _fetch(url: str) -> tuple[bytes, str | None, str]:
    from crawler.settings import USER_AGENT

    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    with urllib.request.urlopen(request, timeout=FETCH_TIMEOUT) as response:
        data = response.read(MAX_INPUT_BYTES)
        charset = response.headers.get_content_charset()
        return data, charset, response.geturl()


def extract_inputs(
    inputs: Iterable[str], *, page_url: str | None = None, encoding: str | None = None
) -> Iterator[dict[str, Any]]:
    """One JSON-ready record per input (a path or an http(s) URL), in order.

    A record has ``file``, ``url`` and the extracted fields; an input that cannot be
    read gives ``error`` instead and the others go on.
    """
    from crawler.extract import extract

    for given in inputs:
        record: dict[str, Any] = {"file": given, "url": page_url}
        try:
            if given.startswith(("http://", "https://")):
                data, charset, final_url = _fetch(given)
                record["url"] = page_url or final_url
                charset = encoding or charset
            else:
                with open(Path(given), "rb") as fh:
                    data = fh.read(MAX_INPUT_BYTES)
                charset = encoding
        except (OSError, urllib.error.URLError, ValueError) as exc:
            reason = getattr(exc, "strerror", None) or getattr(exc, "reason", None) or exc
            record.update({f: None for f in EXTRACTED_FIELDS})
            record["error"] = f"cannot read {given}: {reason}"
            yield record
            continue
        article = extract(data, record["url"], http_encoding=charset)
        record.update({f: getattr(article, f) for f in EXTRACTED_FIELDS})
        yield record
