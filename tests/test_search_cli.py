"""``newsarchive search`` and ``newsarchive reindex`` as a user runs them."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from crawler import cli
from crawler import search as fts
from crawler.archive import Archive
from crawler.items import Article

ROWS = [
    ("https://a.example/1", "ccn", "国家市场监管总局发布汽车召回公告", "2024-03-15",
     "某品牌汽车因专利纠纷召回。消費者可以申请退款，iPhone 15 也在名单。"),
    ("https://a.example/2", "cqn", "防范电信诈骗", "2023-01-01",
     "知识产权保护与专利申请。3·15晚会曝光多起诈骗。"),
    ("https://a.example/3", "ccn", "抽检结果", "2022-06-30", "不合格产品已下架。"),
]  # fmt: skip


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    path = tmp_path / "archive.db"
    with Archive(path) as a:
        for url, site, title, published_at, body in ROWS:
            a.upsert_article(
                Article(url=url, site=site, title=title, published_at=published_at, body=body)
            )
    return path


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "crawler", *args], capture_output=True, text=True, timeout=60
    )


def test_search_prints_ranked_results_with_snippets(archive: Path) -> None:
    r = run("search", "专利", "--db", str(archive))
    assert r.returncode == 0, r.stderr
    assert "https://a.example/1" in r.stdout and "https://a.example/2" in r.stdout
    assert "https://a.example/3" not in r.stdout
    assert "[专利]" in r.stdout
    assert "2024-03-15" in r.stdout and "cqn" in r.stdout


def test_search_json_filters_and_operators(archive: Path) -> None:
    r = run("search", "专利", "-召回", "--db", str(archive), "--json")
    assert r.returncode == 0, r.stderr
    (hit,) = json.loads(r.stdout)
    assert set(hit) == {"url", "site", "title", "published_at", "snippet", "rank"}
    assert hit["url"] == "https://a.example/2"
    r = run("search", "召回 OR 抽检", "--site", "ccn", "--since", "2023-01-01",
            "--db", str(archive), "--json")  # fmt: skip
    assert [h["url"] for h in json.loads(r.stdout)] == ["https://a.example/1"]
    r = run("search", "消费者", "iphone", "--db", str(archive), "--json", "--limit", "1")
    assert [h["url"] for h in json.loads(r.stdout)] == ["https://a.example/1"]
    r = run("search", "专", "--db", str(archive), "--json")
    assert len(json.loads(r.stdout)) == 2
    r = run("search", "没有这个词", "--db", str(archive))
    assert r.returncode == 0 and r.stdout == "" and "no articles match" in r.stderr


@pytest.mark.parametrize(
    "args, message",
    [
        (['"专利'], "unbalanced quote"),
        (["OR"], "OR must stand between"),
        (["，"], "no letters or digits"),
        (["专利", "--since", "soon"], "not a date"),
        (["专利", "--sitee", "x"], "no such option"),
        (["专利", "--window", "-1"], "Invalid value for '--window'"),
        (["专利", "--window", "many"], "Invalid value for '--window'"),
    ],
)
def test_bad_queries_exit_2_with_one_line(archive: Path, args: list[str], message: str) -> None:
    r = run("search", *args, "--db", str(archive))
    assert r.returncode == 2
    assert message in r.stderr
    assert "Traceback" not in r.stderr


def test_reindex_reports_and_repairs(archive: Path) -> None:
    conn = sqlite3.connect(archive)
    conn.execute("DROP TRIGGER articles_ai")
    conn.execute("INSERT INTO articles (url, title, body) VALUES ('u4', '新', '预付卡')")
    conn.commit()
    conn.close()
    r = run("reindex", "--db", str(archive))
    assert r.returncode == 0, r.stderr
    assert "4 articles" in r.stdout and "triggers missing: articles_ai" in r.stdout
    r = run("search", "预付卡", "--db", str(archive), "--json")
    assert [h["url"] for h in json.loads(r.stdout)] == ["u4"]
    assert run("reindex", "--db", str(archive.parent / "none.db")).returncode == 3


def test_search_help_documents_syntax() -> None:
    r = run("search", "--help")
    assert r.returncode == 0
    for text in ("OR", "-诈骗", '"市场监管总局"', "--since", "--json", "Example"):
        assert text in r.stdout
    for text in ("--window N", "most recently archived", "0 ranks every match"):
        assert text in r.stdout
    assert f"default: {fts.DEFAULT_WINDOW}" in " ".join(r.stdout.split())
    assert cli.SEARCH_WINDOW == fts.DEFAULT_WINDOW


def test_search_window_option(archive: Path) -> None:
    for window in ("0", "1", "2000"):
        r = run("search", "专利", "--window", window, "--db", str(archive), "--json")
        assert r.returncode == 0, r.stderr
        assert {h["url"] for h in json.loads(r.stdout)} == {
            "https://a.example/1", "https://a.example/2",
        }  # fmt: skip
    # with --limit 1 --window 1, only the newest match is ranked
    r = run("search", "专利", "-n", "1", "--window", "1", "--db", str(archive), "--json")
    assert [h["url"] for h in json.loads(r.stdout)] == ["https://a.example/2"]
