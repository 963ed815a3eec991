"""Cron-ready crawling: discovery by sitemap and feed, refresh with versions, lock, output."""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

from crawler.urls import canonical_url
from tests.conftest import FAST, NEWSARCHIVE, ROOT, PortalServer, query, run_cli, write_profile

EXPECTED = json.loads((Path(__file__).parent / "demo_expected.json").read_text(encoding="utf-8"))
XFZX = sorted(k for k, v in EXPECTED.items() if not k.startswith("_") and v["site"] == "demo-xfzx")
ZLXW = sorted(k for k, v in EXPECTED.items() if not k.startswith("_") and v["site"] == "demo-zlxw")


def _urlset(base: str, paths: list[str]) -> str:
    urls = "".join(f"<url><loc>{base}{p}</loc><lastmod>2024-03-20</lastmod></url>" for p in paths)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>\n'
    )


def _sitemap_index(base: str, entries: list[tuple[str, str]]) -> str:
    items = "".join(
        f"<sitemap><loc>{base}{p}</loc><lastmod>{lastmod}</lastmod></sitemap>"
        for p, lastmod in entries
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{items}'
        "</sitemapindex>\n"
    )


def test_canonical_url_drops_tracking_and_fragment() -> None:
    assert (
        canonical_url("https://WWW.ccn.com.cn:443/Content/2022/09-21/1.html?utm_source=wx&b=2&a=1"
                      "&spm=x.y&from=timeline#comments")  # fmt: skip
        == "https://www.ccn.com.cn/Content/2022/09-21/1.html?a=1&b=2"
    )
    assert canonical_url("http://a.cn/x?id=5") == canonical_url("http://a.cn/x?id=5#top")


def test_tracking_variants_of_archived_urls_are_not_fetched(
    tmp_path: Path, portal: PortalServer
) -> None:
    profile = write_profile(tmp_path / "x.toml", portal.url, "demo-xfzx")
    db = tmp_path / "a.db"
    assert run_cli("crawl", str(profile), "--db", str(db), *FAST).returncode == 0
    first = portal.root / "xfzx/news/index.html"
    html = first.read_text(encoding="utf-8")
    variant = XFZX[0] + "?utm_source=weixin&from=timeline#pinglun"
    first.write_text(html.replace("<ul", f'<ul><li><a href="{variant}">x</a></li></ul><ul', 1),
                     encoding="utf-8")  # fmt: skip
    portal.clear_log()
    assert run_cli("crawl", str(profile), "--db", str(db), *FAST).returncode == 0
    assert not [p for p in portal.paths() if "/content/" in p]


def test_sitemap_index_and_lastmod(tmp_path: Path, portal: PortalServer) -> None:
    root, base = portal.root, portal.url
    (root / "sm-a.xml").write_text(_urlset(base, XFZX[:3] + ["/xfzx/about.html"]))
    (root / "sm-b.xml").write_text(_urlset(base, XFZX[3:]))
    (root / "sitemap.xml").write_text(
        _sitemap_index(base, [("/sm-a.xml", "2024-03-20"), ("/sm-b.xml", "2024-03-20")])
    )
    profile = write_profile(
        tmp_path / "sm.toml", base, "demo-xfzx", name="sm", sitemap_urls=[base + "/sitemap.xml"],
        start_urls=[base + "/index.html"],
    )  # fmt: skip
    db = tmp_path / "a.db"
    result = run_cli("crawl", str(profile), "--db", str(db), *FAST)
    assert result.returncode == 0, result.stderr
    urls = {r["url"] for r in query(db, "select url from articles")}
    assert urls == {base + p for p in XFZX}

    # Second run: sm-a is unchanged since the last run (old lastmod) and is not fetched;
    # sm-b changed and lists one new article.
    new_path = "/xfzx/content/2024/03-21/20240321001.html"
    (root / new_path.lstrip("/")).parent.mkdir(parents=True)
    (root / new_path.lstrip("/")).write_bytes((root / XFZX[0].lstrip("/")).read_bytes())
    (root / "sm-b.xml").write_text(_urlset(base, XFZX[3:] + [new_path]))
    (root / "sitemap.xml").write_text(
        _sitemap_index(base, [("/sm-a.xml", "2020-01-01"), ("/sm-b.xml", "2099-01-01")])
    )
    portal.clear_log()
    result = run_cli("crawl", str(profile), "--db", str(db), *FAST)
    assert result.returncode == 0, result.stderr
    fetched = portal.paths()
    assert "/sm-b.xml" in fetched and "/sm-a.xml" not in fetched
    assert [p for p in fetched if "/content/" in p] == [new_path]


def test_rss_and_atom_feeds(tmp_path: Path, portal: PortalServer) -> None:
    root, base = portal.root, portal.url
    items = "".join(
        f"<item><title>t</title><link>{base}{p}</link><guid isPermaLink='false'>x{i}</guid></item>"
        for i, p in enumerate(ZLXW[:3])
    )
    (root / "rss.xml").write_text(f'<?xml version="1.0"?><rss version="2.0"><channel>{items}'
                                  "</channel></rss>")  # fmt: skip
    entries = "".join(
        f'<entry><title>t</title><link rel="alternate" href="{base}{p}"/>'
        f"<id>urn:{p}</id></entry>"
        for p in ZLXW[3:]
    )
    (root / "atom.xml").write_text(
        f'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        f'<link rel="self" href="{base}/atom.xml"/>{entries}</feed>'
    )
    profile = write_profile(
        tmp_path / "feed.toml", base, "demo-zlxw", name="feeds", start_urls=[base + "/index.html"],
        feed_urls=[base + "/rss.xml", base + "/atom.xml"],
    )  # fmt: skip
    db = tmp_path / "a.db"
    result = run_cli("crawl", str(profile), "--db", str(db), *FAST)
    assert result.returncode == 0, result.stderr
    rows = query(db, "select url, title from articles")
    assert {r["url"] for r in rows} == {base + p for p in ZLXW}
    assert {r["title"] for r in rows} == {EXPECTED[p]["title"] for p in ZLXW}


def test_refresh_updates_changed_articles_and_keeps_versions(
    tmp_path: Path, portal: PortalServer
) -> None:
    profile = write_profile(tmp_path / "x.toml", portal.url, "demo-xfzx")
    db = tmp_path / "a.db"
    assert run_cli("crawl", str(profile), "--db", str(db), *FAST).returncode == 0
    page = portal.root / XFZX[0].lstrip("/")
    old_title = EXPECTED[XFZX[0]]["title"]
    page.write_text(page.read_text(encoding="utf-8").replace(old_title, old_title + "（更新）"),
                    encoding="utf-8")  # fmt: skip
    portal.clear_log()
    result = run_cli("crawl", str(profile), "--db", str(db), "--refresh", *FAST)
    assert result.returncode == 0, result.stderr
    assert "1 updated" in result.stdout
    fetched = [p for p in portal.paths() if "/content/" in p]
    assert sorted(fetched) == XFZX  # every archived article re-fetched once
    (row,) = query(db, "select title from articles where url = ?", (portal.url + XFZX[0],))
    assert row["title"] == old_title + "（更新）"
    (version,) = query(db, "select url, title, body from article_versions")
    assert version["title"] == old_title and version["url"] == portal.url + XFZX[0]
    assert version["body"] == EXPECTED[XFZX[0]]["body"]


def test_refresh_since_limits_to_recent_articles(tmp_path: Path, portal: PortalServer) -> None:
    profile = write_profile(tmp_path / "x.toml", portal.url, "demo-xfzx")
    db = tmp_path / "a.db"
    assert run_cli("crawl", str(profile), "--db", str(db), *FAST).returncode == 0
    portal.clear_log()
    result = run_cli(
        "crawl", str(profile), "--db", str(db), "--refresh", "--since", "2024-03-01", *FAST
    )
    assert result.returncode == 0, result.stderr
    recent = sorted(p for p in XFZX if (EXPECTED[p]["published_at"] or "") >= "2024-03-01")
    assert sorted(p for p in portal.paths() if "/content/" in p) == recent


def test_two_crawls_at_once_one_is_locked_out(tmp_path: Path, portal: PortalServer) -> None:
    profile = write_profile(tmp_path / "x.toml", portal.url, "demo-xfzx")
    db = tmp_path / "a.db"
    slow = ["-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_DELAY=0.4",
            "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=1"]  # fmt: skip
    cmd = [*NEWSARCHIVE, "crawl", str(profile), "--db", str(db), *slow]
    procs = [subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for _ in range(2)]  # fmt: skip
    outs = [p.communicate(timeout=120) for p in procs]
    codes = sorted(p.returncode for p in procs)
    assert codes == [0, 4], outs
    locked = outs[[p.returncode for p in procs].index(4)]
    assert "another newsarchive crawl is running" in locked[1]
    assert query(db, "select count(*) as n from articles")[0]["n"] == len(XFZX)
    assert [r["status"] for r in query(db, "select status from crawls")] == ["ok"]


def test_quiet_verbose_and_log_file(tmp_path: Path, portal: PortalServer) -> None:
    profile = write_profile(tmp_path / "x.toml", portal.url, "demo-xfzx")
    quiet = run_cli("crawl", str(profile), "--db", str(tmp_path / "q.db"), "--quiet", *FAST)
    assert (quiet.returncode, quiet.stdout, quiet.stderr) == (0, "", "")
    verbose = run_cli("crawl", str(profile), "--db", str(tmp_path / "v.db"), "--verbose", *FAST)
    assert verbose.returncode == 0
    assert "Spider opened" in verbose.stderr and "Spider closed (finished)" in verbose.stderr
    log = tmp_path / "crawl.log"
    logged = run_cli("crawl", str(profile), "--db", str(tmp_path / "l.db"), "--log-file",
                     str(log), *FAST)  # fmt: skip
    assert logged.returncode == 0 and logged.stderr == ""
    assert "Spider closed (finished)" in log.read_text()


def test_progress_line_on_a_terminal(tmp_path: Path, portal: PortalServer) -> None:
    profile = write_profile(tmp_path / "x.toml", portal.url, "demo-xfzx")
    master, slave = pty.openpty()
    slow = ["-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_DELAY=0.2",
            "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=1"]  # fmt: skip
    proc = subprocess.Popen(
        [*NEWSARCHIVE, "crawl", str(profile), "--db", str(tmp_path / "a.db"), *slow],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=slave, text=True,
    )  # fmt: skip
    os.close(slave)
    seen = b""
    deadline = time.monotonic() + 60
    while proc.poll() is None and time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.2)
        if ready:
            try:
                seen += os.read(master, 4096)
            except OSError:
                break
    proc.wait(timeout=30)
    os.close(master)
    assert proc.returncode == 0
    assert b"pages fetched" in seen and b"new articles" in seen


def test_stats_reports_per_site(tmp_path: Path, portal: PortalServer) -> None:
    db = tmp_path / "a.db"
    profiles = [str(write_profile(tmp_path / f"{s}.toml", portal.url, s))
                for s in ("demo-xfzx", "demo-zlxw")]  # fmt: skip
    assert run_cli("crawl", *profiles, "--db", str(db), *FAST).returncode == 0
    assert run_cli("crawl", *profiles, "--db", str(db), *FAST).returncode == 0
    result = run_cli("stats", "--db", str(db), "--json")
    assert result.returncode == 0, result.stderr
    rows = {r["site"]: r for r in json.loads(result.stdout)}
    assert rows["demo-xfzx"]["articles"] == len(XFZX)
    assert rows["demo-xfzx"]["new_last_run"] == 0  # the second run found nothing new
    assert rows["demo-xfzx"]["new_7_days"] == len(XFZX)
    assert rows["demo-zlxw"]["errors_last_run"] == 0
    assert rows["demo-zlxw"]["last_ok_run"] is not None
    table = run_cli("stats", "--db", str(db))
    assert table.returncode == 0 and "demo-zlxw" in table.stdout and "articles" in table.stdout


def test_stats_without_archive_is_a_clear_error(tmp_path: Path) -> None:
    result = run_cli("stats", "--db", str(tmp_path / "none.db"))
    assert result.returncode == 3
    assert "no archive here" in result.stderr


def test_help_for_every_command() -> None:
    result = run_cli("--help")
    assert result.returncode == 0
    commands = [line.split()[0] for line in result.stdout.split("Commands:")[1].splitlines()
                if line.strip()]  # fmt: skip
    assert {"crawl", "extract", "demo", "sites", "stats"} <= set(commands)
    for command in commands:
        help_text = run_cli(command, "--help")
        assert help_text.returncode == 0, command
        assert "Example" in help_text.stdout, f"{command} --help has no example"


def test_python_m_crawler_is_the_cli() -> None:
    out = subprocess.run([sys.executable, "-m", "crawler", "--version"], capture_output=True,
                         text=True, cwd=ROOT)  # fmt: skip
    assert out.returncode == 0 and "newsarchive" in out.stdout.lower()
