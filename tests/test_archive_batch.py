"""Batched commits (``Archive.upsert_batched``, used by the crawl's store pipeline)."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from crawler import search as fts
from crawler.archive import Archive
from crawler.errors import ArchiveError
from crawler.items import Article
from tests.conftest import ROOT


def article(i: int) -> Article:
    return Article(url=f"https://a.example/{i}", site="a", title=f"标题{i}",
                   body=f"第{i}篇正文，关于预付卡退款。" * 3)  # fmt: skip


def urls(path: Path) -> set[str]:
    conn = sqlite3.connect(path)
    try:
        return {r[0] for r in conn.execute("select url from articles")}
    finally:
        conn.close()


def test_a_batch_is_one_transaction_and_commits(tmp_path: Path) -> None:
    db = tmp_path / "archive.db"
    with Archive(db) as archive:
        assert [archive.upsert_batched(article(i)) for i in range(3)] == ["new"] * 3
        assert archive.batch_size() == 3 and archive.batch_age() >= 0
        assert urls(db) == set()  # another connection sees nothing before the commit
        archive.commit_batch()
        assert archive.batch_size() == 0
        assert len(urls(db)) == 3
        assert archive.upsert_batched(article(1)) == "unchanged"
        archive.upsert_batched(article(4))
    # closing commits the open batch
    assert len(urls(db)) == 4
    with Archive(db, readonly=True) as archive:
        assert {r["url"] for r in fts.search(archive.db, "预付卡")} == urls(db)


def test_a_failing_article_loses_only_itself(tmp_path: Path) -> None:
    db = tmp_path / "archive.db"
    with Archive(db) as archive:
        archive.db.execute(
            "create trigger boom before insert on articles when new.url like '%/bad'"
            " begin select raise(abort, 'refused by a test trigger'); end"
        )
        archive.db.conn.commit()
        archive.upsert_batched(article(1))
        archive.upsert_batched(article(2))
        bad = article(3)
        bad.url = "https://a.example/bad"
        with pytest.raises(ArchiveError, match="refused by a test trigger"):
            archive.upsert_batched(bad)
        # the articles before it were written again, each in its own transaction
        assert urls(db) == {"https://a.example/1", "https://a.example/2"}
        archive.upsert_batched(article(4))
        archive.commit_batch()
    assert urls(db) == {f"https://a.example/{i}" for i in (1, 2, 4)}
    conn = sqlite3.connect(db)
    fts.register(conn)
    assert conn.execute("pragma integrity_check").fetchone()[0] == "ok"
    conn.execute("insert into articles_fts(articles_fts, rank) values ('integrity-check', 1)")


def test_a_killed_process_keeps_committed_batches_only(tmp_path: Path) -> None:
    db = tmp_path / "archive.db"
    code = (
        "import os, sys; from crawler.archive import Archive;"
        "from tests.test_archive_batch import article;"
        "a = Archive(sys.argv[1]);"
        "[a.upsert_batched(article(i)) for i in range(5)]; a.commit_batch();"
        "[a.upsert_batched(article(i)) for i in range(5, 8)];"
        "os.kill(os.getpid(), 9)"
    )
    proc = subprocess.run([sys.executable, "-c", code, str(db)], cwd=ROOT)
    assert proc.returncode == -9
    assert urls(db) == {f"https://a.example/{i}" for i in range(5)}
    conn = sqlite3.connect(db)
    assert conn.execute("pragma integrity_check").fetchone()[0] == "ok"
