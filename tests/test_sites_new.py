"""``newsarchive sites new``: a profile inferred from a list page crawls every article of
the portal and no other page.

Real servers on 127.0.0.1: the bundled demo portal (two sites) and the generated
portals of ``tests/siteserver.py`` (date-path URLs; ``?id=N`` articles with ``?page=N``
pagination; a page without article links). Each generated profile is crawled by a real
``newsarchive crawl`` and the archive and the server's request log are checked.
"""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import re2

from crawler.demo import PORTAL_DIR
from crawler.profiles import load_profile
from crawler.sites import generate as sitegen
from tests import siteserver
from tests.conftest import FAST, ROOT, PortalServer, query, run_cli, start_server, stop_server

DEMO = json.loads((ROOT / "tests" / "demo_expected.json").read_text(encoding="utf-8"))


def start_site(style: str, tmp_path: Path) -> PortalServer:
    log = tmp_path / f"{style}.log"
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.siteserver", "--style", style, "--port", "0",
         "--log", str(log)],
        stdout=subprocess.PIPE, text=True, cwd=ROOT,
    )  # fmt: skip
    assert process.stdout is not None
    url = process.stdout.readline().strip()
    assert url.startswith("http://127.0.0.1:"), url
    return PortalServer(url, tmp_path, log, process)


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[PortalServer]:
    root = tmp_path / "portal"
    shutil.copytree(PORTAL_DIR, root)
    server = start_server(root, tmp_path / "demo.log")
    yield server
    stop_server(server)


@pytest.fixture(params=["date", "query", "video"])
def site(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, PortalServer]]:
    server = start_site(request.param, tmp_path)
    yield request.param, server
    stop_server(server)


def sites_new(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return run_cli("sites", "new", *args, "--delay", "0", cwd=cwd)


def crawl_generated(profile: Path, db: Path, server: PortalServer) -> set[str]:
    """Crawl ``profile`` into ``db``; the archived URLs, as paths on ``server``."""
    server.clear_log()
    r = run_cli("crawl", str(profile), "--db", str(db), *FAST, timeout=180)
    assert r.returncode == 0, r.stdout + r.stderr
    assert query(db, "select count(*) as n from crawl_errors")[0]["n"] == 0
    rows = query(db, "select url, title, body from articles")
    assert all(row["title"] and row["body"] for row in rows)
    return {row["url"][len(server.url) :] for row in rows}


def fetched(server: PortalServer) -> set[str]:
    return {p for p in server.paths() if p != "/robots.txt"}


@pytest.mark.parametrize(
    ("start", "prefix"), [("/xfzx/news/index.html", "/xfzx/"), ("/zlxw/list/index.htm", "/zlxw/")]
)
def test_demo_sites_profile_crawls_every_article_and_nothing_else(
    tmp_path: Path, demo: PortalServer, start: str, prefix: str
) -> None:
    out = tmp_path / "gen.toml"
    r = sites_new(demo.url + start, "-o", str(out))
    assert r.returncode == 0, r.stderr
    assert f"wrote {out}" in r.stdout
    # the robots.txt was read before anything else, and 3 articles were fetched to confirm
    assert demo.paths()[0] == "/robots.txt"
    assert sum(1 for p in demo.paths() if "/content/" in p or "/article/" in p) == 3

    profile = load_profile(str(out))
    text = out.read_text(encoding="utf-8")
    assert "# article_url: the " in text and "confirmed: an article was extracted" in text

    expected = {p for p in DEMO if p.startswith(prefix)}
    archived = crawl_generated(out, tmp_path / "a.db", demo)
    assert archived == expected
    lists = {p for p in fetched(demo) if p not in expected}
    assert lists and all(profile.is_list(demo.url + p) for p in lists), lists
    assert all("index" in p for p in lists), lists  # list pages only: no about, draft, special


def test_new_portals_date_paths_and_query_ids(
    tmp_path: Path, site: tuple[str, PortalServer]
) -> None:
    style, server = site
    start = {"date": "/news/", "query": "/list.php", "video": "/news/"}[style]
    out = tmp_path / f"{style}.toml"
    r = sites_new(server.url + start, "-o", str(out))
    assert r.returncode == 0, r.stderr
    log = server.log.read_text().splitlines()
    assert log[0].startswith("GET /robots.txt 200 newsarchive/")  # robots.txt first, our UA
    assert all(" newsarchive/" in line for line in log), log
    if style == "video":  # the larger group was tried first, and its pages gave no article
        assert r.stderr.count("/video/") == 3 and "v_500.htm: no article" in r.stderr
    profile = load_profile(str(out))

    expected = set(siteserver.articles(style))
    archived = crawl_generated(out, tmp_path / "a.db", server)
    assert archived == expected  # every article ...
    non_articles = fetched(server) - expected
    assert non_articles == set(siteserver.list_pages(style))  # ... and only the list pages
    assert all(profile.is_list(server.url + p) for p in non_articles)
    if style == "query":
        assert profile.list_url is not None and profile.list_url.search(server.url + "/list.php")
        assert not profile.is_article(server.url + "/comment.php?id=101")
        assert not profile.is_article(server.url + "/page.php?id=1")


def test_page_without_article_links_exits_1_with_candidates(tmp_path: Path) -> None:
    server = start_site("empty", tmp_path)
    try:
        r = sites_new(server.url + "/", "-o", str(tmp_path / "x.toml"))
    finally:
        stop_server(server)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "no group of links reads as article headlines" in r.stderr
    assert "candidate link groups" in r.stderr and "/finance/" in r.stderr
    assert not (tmp_path / "x.toml").exists()


def test_offline_saved_page(tmp_path: Path) -> None:
    out = tmp_path / "saved.toml"
    page = PORTAL_DIR / "xfzx" / "news" / "index.html"
    url = "https://www.example.cn/xfzx/news/index.html"
    r = sites_new(str(page), "--url", url, "--name", "myportal", "-o", str(out))
    assert r.returncode == 0, r.stderr
    p = load_profile(str(out))
    assert p.name == "myportal" and p.start_urls == (url,)
    assert p.allowed_domains == ("www.example.cn",)
    assert p.is_article("https://www.example.cn/xfzx/content/2025/11-02/20251102999.html")
    assert not p.is_article("https://www.example.cn/xfzx/special/315.html")
    assert not p.is_article("https://www.example.cn/xfzx/news/index_2.html")
    assert p.is_list("https://www.example.cn/xfzx/news/index_7.html") and p.is_list(url)
    # the host is left to allowed_domains: the profile survives a move (rebased, www, port)
    moved = p.rebased("https://www.example.cn", "http://127.0.0.1:9")
    assert moved.is_article("http://127.0.0.1:9/xfzx/content/2025/11-02/20251102999.html")
    assert moved.allowed_domains == ("127.0.0.1",)
    assert "not confirmed by fetching (offline)" in out.read_text(encoding="utf-8")

    r = sites_new(str(page), "-o", str(tmp_path / "y.toml"))
    assert r.returncode == 2 and "needs --url" in r.stderr


def test_never_overwrites_without_force_and_never_an_sqlite_file(tmp_path: Path) -> None:
    page = str(PORTAL_DIR / "zlxw" / "list" / "index.htm")
    url = "http://news.example.cn/zlxw/list/index.htm"
    out = tmp_path / "p.toml"
    out.write_text("keep me\n")
    r = sites_new(page, "--url", url, "-o", str(out))
    assert r.returncode == 2 and "already exists; use --force" in r.stderr
    assert out.read_text() == "keep me\n"
    r = sites_new(page, "--url", url, "-o", str(out), "--force")
    assert r.returncode == 0, r.stderr
    assert load_profile(str(out)).name == "news-example"

    db = tmp_path / "archive.db"
    sqlite3.connect(db).execute("create table t (x)").connection.close()
    before = db.read_bytes()
    for extra in ((), ("--force",)):
        r = sites_new(page, "--url", url, "-o", str(db), *extra)
        assert r.returncode == 2 and "SQLite database" in r.stderr, r.stderr
        assert db.read_bytes() == before


def test_robots_txt_is_obeyed(tmp_path: Path, demo: PortalServer) -> None:
    r = sites_new(demo.url + "/xfzx/private/draft.html", "-o", str(tmp_path / "x.toml"))
    assert r.returncode == 3 and "robots.txt does not allow" in r.stderr
    assert demo.paths() == ["/robots.txt"]


def test_existing_sites_forms_keep_working(tmp_path: Path) -> None:
    r = run_cli("sites")
    assert r.returncode == 0 and "demo-xfzx" in r.stdout and "ccn" in r.stdout
    r = run_cli("sites", "ccn", "--json")
    assert r.returncode == 0 and json.loads(r.stdout)[0]["name"] == "ccn"
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "x"\nstart_urls = ["http://a.cn/"]\narticle_url = "("\n')
    r = run_cli("sites", str(bad))
    assert r.returncode == 2 and "article_url" in r.stderr


# -- inference on URL styles the fixtures above do not use -----------------------------------
def _list_page(links: list[tuple[str, str]], pager: list[tuple[str, str]] = ()) -> bytes:
    items = "".join(f"<li><a href='{u}'>{t}</a></li>" for u, t in links)
    pages = " ".join(f"<a href='{u}'>{t}</a>" for u, t in pager)
    nav = "<a href='/'>首页</a><a href='/about/'>关于我们</a><a href='/more/'>更多</a>"
    return f"<html><head><title>列表</title></head><body>{nav}<ul>{items}</ul>{pages}</body></html>".encode()  # noqa: E501


HEADLINES = [siteserver.TOPICS[i] for i in range(6)]


@pytest.mark.parametrize(
    ("page_url", "article_urls", "pager", "list_hit", "other"),
    [
        (  # hex IDs, articles on a sibling host, ?p=N pagination
            "https://www.example.com.cn/channel/list.shtml",
            [f"https://news.example.com.cn/a/{h}.shtml" for h in
             ("5f3e2b9c1d4a7e60", "0a9b8c7d6e5f4321", "1234abcd5678ef90")],
            [("2", "https://www.example.com.cn/channel/list.shtml?p=2"),
             ("下一页", "https://www.example.com.cn/channel/list.shtml?p=2")],
            "https://www.example.com.cn/channel/list.shtml?p=9",
            "https://news.example.com.cn/a/about.shtml",
        ),
        (  # slugs with a numeric ID, list_N pagination in a folder
            "https://example.org/news/",
            [f"https://example.org/news/{i}-consumer-rights-story-{i}" for i in (881, 882, 9001)],
            [("末页", "https://example.org/news/list_12.html")],
            "https://example.org/news/list_3.html",
            "https://example.org/news/list_3.html",
        ),
    ],
)  # fmt: skip
def test_inference_generalises(page_url: str, article_urls: list[str], pager: list,
                               list_hit: str, other: str) -> None:  # fmt: skip
    data = _list_page(list(zip(article_urls, HEADLINES, strict=False)), [(u, t) for t, u in pager])
    inf = sitegen.infer(data, page_url)
    for pattern in (inf.article_url, inf.list_url):
        assert pattern is not None
        rx, rx2 = re.compile(pattern), re2.compile(pattern)  # RE2 compiles it the same way
        for u in [*article_urls, page_url, list_hit, other]:
            assert bool(rx.search(u)) == bool(rx2.search(u)), (pattern, u)
    assert all(re.search(inf.article_url, u) for u in article_urls)
    assert not re.search(inf.article_url, other) or other == list_hit
    assert re.search(inf.list_url, page_url) and re.search(inf.list_url, list_hit)
    assert not any(re.search(inf.list_url, u) for u in article_urls)
    hosts = {u.split("/")[2] for u in [page_url, *article_urls]}
    assert set(inf.allowed_domains) == hosts
    load = sitegen.tomllib.loads(inf.toml())
    assert load["article_url"] == inf.article_url


def test_sibling_channels_merge_into_one_pattern() -> None:
    main = [(f"/xfzx/content/2024/03-{18 - i:02d}/{900 + i}.html", t)
            for i, t in enumerate(HEADLINES[:2])]  # fmt: skip
    side = [(f"/news/content/2024/03-{10 - i:02d}/{700 + i}.html", t)
            for i, t in enumerate(HEADLINES[2:5])]  # fmt: skip
    inf = sitegen.infer(_list_page(main + side), "http://www.example.cn/xfzx/index.html")
    for path, _ in main + side:
        assert re.search(inf.article_url, "http://www.example.cn" + path), inf.article_url
    assert not re.search(inf.article_url, "http://www.example.cn/about/content/2024/03-01/1.html")
    re2.compile(inf.article_url)


def test_script_pagination_and_relative_dated_links() -> None:
    page_url = "http://www.scjg.example.gov.cn/xwzx/tzgg/index.html"
    links = [(f"./2024{3 - i // 2:02d}/t2024031{i}_{4512 + i}.html", t)
             for i, t in enumerate(HEADLINES)]  # fmt: skip
    data = _list_page(links).replace(
        b"</body>", b'<script>createPageHTML(12, 0, "index", "html");</script></body>'
    )
    inf = sitegen.infer(data, page_url)
    assert re.search(
        inf.article_url, "http://www.scjg.example.gov.cn/xwzx/tzgg/202312/t20231201_9.html"
    )
    assert not re.search(inf.article_url, "http://www.scjg.example.gov.cn/xwzx/tzgg/index_3.html")
    assert inf.list_url is not None
    assert re.search(inf.list_url, page_url)
    assert re.search(inf.list_url, "http://www.scjg.example.gov.cn/xwzx/tzgg/index_11.html")
    assert not re.search(inf.list_url, "http://www.scjg.example.gov.cn/xwzx/index_2.html")


def test_page_numbers_in_the_articles_shape() -> None:
    """/news/2.html (page 2) beside /news/10234.html (an article): IDs are longer."""
    page_url = "https://www.example.cn/news/index.html"
    links = [(f"/news/{10234 + 17 * i}.html", t) for i, t in enumerate(HEADLINES)]
    pager = [("/news/2.html", "2"), ("/news/3.html", "3"), ("/news/2.html", "下一页"),
             ("/news/48.html", "末页")]  # fmt: skip
    inf = sitegen.infer(_list_page(links, pager), page_url)
    assert all(re.search(inf.article_url, "https://www.example.cn" + u) for u, _ in links)
    for n in (2, 48, 312):
        assert not re.search(inf.article_url, f"https://www.example.cn/news/{n}.html")
        assert re.search(inf.list_url, f"https://www.example.cn/news/{n}.html"), inf.list_url
    assert re.search(inf.list_url, page_url)
    assert not re.search(inf.list_url, "https://www.example.cn/news/10234.html")
    re2.compile(inf.article_url)
    re2.compile(inf.list_url)


@pytest.mark.parametrize("site", ["ccn", "cqn", "hangzhou"])
def test_bundled_portals_url_shapes(site: str) -> None:
    """List pages shaped like the bundled portals' (their profiles were written by hand
    from the real URL shapes): the inferred patterns agree with the bundled ones."""
    bundled = load_profile(site)
    page_url = bundled.start_urls[0]
    host = page_url.split("/")[2]
    arts = {
        "ccn": [f"https://www.ccn.com.cn/Content/2024/03-{18 - i:02d}/{1011373427 + 91 * i}.html"
                for i in range(5)],
        "cqn": [f"https://www.cqn.com.cn/{ch}/content/2024-03/{18 - i:02d}/content_{901234 + i}.htm"
                for i, ch in enumerate(["ms", "ms", "ms", "zgzlb", "zgzlb"])],
        "hangzhou": [f"https://{h}.hangzhou.com.cn/{ch}/content/2024-03/{18 - i:02d}/content_{8712345 + i}.htm"  # noqa: E501
                     for i, (h, ch) in enumerate([("z", "xfzx")] * 2 + [("hznews", "jingji")] * 3)],
    }[site]  # fmt: skip
    pages = {
        "ccn": [f"https://www.ccn.com.cn/news/index.dhtml?page={n}" for n in (2, 3, 2, 20)],
        "cqn": [f"https://www.cqn.com.cn/ms/node_2215_{n}.htm" for n in (2, 3, 2, 10)],
        "hangzhou": [f"https://z.hangzhou.com.cn/xfzx/index_{n}.htm" for n in (1, 2, 1, 9)],
    }[site]
    pager = list(zip(pages, ["2", "3", "下一页", "尾页"], strict=True))
    inf = sitegen.infer(_list_page(list(zip(arts, HEADLINES, strict=False)), pager), page_url)
    probe_articles = [*arts, arts[0].replace("2024", "2023").replace("1", "7", 1)]
    for u in probe_articles:
        assert re.search(inf.article_url, u) and bundled.is_article(u), (inf.article_url, u)
    for u in [page_url, *pages]:
        assert re.search(inf.list_url, u) and bundled.is_list(u), (inf.list_url, u)
        assert not re.search(inf.article_url, u)
    for u in arts:
        assert not re.search(inf.list_url, u)
    assert not re.search(inf.article_url, f"https://{host}/about/index.html")
