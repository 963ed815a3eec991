"""Issue 17: one article, one row, under its final URL; every other URL is an alias.

Real crawls of ``tests/portalserver.py`` (a local server that logs requests) into real
SQLite files: a story reached through a 301 alias, a 302 alias, a print page whose
``rel=canonical`` names it and a tracking-parameter variant is one row under its final
URL, with those URLs in ``url_aliases``, and a second crawl requests none of them. An
archive keyed by aliases (as crawls before this issue wrote it) is upgraded by
``newsarchive reextract`` with nothing lost.
"""

from __future__ import annotations

import urllib.request
from pathlib import Path

import pytest

from crawler.archive import Archive
from crawler.items import Article, RawPage
from tests.conftest import FAST, PortalServer, query, run_cli, to_toml
from tests.portalserver import PARAGRAPHS, TITLES
from tests.test_distributed import WORKER as REDIS_WORKER
from tests.test_distributed import cli as redis_cli
from tests.test_distributed import finish, rdb, redis_url  # noqa: F401 (fixtures)

FINAL = "/a/2022/0915/10007.html"
TRACKING = FINAL + "?utm_source=weibo&spm=1.2.3"


@pytest.fixture
def server(switch_portal: PortalServer) -> PortalServer:
    return switch_portal  # conftest.switch_portal, by this module's name for it


def profile(tmp_path: Path, base: str) -> Path:
    path = tmp_path / "alias.toml"
    data = {"name": "alias", "start_urls": [f"{base}/alias/list.html"],
            "article_url": r"/a/.*\d+\.html$", "list_url": r"/alias/list_\d+\.html$"}  # fmt: skip
    path.write_text(to_toml(data), encoding="utf-8")
    return path


def crawl(tmp_path: Path, server: PortalServer) -> None:
    result = run_cli("crawl", str(profile(tmp_path, server.url)), "--db",
                     str(tmp_path / "archive.db"), *FAST)  # fmt: skip
    assert result.returncode == 0, result.stderr


def test_one_row_under_the_final_url_with_its_aliases(tmp_path: Path, server: PortalServer) -> None:
    crawl(tmp_path, server)
    db, base = tmp_path / "archive.db", server.url
    rows = {r["url"]: r for r in query(db, "select * from articles")}
    assert set(rows) == {base + p for p in (FINAL, "/a/2022/0916/10008.html",
                                            "/a/2022/0917/10009.html", "/a/2022/0918/10010.html",
                                            "/a/2022/0919/10011.html")}  # fmt: skip
    story = rows[base + FINAL]
    assert story["title"] == TITLES["10007"]
    assert story["body"] == "\n".join(PARAGRAPHS["10007"])
    aliases = query(db, "select alias, url from url_aliases order by alias")
    assert {a["alias"]: a["url"] for a in aliases} == {
        base + "/a/old/10007.html": base + FINAL,  # 301
        base + "/a/tmp/10007.html": base + FINAL,  # 302 to the 301
        base + "/a/print/10007.html": base + FINAL,  # rel=canonical
        base + TRACKING: base + FINAL,  # the link with tracking parameters
        base + "/a/m/10008.html": base + "/a/2022/0916/10008.html",  # og:url
    }
    # a canonical naming the home page or another domain is not the article's URL
    assert rows[base + "/a/2022/0917/10009.html"]["title"] == TITLES["10009"]
    assert rows[base + "/a/2022/0918/10010.html"]["title"] == TITLES["10010"]
    # the URL reached only through og:url was never requested: the page was
    assert "/a/2022/0916/10008.html" not in server.paths()


def test_second_crawl_requests_no_alias(tmp_path: Path, server: PortalServer) -> None:
    crawl(tmp_path, server)
    server.clear_log()
    crawl(tmp_path, server)
    # every link of list page 1 is archived or an alias: nothing fetched, and pagination
    # stops there as it does for known URLs (list_2.html is not asked for)
    assert [p for p in server.paths() if p != "/robots.txt"] == ["/alias/list.html"]
    (run,) = query(tmp_path / "archive.db", "select * from crawls where id = 2")
    assert run["new"] == 0 and run["errors"] == 0 and run["status"] == "ok"
    assert len(query(tmp_path / "archive.db", "select url from articles")) == 5


def test_upgrade_of_an_archive_keyed_by_aliases(tmp_path: Path, server: PortalServer) -> None:
    """Before issue 17 a redirected article was keyed by the URL that was linked, and a
    print page with rel=canonical became a second row of the same story."""
    db, base = tmp_path / "archive.db", server.url

    def fetched(path: str) -> RawPage:
        with urllib.request.urlopen(base + path) as response:  # the local test server
            return RawPage(url=base + path, site="alias", final_url=response.url,
                           status=200, headers=dict(response.headers), body=response.read(),
                           fetched_at="2026-11-01T00:00:00Z")  # fmt: skip

    old_rows = {
        "/a/old/10007.html": "旧抓取：全省发布预付卡消费提示（重定向前的网址）。",
        "/a/print/10007.html": "旧抓取：打印页上的同一篇报道。",
        FINAL: "旧抓取：最终网址上的同一篇报道。",
    }
    with Archive(db) as archive:  # rows as the old code keyed them, with older text
        for path, body in old_rows.items():
            page = fetched(path)
            old = Article(url=base + path, site="alias", title="旧标题", body=body,
                          fetched_at=page.fetched_at, page=page)  # fmt: skip
            archive.upsert_article(old)
    assert query(db, "select final_url from pages where url = ?", (base + "/a/old/10007.html",)
                 ) == [{"final_url": base + FINAL}]  # fmt: skip

    result = run_cli("reextract", "--db", str(db), "--jobs", "1")
    assert result.returncode == 0, result.stderr
    assert "moved to their final URL" in result.stdout or "merged" in result.stdout
    rows = query(db, "select url, title, body from articles")
    assert rows == [{"url": base + FINAL, "title": TITLES["10007"],
                     "body": "\n".join(PARAGRAPHS["10007"])}]  # fmt: skip
    aliases = {r["alias"]: r["url"] for r in query(db, "select alias, url from url_aliases")}
    assert aliases == {base + "/a/old/10007.html": base + FINAL,
                       base + "/a/print/10007.html": base + FINAL}  # fmt: skip
    # no content lost: every old body is the row's or one of its versions
    versions = query(db, "select url, body from article_versions")
    assert {v["url"] for v in versions} == {base + FINAL}
    assert set(old_rows.values()) <= {v["body"] for v in versions}
    assert query(db, "select count(*) as n from pages where url = ?", (base + FINAL,)
                 ) == [{"n": 3}]  # fmt: skip
    assert query(db, "pragma foreign_key_check") == []
    # a crawl of the upgraded archive fetches neither alias (only /a/tmp/, new to it,
    # whose redirects pass through /a/old/), and the story stays one row
    server.clear_log()
    crawl(tmp_path, server)
    paths = server.paths()
    assert "/a/print/10007.html" not in paths and TRACKING not in paths
    assert paths.count("/a/old/10007.html") == paths.count("/a/tmp/10007.html") == 1
    assert len(query(db, "select 1 from articles where title = ?", (TITLES["10007"],))) == 1


def test_redis_workers_give_the_same_rows_as_a_local_crawl(
    tmp_path: Path, server: PortalServer, redis_url: str, rdb: object  # noqa: F811
) -> None:
    """Two ``--redis`` workers and one ingest archive the alias and multi-page portals
    exactly as a local crawl does: the same rows, aliases and pages; and a second
    distributed run, seeded with the aliases, requests none of them."""
    mp = tmp_path / "mp.toml"
    mp.write_text(to_toml({"name": "mp", "start_urls": [f"{server.url}/mp/list.html"],
                           "article_url": r"/mp/(gbk/)?\d{4}/\d{4}/\d+(_\d+)?\.html?$",
                           "list_url": r"/mp/list(_\d+)?\.html$"}), encoding="utf-8")  # fmt: skip
    profiles = [str(profile(tmp_path, server.url)), str(mp)]
    local, shared = tmp_path / "local.db", tmp_path / "shared.db"
    result = run_cli("crawl", *profiles, "--db", str(local), *FAST)
    assert result.returncode == 0, result.stderr

    def distributed_run() -> None:
        seed = run_cli("seed", *profiles, "--db", str(shared), "--redis", redis_url)
        assert seed.returncode == 0, seed.stderr
        workers = [redis_cli("crawl", *profiles, "--db", str(shared), "--redis", redis_url,
                             *REDIS_WORKER) for _ in range(2)]  # fmt: skip
        writer = redis_cli("ingest", "--db", str(shared), "--redis", redis_url)
        for proc in workers:
            rc, out, err = finish(proc)
            assert rc == 0, err
            assert " ok:" in out and "Traceback" not in err, err[-3000:]
        rc, out, err = finish(writer)
        assert rc == 0, err
        assert "closed: ok" in out

    distributed_run()
    for sql in ("select url, site, title, body, pages_missing from articles order by url",
                "select alias, url from url_aliases order by alias",
                "select url, final_url, page_no from pages where page_no > 1"
                " order by url, page_no"):  # fmt: skip
        assert query(shared, sql) == query(local, sql), sql
    urls = "select url, final_url from pages where coalesce(page_no, 1) = 1"
    assert {r["url"] for r in query(shared, urls)} == {r["url"] for r in query(local, urls)}

    server.clear_log()
    distributed_run()
    assert sorted(p for p in server.paths() if p != "/robots.txt") == [
        "/alias/list.html", "/mp/list.html"]  # fmt: skip
