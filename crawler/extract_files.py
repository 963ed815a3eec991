"""Read saved pages or URLs and extract them: the library behind ``newsarchive extract``."""

from __future__ import annotations

import sys
import urllib.error
import urllib.request
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

from crawler.errors import UsageError
from crawler.items import EXTRACTED_FIELDS

#: Largest input read, in bytes; bigger files are cut (like Scrapy's DOWNLOAD_MAXSIZE).
MAX_INPUT_BYTES = 20 * 1024 * 1024
FETCH_TIMEOUT = 30
#: The input name that means standard input.
STDIN = "-"


def _fetch(url: str) -> tuple[bytes, str | None, str]:
    from crawler.settings import USER_AGENT

    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    with urllib.request.urlopen(request, timeout=FETCH_TIMEOUT) as response:
        data = response.read(MAX_INPUT_BYTES)
        charset = response.headers.get_content_charset()
        return data, charset, response.geturl()


def check_encoding(encoding: str | None) -> str | None:
    """The codec of a user-given charset name; :class:`UsageError` when unknown."""
    if encoding is None:
        return None
    from crawler.extract.decoding import normalize_charset

    codec = normalize_charset(encoding)
    if codec is None:
        raise UsageError(f"--encoding {encoding!r}: unknown charset (try utf-8, gbk, big5)")
    return codec


def extract_inputs(
    inputs: Iterable[str],
    *,
    page_url: str | None = None,
    encoding: str | None = None,
    explain: bool = False,
    stdin: BinaryIO | None = None,
) -> Iterator[dict[str, Any]]:
    """One JSON-ready record per input (a path, an http(s) URL, or ``-`` for standard
    input), in order.

    A record has ``file``, ``url`` and the extracted fields (and ``evidence`` with
    ``explain``: per field, the rule and the text its value came from). An input that
    cannot be read, or whose bytes cannot be an HTML page (an image, an archive, a
    database, random bytes), gives ``error`` instead and the others go on. An unknown
    ``encoding`` raises :class:`UsageError` before anything is read.
    """
    from crawler.extract import explain as extract_explained
    from crawler.extract.decoding import not_html_reason

    check_encoding(encoding)
    for given in inputs:
        record: dict[str, Any] = {"file": given, "url": page_url}
        try:
            if given.startswith(("http://", "https://")):
                data, charset, final_url = _fetch(given)
                record["url"] = page_url or final_url
                charset = encoding or charset
            elif given == STDIN:
                data = (stdin or sys.stdin.buffer).read(MAX_INPUT_BYTES)
                charset = encoding
            else:
                with open(Path(given), "rb") as fh:
                    data = fh.read(MAX_INPUT_BYTES)
                charset = encoding
        except (OSError, urllib.error.URLError, ValueError) as exc:
            reason = getattr(exc, "strerror", None) or getattr(exc, "reason", None) or exc
            yield _failed(record, f"cannot read {given}: {reason}")
            continue
        if not data.strip():
            yield _failed(record, f"{given}: empty input")
            continue
        reason = not_html_reason(data)
        if reason:
            yield _failed(record, f"{given}: {reason}")
            continue
        article, found = extract_explained(data, record["url"], http_encoding=charset)
        record.update({f: getattr(article, f) for f in EXTRACTED_FIELDS})
        if explain:
            record["evidence"] = {f: (e.to_dict() if e else None) for f, e in found.items()}
        yield record


def _failed(record: dict[str, Any], error: str) -> dict[str, Any]:
    record.update({f: None for f in EXTRACTED_FIELDS})
    record["error"] = error
    return record


def format_explained(record: dict[str, Any]) -> str:
    """A record with ``evidence`` as text: per field, its value, then the rule and the
    text that rule matched."""
    out = [record["file"]]
    if record.get("error"):
        return f"{record['file']}: error: {record['error']}"
    evidence = record.get("evidence") or {}
    for f in EXTRACTED_FIELDS:
        value = record.get(f)
        ev = evidence.get(f)
        shown = "-" if value is None else _short(value, 60)
        out.append(f"  {f:<13}{shown}")
        if ev:
            out.append(f"  {'':<13}<- {ev['rule']}: {_short(ev['text'], 100)}")
        else:
            out.append(f"  {'':<13}<- no evidence on the page")
    return "\n".join(out)


def _short(text: str, n: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"
