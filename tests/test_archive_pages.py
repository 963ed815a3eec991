"""Raw pages, WARC export, re-extraction, syndicated copies and extraction health."""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path

import pytest
import zstandard
from hypothesis import given, settings
from hypothesis import strategies as st

from crawler.archive import Archive, compression, dedupe
from crawler.items import Article, RawPage
from tests.conftest import FAST, PortalServer, query, run_cli, stop_server, write_profile

EXPECTED = json.loads((Path(__file__).parent / "demo_expected.json").read_text(encoding="utf-8"))
XFZX = sorted(k for k, v in EXPECTED.items() if not k.startswith("_") and v["site"] == "demo-xfzx")
ZLXW_TEMPLATE = "zlxw/article/2023/0705/t20230705_41702.htm"


def crawl(tmp_path: Path, portal: PortalServer, *sites: str, extra: tuple = ()) -> object:
    profiles = [str(write_profile(tmp_path / f"{s}.toml", portal.url, s)) for s in sites]
    return run_cli("crawl", *profiles, "--db", str(tmp_path / "a.db"), *FAST, *extra)


def test_every_fetched_article_response_is_kept(tmp_path: Path, portal: PortalServer) -> None:
    assert crawl(tmp_path, portal, "demo-xfzx").returncode == 0
    pages = query(tmp_path / "a.db", "select * from pages")
    assert sorted(p["url"].removeprefix(portal.url) for p in pages) == XFZX
    for page in pages:
        on_disk = (portal.root / page["url"].removeprefix(portal.url + "/")).read_bytes()
        assert page["compression"] == "zstd" and page["status"] == 200
        assert zstandard.ZstdDecompressor().decompress(page["body"]) == on_disk  # as received
        assert page["size"] == len(on_disk) and len(page["body"]) < len(on_disk)
        assert page["final_url"] == page["url"] and page["site"] == "demo-xfzx"
        assert json.loads(page["headers"])["Content-Type"] == "text/html"


def test_export_warc_reads_back_with_warcio(tmp_path: Path, portal: PortalServer) -> None:
    from warcio.archiveiterator import ArchiveIterator

    assert crawl(tmp_path, portal, "demo-xfzx", "demo-zlxw").returncode == 0
    out = tmp_path / "news.warc.gz"
    result = run_cli("export-warc", str(out), "--db", str(tmp_path / "a.db"), "--site",
                     "demo-xfzx")  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert f"wrote {len(XFZX)} responses" in result.stdout
    seen = {}
    with open(out, "rb") as fh:
        for record in ArchiveIterator(fh):
            if record.rec_type == "response":
                assert record.http_headers.get_statuscode() == "200"
                uri = record.rec_headers.get_header("WARC-Target-URI")
                seen[uri] = record.content_stream().read()
    assert sorted(u.removeprefix(portal.url) for u in seen) == XFZX
    for url, body in seen.items():
        assert body == (portal.root / url.removeprefix(portal.url + "/")).read_bytes()


def test_reextract_repairs_rows_without_network(tmp_path: Path, portal: PortalServer) -> None:
    assert crawl(tmp_path, portal, "demo-xfzx").returncode == 0
    stop_server(portal)  # no network from here on
    db = tmp_path / "a.db"
    target = portal.url + XFZX[0]
    with Archive(db) as archive, archive.db.conn as conn:  # what a worse extractor stored
        conn.execute("update articles set title = 'wrong', editor = null where url = ?", [target])
    result = run_cli("reextract", "--db", str(db), "--jobs", "2")
    assert result.returncode == 0, result.stderr
    assert f"{len(XFZX)} pages, 1 updated" in result.stdout
    assert "title 1" in result.stdout and "body 0" in result.stdout
    (row,) = query(db, "select title, editor from articles where url = ?", (target,))
    assert row == {"title": EXPECTED[XFZX[0]]["title"], "editor": EXPECTED[XFZX[0]]["editor"]}
    (run,) = query(db, "select * from reextracts")
    expected_changes = {"title": 1, "editor": 1} if EXPECTED[XFZX[0]]["editor"] else {"title": 1}
    assert json.loads(run["changed_fields"]) == expected_changes
    assert query(db, "select title from article_versions") == [{"title": "wrong"}]


def test_reextract_upgrades_an_older_archive(tmp_path: Path, portal: PortalServer) -> None:
    assert crawl(tmp_path, portal, "demo-xfzx").returncode == 0
    db = tmp_path / "a.db"
    with Archive(db) as archive, archive.db.conn as conn:
        # An archive from before fingerprints and duplicate links existed.
        conn.execute("drop table fingerprints")
        conn.execute("drop index if exists idx_articles_duplicate_of")
        conn.execute("alter table articles drop column duplicate_of")
    result = run_cli("reextract", "--db", str(db), "--jobs", "1")
    assert result.returncode == 0, result.stderr
    assert "duplicate_of" in {r["name"] for r in query(db, "pragma table_info(articles)")}
    n = query(db, "select count(distinct url) as n from fingerprints")[0]["n"]
    assert n == len(XFZX)


# -- syndicated copies --------------------------------------------------------------------

STORY = EXPECTED[XFZX[0]]["body"]


def _different_story_same_topic() -> str:
    # Another article of the demo portal on a related consumer topic.
    return EXPECTED[XFZX[1]]["body"]


@pytest.mark.parametrize(
    "copy",
    [
        "本报讯 " + STORY + "\n（本文来源：中国消费者报）",  # byline and source line added
        STORY.replace("。", "，", 3),  # small edits in punctuation
        "\n".join(STORY.split("\n")[:-1]) + "\n责任编辑：王芳",  # last paragraph cut, editor line
    ],
)
def test_copies_of_one_story_are_linked(copy: str, tmp_path: Path) -> None:
    with Archive(tmp_path / "a.db") as archive:
        archive.upsert_article(Article(url="http://a.cn/1", site="a", title="t", body=STORY))
        archive.upsert_article(Article(url="http://b.cn/9", site="b", title="t_b网", body=copy))
        dup = archive.get_article("http://b.cn/9")
        assert dup is not None
        rows = list(archive.db.query("select duplicate_of from articles where url = ?",
                                     ["http://b.cn/9"]))  # fmt: skip
    assert rows[0]["duplicate_of"] == "http://a.cn/1"


def test_different_stories_on_one_topic_are_not_linked(tmp_path: Path) -> None:
    bodies = [EXPECTED[p]["body"] for p in XFZX]
    with Archive(tmp_path / "a.db") as archive:
        for i, body in enumerate(bodies):
            archive.upsert_article(Article(url=f"http://a.cn/{i}", site="a", title="t", body=body))
        linked = list(archive.db.query("select url from articles where duplicate_of is not null"))
    assert linked == []
    for i, a in enumerate(bodies):
        for b in bodies[i + 1 :]:
            assert dedupe.jaccard(dedupe.shingles(a), dedupe.shingles(b)) < 0.2


def test_copy_links_to_the_earliest_of_a_chain(tmp_path: Path) -> None:
    with Archive(tmp_path / "a.db") as archive:
        archive.upsert_article(Article(url="http://a.cn/1", site="a", title="t", body=STORY))
        archive.upsert_article(Article(url="http://b.cn/1", site="b", title="t", body=STORY))
        archive.upsert_article(Article(url="http://c.cn/1", site="c", title="t",
                                       body=STORY + "\n编辑：李四"))  # fmt: skip
        rows = {r["url"]: r["duplicate_of"] for r in archive.db.query(
            "select url, duplicate_of from articles")}  # fmt: skip
    assert rows == {"http://a.cn/1": None, "http://b.cn/1": "http://a.cn/1",
                    "http://c.cn/1": "http://a.cn/1"}  # fmt: skip


#: Characters whose NFKC depends on their neighbours, or that NFKC or lower() rewrite.
TRICKY = ["消", "費", "，", "Ａ", "\u0301", "e", "Σ", "①", "ｶ", "\u3099", "ﾞ", "℃", "㎡", " ",
          "가", "\u11a8", "İ"]  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=80)
       | st.lists(st.sampled_from(TRICKY), max_size=40).map("".join))  # fmt: skip
def test_shingle_normalisation_is_nfkc_lower_case_letters_and_digits(text: str) -> None:
    # The fast path (per-character NFKC table, then one whole-text pass) must equal the
    # definition, including composing marks, Hangul jamo and Greek final sigma.
    assert dedupe.normalise(text) == re.sub(
        r"[\W_]+", "", unicodedata.normalize("NFKC", text).lower()
    )


def test_a_fingerprint_carries_the_sketch_and_every_shingle() -> None:
    fp = dedupe.fingerprint(STORY)
    assert fp is not None
    assert fp.shingles() == dedupe.shingles(STORY)
    assert list(fp.sketch) == dedupe.sketch(dedupe.shingles(STORY))
    assert dedupe.fingerprint("太短了") is None


def test_same_story_under_two_templates_is_linked_in_a_crawl(
    tmp_path: Path, portal: PortalServer
) -> None:
    assert crawl(tmp_path, portal, "demo-xfzx").returncode == 0
    # 示例质量新闻网 republishes the first xfzx story in its own (GBK, table) template.
    template = (portal.root / ZLXW_TEMPLATE).read_bytes().decode("gbk")
    paragraphs = "".join(f"<P>　　{p}</P>\n" for p in STORY.split("\n"))
    page = re.sub(r'(<div class="TRS_Editor">).*?(</div>)', lambda m: m[1] + "\n" + paragraphs
                  + m[2], template, count=1, flags=re.S)  # fmt: skip
    copy_path = "zlxw/article/2024/0316/t20240316_50001.htm"
    (portal.root / copy_path).parent.mkdir(parents=True)
    (portal.root / copy_path).write_bytes(page.encode("gbk", "xmlcharrefreplace"))
    listing = portal.root / "zlxw/list/index.htm"
    html = listing.read_bytes().decode("gbk")
    listing.write_bytes(html.replace("</body>", f'<a href="/{copy_path}">转载</a></body>', 1)
                        .replace("</BODY>", f'<a href="/{copy_path}">转载</a></BODY>', 1)
                        .encode("gbk"))  # fmt: skip
    assert crawl(tmp_path, portal, "demo-zlxw").returncode == 0
    rows = query(tmp_path / "a.db", "select url, duplicate_of from articles where duplicate_of"
                 " is not null")  # fmt: skip
    assert rows == [{"url": f"{portal.url}/{copy_path}", "duplicate_of": portal.url + XFZX[0]}]

    # Search shows the story twice, or once with --unique, listing both sites.
    words = STORY.split("\n")[0][:8]
    plain = run_cli("search", words, "--db", str(tmp_path / "a.db"), "--json")
    assert plain.returncode == 0, plain.stderr
    assert sorted(r["url"] for r in json.loads(plain.stdout)) == sorted(
        [portal.url + XFZX[0], f"{portal.url}/{copy_path}"]
    )
    unique = run_cli("search", words, "--db", str(tmp_path / "a.db"), "--json", "--unique")
    assert unique.returncode == 0, unique.stderr
    (story,) = json.loads(unique.stdout)
    assert story["sites"] == ["demo-xfzx", "demo-zlxw"] and story["copies"] == 2
    text = run_cli("search", words, "--db", str(tmp_path / "a.db"), "--unique")
    assert "2 copies, on: demo-xfzx, demo-zlxw" in text.stdout


# -- extraction health -----------------------------------------------------------------------


def test_template_change_is_flagged(tmp_path: Path, portal: PortalServer) -> None:
    assert crawl(tmp_path, portal, "demo-xfzx").returncode == 0
    # The portal redesigns: new articles lose their 来源/作者/编辑 line.
    listing = portal.root / "xfzx/news/index.html"
    html = listing.read_text(encoding="utf-8")
    links = ""
    for i in range(4):
        src = (portal.root / XFZX[i].lstrip("/")).read_text(encoding="utf-8")
        broken = re.sub(r'<div class="article-meta">.*?</div>', "", src, flags=re.S)
        assert broken != src
        path = f"xfzx/content/2024/04-0{i + 1}/2024040{i + 1}001.html"
        (portal.root / path).parent.mkdir(parents=True, exist_ok=True)
        (portal.root / path).write_text(broken, encoding="utf-8")
        links += f'<li><a href="/{path}">新{i}</a></li>'
    listing.write_text(html.replace("<ul", f"<ul>{links}</ul><ul", 1), encoding="utf-8")
    result = crawl(tmp_path, portal, "demo-xfzx")
    assert result.returncode == 1, result.stdout + result.stderr  # partial
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1
    assert "demo-xfzx" in warnings[0] and "source empty on 100%" in warnings[0]
    assert "4 new" in result.stdout
    last = query(tmp_path / "a.db", "select * from crawl_sites order by crawl_id desc limit 1")[0]
    assert last["empty_source"] == 1.0 and last["status"] == "partial"
    assert "source empty" in last["health_warning"]
    stats = run_cli("stats", "--db", str(tmp_path / "a.db"))
    assert "warning: demo-xfzx: source empty" in stats.stdout


def test_steady_template_is_not_flagged(tmp_path: Path, portal: PortalServer) -> None:
    assert crawl(tmp_path, portal, "demo-xfzx").returncode == 0
    result = crawl(tmp_path, portal, "demo-xfzx", extra=("--refresh",))
    assert result.returncode == 0 and "warning" not in result.stderr


def test_pages_stored_by_older_versions_with_zlib_are_still_read(tmp_path: Path) -> None:
    import zlib

    body = "<html><body><h1>旧版本存档</h1><p>消费者权益</p></body></html>".encode("gbk")
    with Archive(tmp_path / "old.db") as archive:
        for codec, data in (("zlib", zlib.compress(body, 6)), compression.compress(body)):
            archive.store_page(RawPage(url=f"http://x.test/{codec}", site="x",
                                       final_url=f"http://x.test/{codec}", status=200,
                                       headers={}, body=body, fetched_at="2024-01-01T00:00:00Z",
                                       compressed=data, compression=codec))  # fmt: skip
        pages = list(archive.iter_pages())
    assert [p.url for p in pages] == ["http://x.test/zlib", "http://x.test/zstd"]
    assert all(p.body == body for p in pages)


def test_a_corrupt_or_unknown_page_body_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="not valid zstd data"):
        compression.decompress("zstd", b"not zstd at all")
    with pytest.raises(ValueError, match="unknown page compression 'brotli'"):
        compression.decompress("brotli", b"...")


def test_a_damaged_stored_page_is_skipped_with_a_warning_and_the_rest_is_done(
    tmp_path: Path,
) -> None:
    db = tmp_path / "damaged.db"
    html = ("<html><head><title>标题</title></head><body><h1>市场监管总局发布召回公告</h1><p>"
            + "消费者权益保护的正文内容，" * 30 + "</p></body></html>").encode()  # fmt: skip
    with Archive(db) as archive:
        for i in range(3):
            url = f"http://x.test/{i}.html"
            archive.store_page(RawPage(url=url, site="x", final_url=url, status=200,
                                       headers={"Content-Type": "text/html; charset=utf-8"},
                                       body=html, fetched_at="2024-01-01T00:00:00Z"))  # fmt: skip
        archive.db.conn.execute("update pages set body = x'00112233' where url like '%/1.html'")
        archive.db.conn.commit()
    for args in (("reextract", "--jobs", "1"), ("reextract", "--jobs", "2"),
                 ("export-warc", str(tmp_path / "out.warc.gz"))):  # fmt: skip
        result = run_cli(*args, "--db", str(db))
        assert result.returncode == 1, result.stderr  # partial, not a crash
        assert "Traceback" not in result.stderr
        assert result.stderr.strip() == (
            "warning: skipped the stored page of http://x.test/1.html: stored page body is"
            " not valid zstd data: error determining content size from frame header"
        )
    assert len(query(db, "select url from articles")) == 2
    assert "1 unreadable" in run_cli("reextract", "--db", str(db)).stdout
