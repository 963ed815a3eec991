"""Issue 7: hostile search queries give a clear error (exit 2) or a valid empty result.

Never a traceback, never SQL injection: the archive is intact after every query.
NUL cannot travel in a command-line argument, so it is tried through the library.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from tests.conftest import run_cli

QUERIES = [
    '"unclosed',
    'a"b"c"',
    "'",
    "\"'\"'",
    "召回 AND",
    "OR",
    "AND OR NOT",
    "NEAR(召回 汽车, 2)",
    "title:召回",
    "召回*",
    "*",
    "^召回",
    "()",
    "((召回)",
    "-",
    "--",
    "'; drop table articles; --",
    "\" OR 1=1 --",
    "x' UNION SELECT url FROM articles --",
    "召回" * 5000,  # 10,000 characters
    "a" * 10_000,
    "\x01\x02\x7f",
    "\u200b\ufeff",
    "🙂🙂",
]


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("search") / "archive.db"
    result = run_cli("demo", "--db", str(db), "--port", "0", cwd=db.parent)
    assert result.returncode == 0, result.stderr
    return db


def _count(db: Path) -> int:
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("pragma integrity_check").fetchone()[0] == "ok"
        return conn.execute("select count(*) from articles").fetchone()[0]
    finally:
        conn.close()


@pytest.mark.parametrize("q", QUERIES, ids=lambda q: repr(q[:20]))
def test_hostile_query(q: str, archive: Path) -> None:
    before = _count(archive)
    result = run_cli("search", "--db", str(archive), "--json", "--", q, timeout=60)
    assert "Traceback" not in result.stderr
    if result.returncode == 0:
        assert isinstance(json.loads(result.stdout), list)
    else:
        assert result.returncode == 2, result.stderr
        assert result.stderr.splitlines()[-1].startswith("Error:"), result.stderr
    assert _count(archive) == before


def test_good_query_still_works(archive: Path) -> None:
    result = run_cli("search", "--db", str(archive), "--json", "召回", timeout=60)
    assert result.returncode == 0 and json.loads(result.stdout)


@pytest.mark.parametrize("q", ["\x00", "召回\x00", "\x00" * 100, '"\x00'])
def test_nul_in_query(q: str, archive: Path) -> None:
    from crawler.search import QueryError, search

    conn = sqlite3.connect(archive)
    try:
        try:
            rows = search(conn, q)
        except QueryError as exc:
            assert str(exc)
        else:
            assert isinstance(rows, list)
    finally:
        conn.close()
    assert _count(archive) > 0
