"""Ranking: newsarchive_bm25 (crawler/search/_rank.c) against FTS5's bm25, the rank window, the
IDF estimate, and search without the C extension.

The archive has 3,000 articles over a small, skewed alphabet, so that phrases match from
a handful of articles to nearly all of them.
"""

from __future__ import annotations

import json
import math
import os
import random
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import sqlite_utils

from crawler import search as fts
from crawler.search import ranking, tokenizer

N_ARTICLES = 3_000
COMMON = "的是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动"
RARE = "消费者权益专利诈骗召回市场监管总局知识产权投诉退款质量食品安全预付卡直播带货汽车"
WORDS = ["市场", "消费", "专利", "诈骗", "召回", "退款", "权益", "汽车", "预付卡", "监管总局"]
WEIGHTS = [1 / (i + 1) ** 2 for i in range(len(WORDS))]
ROOT = Path(__file__).resolve().parent.parent

#: Queries over every operator: one and more phrases, AND, OR, NOT, a one-character prefix.
QUERIES = [
    "的是",
    "专利",
    "监管总",
    "专利权",
    "在不了",
    "的",
    "专",
    "专利 诈骗",
    "召回 OR 退款",
    "的是 -专利",
    '"的是 在" 不',
    "消费 权益 OR 汽车 -预付",
    "的 OR 专利 人",
]


def text(rng: random.Random, n: int) -> str:
    out = []
    for _ in range(n):
        r = rng.random()
        if r < 0.35:
            out.append(rng.choice(COMMON[:8]))
        elif r < 0.80:
            out.append(rng.choice(COMMON))
        elif r < 0.815:  # words, from frequent to rare
            out.append(rng.choices(WORDS, weights=WEIGHTS)[0])
        elif r < 0.95:
            out.append(rng.choice(RARE))
        else:
            out.append(rng.choice("，。 "))
    return "".join(out)


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    rng = random.Random(4)
    path = tmp_path_factory.mktemp("rank") / "archive.db"
    db = sqlite_utils.Database(path)
    db["articles"].create(
        {"url": str, "site": str, "title": str, "published_at": str, "body": str}, pk="url"
    )
    fts.ensure_index(db)
    rows = [
        {
            "url": f"https://x.example/{i}",
            "site": rng.choice(["a", "b"]),
            "title": text(rng, rng.randint(4, 20)),
            "published_at": f"2024-01-{1 + i % 28:02d}",
            "body": text(rng, rng.randint(10, 400)),
        }
        for i in range(N_ARTICLES)
    ]
    with db.conn:
        db["articles"].insert_all(rows, batch_size=500)
    db.conn.close()
    return path


@pytest.fixture
def conn(archive: Path) -> sqlite3.Connection:
    c = sqlite3.connect(archive)
    fts.register(c)
    yield c
    c.close()


def bm25_scores(conn: sqlite3.Connection, query: str) -> dict[int, float]:
    sql = "SELECT rowid, bm25(articles_fts, 3.0, 1.0) FROM articles_fts WHERE articles_fts MATCH ?"
    return dict(conn.execute(sql, [fts.translate_query(query)]).fetchall())


def our_scores(conn: sqlite3.Connection, query: str, idfs: list[float]) -> dict[int, float]:
    args = ", ".join("?" * len(idfs))
    sql = (
        f"SELECT rowid, newsarchive_bm25(articles_fts, 3.0, 1.0, {args}) FROM articles_fts"
        " WHERE articles_fts MATCH ?"
    )
    return dict(conn.execute(sql, [*idfs, fts.translate_query(query)]).fetchall())


def hits(conn: sqlite3.Connection, phrase: str) -> int:
    sql = "SELECT count(*) FROM articles_fts WHERE articles_fts MATCH ?"
    return conn.execute(sql, [phrase]).fetchone()[0]


@pytest.fixture(autouse=True)
def rank_extension(request: pytest.FixtureRequest) -> None:
    """The tests marked ``needs_rank`` test the C ranking function itself: without it they
    fail with how to get it (``tests/run.sh`` builds it and requires it), never skip."""
    if request.node.get_closest_marker("needs_rank") and not fts.speedups():
        pytest.fail(
            "crawler.search._rank is not in use: build it (pip install -e . with a C "
            "compiler and Python's headers) and unset NEWSARCHIVE_NO_SPEEDUPS",
            pytrace=False,
        )



# -- the C extension is there when CI says it must be ---------------------------------------
def test_the_extension_is_in_use_unless_switched_off() -> None:
    """tests/run.sh (and so CI) sets NEWSARCHIVE_REQUIRE_SPEEDUPS; a switched-off extension
    (NEWSARCHIVE_NO_SPEEDUPS) is the only way to be without it."""
    if os.environ.get(fts.NO_SPEEDUPS_ENV) == "1":
        assert not fts.speedups()
        return
    assert fts.speedups(), "crawler.search._rank is not built: pip install -e ."
    assert tokenizer._rank is not None and tokenizer._rank.__file__.endswith((".so", ".pyd"))


# -- newsarchive_bm25 is FTS5's bm25 given the same IDFs --------------------------------------
@pytest.mark.needs_rank
@pytest.mark.parametrize("query", QUERIES)
def test_scores_equal_bm25_with_exact_idfs(conn: sqlite3.Connection, query: str) -> None:
    phrases = fts.query_phrases(query)
    idfs = fts.phrase_idfs(conn, phrases, exact_below=N_ARTICLES + 1)
    want = bm25_scores(conn, query)
    got = our_scores(conn, query, idfs)
    assert want and got.keys() == want.keys()
    assert max(abs(got[r] - want[r]) for r in want) <= 1e-9


@pytest.mark.needs_rank
def test_queries_cover_rare_and_frequent_phrases(conn: sqlite3.Connection) -> None:
    """The equality above means something: IDFs from tiny to the 1e-6 floor."""
    counts = {p: hits(conn, p) for q in QUERIES for p in fts.query_phrases(q)}
    assert min(counts.values()) < 100 and max(counts.values()) > N_ARTICLES / 2
    assert len(fts.query_phrases("消费 权益 OR 汽车 -预付")) == 4


@pytest.mark.needs_rank
def test_search_ranks_exactly_like_bm25_below_the_idf_limit(
    conn: sqlite3.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ranking, "IDF_EXACT_HITS", N_ARTICLES + 1)
    urls = dict(conn.execute("SELECT url, rowid FROM articles").fetchall())
    for query in QUERIES:
        want = bm25_scores(conn, query)
        for window in (0, 50):
            got = fts.search(conn, query, limit=None, window=window)  # limit=None: no window
            assert {urls[r["url"]] for r in got} == set(want)
            assert all(abs(r["rank"] - want[urls[r["url"]]]) <= 1e-9 for r in got), query
            assert [r["rank"] for r in got] == sorted(r["rank"] for r in got)


@pytest.mark.needs_rank
def test_the_function_checks_its_arguments(conn: sqlite3.Connection) -> None:
    with pytest.raises(sqlite3.OperationalError, match="one IDF per phrase"):
        our_scores(conn, "专利 诈骗", [1.0])


# -- the IDF of frequent phrases is estimated ------------------------------------------------
@pytest.mark.needs_rank
def test_idf_is_exact_below_the_limit_and_close_above(conn: sqlite3.Connection) -> None:
    n = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
    checked = 0
    for phrase in ('"的是"', '"在"*', '"专利"', '"消费"', '"的"*', '"大为"'):
        df = hits(conn, phrase)
        exact = fts.phrase_idfs(conn, [phrase], exact_below=df + 1)[0]
        assert exact == (max(math.log((n - df + 0.5) / (df + 0.5)), 0) or 1e-6)
        if df < 400:
            continue
        estimate = fts.phrase_idfs(conn, [phrase], exact_below=200)[0]
        # df estimated from the newest 200 hits: within a few per cent here (uniform text)
        est_df = (n + 0.5 - math.exp(estimate) * 0.5) / (math.exp(estimate) + 1)
        assert estimate == 1e-6 and df > n / 2 or abs(est_df - df) / df < 0.2, phrase
        checked += 1
    assert checked >= 3


def test_phrases_are_numbered_as_fts5_numbers_them() -> None:
    assert fts.query_phrases('召回 汽车 OR 电动车 -"二手 汽车" -退款 专') == [
        '"召回"', '"汽车"', '"电动车"', '"专"*', '"二手 汽车"', '"退款"',
    ]  # fmt: skip


# -- the rank window ---------------------------------------------------------------------------
def newest_matches(conn: sqlite3.Connection, query: str, n: int) -> set[int]:
    sql = "SELECT rowid FROM articles_fts WHERE articles_fts MATCH ? ORDER BY rowid DESC LIMIT ?"
    return {r[0] for r in conn.execute(sql, [fts.translate_query(query), n])}


@pytest.mark.parametrize("query", ["的是", "专利", "在不了", "的", "专利 诈骗", "的 OR 专利 人"])
def test_the_window_ranks_only_the_newest_matches(conn: sqlite3.Connection, query: str) -> None:
    urls = dict(conn.execute("SELECT url, rowid FROM articles").fetchall())
    everything = fts.match_rowids(conn, query)
    for window in (1, 30, 300):
        got = [urls[r["url"]] for r in fts.search(conn, query, limit=20, window=window)]
        assert len(got) == min(20, len(everything))
        newest = newest_matches(conn, query, max(window, 20))  # at least `limit` ranked
        assert set(got) <= newest
        # the best of those newest, as FTS5's bm25 orders them
        bm25 = bm25_scores(conn, query)
        best = sorted(newest, key=lambda r: (bm25[r], -r))[: len(got)]
        if fts.speedups() and len(fts.query_phrases(query)) > 1:
            continue  # estimated IDFs may reorder phrases of different frequency
        assert [bm25[r] for r in got] == pytest.approx([bm25[r] for r in best], rel=1e-9)


def test_the_window_does_not_change_what_matches(conn: sqlite3.Connection) -> None:
    for query in QUERIES:
        everything = fts.match_rowids(conn, query)
        urls = dict(conn.execute("SELECT url, rowid FROM articles").fetchall())
        for window in (0, 1, 100):
            got = {urls[r["url"]] for r in fts.search(conn, query, limit=None, window=window)}
            assert got == everything
        few = fts.search(conn, query, window=len(everything))
        assert [r["url"] for r in few] == [r["url"] for r in fts.search(conn, query, window=0)]


def test_window_with_filters_and_unique(conn: sqlite3.Connection) -> None:
    conn.execute("ALTER TABLE articles ADD COLUMN duplicate_of TEXT")
    conn.execute("ALTER TABLE articles ADD COLUMN archived_at TEXT")
    try:
        urls = dict(conn.execute("SELECT url, rowid FROM articles").fetchall())
        sites = dict(conn.execute("SELECT rowid, site FROM articles").fetchall())
        got = fts.search(conn, "的是", site="a", window=40, limit=10)
        assert len(got) == 10 and all(r["site"] == "a" for r in got)
        # the 40 newest matches *of site a*
        newest_a = [r for r in sorted(fts.match_rowids(conn, "的是"), reverse=True)]
        newest_a = [r for r in newest_a if sites[r] == "a"][:40]
        assert {urls[r["url"]] for r in got} <= set(newest_a)
        got = fts.search(conn, "的是", unique=True, window=40, limit=10)
        assert len(got) == 10 and all(r["copies"] == 1 for r in got)
    finally:
        conn.rollback()


def test_bad_window_is_a_query_error(conn: sqlite3.Connection) -> None:
    for bad in (-1, 1.5, "3", True):
        with pytest.raises(fts.QueryError, match="window"):
            fts.search(conn, "专利", window=bad)  # type: ignore[arg-type]


def test_the_ranking_query_is_driven_by_fts5_newest_first(conn: sqlite3.Connection) -> None:
    """FTS5 delivers the window's rows newest first itself (no sort of all matches); the
    only sort is the final one, of at most `window` rows by rank."""
    for query in ("的是", "专利 诈骗"):
        statements: list[str] = []
        conn.set_trace_callback(statements.append)
        try:
            fts.search(conn, query, window=100)
        finally:
            conn.set_trace_callback(None)
        (ranking,) = [s for s in statements if "ORDER BY rank" in s]
        plan = [r[3] for r in conn.execute("EXPLAIN QUERY PLAN " + ranking)]
        scans = [p for p in plan if p.startswith("SCAN articles_fts VIRTUAL TABLE")]
        assert len(scans) == 1, plan
        assert sum("TEMP B-TREE" in p for p in plan) == 1, plan


# -- registration ------------------------------------------------------------------------------
@pytest.mark.needs_rank
def test_registration_follows_each_connection(archive: Path) -> None:
    """Registered once per connection; a new connection (whose fts5_api may reuse a closed
    one's address) gets it again."""
    for _ in range(30):
        c = sqlite3.connect(archive)
        fts.register(c)
        fts.register(c)
        assert our_scores(c, "专利", [1.0])
        c.close()


@pytest.mark.needs_rank
def test_sqlite_utils_connections_get_the_function(archive: Path) -> None:
    db = sqlite_utils.Database(archive)  # the plugin's prepare_connection registers it
    try:
        assert our_scores(db.conn, "专利", [2.0])
    finally:
        db.conn.close()


# -- without the C extension -------------------------------------------------------------------
FALLBACK = """
import json, sqlite3, sys
from crawler import search as fts
conn = sqlite3.connect(sys.argv[1])
fts.register(conn)
try:
    conn.execute("SELECT newsarchive_bm25(articles_fts) FROM articles_fts"
                 " WHERE articles_fts MATCH 'x'").fetchall()
    registered = True
except sqlite3.OperationalError:
    registered = False
out = {"speedups": fts.speedups(), "registered": registered}
for q in sys.argv[2:]:
    out[q] = [[r["url"], r["rank"]] for r in fts.search(conn, q, window=50)]
print(json.dumps(out))
"""


def run_python(code: str, *args: str, **env: str) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("NEWSARCHIVE_")}
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True, text=True, timeout=120, cwd=ROOT, env={**environ, **env},
    )  # fmt: skip


def test_without_the_extension_search_ranks_with_fts5_bm25(
    archive: Path, conn: sqlite3.Connection
) -> None:
    queries = ["的是", "专利 诈骗", "召回 OR 退款", "专"]
    # NEWSARCHIVE_NO_SPEEDUPS wins over NEWSARCHIVE_REQUIRE_SPEEDUPS
    proc = run_python(
        FALLBACK, str(archive), *queries,
        NEWSARCHIVE_NO_SPEEDUPS="1", NEWSARCHIVE_REQUIRE_SPEEDUPS="1",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["speedups"] is False and out["registered"] is False
    urls = dict(conn.execute("SELECT url, rowid FROM articles").fetchall())
    for q in queries:
        bm25 = bm25_scores(conn, q)
        newest = newest_matches(conn, q, 50)
        want = sorted(newest, key=lambda r: (bm25[r], -r))[:20]
        assert [urls[u] for u, _ in out[q]] == want, q
        assert [rank for _, rank in out[q]] == [bm25[r] for r in want]


def test_a_missing_extension_is_an_error_only_when_required() -> None:
    code = (
        "import sys; sys.modules['crawler.search._rank'] = None\n"
        "from crawler import search as fts\n"
    )
    proc = run_python(code + "print(fts.speedups())")
    assert proc.returncode == 0 and proc.stdout.strip() == "False", proc.stderr
    proc = run_python(code, NEWSARCHIVE_REQUIRE_SPEEDUPS="1")
    assert proc.returncode != 0
    assert "NEWSARCHIVE_REQUIRE_SPEEDUPS is set but the C extension" in proc.stderr
