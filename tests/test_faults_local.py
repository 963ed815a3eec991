"""Issue 7: bad local input (archive files, busy databases, hostile profile regexes).

The directory, missing-folder and not-a-database cases are in test_crawl.py; these are
the ones it does not cover.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from crawler.profiles import parse_profile
from tests.conftest import FAST, ROOT, PortalServer, query, run_cli, write_profile


def profile(tmp_path: Path, portal: PortalServer) -> str:
    return str(write_profile(tmp_path / "xfzx.toml", portal.url, "demo-xfzx"))


def crawl(tmp_path: Path, portal: PortalServer, db: Path | str, env: dict | None = None,
          ) -> subprocess.CompletedProcess:  # fmt: skip
    return run_cli("crawl", profile(tmp_path, portal), "--db", str(db), *FAST, env=env)


def test_unwritable_location_exits_3(tmp_path: Path, portal: PortalServer) -> None:
    # /proc refuses new files even to root; a chmod-ed folder would not stop root
    result = crawl(tmp_path, portal, "/proc/self/archive.db")
    assert result.returncode == 3, result.stderr
    assert "archive" in result.stderr and "Traceback" not in result.stderr
    assert portal.paths() == []


def test_truncated_archive_is_reported_not_crawled_over(
    tmp_path: Path, portal: PortalServer
) -> None:
    db = tmp_path / "archive.db"
    assert crawl(tmp_path, portal, db).returncode == 0
    conn = sqlite3.connect(db)
    conn.execute("pragma wal_checkpoint(truncate)")
    conn.execute("pragma journal_mode = delete")
    conn.close()
    data = db.read_bytes()
    db.write_bytes(data[: len(data) // 2])  # a disk-full copy, a partial rsync
    portal.clear_log()
    result = crawl(tmp_path, portal, db)
    assert "Traceback" not in result.stderr
    assert result.returncode == 3, result.stderr
    assert "not a usable SQLite archive" in result.stderr
    assert portal.paths() == []  # nothing crawled over a broken archive


def test_empty_file_is_a_new_archive(tmp_path: Path, portal: PortalServer) -> None:
    db = tmp_path / "archive.db"
    db.write_bytes(b"")
    result = crawl(tmp_path, portal, db)
    assert result.returncode == 0, result.stderr
    assert query(db, "select count(*) as n from articles")[0]["n"] > 0


HOLDER = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("begin immediate")
conn.execute("insert into crawls (started_at, status) values ('x', 'ok')")
print("holding", flush=True)
time.sleep(float(sys.argv[2]))
conn.execute("rollback")
"""


def hold_write_lock(db: Path, seconds: float) -> subprocess.Popen:
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(db), str(seconds)],
                              stdout=subprocess.PIPE, text=True, cwd=ROOT)  # fmt: skip
    assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
    return holder


def test_busy_archive_waits_then_gives_up_clearly(tmp_path: Path, portal: PortalServer) -> None:
    db = tmp_path / "archive.db"
    assert crawl(tmp_path, portal, db).returncode == 0
    holder = hold_write_lock(db, 60)
    try:
        started = time.monotonic()
        result = crawl(tmp_path, portal, db, env={"NEWSARCHIVE_BUSY_TIMEOUT": "1"})
        took = time.monotonic() - started
    finally:
        holder.kill()
        holder.wait()
    assert result.returncode == 3, result.stderr
    assert "locked by another writer" in result.stderr and "Traceback" not in result.stderr
    assert took < 30  # waited about 1 s, not the default 30 s
    assert sqlite3.connect(db).execute("pragma integrity_check").fetchone()[0] == "ok"


def test_briefly_busy_archive_is_waited_for(tmp_path: Path, portal: PortalServer) -> None:
    db = tmp_path / "archive.db"
    assert crawl(tmp_path, portal, db).returncode == 0
    n = query(db, "select count(*) as n from articles")[0]["n"]
    portal.clear_log()
    holder = hold_write_lock(db, 2)  # another writer for 2 s, well within the timeout
    try:
        result = run_cli("crawl", profile(tmp_path, portal), "--db", str(db), "--full", *FAST)
    finally:
        holder.wait(timeout=30)
    assert result.returncode == 0, result.stderr
    assert query(db, "select count(*) as n from articles")[0]["n"] == n


@pytest.mark.parametrize("pattern", [r"(a|a)*$", r"(\w+\s?)*$", r"/(x+x+)+y", r"(ab|a)+$"])
def test_backtracking_regex_runs_in_linear_time(pattern: str) -> None:
    # these hang Python's re on a long URL; RE2 (issue 16) matches them in linear time
    data = {"name": "x", "start_urls": ["http://e.cn/"], "article_url": pattern}
    profile = parse_profile(data, "x.toml")
    t0 = time.monotonic()
    profile.is_article("http://e.cn/" + "a" * 50_000 + "!")
    assert time.monotonic() - t0 < 1.0


def test_unsupported_regex_cli_exits_2(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text("name = 'x'\nstart_urls = ['http://e.cn/']\narticle_url = '(a)\\1'\n")
    result = run_cli("sites", str(path))
    assert result.returncode == 2 and "article_url" in result.stderr, result.stderr
