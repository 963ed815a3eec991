"""Crash safety: a crawl killed at any moment leaves a sound archive and loses nothing.

A generated portal of 500 small articles (``tests/faultserver.py --portal 500``, five
list pages; some links carry tracking parameters or fragments) is crawled again and
again, each run SIGKILLed at a random point. After every kill the archive passes
``PRAGMA integrity_check``, holds only complete rows, keeps every row it had before
and has no duplicates; a final run ends with exactly the 500 articles. SIGTERM stops a
crawl cleanly with status ``interrupted`` and exit code 1.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import (
    FAST,
    NEWSARCHIVE,
    ROOT,
    PortalServer,
    query,
    run_cli,
    stop_server,
    to_toml,
)

N_ARTICLES = 500
#: Commits of 5 articles (the default is 50 or 1 s): many commit points in 500 articles,
#: so the kills land before, inside and between batches.
BATCHES = ["-s", "NEWSARCHIVE_COMMIT_ITEMS=5"]
KILLS = 20
EXPECTED_TITLES = {f"生成文章{i:04d}号" for i in range(N_ARTICLES)}
#: What the kill test measured, for tests/README.md (printed with -s).
FIGURES: dict[str, object] = {}


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PortalServer]:
    tmp = tmp_path_factory.mktemp("generated")
    process = subprocess.Popen(
        [*NEWSARCHIVE[:1], "-m", "tests.faultserver", "--port", "0", "--log",
         str(tmp / "requests.log"), "--portal", str(N_ARTICLES), "--delay", "0.004"],
        stdout=subprocess.PIPE, text=True, cwd=ROOT,
    )  # fmt: skip
    assert process.stdout is not None
    url = process.stdout.readline().strip()
    assert url.startswith("http://127.0.0.1:")
    server = PortalServer(url, tmp, tmp / "requests.log", process)
    yield server
    stop_server(server)


def gen_profile(path: Path, base: str) -> Path:
    data = {"name": "gen", "start_urls": [f"{base}/p/list_1.html"],
            "article_url": r"/p/\d{4}\.html$", "list_url": r"/p/list_\d+\.html$"}  # fmt: skip
    path.write_text(to_toml(data), encoding="utf-8")
    return path


def start_crawl(profile: Path, db: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [*NEWSARCHIVE, "crawl", str(profile), "--db", str(db), "--quiet", *FAST, *BATCHES],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
    )  # fmt: skip


def row_count(db: Path) -> int:
    if not db.exists():
        return 0
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
        try:
            return conn.execute("select count(*) from articles").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.Error:
        return 0  # schema not there yet


def check_archive(db: Path) -> dict[str, str]:
    """Integrity, complete rows, no duplicates; returns url -> title."""
    conn = sqlite3.connect(db, timeout=30)
    try:
        assert conn.execute("pragma integrity_check").fetchone()[0] == "ok"
        tables = {r[0] for r in conn.execute("select name from sqlite_master")}
        if "articles" not in tables:  # killed before the schema was committed
            return {}
        rows = conn.execute("select url, site, title, body, fetched_at from articles").fetchall()
    finally:
        conn.close()
    for url, site, title, body, fetched_at in rows:
        assert url and site == "gen" and title and body and fetched_at, url
        assert title in EXPECTED_TITLES and title[4:8] in body, (url, title)
    titles = [r[2] for r in rows]
    assert len(titles) == len(set(titles)), "an article is archived twice"
    assert all("?" not in r[0] and "#" not in r[0] for r in rows), "URL not canonical"
    return {r[0]: r[2] for r in rows}


def test_sigkill_at_random_points_loses_nothing(generated: PortalServer, tmp_path: Path) -> None:
    rng = random.Random(int(os.environ.get("KILL_SEED", "7")))
    profile = gen_profile(tmp_path / "gen.toml", generated.url)
    db = tmp_path / "archive.db"
    seen: dict[str, str] = {}
    lost = duplicates = mid_crawl = 0
    t0 = time.monotonic()
    for cycle in range(KILLS):
        before = row_count(db)
        crawl = start_crawl(profile, db)
        if cycle % 5 == 0:  # sometimes during start-up: schema, run log, robots.txt
            time.sleep(rng.uniform(0.05, 1.5))
        else:  # mostly while articles are being stored
            target = before + rng.randint(1, 15)
            deadline = time.monotonic() + 60
            while crawl.poll() is None and time.monotonic() < deadline:
                if row_count(db) >= target:
                    break
                time.sleep(0.01)
            time.sleep(rng.uniform(0, 0.05))
        if crawl.poll() is None:
            crawl.send_signal(signal.SIGKILL)
            mid_crawl += 1
        crawl.wait(timeout=60)
        now = check_archive(db) if db.exists() else {}
        lost += len(set(seen) - set(now))
        duplicates += len(now) - len(set(now.values()))
        seen.update(now)
        print(f"cycle {cycle}: {before} -> {len(now)} rows, killed={crawl.returncode == -9}, "
              f"{time.monotonic() - t0:.1f} s")
    FIGURES.update(kills=mid_crawl, rows_after_kills=len(seen), rows_lost=lost,
                   duplicates=duplicates)  # fmt: skip
    assert mid_crawl >= KILLS - 2, "the crawl finished before most kills: not a test"
    assert lost == 0 and duplicates == 0
    assert len(seen) < N_ARTICLES, "every article was stored before the last kill"

    # The next run carries on where the killed ones stopped.
    result = run_cli("crawl", str(profile), "--db", str(db), *FAST, timeout=180)
    assert result.returncode == 0, result.stdout + result.stderr[-2000:]
    final = check_archive(db)
    assert set(final.values()) == EXPECTED_TITLES and len(final) == N_ARTICLES
    assert set(seen) <= set(final)
    FIGURES.update(final_rows=len(final), final_new=len(final) - len(seen))
    runs = query(db, "select status from crawls order by id")
    assert runs[-1]["status"] == "ok"
    assert all(r["status"] == "interrupted" for r in runs[:-1])  # killed runs, marked
    print(f"\nkill test figures: {FIGURES}")


def test_sigterm_stops_cleanly(generated: PortalServer, tmp_path: Path) -> None:
    profile = gen_profile(tmp_path / "gen.toml", generated.url)
    db = tmp_path / "archive.db"
    crawl = start_crawl(profile, db)
    deadline = time.monotonic() + 60
    while row_count(db) < 30 and crawl.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert crawl.poll() is None, "crawl ended before it could be stopped"
    crawl.send_signal(signal.SIGTERM)
    out, err = crawl.communicate(timeout=60)
    assert crawl.returncode == 1, err[-2000:]
    assert "Traceback" not in err
    (run,) = query(db, "select * from crawls")
    assert run["status"] == "interrupted" and run["finished_at"]
    rows = check_archive(db)
    assert 30 <= len(rows) < N_ARTICLES
    assert run["new"] == len(rows)
    result = run_cli("crawl", str(profile), "--db", str(db), *FAST, timeout=180)
    assert result.returncode == 0, result.stderr[-2000:]
    assert len(check_archive(db)) == N_ARTICLES
