"""Other tools search the archive through the plugin entry points: the unchanged
``sqlite-utils`` CLI, and Datasette driven by a real headless Chromium.

These need the package installed (``pip install -e '.[test]'``, which registers the
entry points and brings Datasette) and Debian's ``chromium``. A missing tool is a
failure, not a skip: CI installs them (.ci/run).
"""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlite_utils

from crawler import search as fts
from crawler.archive import ARTICLE_COLUMNS
from tests.conftest import chromium, serve_datasette

BIN = Path(sys.executable).parent
ROWS = [
    {
        "url": "https://ccn.example/1.html",
        "site": "ccn",
        "title": "国家市场监管总局发布汽车召回公告",
        "published_at": "2024-03-15",
        "body": "某品牌汽车因专利纠纷召回。",
    },
    {
        "url": "https://cqn.example/2.html",
        "site": "cqn",
        "title": "防范电信诈骗",
        "published_at": "2023-01-01",
        "body": "知识产权保护与專利申请。",
    },
    {
        "url": "https://cqn.example/3.html",
        "site": "cqn",
        "title": "抽检结果公布",
        "published_at": "2022-06-30",
        "body": "不合格产品已下架。",
    },
]


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    path = tmp_path / "archive.db"
    db = sqlite_utils.Database(path)
    db.enable_wal()
    db["articles"].create(ARTICLE_COLUMNS, pk="url")  # the archive's own table
    fts.ensure_index(db)
    db["articles"].insert_all(ROWS)
    db.conn.close()
    return path


def sqlite_utils_cli(*args: str) -> subprocess.CompletedProcess:
    exe = BIN / "sqlite-utils"
    assert exe.exists(), f"{exe} missing: pip install -e '.[test]'"
    return subprocess.run([str(exe), *args], capture_output=True, text=True, timeout=60)


def test_sqlite_utils_cli_searches_chinese_with_raw_queries(archive: Path) -> None:
    plugins = json.loads(sqlite_utils_cli("plugins").stdout)
    assert any(p["name"] == "newsarchive" for p in plugins), plugins

    r = sqlite_utils_cli("search", str(archive), "articles", "市场监管总局", "-c", "url")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == [{"url": "https://ccn.example/1.html"}]

    r = sqlite_utils_cli("search", str(archive), "articles", "专利", "-c", "url")
    assert r.returncode == 0, r.stderr
    assert {row["url"] for row in json.loads(r.stdout)} == {
        "https://ccn.example/1.html", "https://cqn.example/2.html",
    }  # fmt: skip

    r = sqlite_utils_cli("search", str(archive), "articles", "专利 OR 抽检", "-c", "url")
    assert len(json.loads(r.stdout)) == 3

    # and sqlite-utils commands that write keep the index in step (the triggers)
    r = subprocess.run(
        [str(BIN / "sqlite-utils"), "insert", str(archive), "articles", "-", "--pk", "url"],
        input=json.dumps({"url": "u4", "title": "新", "body": "预付卡专利"}),
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    r = sqlite_utils_cli("search", str(archive), "articles", "预付卡", "-c", "url")
    assert json.loads(r.stdout) == [{"url": "u4"}]


@pytest.fixture
def datasette(archive: Path, tmp_path: Path) -> Iterator[str]:
    with serve_datasette(archive, tmp_path) as base:
        yield base


def chromium_dom(url: str, profile: Path) -> str:
    return chromium(url, profile, "--dump-dom")


def test_datasette_search_box_finds_a_two_character_word(datasette: str, tmp_path: Path) -> None:
    with urllib.request.urlopen(datasette + "/-/plugins.json", timeout=10) as resp:
        assert any(p["name"] == "newsarchive" for p in json.load(resp))

    # The table page offers the search box (Datasette found articles_fts) ...
    dom = chromium_dom(datasette + "/archive/articles", tmp_path / "chrome1")
    assert 'name="_search"' in dom
    assert "抽检结果公布" in dom

    # ... and submitting it (the form's GET) renders just the matching rows.
    url = datasette + "/archive/articles?" + urllib.parse.urlencode({"_search": "专利"})
    dom = chromium_dom(url, tmp_path / "chrome2")
    assert "2 rows" in dom and "专利" in dom, dom[-3000:]
    assert "https://ccn.example/1.html" in dom
    assert "https://cqn.example/2.html" in dom  # body has 專利: folded
    assert "https://cqn.example/3.html" not in dom

    url = datasette + "/archive/articles?" + urllib.parse.urlencode({"_search": "市场监管总局"})
    dom = chromium_dom(url, tmp_path / "chrome3")
    assert "https://ccn.example/1.html" in dom
    assert "https://cqn.example/2.html" not in dom
