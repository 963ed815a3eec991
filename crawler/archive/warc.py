"""Export stored responses as standard WARC 1.1 files (via warcio)."""

from __future__ import annotations

import io
from http import HTTPStatus
from pathlib import Path

from crawler.archive import Archive
from crawler.dates import parse_date
from crawler.errors import NewsarchiveError, UsageError
from crawler.outputs import check_output

#: Headers that describe the transfer, not the stored body (Scrapy already decoded it).
_TRANSFER_HEADERS = {"content-encoding", "transfer-encoding", "content-length"}


def export_warc(
    db_path: str | Path,
    out_path: str | Path,
    *,
    site: str | None = None,
    since: str | None = None,
    unreadable: list[tuple[str, str]] | None = None,
) -> int:
    """Write the latest stored response of every URL to ``out_path``, with the pages 2,
    3, ... of a multi-page article (each under the URL it was fetched from); return how
    many records.

    ``out_path`` ending in ``.gz`` is written gzip-compressed per record, as usual for
    ``.warc.gz``. It is never the archive nor any other SQLite file
    (:func:`crawler.outputs.check_output`: UsageError). Damaged stored pages are skipped
    into ``unreadable`` when it is given (see :meth:`Archive.iter_pages`).
    """
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    out = check_output(out_path, what="WARC file", archives=(db_path,))
    if since is not None:
        since = parse_date(since, "--since")
    count = 0
    try:
        with Archive(db_path, readonly=True) as archive, _open_output(out) as fh:
            writer = WARCWriter(fh, gzip=out.name.endswith(".gz"))
            info = writer.create_warcinfo_record(
                out.name, {"software": "newsarchive", "format": "WARC File Format 1.1"}
            )
            writer.write_record(info)
            pages = archive.iter_pages(site=site, since=since, unreadable=unreadable,
                                       continuations=True)  # fmt: skip
            for page in pages:
                try:
                    reason = HTTPStatus(page.status).phrase
                except ValueError:
                    reason = "Unknown"
                headers = [(k, v) for k, v in page.headers.items()
                           if k.lower() not in _TRANSFER_HEADERS]  # fmt: skip
                headers.append(("Content-Length", str(len(page.body))))
                http_headers = StatusAndHeaders(
                    f"{page.status} {reason}", headers, protocol="HTTP/1.1"
                )
                record = writer.create_warc_record(
                    page.final_url,
                    "response",
                    payload=io.BytesIO(page.body),
                    http_headers=http_headers,
                    warc_headers_dict={"WARC-Date": page.fetched_at},
                )
                writer.write_record(record)
                count += 1
    except OSError as exc:  # the disk filled up, the share went away: no half WARC
        out.unlink(missing_ok=True)
        raise NewsarchiveError(
            f"WARC file {out}: writing failed after {count} responses ({exc.strerror or exc});"
            " removed the incomplete file"
        ) from exc
    return count


def _open_output(out: Path) -> io.BufferedWriter:
    """``out`` opened for writing; an OSError (no permission, read-only disk) is bad input."""
    try:
        return open(out, "wb")
    except OSError as exc:
        raise UsageError(f"WARC file {out}: cannot write it ({exc.strerror})") from exc
