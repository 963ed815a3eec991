"""The search tokenizer and index (crawler/search/: tokenizer, index) on real SQLite files."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest
import sqlite_utils
from hypothesis import given, settings
from hypothesis import strategies as st

from crawler import search as fts
from crawler.archive import ARTICLE_COLUMNS
from tests.conftest import with_and_without_speedups

#: The archive's own articles table (crawler.archive defines it once).
SCHEMA = ARTICLE_COLUMNS

ROWS = [
    {
        "url": "https://a.example/1",
        "site": "ccn",
        "title": "国家市场监管总局发布汽车召回公告",
        "published_at": "2024-03-15T10:00:00+08:00",
        "body": "某品牌汽车因专利纠纷召回。\n消費者可以申请退款，iPhone 15 也在名单。",
    },
    {
        "url": "https://a.example/2",
        "site": "cqn",
        "title": "防范电信诈骗",
        "published_at": "2023-01-01",
        "body": "知识产权保护与专利申请。3·15晚会曝光多起诈骗，涉及315元预付卡。",
    },
    {
        "url": "https://a.example/3",
        "site": "ccn",
        "title": "ＡＰＰ　过度收集个人信息",
        "published_at": "2022-06-30T08:00:00+08:00",
        "body": "市场监管部门抽检：不合格产品已下架。",
    },
]


def make_archive(path: Path, rows: list[dict] = ROWS) -> sqlite_utils.Database:
    db = sqlite_utils.Database(path)
    db.enable_wal()
    db["articles"].create(SCHEMA, pk="url")
    fts.ensure_index(db)
    db["articles"].insert_all(rows)
    return db


def urls(results: list[dict]) -> set[str]:
    return {r["url"] for r in results}


@pytest.fixture
def db(tmp_path: Path) -> sqlite_utils.Database:
    return make_archive(tmp_path / "archive.db")


# -- normalisation ---------------------------------------------------------------------------
def test_normalize_folds_width_case_and_traditional() -> None:
    assert fts.normalize("ＡＰＰ　過度收集") == "app 过度收集"
    assert fts.normalize("「消費者」權益") == "消费者 权益"
    assert fts.normalize("iPhone15，3·15") == "iphone15 3 15"
    assert fts.normalize("、。！") == ""
    # characters OpenCC keeps in some words are not folded
    assert fts.fold("乾隆") == "乾隆"
    # compatibility ideographs, also outside the BMP, fold like what they stand for
    for cp in [*range(0xF900, 0xFB00), *range(0x2F800, 0x2FA20)]:
        folded = fts.fold(chr(cp))
        assert fts.fold(folded) == folded, hex(cp)


def reference_tokens(text: str) -> list[str]:
    """The index's tokens by their definition, one segment and one position at a time:
    each character's bigram (or the character alone at its segment's end), then its
    trigram when the segment has two more characters."""
    out = []
    for seg in fts.normalize(text).split():
        for j in range(len(seg)):
            out.append(seg[j : j + 2])
            if j + 3 <= len(seg):
                out.append("\ufdd0" + seg[j : j + 3])
    return out


def buffer_tokens(buf: bytes) -> list[bytes]:
    """What SQLite's ascii tokenizer makes of a document buffer (NUL, space and \\x01
    are among its separators; every other byte here is a token byte)."""
    return [t for t in buf.replace(b"\x00", b" ").replace(b"\x01", b" ").split(b" ") if t]


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40))
def test_fold_is_idempotent_and_tokens_agree(text: str) -> None:
    folded = fts.fold(text)
    assert fts.fold(folded) == folded
    assert fts.normalize(fts.normalize(text)) == fts.normalize(text)
    # the fast C path gets exactly the tokens of the reference definition
    expected = reference_tokens(text)
    assert buffer_tokens(fts.document_buffer(text)) == [t.encode() for t in expected]
    assert fts.document_tokens(text) == expected


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="消费者權益ＡaB1２ ，。·-_é\u0301𠀀", max_size=30))
def test_fold_on_tricky_alphabet(text: str) -> None:
    assert fts.fold(fts.fold(text)) == fts.fold(text)
    expected = reference_tokens(text)
    assert buffer_tokens(fts.document_buffer(text)) == [t.encode() for t in expected]
    assert fts.document_tokens(text) == expected


def test_tokens() -> None:
    m = fts.TRIGRAM_MARK  # trigrams are marked: a one-character prefix query skips them
    assert fts.document_tokens("消费者 iPhone") == [
        "消费", m + "消费者", "费者", "者", "ip", m + "iph", "ph", m + "pho", "ho", m + "hon",
        "on", m + "one", "ne", "e",
    ]  # fmt: skip
    # one token per position: the trigram that starts there, else the bigram
    assert fts.query_tokens("消费者") == [m + "消费者", "费者"]
    assert fts.query_tokens("消费者权益") == [m + "消费者", m + "费者权", m + "者权益", "权益"]
    assert fts.query_tokens("消费") == ["消费"]
    assert fts.query_tokens("消") == ["消"]
    assert fts.query_tokens("b,c") == ["b", "c"]
    assert fts.query_tokens("ab cd") == ["ab", "b", "cd"]
    assert fts.query_tokens("abcd efg") == [m + "abc", m + "bcd", "cd", "d", m + "efg", "fg"]
    # the mark is not a letter or digit: in text it separates, alone it is no query
    assert fts.document_tokens("消\ufdd0费") == ["消", "费"]
    with pytest.raises(fts.QueryError, match="no letters or digits"):
        fts.translate_query("\ufdd0")


def test_trigrams_share_their_bigrams_positions(db) -> None:
    """Each character is one position: the trigram is colocated with the bigram (else
    phrases of trigrams and of bigrams would not line up, and bm25's document lengths
    would double)."""
    db.execute("CREATE VIRTUAL TABLE temp.v USING fts5vocab(main, articles_fts, instance)")
    rowid = db.execute("SELECT rowid FROM articles WHERE title = '防范电信诈骗'").fetchone()[0]
    got = db.execute(
        "SELECT term, offset FROM temp.v WHERE doc = ? AND col = 'title'", [rowid]
    ).fetchall()
    m = fts.TRIGRAM_MARK
    assert sorted(got, key=lambda r: (r[1], len(r[0]))) == [
        ("防范", 0), (m + "防范电", 0), ("范电", 1), (m + "范电信", 1), ("电信", 2),
        (m + "电信诈", 2), ("信诈", 3), (m + "信诈骗", 3), ("诈骗", 4), ("骗", 5),
    ]  # fmt: skip
    size = db.execute("SELECT sz FROM articles_fts_docsize WHERE id = ?", [rowid]).fetchone()[0]
    assert size[0] == 6  # the title's length: 6 positions (a varint), not 10 tokens


# -- query syntax ----------------------------------------------------------------------------
def test_translate_query() -> None:
    assert fts.translate_query("专利") == '("专利")'
    assert fts.translate_query("专") == '("专"*)'
    assert fts.translate_query('召回 汽车 OR 电动车 -"二手 汽车"') == (
        '("召回") AND ("汽车" OR "电动车") NOT ("二手 汽车")'
    )
    assert fts.translate_query("消費 ＩＰＨＯＮＥ") == '("消费") AND ("iphone")'


@pytest.mark.parametrize(
    "query, message",
    [
        ("", "empty query"),
        ("   ", "empty query"),
        ('"专利', "unbalanced quote"),
        ("OR 专利", "OR must stand between"),
        ("专利 OR", "OR must stand between"),
        ("专利 OR OR 诈骗", "OR must stand between"),
        ("专利 OR -诈骗", "OR cannot be followed"),
        ("-专利", "nothing to search for"),
        ("专利 -", "'-' must be followed"),
        ("，。", "no letters or digits"),
        ('""', "no letters or digits"),
    ],
)
def test_bad_queries_raise_query_error(query: str, message: str, db) -> None:
    with pytest.raises(fts.QueryError, match=message):
        fts.search(db, query)
    assert issubclass(fts.QueryError, ValueError)


# -- search ----------------------------------------------------------------------------------
def test_search_finds_two_character_words_and_phrases(db) -> None:
    assert urls(fts.search(db, "专利")) == {"https://a.example/1", "https://a.example/2"}
    assert urls(fts.search(db, "市场监管总局")) == {"https://a.example/1"}
    assert urls(fts.search(db, "市场监管")) == {"https://a.example/1", "https://a.example/3"}
    assert urls(fts.search(db, "诈骗")) == {"https://a.example/2"}
    assert fts.search(db, "不存在的词") == []


def test_search_operators(db) -> None:
    assert urls(fts.search(db, "专利 召回")) == {"https://a.example/1"}
    assert urls(fts.search(db, "专利 -召回")) == {"https://a.example/2"}
    assert urls(fts.search(db, "召回 OR 诈骗")) == {"https://a.example/1", "https://a.example/2"}
    assert urls(fts.search(db, '"监管 总局"')) == set()
    assert urls(fts.search(db, '"3 15"')) == {"https://a.example/2"}
    assert urls(fts.search(db, "3·15")) == {"https://a.example/2"}


def test_one_character_latin_digits_width_case_traditional(db) -> None:
    assert urls(fts.search(db, "专")) == {"https://a.example/1", "https://a.example/2"}
    assert urls(fts.search(db, "iphone")) == {"https://a.example/1"}
    assert urls(fts.search(db, "IPHONE")) == {"https://a.example/1"}
    assert urls(fts.search(db, "hone")) == {"https://a.example/1"}
    assert urls(fts.search(db, "phone1")) == set()  # the text has "iPhone 15"
    assert urls(fts.search(db, '"phone 15"')) == {"https://a.example/1"}
    assert urls(fts.search(db, "315")) == {"https://a.example/2"}
    assert urls(fts.search(db, "app")) == {"https://a.example/3"}
    assert urls(fts.search(db, "ＡＰＰ")) == {"https://a.example/3"}
    assert urls(fts.search(db, "消费者")) == {"https://a.example/1"}  # text has 消費者
    assert urls(fts.search(db, "專利")) == {"https://a.example/1", "https://a.example/2"}


def test_search_result_fields_snippet_and_filters(db) -> None:
    (hit,) = fts.search(db, "召回 专利")
    assert hit["url"] == "https://a.example/1"
    assert hit["site"] == "ccn"
    assert hit["title"] == "国家市场监管总局发布汽车召回公告"
    assert hit["published_at"] == "2024-03-15T10:00:00+08:00"
    assert "[专利]" in hit["snippet"] and "[召回]" in hit["snippet"]
    assert hit["title_highlighted"] == "国家市场监管总局发布汽车[召回]公告"
    assert isinstance(hit["rank"], float)
    # a match in the title only: the snippet comes from the title
    (hit,) = fts.search(db, "电信")
    assert hit["snippet"] == "防范[电信]诈骗"
    # the original spelling is highlighted for a folded match
    (hit,) = fts.search(db, "消费者")
    assert "[消費者]" in hit["snippet"]
    assert urls(fts.search(db, "专利", site="cqn")) == {"https://a.example/2"}
    assert urls(fts.search(db, "专利", since="2024-01-01")) == {"https://a.example/1"}
    assert urls(fts.search(db, "专利", until="2023-01-01")) == {"https://a.example/2"}
    assert urls(fts.search(db, "专利", until="2024-03-15")) == {
        "https://a.example/1", "https://a.example/2",
    }  # fmt: skip
    assert len(fts.search(db, "专", limit=1)) == 1
    with pytest.raises(fts.QueryError, match="not a date"):
        fts.search(db, "专利", since="yesterday")


def test_bm25_ranks_title_hits_first(tmp_path: Path) -> None:
    rows = [
        {"url": "body", "title": "通知", "body": "本周关于召回的消息很多，其他内容。" * 3},
        {"url": "title", "title": "汽车召回", "body": "详见公告。" * 3},
    ]
    db = make_archive(tmp_path / "a.db", rows)
    assert [r["url"] for r in fts.search(db, "召回")] == ["title", "body"]


# -- keeping the index right -----------------------------------------------------------------
def test_triggers_follow_insert_update_delete_and_replace(db) -> None:
    articles = db["articles"]
    articles.update("https://a.example/3", {"body": "现在谈专利"})
    assert "https://a.example/3" in urls(fts.search(db, "专利"))
    assert "https://a.example/3" not in urls(fts.search(db, "抽检"))
    articles.update("https://a.example/3", {"site": "other"})  # metadata only
    articles.delete("https://a.example/1")
    assert urls(fts.search(db, "召回")) == set()
    # INSERT OR REPLACE deletes the old row without the delete trigger unless
    # recursive_triggers is on; register() turns it on.
    articles.insert(
        {"url": "https://a.example/2", "title": "新标题", "body": "全新内容"}, replace=True
    )
    assert urls(fts.search(db, "诈骗")) == set()
    assert urls(fts.search(db, "全新")) == {"https://a.example/2"}
    # upsert (INSERT ... ON CONFLICT DO UPDATE)
    articles.upsert({"url": "https://a.example/2", "body": "再次更新"}, pk="url")
    assert urls(fts.search(db, "全新")) == set()
    assert urls(fts.search(db, "再次")) == {"https://a.example/2"}
    assert fts.index_problems(db) == []
    db.execute("INSERT INTO articles_fts(articles_fts, rank) VALUES ('integrity-check', 1)")


def test_ensure_index_is_idempotent_and_indexes_existing_rows(tmp_path: Path) -> None:
    db = sqlite_utils.Database(tmp_path / "a.db")
    db["articles"].create(SCHEMA, pk="url")
    db["articles"].insert_all(ROWS)  # before the index exists
    fts.ensure_index(db)
    fts.ensure_index(db)
    assert db["articles"].detect_fts() == "articles_fts"
    assert urls(fts.search(db, "专利")) == {"https://a.example/1", "https://a.example/2"}
    assert fts.index_problems(db) == []


def test_register_is_idempotent_and_per_connection(tmp_path: Path) -> None:
    make_archive(tmp_path / "a.db").conn.close()
    conn = sqlite3.connect(tmp_path / "a.db")
    with pytest.raises(sqlite3.OperationalError, match="no such tokenizer"):
        conn.execute("SELECT count(*) FROM articles_fts WHERE articles_fts MATCH '专利'")
    for _ in range(3):
        fts.register(conn)
    sql = "SELECT count(*) FROM articles_fts WHERE articles_fts MATCH ?"
    assert conn.execute(sql, ['"专利"']).fetchone() == (2,)
    mem = sqlite3.connect(":memory:")
    fts.register(mem)
    mem.close()
    with pytest.raises(fts.TokenizerError):
        fts.register(mem)


def test_without_the_tokenizer_reads_work_and_writes_fail_loudly(tmp_path: Path) -> None:
    """What a tool without the plugin sees (a plain Python connection here)."""
    make_archive(tmp_path / "a.db").conn.close()
    conn = sqlite3.connect(tmp_path / "a.db")
    assert conn.execute("SELECT count(*) FROM articles").fetchone() == (3,)
    assert conn.execute("SELECT title FROM articles WHERE site = 'cqn'").fetchone() == (
        "防范电信诈骗",
    )
    conn.execute("UPDATE articles SET site = 'x' WHERE url LIKE '%/3'")  # metadata: fine
    conn.commit()
    for sql in (
        "INSERT INTO articles (url, title, body) VALUES ('u', '标题', '正文')",
        "UPDATE articles SET body = '改了' WHERE url LIKE '%/1'",
        "DELETE FROM articles WHERE url LIKE '%/2'",
    ):
        with pytest.raises(sqlite3.OperationalError, match="no such tokenizer: newsarchive"):
            conn.execute(sql)
    conn.close()
    db = sqlite_utils.Database(tmp_path / "a.db")
    assert fts.index_problems(db) == []
    assert db["articles"].count == 3


def test_sqlite3_shell_reads_and_refuses_writes(tmp_path: Path) -> None:
    shell = shutil.which("sqlite3")
    assert shell, "the sqlite3 shell is required (apt-get install sqlite3)"
    path = tmp_path / "a.db"
    make_archive(path).conn.close()
    out = subprocess.run(
        [shell, str(path), "SELECT url, title FROM articles ORDER BY url"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert "防范电信诈骗" in out and out.count("\n") == 3
    bad = subprocess.run(
        [shell, str(path), "INSERT INTO articles (url, title) VALUES ('u', '标题')"],
        capture_output=True, text=True,
    )  # fmt: skip
    assert bad.returncode != 0
    assert "no such tokenizer: newsarchive" in bad.stderr
    db = sqlite_utils.Database(path)
    assert db["articles"].count == 3 and fts.index_problems(db) == []


def test_reindex_repairs_an_index_left_behind(tmp_path: Path) -> None:
    path = tmp_path / "a.db"
    make_archive(path).conn.close()
    # A tool that dropped the triggers and wrote behind the index's back:
    conn = sqlite3.connect(path)
    conn.executescript(
        "DROP TRIGGER articles_ai; DROP TRIGGER articles_ad; DROP TRIGGER articles_au;"
        "INSERT INTO articles (url, title, body) VALUES ('u4', '新文章', '关于专利的新文章');"
        "DELETE FROM articles WHERE url LIKE '%/1';"
    )
    conn.close()
    db = sqlite_utils.Database(path)
    problems = fts.index_problems(db)
    assert any("triggers missing" in p for p in problems)
    assert fts.reindex(db) == 3
    assert fts.index_problems(db) == []
    assert urls(fts.search(db, "专利")) == {"https://a.example/2", "u4"}


def test_old_tokenizer_version_is_refused_then_rebuilt(tmp_path: Path) -> None:
    path = tmp_path / "a.db"
    make_archive(path).conn.close()
    conn = sqlite3.connect(path)
    sql = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'articles_fts'").fetchone()[0]
    old = sql.replace(f"newsarchive {fts.TOKENIZER_VERSION}", "newsarchive 0")
    conn.execute("PRAGMA writable_schema = ON")
    conn.execute("UPDATE sqlite_master SET sql = ? WHERE name = 'articles_fts'", [old])
    conn.commit()
    conn.close()
    db = sqlite_utils.Database(path)
    with pytest.raises(fts.SearchIndexError, match="run `newsarchive reindex`"):
        fts.search(db, "专利")
    with pytest.raises(sqlite3.OperationalError):  # writes fail loudly, never silently
        db["articles"].insert({"url": "u9", "title": "x", "body": "专利"})
    assert fts.reindex(db) == 3
    assert urls(fts.search(db, "专利")) == {"https://a.example/1", "https://a.example/2"}


def test_vacuum_keeps_rowids_in_step(db) -> None:
    db["articles"].delete("https://a.example/1")
    db.conn.commit()
    db.vacuum()
    assert urls(fts.search(db, "专利")) == {"https://a.example/2"}
    db.execute("INSERT INTO articles_fts(articles_fts, rank) VALUES ('integrity-check', 1)")


def test_highlight_and_snippet_functions_work_for_other_tools(db) -> None:
    """FTS5's own highlight() uses the tokenizer's exact offsets (what Datasette or a
    user's SQL would call)."""
    rows = db.execute(
        "SELECT highlight(articles_fts, 1, '<', '>') FROM articles_fts "
        "WHERE articles_fts MATCH ? ORDER BY rowid",
        [fts.translate_query("消费者 iphone")],
    ).fetchall()
    assert rows == [("某品牌汽车因专利纠纷召回。\n<消費者>可以申请退款，<iPhone> 15 也在名单。",)]


def test_recursive_triggers_only_on_archives(tmp_path: Path) -> None:
    other = sqlite3.connect(tmp_path / "other.db")
    fts.register(other)  # what the plugin does for any database sqlite-utils opens
    assert other.execute("PRAGMA recursive_triggers").fetchone() == (0,)
    make_archive(tmp_path / "a.db").conn.close()
    conn = sqlite3.connect(tmp_path / "a.db")
    fts.register(conn)
    assert conn.execute("PRAGMA recursive_triggers").fetchone() == (1,)


def test_buffers_from_the_extraction_worker_build_the_same_index(tmp_path: Path) -> None:
    # A crawl's workers hand the archive each title's and body's token buffer
    # (worker.extract_page); the index must be byte for byte the one it would build.
    from crawler.archive import Archive
    from crawler.items import Article

    def build(path: Path, with_buffers: bool) -> list[tuple]:
        with Archive(path) as archive:
            for row in ROWS:
                art = Article(url=row["url"], site=row["site"], title=row["title"],
                              body=row["body"], published_at=row["published_at"])  # fmt: skip
                if with_buffers:
                    art.fts_buffers = (fts.document_buffer(row["title"]),
                                       fts.document_buffer(row["body"]))  # fmt: skip
                archive.upsert_article(art)
            return archive.db.execute("select id, block from articles_fts_data").fetchall()

    assert build(tmp_path / "given.db", True) == build(tmp_path / "computed.db", False)

    # ... and the given buffer really is what gets indexed (here a different one).
    with Archive(tmp_path / "given.db") as archive:
        art = Article(url="https://a.example/9", site="x", title="无关", body="完全无关的正文")
        art.fts_buffers = (fts.document_buffer("无关"), fts.document_buffer("暗号"))
        archive.upsert_article(art)
        hits = [r["url"] for r in fts.search(archive.db, "暗号")]
    assert hits == ["https://a.example/9"]


def test_python_fallback_builds_the_same_index(tmp_path: Path) -> None:
    # Without the C extension (NEWSARCHIVE_NO_SPEEDUPS=1) the tokens, trigrams flagged
    # colocated, are handed to FTS5 from Python: the index must be byte for byte the same.
    code = (
        "import json, sys; from tests.test_search_index import make_archive;"
        "from crawler.search import tokenizer;"
        "db = make_archive(__import__('pathlib').Path(sys.argv[1]));"
        "print(json.dumps([tokenizer._colocate is None,"
        " [[i, b.hex()] for i, b in db.execute('select id, block from articles_fts_data')]]))"
    )
    out = with_and_without_speedups(code, str(tmp_path / "a{flag}.db"))
    assert out["0"].startswith("[false,") and out["1"].startswith("[true,")
    assert out["0"].split(",", 1)[1] == out["1"].split(",", 1)[1]
