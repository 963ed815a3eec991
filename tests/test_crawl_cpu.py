"""What the crawl does to spend less CPU per page (issue #18), on real archives and crawls:
the search index merges 16 segments at a time, and the crawl process tunes Python's
cyclic garbage collector once its engine runs. Neither may change what is archived."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from crawler import search as fts
from crawler.archive import Archive
from crawler.items import Article
from crawler.search.index import AUTOMERGE
from tests.conftest import FAST, PortalServer, query, run_cli, write_profile

EXPECTED = json.loads((Path(__file__).parent / "demo_expected.json").read_text(encoding="utf-8"))
ARTICLES = {k: v for k, v in EXPECTED.items() if not k.startswith("_")}


def automerge(db: Path) -> int | None:
    rows = query(db, "select v from articles_fts_config where k = 'automerge'")
    return rows[0]["v"] if rows else None


def test_a_new_archive_merges_sixteen_index_segments_at_a_time(tmp_path: Path) -> None:
    db = tmp_path / "archive.db"
    with Archive(db) as archive:
        body = "某品牌汽车因专利纠纷召回，消费者可以申请退款。"
        archive.upsert_article(Article(url="https://a.example/1", site="c", title="召", body=body))
    assert AUTOMERGE == 16
    assert automerge(db) == AUTOMERGE


def test_an_older_archive_gets_it_when_opened_for_writing_and_still_finds(tmp_path: Path) -> None:
    db = tmp_path / "archive.db"
    with Archive(db) as archive:
        for i in range(120):  # several index segments
            body = f"市场监管局抽检第{i}批食品，不合格{i % 7}批。"
            article = Article(url=f"https://a.example/{i}", site="ccn", title=f"第{i}号抽检通告",
                              body=body)  # fmt: skip
            archive.upsert_article(article)
    conn = sqlite3.connect(db)  # as an archive written before automerge was set
    with conn:
        conn.execute("delete from articles_fts_config where k = 'automerge'")
    conn.close()
    with Archive(db, readonly=True) as archive:  # reading never writes
        assert len(fts.search(archive.db, "抽检通告", limit=None)) == 120
    assert automerge(db) is None
    with Archive(db) as archive:
        assert len(fts.search(archive.db, "第37号", limit=None)) == 1
    assert automerge(db) == AUTOMERGE


def profiles(tmp_path: Path, portal: PortalServer) -> list[str]:
    return [
        str(write_profile(tmp_path / "xfzx.toml", portal.url, "demo-xfzx")),
        str(write_profile(tmp_path / "zlxw.toml", portal.url, "demo-zlxw")),
    ]


@pytest.mark.parametrize("threshold", [None, "0"])
def test_the_crawl_tunes_the_collector_unless_told_not_to(
    tmp_path: Path, portal: PortalServer, threshold: str | None
) -> None:
    db, log = tmp_path / "archive.db", tmp_path / "crawl.log"
    extra = ["-s", f"NEWSARCHIVE_GC_THRESHOLD={threshold}"] if threshold else []
    done = run_cli("crawl", *profiles(tmp_path, portal), "--db", str(db), *FAST, *extra,
                   "--log-file", str(log))  # fmt: skip
    assert done.returncode == 0, done.stderr
    text = log.read_text(encoding="utf-8")
    enabled = text.split("Enabled extensions:", 1)[1].split("]", 1)[0]
    assert ("crawler.gc_tuning.GcTuning" in enabled) is (threshold is None)
    rows = {r["url"].removeprefix(portal.url): r for r in query(db, "select * from articles")}
    assert set(rows) == set(ARTICLES)
    for path, expected in ARTICLES.items():
        for field in ("title", "published_at", "source", "author", "editor", "body"):
            assert rows[path][field] == expected[field], f"{path}: {field}"


@pytest.mark.parametrize("value", ["abc", "-5", "2.5"])
def test_a_bad_threshold_is_refused_before_anything_runs(tmp_path: Path, value: str) -> None:
    db = tmp_path / "archive.db"
    profile = write_profile(tmp_path / "p.toml", "http://127.0.0.1:9", "demo-xfzx")
    done = run_cli("crawl", str(profile), "--db", str(db), "-s",
                   f"NEWSARCHIVE_GC_THRESHOLD={value}")  # fmt: skip
    assert done.returncode == 2
    assert "NEWSARCHIVE_GC_THRESHOLD" in done.stderr and "Traceback" not in done.stderr
    assert not db.exists()


def test_tune_freezes_start_up_objects_and_raises_the_threshold() -> None:
    code = (
        "import gc; from crawler.gc_tuning import tune; before = gc.get_freeze_count(); "
        "tune(3000); print(gc.get_threshold(), before, gc.get_freeze_count() > 1000)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()  # fmt: skip
    assert " ".join(out) == "(3000, 10, 10) 0 True"
