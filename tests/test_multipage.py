"""Issue 17: an article split over pages is one row with all its pages' text, in order.

Real crawls of ``tests/portalserver.py``'s ``/mp/`` site into real SQLite files: 3-page
articles in a UTF-8 template (``X_2.html``), a GBK template (``X/index_2.htm``) and with
``?page=2`` links; a continuation page linked straight from the list page; a
continuation page that answers 500 and later recovers.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from tests.conftest import FAST, PortalServer, query, run_cli, to_toml
from tests.portalserver import MULTI, MULTI_TITLES, NAV_WORDS, multi_urls

SETTINGS = [*FAST, "-s", "NEWSARCHIVE_RETRY_BACKOFF=0.1"]


@pytest.fixture
def server(switch_portal: PortalServer) -> PortalServer:
    return switch_portal  # conftest.switch_portal, by this module's name for it


def crawl(tmp_path: Path, server: PortalServer, **extra: object) -> int:
    path = tmp_path / "mp.toml"
    data = {"name": "mp", "start_urls": [f"{server.url}/mp/list.html"],
            "article_url": r"/mp/(gbk/)?\d{4}/\d{4}/\d+(_\d+)?\.html?$",
            "list_url": r"/mp/list(_\d+)?\.html$", **extra}  # fmt: skip
    path.write_text(to_toml(data), encoding="utf-8")
    result = run_cli("crawl", str(path), "--db", str(tmp_path / "archive.db"), *SETTINGS)
    assert "Traceback" not in result.stderr, result.stderr
    return result.returncode


def whole(key: str, pages: tuple[int, ...] = (1, 2, 3)) -> str:
    return "\n".join(p for n in pages for p in MULTI[key][n])


def test_three_pages_one_row(tmp_path: Path, server: PortalServer) -> None:
    assert crawl(tmp_path, server) == 0
    db, base = tmp_path / "archive.db", server.url
    rows = {r["url"]: r for r in query(db, "select * from articles")}
    # one row per article; continuation URLs (one linked straight from the list) never
    assert set(rows) == {base + multi_urls(k)[1] for k in MULTI}
    for key in ("501", "502", "503"):  # UTF-8 X_N.html, GBK X/index_N.htm, ?page=N
        row = rows[base + multi_urls(key)[1]]
        assert row["title"] == MULTI_TITLES[key]
        assert row["body"] == whole(key), key  # every page, in order, no navigation
        assert not [w for w in NAV_WORDS if w in row["body"]]
        assert row["pages_missing"] == 0
        pages = query(db, "select final_url, page_no, first_page_id, id from pages"
                          " where url = ? order by page_no", (row["url"],))  # fmt: skip
        assert [(p["final_url"], p["page_no"]) for p in pages] == [
            (base + multi_urls(key)[n], n) for n in (1, 2, 3)
        ]
        assert pages[0]["first_page_id"] is None
        assert {p["first_page_id"] for p in pages[1:]} == {pages[0]["id"]}
    # the continuation URLs are aliases: a list linking one counts it as archived
    alias = query(db, "select url from url_aliases where alias = ?",
                  (base + multi_urls("501")[2],))  # fmt: skip
    assert alias == [{"url": base + multi_urls("501")[1]}]

    # re-extraction reads the whole group and changes nothing
    result = run_cli("reextract", "--db", str(db), "--jobs", "1")
    assert result.returncode == 0, result.stderr
    assert "0 updated, 0 new" in result.stdout, result.stdout
    assert query(db, "select body from articles where url = ?",
                 (base + multi_urls("502")[1],)) == [{"body": whole("502")}]  # fmt: skip

    # export-warc writes each page under the URL it was fetched from
    out = tmp_path / "mp.warc.gz"
    result = run_cli("export-warc", str(out), "--db", str(db))
    assert result.returncode == 0, result.stderr
    warc = gzip.decompress(out.read_bytes()).decode("latin-1")
    for key in MULTI:
        for path in multi_urls(key).values():
            assert f"WARC-Target-URI: {base}{path}\r\n" in warc, path


def test_second_run_fetches_no_page_again(tmp_path: Path, server: PortalServer) -> None:
    assert crawl(tmp_path, server) == 0
    server.clear_log()
    assert crawl(tmp_path, server) == 0
    assert [p for p in server.paths() if p != "/robots.txt"] == ["/mp/list.html"]


def test_failed_continuation_page_then_completed(tmp_path: Path, server: PortalServer) -> None:
    (server.root / "broken").touch()  # page 3 of 504 answers 500
    assert crawl(tmp_path, server) == 1  # partial: a page failed
    db, base = tmp_path / "archive.db", server.url
    url = base + multi_urls("504")[1]
    (row,) = query(db, "select * from articles where url = ?", (url,))
    assert row["body"] == whole("504", (1, 2)) and row["pages_missing"] == 1
    errors = query(db, "select url, reason from crawl_errors")
    assert [e["url"] for e in errors] == [base + multi_urls("504")[3]]
    assert "HTTP 500" in errors[0]["reason"]
    assert len(query(db, "select 1 from pages where url = ?", (url,))) == 2

    (server.root / "broken").unlink()
    server.clear_log()
    assert crawl(tmp_path, server) == 0
    (row,) = query(db, "select * from articles where url = ?", (url,))
    assert row["body"] == whole("504") and row["pages_missing"] == 0
    versions = query(db, "select body from article_versions where url = ?", (url,))
    assert versions == [{"body": whole("504", (1, 2))}]
    # only the incomplete article was fetched again
    fetched = [p for p in server.paths() if not p.startswith(("/robots", "/mp/list"))]
    assert fetched == [multi_urls("504")[n] for n in (1, 2, 3)]


def test_article_pages_false_turns_it_off(tmp_path: Path, server: PortalServer) -> None:
    assert crawl(tmp_path, server, article_pages=False) == 0
    db, base = tmp_path / "archive.db", server.url
    (row,) = query(db, "select body from articles where url = ?", (base + multi_urls("501")[1],))
    assert row["body"].startswith(MULTI["501"][1][0]) and MULTI["501"][2][0] not in row["body"]
    assert not query(db, "select 1 from pages where page_no > 1")


def test_article_pages_regex(tmp_path: Path, server: PortalServer) -> None:
    """A profile's regex names the continuation pages (here only the ?page=N kind)."""
    assert crawl(tmp_path, server, article_pages=r"/503\.html\?page=(\d+)$") == 0
    db, base = tmp_path / "archive.db", server.url
    bodies = {r["url"]: r["body"] for r in query(db, "select url, body from articles")}
    assert bodies[base + multi_urls("503")[1]] == whole("503")
    assert MULTI["501"][2][0] not in bodies[base + multi_urls("501")[1]]


def test_upgrade_merges_continuation_rows_of_an_old_archive(
    tmp_path: Path, server: PortalServer
) -> None:
    """Before issue 17 a list linking ``501_2.html`` made it a row of its own, and 501
    was archived with page 1's text only. ``reextract`` makes them one row with both
    pages' text, ``501_2.html`` an alias, and keeps both old contents as versions."""
    import urllib.request

    from crawler.archive import Archive
    from crawler.items import Article, RawPage

    db, base = tmp_path / "archive.db", server.url
    old_rows = {1: "旧抓取：只有第一页的正文。", 2: "旧抓取：第二页被当成了一篇文章。"}
    with Archive(db) as archive:
        for n, body in old_rows.items():
            url = base + multi_urls("501")[n]
            with urllib.request.urlopen(url) as response:  # the local test server
                page = RawPage(url=url, site="mp", final_url=url, status=200,
                               headers=dict(response.headers), body=response.read(),
                               fetched_at=f"2026-11-0{n}T00:00:00Z")  # fmt: skip
            old = Article(url=url, site="mp", title=MULTI_TITLES["501"], body=body,
                          fetched_at=page.fetched_at, page=page)  # fmt: skip
            archive.upsert_article(old)

    result = run_cli("reextract", "--db", str(db), "--jobs", "1")
    assert result.returncode == 0, result.stderr
    rows = query(db, "select url, body, pages_missing from articles")
    # page 3 was never fetched: the row says so, and the next crawl fetches the article
    assert rows == [{"url": base + multi_urls("501")[1], "body": whole("501", (1, 2)),
                     "pages_missing": 1}]  # fmt: skip
    aliases = query(db, "select alias, url from url_aliases")
    assert aliases == [{"alias": base + multi_urls("501")[2], "url": base + multi_urls("501")[1]}]
    versions = {v["body"] for v in query(db, "select body from article_versions")}
    assert set(old_rows.values()) <= versions  # nothing lost
    pages = query(db, "select final_url, page_no from pages order by coalesce(page_no, 1)")
    assert [(p["final_url"], p["page_no"]) for p in pages] == [
        (base + multi_urls("501")[1], 1), (base + multi_urls("501")[2], 2)]  # fmt: skip
    # a second reextract finds nothing more to do
    result = run_cli("reextract", "--db", str(db), "--jobs", "1")
    assert "0 updated, 0 new" in result.stdout and "merged" not in result.stdout, result.stdout
    # and the next crawl completes the article: all 3 pages, nothing missing
    assert crawl(tmp_path, server) == 0
    (row,) = query(db, "select body, pages_missing from articles where url = ?",
                   (base + multi_urls("501")[1],))  # fmt: skip
    assert row == {"body": whole("501"), "pages_missing": 0}


@pytest.mark.parametrize(
    ("value", "problem"),
    [("true", "must be a regex or false"), ("'('", "bad regex"), ("3", "must be a string")],
)
def test_bad_article_pages_is_a_clear_profile_error(tmp_path: Path, value: str,
                                                    problem: str) -> None:  # fmt: skip
    path = tmp_path / "bad.toml"
    text = ("name = 'bad'\nstart_urls = ['http://127.0.0.1:1/list.html']\n"
            f"article_url = '/a/'\narticle_pages = {value}\n")  # fmt: skip
    path.write_text(text, encoding="utf-8")
    result = run_cli("sites", str(path))
    assert result.returncode == 2
    (line,) = result.stderr.strip().splitlines()
    assert "article_pages" in line and problem in line and str(path) in line
