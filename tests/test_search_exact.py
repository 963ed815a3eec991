"""Exactness: on 5,000 generated articles, every query finds exactly the rows whose
normalised title or body contains the normalised query.

Queries are 400 random strings of 2-6 characters cut from the titles and bodies as
stored (so with punctuation, spaces, full-width and traditional forms, mixed case),
plus 40 words that occur nowhere. The alphabet is small on purpose, so that most
queries match many rows and bigram phrases are put to the test.
"""

from __future__ import annotations

import random
import time
from pathlib import Path

import pytest
import sqlite_utils

from crawler import search as fts

N_ARTICLES = 5_000
N_QUERIES = 400

# 120 common simplified characters, some traditional forms of them, full-width and ASCII
# letters and digits, punctuation, a character outside the BMP, and whitespace.
SIMPLIFIED = (
    "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动"
    "同工也能下过子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自"
    "消费者权益专利诈骗召回市场监管总局知识产权投诉退款质量食品安全预付卡直播带货汽车"
)
TRADITIONAL = "國來們會對發後說產種經學專詐騙場監總識權訴質預車費為"
OTHER = "ＡＢＣａｂｃ１２３abcXYZ0123456789éß𠀀"
PUNCT = "，。、；：！？「」（）·—…《》-_.,/%"


def text(rng: random.Random, n: int) -> str:
    out = []
    for _ in range(n):
        r = rng.random()
        if r < 0.72:
            out.append(rng.choice(SIMPLIFIED))
        elif r < 0.80:
            out.append(rng.choice(TRADITIONAL))
        elif r < 0.88:
            out.append(rng.choice(OTHER))
        elif r < 0.97:
            out.append(rng.choice(PUNCT))
        else:
            out.append(rng.choice(" \n\u3000"))
    return "".join(out)


def articles(rng: random.Random) -> list[dict]:
    return [
        {
            "url": f"https://x.example/{i}",
            "site": rng.choice(["a", "b"]),
            "title": text(rng, rng.randint(4, 30)),
            "published_at": "2024-01-01",
            "body": text(rng, rng.randint(20, 300)),
        }
        for i in range(N_ARTICLES)
    ]


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> tuple[sqlite_utils.Database, list]:
    rng = random.Random(20240315)
    rows = articles(rng)
    db = sqlite_utils.Database(Path(tmp_path_factory.mktemp("exact")) / "archive.db")
    db.enable_wal()
    db["articles"].create(
        {"url": str, "site": str, "title": str, "published_at": str, "body": str}, pk="url"
    )
    fts.ensure_index(db)
    with db.conn:
        db["articles"].insert_all(rows, batch_size=500)
    rowids = dict(db.execute("SELECT url, rowid FROM articles").fetchall())
    normalised = [
        (rowids[r["url"]], fts.normalize(r["title"]), fts.normalize(r["body"])) for r in rows
    ]
    return db, rows, normalised


def draw(rows: list[dict], rng: random.Random) -> list[str]:
    queries: list[str] = []
    while len(queries) < N_QUERIES:
        row = rng.choice(rows)
        source = row["title"] if rng.random() < 0.3 else row["body"]
        n = rng.randint(2, 6)
        if len(source) < n:
            continue
        i = rng.randrange(len(source) - n + 1)
        q = source[i : i + n]
        if fts.normalize(q):  # a string of punctuation only is not a query
            queries.append(q)
    return queries


def absent_words(normalised: list, rng: random.Random) -> list[str]:
    words: list[str] = []
    everything = "\n".join(t + "\n" + b for _, t, b in normalised)
    while len(words) < 40:
        w = "".join(rng.choice(SIMPLIFIED + TRADITIONAL) for _ in range(rng.randint(2, 5)))
        if fts.normalize(w) not in everything:
            words.append(w)
    return words


def expected(normalised: list, query: str) -> set[int]:
    q = fts.normalize(query)
    return {rowid for rowid, t, b in normalised if q in t or q in b}


def as_phrase(q: str) -> str:
    return '"' + q.replace('"', " ") + '"'


def test_every_query_finds_exactly_the_containing_rows(archive) -> None:
    db, rows, normalised = archive
    rng = random.Random(315)
    queries = draw(rows, rng)
    absent = absent_words(normalised, rng)
    t0 = time.perf_counter()
    sizes = []
    for q in queries + absent:
        want = expected(normalised, q)
        got = fts.match_rowids(db, as_phrase(q))
        assert got == want, f"query {q!r} (normalised {fts.normalize(q)!r})"
        sizes.append(len(want))
    for q in absent:
        assert fts.match_rowids(db, q) == set()
    # the test means something: queries match from one row to thousands
    assert len(queries) >= 300 and sum(1 for s in sizes if s == 0) >= 40
    assert max(sizes) > 1000 and sum(1 for s in sizes if 1 <= s <= 50) > 50
    assert time.perf_counter() - t0 < 60


def test_bare_words_through_search_match_the_same_rows(archive) -> None:
    """The full path (query syntax, join, limit=None) on queries typed without quotes."""
    db, rows, normalised = archive
    rng = random.Random(2)
    by_rowid = dict(db.execute("SELECT rowid, url FROM articles").fetchall())
    checked = 0
    for q in draw(rows, rng):
        if any(c.isspace() or c == '"' for c in q) or q.startswith("-") or q == "OR":
            continue
        got = {r["url"] for r in fts.search(db, q, limit=None)}
        assert got == {by_rowid[i] for i in expected(normalised, q)}, q
        checked += 1
        if checked == 150:
            break
    assert checked == 150


def test_and_or_not_combine_exactly(archive) -> None:
    db, rows, normalised = archive
    rng = random.Random(3)
    words = [q for q in draw(rows, rng) if fts.normalize(q).isalnum()][:60]
    for a, b in zip(words[::2], words[1::2], strict=False):
        ea, eb = expected(normalised, a), expected(normalised, b)
        assert fts.match_rowids(db, f"{as_phrase(a)} {as_phrase(b)}") == ea & eb
        assert fts.match_rowids(db, f"{as_phrase(a)} OR {as_phrase(b)}") == ea | eb
        assert fts.match_rowids(db, f"{as_phrase(a)} -{as_phrase(b)}") == ea - eb
