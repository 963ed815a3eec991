"""``newsarchive stats`` draws per-site sparklines on a terminal (a real pseudo-terminal)
and carries the same numbers in ``--json``; piped output stays the plain table."""

from __future__ import annotations

import json
import os
import pty
import sqlite3
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from crawler.search.charts import BLOCKS, sparkline
from tests.conftest import FAST, NEWSARCHIVE, ROOT, PortalServer, run_cli, write_profile


def run_on_terminal(*args: str) -> str:
    """Output of ``newsarchive ARGS`` run with a pseudo-terminal as stdin/stdout/stderr."""
    master, slave = pty.openpty()
    env = {**os.environ, "COLUMNS": "200"}
    env.pop("NEWSARCHIVE_DB", None)
    proc = subprocess.Popen([*NEWSARCHIVE, *args], stdin=slave, stdout=slave, stderr=slave,
                            cwd=ROOT, env=env)  # fmt: skip
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    assert proc.wait(timeout=60) == 0
    return b"".join(chunks).decode("utf-8").replace("\r\n", "\n")


@pytest.fixture
def archive(tmp_path: Path, portal: PortalServer) -> Path:
    """The demo portal crawled for real, then its articles' archive days spread out."""
    db = tmp_path / "archive.db"
    profiles = [str(write_profile(tmp_path / f"{s}.toml", portal.url, s))
                for s in ("demo-xfzx", "demo-zlxw")]  # fmt: skip
    r = run_cli("crawl", *profiles, "--db", str(db), *FAST)
    assert r.returncode == 0, r.stderr
    today = datetime.now(UTC).date()
    ago = [0, 0, 0, 1, 1, 5, 40]  # days before today of the 7 demo-xfzx articles
    conn = sqlite3.connect(db)
    urls = [u for (u,) in conn.execute(
        "select url from articles where site = 'demo-xfzx' order by url")]  # fmt: skip
    assert len(urls) == len(ago)
    for url, days in zip(urls, ago, strict=True):
        day = (today - timedelta(days=days)).isoformat()
        conn.execute("update articles set archived_at = ? where url = ?", [day + "T08:00:00Z", url])
    conn.commit()
    conn.close()
    return db


def test_sparkline_scale() -> None:
    assert sparkline([0, 1, 2, 3]) == "▁▄▆█"
    assert sparkline([0, 0]) == "▁▁" and sparkline([5]) == "█"
    assert set(sparkline(list(range(50)))) <= set(BLOCKS)


def test_stats_on_a_terminal_shows_one_sparkline_per_site(archive: Path) -> None:
    out = run_on_terminal("stats", "--db", str(archive))
    lines = {line.split()[0]: line for line in out.splitlines() if "▁" in line or "█" in line}
    assert set(lines) == {"demo-xfzx", "demo-zlxw"}, out
    # 30 days, oldest first: 1 article 5 days ago, 2 yesterday, 3 today; the 40-day-old
    # one is outside the window
    assert "▁" * 24 + "▄▁▁▁▆█" in lines["demo-xfzx"], lines["demo-xfzx"]
    assert "6 (max 3/day)" in lines["demo-xfzx"]
    assert sparkline([0] * 29 + [5]) in lines["demo-zlxw"]  # all 5 crawled today
    conn = sqlite3.connect(archive)
    (empty_source,) = conn.execute(
        "select empty_source from crawl_sites where site = 'demo-xfzx'").fetchone()  # fmt: skip
    assert (
        f"empty in last run: title 0%, body 0%, published_at 0%, source {empty_source:.0%}"
        in (lines["demo-xfzx"])
    )


def test_stats_piped_is_the_plain_table_and_json_carries_the_numbers(archive: Path) -> None:
    r = run_cli("stats", "--db", str(archive))
    assert r.returncode == 0 and "demo-xfzx" in r.stdout
    assert not set(BLOCKS) & set(r.stdout)

    r = run_cli("stats", "--db", str(archive), "--json")
    rows = {row["site"]: row for row in json.loads(r.stdout)}
    days = rows["demo-xfzx"]["per_day"]
    assert len(days) == 30 and days[-1]["day"] == datetime.now(UTC).date().isoformat()
    assert [d["articles"] for d in days][-6:] == [1, 0, 0, 0, 2, 3]
    assert sum(d["articles"] for d in rows["demo-zlxw"]["per_day"]) == 5
    assert rows["demo-xfzx"]["empty_last_run"]["title"] == 0
