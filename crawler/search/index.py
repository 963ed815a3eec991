"""The index ``articles_fts``: an external-content FTS5 table over ``articles(title, body)``,
its triggers, its version check and rebuild.
"""

from __future__ import annotations

import logging
import re
import sqlite3
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    import sqlite_utils

from crawler.search.tokenizer import (
    COLUMNS,
    FTS_TABLE,
    RANK,
    TABLE,
    TOKENIZER,
    TOKENIZER_VERSION,
    SearchIndexError,
    _accept_any_version,
    _conn,
    _index_sql,
    register,
)

log = logging.getLogger(__name__)

#: FTS5's ``automerge``: how many index segments of one size are merged into one
#: (FTS5's default is 4). 16 merges each token's entries about half as often, which cuts
#: the CPU of indexing an article in a crawl by a quarter (2.4 → 1.8 ms on the benchmark
#: mirror) with the same query times on a 20,000-article archive (benchmarks/RESULTS.md).
AUTOMERGE = 16

_VERSION_RE = re.compile(r"tokenize\s*=\s*'" + TOKENIZER + r"\s+(\d+)'")
_TRIGGERS: dict[str, str] = {
    "articles_ai": (
        'CREATE TRIGGER "articles_ai" AFTER INSERT ON "articles" BEGIN\n'
        '  INSERT INTO "articles_fts" (rowid, "title", "body")'
        " VALUES (new.rowid, new.title, new.body);\nEND"
    ),
    "articles_ad": (
        'CREATE TRIGGER "articles_ad" AFTER DELETE ON "articles" BEGIN\n'
        '  INSERT INTO "articles_fts" ("articles_fts", rowid, "title", "body")'
        " VALUES ('delete', old.rowid, old.title, old.body);\nEND"
    ),
    # Only when title or body is set: metadata updates need no tokenizer.
    "articles_au": (
        'CREATE TRIGGER "articles_au" AFTER UPDATE OF "title", "body" ON "articles"\n'
        "WHEN old.title IS NOT new.title OR old.body IS NOT new.body BEGIN\n"
        '  INSERT INTO "articles_fts" ("articles_fts", rowid, "title", "body")'
        " VALUES ('delete', old.rowid, old.title, old.body);\n"
        '  INSERT INTO "articles_fts" (rowid, "title", "body")'
        " VALUES (new.rowid, new.title, new.body);\nEND"
    ),
}


def _create_sql() -> str:
    cols = ", ".join(f'"{c}"' for c in COLUMNS)
    return (
        f'CREATE VIRTUAL TABLE "{FTS_TABLE}" USING fts5({cols}, content="{TABLE}", '
        f"tokenize='{TOKENIZER} {TOKENIZER_VERSION}')"
    )






def _version_problem(sql: str | None) -> str | None:
    if sql is None:
        return f"there is no search index ({FTS_TABLE})"
    m = _VERSION_RE.search(sql)
    if not m or int(m.group(1)) != TOKENIZER_VERSION:
        built = m.group(1) if m else "unknown"
        return (
            f"the search index was built by tokenizer version {built}, "
            f"this newsarchive uses version {TOKENIZER_VERSION}"
        )
    return None


def index_problems(db: sqlite_utils.Database | sqlite3.Connection) -> list[str]:
    """What is wrong with the search index, if anything (empty list: nothing).

    Checks that ``articles_fts`` exists, was built by this tokenizer version, has its
    three triggers, and holds one entry per article (a count: milliseconds per 100k).
    """
    conn = _conn(db)
    problem = _version_problem(_index_sql(conn))
    if problem:
        return [problem]
    problems = []
    have = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
    missing = sorted(set(_TRIGGERS) - have)
    if missing:
        problems.append(f"triggers missing: {', '.join(missing)}")
    n_articles = conn.execute(f'SELECT count(*) FROM "{TABLE}"').fetchone()[0]
    n_indexed = conn.execute(f'SELECT count(*) FROM "{FTS_TABLE}_docsize"').fetchone()[0]
    if n_articles != n_indexed:
        problems.append(f"{n_indexed} articles indexed, {n_articles} in the archive")
    return problems


def _build(conn: sqlite3.Connection) -> int:
    """Drop and recreate ``articles_fts`` and its triggers, index every article."""
    _accept_any_version.on = True
    try:
        for name in _TRIGGERS:
            conn.execute(f'DROP TRIGGER IF EXISTS "{name}"')
        conn.execute(f'DROP TABLE IF EXISTS "{FTS_TABLE}"')
    finally:
        _accept_any_version.on = False
    conn.execute(_create_sql())
    conn.execute(f'INSERT INTO "{FTS_TABLE}" ("{FTS_TABLE}", rank) VALUES (\'rank\', ?)', [RANK])
    _set_automerge(conn)
    for sql in _TRIGGERS.values():
        conn.execute(sql)
    conn.execute("PRAGMA recursive_triggers = ON")  # see register()
    conn.execute(f'INSERT INTO "{FTS_TABLE}" ("{FTS_TABLE}") VALUES (\'rebuild\')')
    conn.execute(f'INSERT INTO "{FTS_TABLE}" ("{FTS_TABLE}") VALUES (\'optimize\')')
    return conn.execute(f'SELECT count(*) FROM "{FTS_TABLE}_docsize"').fetchone()[0]


def _set_automerge(conn: sqlite3.Connection) -> None:
    """Set :data:`AUTOMERGE` on the index unless it is set (an index built before it was)."""
    row = conn.execute(
        f'SELECT v FROM "{FTS_TABLE}_config" WHERE k = \'automerge\''
    ).fetchone()
    if row is None or row[0] != AUTOMERGE:
        conn.execute(
            f'INSERT INTO "{FTS_TABLE}" ("{FTS_TABLE}", rank) VALUES (\'automerge\', ?)',
            [AUTOMERGE],
        )


def ensure_index(db: sqlite_utils.Database | sqlite3.Connection) -> None:
    """Create the search index of ``articles`` (and its triggers) if it is absent.

    Cheap when the index is in order (it sets :data:`AUTOMERGE` on an index built before
    it was). An index built by another tokenizer version, or
    missing a trigger, is rebuilt (logged). Needs the ``articles`` table. Runs inside
    the caller's transaction if there is one.
    """
    conn = _conn(db)
    register(conn)
    problems = index_problems(conn)
    if not problems:
        _set_automerge(conn)
        return
    if conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", [FTS_TABLE]
    ).fetchone():
        log.warning("rebuilding the search index: %s", "; ".join(problems))
    if conn.in_transaction:
        _build(conn)
    else:
        with conn:
            _build(conn)


def reindex(db: sqlite_utils.Database | sqlite3.Connection) -> int:
    """Rebuild the search index from ``articles``; returns how many articles it holds.

    Use after writing to the archive with a tool that bypassed the triggers, after
    restoring a copy, or to pick up a new tokenizer version. One transaction.
    """
    conn = _conn(db)
    register(conn)
    if not conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", [TABLE]
    ).fetchone():
        raise SearchIndexError(f"there is no {TABLE} table to index")
    if conn.in_transaction:
        return _build(conn)
    with conn:
        return _build(conn)



