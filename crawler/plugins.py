"""Plugin hooks that put newsarchive's Chinese tokenizer on other tools' connections.

Registered as entry points (``pyproject.toml``):

* group ``sqlite_utils``: sqlite-utils calls ``prepare_connection(conn)`` for every
  ``sqlite_utils.Database`` it opens, so the unchanged ``sqlite-utils search archive.db
  articles 市场监管总局`` finds Chinese words.
* group ``datasette``: Datasette calls ``prepare_connection(conn, database, datasette)``
  for every connection, so the articles table's search box works.

One function serves both: pluggy passes only the arguments an implementation names.
"""

from __future__ import annotations

import sqlite3
import warnings

from pluggy import HookimplMarker

from crawler import fts

sqlite_utils_hookimpl = HookimplMarker("sqlite_utils")
datasette_hookimpl = HookimplMarker("datasette")


@sqlite_utils_hookimpl
@datasette_hookimpl
def prepare_connection(conn: sqlite3.Connection) -> None:
    """Register the ``newsarchive`` FTS5 tokenizer on ``conn``.

    The hook runs for every database these tools open, not only archives: if the
    tokenizer cannot be installed, warn and leave the tool working (a search of an
    archive then fails with "no such tokenizer: newsarchive").
    """
    try:
        fts.register(conn)
    except fts.TokenizerError as exc:  # pragma: no cover - depends on the Python build
        warnings.warn(f"newsarchive: search tokenizer unavailable: {exc}", stacklevel=2)
