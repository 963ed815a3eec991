"""End to end: real crawls of the demo portal served on 127.0.0.1, read back from SQLite."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import FAST, ROOT, PortalServer, free_port, query, run_cli, write_profile

EXPECTED = json.loads((Path(__file__).parent / "demo_expected.json").read_text(encoding="utf-8"))
ARTICLES = {k: v for k, v in EXPECTED.items() if not k.startswith("_")}
FIELDS = ("site", "title", "published_at", "source", "author", "editor", "body")


def profiles(tmp_path: Path, portal: PortalServer) -> list[str]:
    return [
        str(write_profile(tmp_path / "xfzx.toml", portal.url, "demo-xfzx")),
        str(write_profile(tmp_path / "zlxw.toml", portal.url, "demo-zlxw")),
    ]


def crawl(tmp_path: Path, portal: PortalServer, *extra: str) -> subprocess.CompletedProcess:
    db = tmp_path / "archive.db"
    return run_cli("crawl", *profiles(tmp_path, portal), "--db", str(db), *FAST, *extra)


def test_crawl_archives_every_demo_article_exactly(tmp_path: Path, portal: PortalServer) -> None:
    result = crawl(tmp_path, portal)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""  # quiet: a cron job mails nothing
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1, result.stdout  # one summary line
    n_xfzx = sum(1 for v in ARTICLES.values() if v["site"] == "demo-xfzx")
    n_zlxw = len(ARTICLES) - n_xfzx
    assert f"demo-xfzx: 3 list pages, {n_xfzx} new, 0 already archived, 0 errors" in lines[0]
    assert f"demo-zlxw: 2 list pages, {n_zlxw} new, 0 already archived, 0 errors" in lines[0]

    rows = {r["url"]: r for r in query(tmp_path / "archive.db", "select * from articles")}
    assert {u.removeprefix(portal.url) for u in rows} == set(ARTICLES)
    for path, expected in ARTICLES.items():
        row = rows[portal.url + path]
        for field in FIELDS:
            assert row[field] == expected[field], f"{path}: {field}"
        assert row["fetched_at"].endswith("Z")


def test_no_boilerplate_in_any_body(tmp_path: Path, portal: PortalServer) -> None:
    assert crawl(tmp_path, portal).returncode == 0
    bodies = [r["body"] for r in query(tmp_path / "archive.db", "select body from articles")]
    assert bodies
    for text in EXPECTED["_boilerplate"]:
        leaked = [b[:30] for b in bodies if text in b]
        assert not leaked, f"boilerplate {text!r} leaked into {leaked}"


def test_non_articles_not_archived_and_robots_obeyed(tmp_path: Path, portal: PortalServer) -> None:
    assert crawl(tmp_path, portal).returncode == 0
    urls = {r["url"] for r in query(tmp_path / "archive.db", "select url from articles")}
    for path in EXPECTED["_non_articles"]:
        assert portal.url + path not in urls
    requested = portal.paths()
    assert "/robots.txt" in requested
    assert not [p for p in requested if p.startswith("/xfzx/private/")]
    assert not [p for p in requested if p.endswith(("about.html", "contact.html", "315.html"))]


def test_run_log_records_the_crawl(tmp_path: Path, portal: PortalServer) -> None:
    assert crawl(tmp_path, portal).returncode == 0
    db = tmp_path / "archive.db"
    (run,) = query(db, "select * from crawls")
    assert run["status"] == "ok"
    assert json.loads(run["sites"]) == ["demo-xfzx", "demo-zlxw"]
    assert run["new"] == len(ARTICLES) and run["errors"] == 0 and run["list_pages"] == 5
    assert run["started_at"] <= run["finished_at"]
    per_site = query(db, "select site, new, status from crawl_sites order by site")
    assert [r["status"] for r in per_site] == ["ok", "ok"]
    assert sum(r["new"] for r in per_site) == len(ARTICLES)
    assert query(db, "pragma journal_mode")[0]["journal_mode"] == "wal"


def test_a_crawl_that_cannot_start_fails_loudly(tmp_path: Path, portal: PortalServer) -> None:
    """A component that does not load (here a mistyped pipeline) used to print a traceback
    and log the run ``ok`` with exit 0: a cron job would never notice."""
    result = crawl(tmp_path, portal, "--quiet", "-s", 'ITEM_PIPELINES={"nosuch.Pipe": 300}')
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "crawl 1 failed" in result.stdout
    for site in ("demo-xfzx", "demo-zlxw"):
        line = f"{site}: (start-up): the crawl could not start: ModuleNotFoundError: "
        assert line + "No module named 'nosuch'" in result.stderr
    db = tmp_path / "archive.db"
    assert query(db, "select status, errors from crawls") == [{"status": "failed", "errors": 2}]
    assert {r["status"] for r in query(db, "select status from crawl_sites")} == {"failed"}
    assert len(query(db, "select * from crawl_errors where url = '(start-up)'")) == 2
    assert portal.requests() == []


def test_a_portal_that_is_down_is_one_line_per_failure(tmp_path: Path) -> None:
    """robots.txt of a portal that refuses connections used to put Scrapy's ERROR with a
    40-line Twisted traceback on stderr, which cron mails every hour the portal is down."""
    profile = write_profile(tmp_path / "down.toml", f"http://127.0.0.1:{free_port()}")
    db = tmp_path / "archive.db"
    result = run_cli("crawl", str(profile), "--db", str(db), "--quiet",
                     "-s", "DOWNLOAD_DELAY=0", "-s", "RETRY_TIMES=0")  # fmt: skip
    assert result.returncode == 1
    assert "Traceback" not in result.stderr and "robots" not in result.stderr
    assert result.stderr.splitlines() == [
        f"  demo-xfzx: {query(db, 'select url from crawl_errors')[0]['url']}: connection refused"
    ]
    verbose = run_cli("crawl", str(profile), "--db", str(db), "--verbose",
                      "-s", "DOWNLOAD_DELAY=0", "-s", "RETRY_TIMES=0")  # fmt: skip
    assert "Traceback" not in verbose.stderr
    assert "robots.txt of 127.0.0.1:" in verbose.stderr
    assert "could not be fetched" in verbose.stderr


def test_second_run_fetches_only_what_is_new(tmp_path: Path, portal: PortalServer) -> None:
    assert crawl(tmp_path, portal).returncode == 0
    portal.clear_log()
    result = crawl(tmp_path, portal)
    assert result.returncode == 0, result.stderr
    n_xfzx = sum(1 for v in ARTICLES.values() if v["site"] == "demo-xfzx")
    assert f"demo-xfzx: 1 list pages, 0 new, {n_xfzx} already archived, 0 errors" in result.stdout
    # Nothing new on the first list page of each site: paging stops there.
    fetched = [p for p in portal.paths() if p != "/robots.txt"]
    assert sorted(fetched) == ["/xfzx/news/index.html", "/zlxw/list/index.htm"]
    assert "0 new" in result.stdout

    # A new article appears at the top of the first list page.
    first = portal.root / "xfzx" / "news" / "index.html"
    html = first.read_text(encoding="utf-8")
    src = portal.root / "xfzx/content/2024/03-15/20240315001.html"
    new_path = "/xfzx/content/2024/03-20/20240320099.html"
    (portal.root / new_path.lstrip("/")).parent.mkdir(parents=True, exist_ok=True)
    (portal.root / new_path.lstrip("/")).write_bytes(src.read_bytes())
    marker = "<ul"
    assert marker in html
    html = html.replace(marker, f'<ul><li><a href="{new_path}">新文章</a></li></ul>{marker}', 1)
    first.write_text(html, encoding="utf-8")
    portal.clear_log()
    result = crawl(tmp_path, portal)
    assert result.returncode == 0, result.stderr
    fetched = sorted(p for p in portal.paths() if p != "/robots.txt")
    # The new article, and page 2 because page 1 brought something new; page 2 brings
    # nothing new, so paging stops before page 3.
    assert fetched == sorted(
        ["/xfzx/news/index.html", "/xfzx/news/index_2.html", new_path, "/zlxw/list/index.htm"]
    )
    assert "demo-xfzx: 2 list pages, 1 new" in result.stdout
    count = query(tmp_path / "archive.db", "select count(*) as n from articles")[0]["n"]
    assert count == len(ARTICLES) + 1


def test_full_flag_pages_through_everything(tmp_path: Path, portal: PortalServer) -> None:
    assert crawl(tmp_path, portal).returncode == 0
    portal.clear_log()
    result = crawl(tmp_path, portal, "--full")
    assert result.returncode == 0
    assert "demo-xfzx: 3 list pages, 0 new" in result.stdout
    assert not [p for p in portal.paths() if "/content/" in p or "/article/" in p]


def test_scrapy_crawl_works_from_project_root(tmp_path: Path, portal: PortalServer) -> None:
    profile = write_profile(tmp_path / "xfzx.toml", portal.url, "demo-xfzx")
    db = tmp_path / "scrapy.db"
    result = subprocess.run(
        [sys.executable, "-m", "scrapy", "crawl", "portal", "-a", f"site={profile}",
         "-s", f"ARCHIVE_DB={db}", *FAST],  # fmt: skip
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    n = sum(1 for v in ARTICLES.values() if v["site"] == "demo-xfzx")
    assert query(db, "select count(*) as n from articles")[0]["n"] == n
    (run,) = query(db, "select status, new from crawls")
    assert run == {"status": "ok", "new": n}


def test_env_var_sets_default_db(tmp_path: Path, portal: PortalServer) -> None:
    db = tmp_path / "from-env.db"
    result = run_cli(
        "crawl", profiles(tmp_path, portal)[1], *FAST, env={"NEWSARCHIVE_DB": str(db)},
        cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert db.exists() and not (tmp_path / "archive.db").exists()


def test_demo_command_end_to_end(tmp_path: Path) -> None:
    db = tmp_path / "archive.db"
    result = run_cli("demo", "--db", str(db), "--port", "0", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert f"{len(ARTICLES)} articles in {db}" in result.stdout
    for expected in ARTICLES.values():
        assert expected["title"] in result.stdout
    assert query(db, "select count(*) as n from articles")[0]["n"] == len(ARTICLES)


@pytest.mark.parametrize("kind", ["directory", "missing-folder", "corrupt"])
def test_unusable_archive_exits_3_with_clear_message(
    kind: str, tmp_path: Path, portal: PortalServer
) -> None:
    if kind == "directory":
        db = tmp_path / "adir"
        db.mkdir()
        expect = "is a directory"
    elif kind == "missing-folder":
        db = tmp_path / "nope" / "archive.db"
        expect = "does not exist"
    else:
        db = tmp_path / "corrupt.db"
        db.write_bytes(b"this is not sqlite at all" * 100)
        expect = "not a usable SQLite archive"
    result = run_cli("crawl", profiles(tmp_path, portal)[0], "--db", str(db), *FAST)
    assert result.returncode == 3, result.stderr
    assert expect in result.stderr and "Traceback" not in result.stderr
    assert portal.paths() == []


def test_second_crawl_on_same_archive_exits_locked(tmp_path: Path, portal: PortalServer) -> None:
    import fcntl

    db = tmp_path / "archive.db"
    assert crawl(tmp_path, portal).returncode == 0
    with open(db, "rb") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)  # as a running crawl holds it
        result = crawl(tmp_path, portal)
    assert result.returncode == 4, result.stderr
    assert "another newsarchive crawl is running" in result.stderr
    assert sqlite3.connect(db).execute("pragma integrity_check").fetchone()[0] == "ok"
