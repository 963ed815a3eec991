"""Search benchmark: indexing rate, index size, query latency on a generated archive.

    .venv/bin/python benchmarks/bench_search.py --smoke            # CI: seconds, no timings judged
    .venv/bin/python benchmarks/bench_search.py --articles 200000  # the reported run

Articles are generated (seeded, reproducible): Chinese-like text from the 3,755 GB2312
level-1 characters, grouped into a 40,000-word vocabulary drawn with Zipf frequencies
(so a few bigrams are in most articles and most are rare, as in real text), with
punctuation, dates, numbers and some Latin words (iPhone, App, PM2.5). Titles are
10-30 characters, bodies 300-1,700 (mean about 1,000).

Indexing is measured through the real write path: ``Archive``-style inserts into
``articles`` whose triggers feed ``articles_fts``, 500 articles per transaction; the
same inserts into a table without the index give the baseline. Query latency is
``crawler.fts.search`` (bm25 ranking, 20 results with snippets) on a warm cache for
queries cut from random places of random articles (so frequent words are drawn as
often as they occur), and for the ranking alone without snippets.

Prints a Markdown report (and writes it with ``--out``). Asserts nothing about time.
"""

from __future__ import annotations

import argparse
import itertools
import os
import platform
import random
import sqlite3
import statistics
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlite_utils  # noqa: E402

from crawler import fts  # noqa: E402

SCHEMA = {
    "url": str,
    "site": str,
    "title": str,
    "published_at": str,
    "source": str,
    "author": str,
    "editor": str,
    "body": str,
    "fetched_at": str,
}
SITES = ["ccn", "cqn", "hangzhou", "cnr", "xinhua"]
DOMAIN_WORDS = [
    "专利", "诈骗", "召回", "市场监管总局", "消费者", "知识产权", "投诉", "退款", "质量",
    "食品安全", "预付卡", "直播带货", "维权", "虚假宣传", "价格欺诈", "汽车", "电动车",
    "保健品", "快递", "网购", "消费", "权益", "商家", "平台", "监管", "抽检", "不合格",
]  # fmt: skip
LATIN = ["iPhone", "App", "PM2.5", "315", "5G", "CEO", "Wi-Fi", "USB", "AI", "iPad"]


def gb2312_level1() -> list[str]:
    chars = []
    for hi in range(0xB0, 0xD8):
        for lo in range(0xA1, 0xFF):
            try:
                chars.append(bytes([hi, lo]).decode("gb2312"))
            except UnicodeDecodeError:
                pass
    return chars


class Generator:
    """Seeded generator of article dicts with a Zipf word distribution."""

    def __init__(self, seed: int = 1, vocab: int = 40_000) -> None:
        rng = random.Random(seed)
        chars = gb2312_level1()
        rng.shuffle(chars)
        char_cum = list(itertools.accumulate(1.0 / (r + 1) ** 0.9 for r in range(len(chars))))
        words: set[str] = set()
        while len(words) < vocab:
            n = rng.choices((1, 2, 3, 4), weights=(10, 60, 20, 10))[0]
            words.add("".join(rng.choices(chars, cum_weights=char_cum, k=n)))
        self.words = sorted(words)
        rng.shuffle(self.words)
        for i, w in enumerate(DOMAIN_WORDS):  # realistic ranks: common to rare
            self.words.insert(20 + i * 60, w)
        self.word_cum = list(
            itertools.accumulate(1.0 / (r + 1) ** 1.05 for r in range(len(self.words)))
        )
        self.rng = rng
        self.n = 0

    def _text(self, nchars: int) -> str:
        rng = self.rng
        out: list[str] = []
        size = 0
        while size < nchars:
            k = rng.randint(6, 18)
            sentence = "".join(rng.choices(self.words, cum_weights=self.word_cum, k=k))
            r = rng.random()
            if r < 0.08:
                sentence += rng.choice(LATIN)
            elif r < 0.14:
                sentence = f"{rng.randint(2015, 2025)}年{rng.randint(1, 12)}月" + sentence
            elif r < 0.18:
                sentence += f"{rng.randint(1, 9999)}元"
            sentence += rng.choice("，，，。。；：、")
            out.append(sentence)
            size += len(sentence)
        return "".join(out)

    def article(self) -> dict[str, str]:
        rng = self.rng
        self.n += 1
        site = rng.choice(SITES)
        day = date.fromordinal(date(2018, 1, 1).toordinal() + rng.randrange(3000))
        body = "\n".join(self._text(rng.randint(60, 340)) for _ in range(rng.randint(2, 5)))[
            : rng.randint(300, 1700)
        ]
        return {
            "url": f"https://{site}.example.cn/content/{self.n}.html",
            "site": site,
            "title": self._text(rng.randint(10, 30))[:30],
            "published_at": f"{day.isoformat()}T{rng.randint(0, 23):02d}:00:00+08:00",
            "source": rng.choice(["中国消费者报", "新华社", "本网"]),
            "author": "记者 " + "".join(rng.choices(self.words[:2000], k=2))[:3],
            "editor": None,
            "body": body,
            "fetched_at": "2026-01-01T00:00:00Z",
        }


def make_db(path: Path, with_index: bool) -> sqlite_utils.Database:
    if path.exists():
        path.unlink()
    db = sqlite_utils.Database(path)
    db.enable_wal()
    db["articles"].create(SCHEMA, pk="url")
    if with_index:
        fts.ensure_index(db)
    return db


def load(db: sqlite_utils.Database, articles: list[dict], batch: int = 500) -> float:
    """Insert through the triggers, ``batch`` per transaction. Returns seconds."""
    t0 = time.perf_counter()
    for i in range(0, len(articles), batch):
        with db.conn:
            db["articles"].insert_all(articles[i : i + batch], batch_size=batch)
    return time.perf_counter() - t0


def index_bytes(conn: sqlite3.Connection) -> int:
    try:
        row = conn.execute(
            "SELECT sum(pgsize) FROM dbstat WHERE name LIKE 'articles_fts%'"
        ).fetchone()
        return int(row[0] or 0)
    except sqlite3.OperationalError:  # no dbstat: count pages of the shadow tables
        page = conn.execute("PRAGMA page_size").fetchone()[0]
        total = 0
        for (name,) in conn.execute(
            "SELECT name FROM sqlite_master WHERE name LIKE 'articles_fts_%' AND type='table'"
        ).fetchall():
            total += page * conn.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]
        return total


def draw_queries(articles: list[dict], length: int, n: int, rng: random.Random) -> list[str]:
    out: list[str] = []
    while len(out) < n:
        a = rng.choice(articles)
        text = fts.normalize(a["body"])
        if len(text) <= length:
            continue
        i = rng.randrange(len(text) - length)
        q = text[i : i + length]
        if " " not in q:
            out.append(q)
    return out


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    k = max(0, min(len(values) - 1, int(round(p / 100 * len(values) + 0.5)) - 1))
    return values[k]


def time_queries(db: sqlite_utils.Database, queries: list[str], snippets: bool) -> dict:
    ms: list[float] = []
    hits: list[int] = []
    conn = db.conn
    count_sql = "SELECT count(*) FROM articles_fts WHERE articles_fts MATCH ?"
    rank_sql = "SELECT rowid FROM articles_fts WHERE articles_fts MATCH ? ORDER BY rank LIMIT 20"
    for q in queries:
        t0 = time.perf_counter()
        if snippets:
            fts.search(db, q, limit=20)
        else:
            conn.execute(rank_sql, [fts.translate_query(q)]).fetchall()
        ms.append((time.perf_counter() - t0) * 1000)
        hits.append(conn.execute(count_sql, [fts.translate_query(q)]).fetchone()[0])
    return {
        "p50": pct(ms, 50),
        "p95": pct(ms, 95),
        "max": max(ms),
        "hits_median": int(statistics.median(hits)),
        "hits_max": max(hits),
    }


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--articles", type=int, default=200_000)
    ap.add_argument("--queries", type=int, default=200, help="per query length")
    ap.add_argument("--smoke", action="store_true", help="tiny run for CI (2,000 articles)")
    ap.add_argument("--dir", type=Path, default=Path("/tmp/newsarchive-bench"))
    ap.add_argument("--out", type=Path, help="also write the Markdown report here")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--no-baseline", action="store_true", help="skip the no-index baseline")
    ap.add_argument(
        "--reuse", action="store_true", help="query the archive.db left by an earlier run"
    )
    args = ap.parse_args(argv)
    if args.smoke:
        args.articles, args.queries = 2_000, 20
    args.dir.mkdir(parents=True, exist_ok=True)
    rng = random.Random(args.seed)

    t0 = time.perf_counter()
    gen = Generator(args.seed)
    articles = [gen.article() for _ in range(args.articles)]
    gen_s = time.perf_counter() - t0
    chars = sum(len(a["title"]) + len(a["body"]) for a in articles)
    text_bytes = sum(len(a["title"].encode()) + len(a["body"].encode()) for a in articles)
    print(f"generated {len(articles)} articles in {gen_s:.1f}s", file=sys.stderr)

    base_s = idx_s = opt_s = reindex_s = None
    ibytes = 0
    if args.reuse:
        db = sqlite_utils.Database(args.dir / "archive.db")
        assert db["articles"].count == len(articles), "--reuse needs the same --articles"
        ibytes = index_bytes(db.conn)
    if not args.no_baseline and not args.reuse:
        base = make_db(args.dir / "baseline.db", with_index=False)
        base_s = load(base, articles)
        base.conn.close()
        print(f"baseline load {base_s:.1f}s", file=sys.stderr)

    if not args.reuse:
        db = make_db(args.dir / "archive.db", with_index=True)
        idx_s = load(db, articles)
        print(f"indexed load {idx_s:.1f}s", file=sys.stderr)
        t0 = time.perf_counter()
        db.execute("INSERT INTO articles_fts(articles_fts) VALUES ('optimize')")
        opt_s = time.perf_counter() - t0
        ibytes = index_bytes(db.conn)
        t0 = time.perf_counter()
        n = fts.reindex(db)
        reindex_s = time.perf_counter() - t0
        assert n == len(articles)
        print(f"reindex {reindex_s:.1f}s", file=sys.stderr)

    # warm the cache, then time
    db.conn.execute("SELECT count(*) FROM articles_fts_data").fetchone()
    db.conn.execute("SELECT count(*) FROM articles").fetchone()
    results = {}
    for length in (1, 2, 4, 8):
        qs = draw_queries(articles, length, args.queries if length > 1 else 10, rng)
        for q in qs[:5]:
            fts.search(db, q)
        results[(length, "search")] = time_queries(db, qs, snippets=True)
        results[(length, "rank")] = time_queries(db, qs, snippets=False)

    lines = [
        "| query | p50 ms | p95 ms | max ms | rows matched (median / max) |",
        "|---|---|---|---|---|",
    ]
    for length in (1, 2, 4, 8):
        for kind, label in (("search", "search(), top 20 + snippets"), ("rank", "ranking only")):
            r = results[(length, kind)]
            lines.append(
                f"| {length} chars, {label} | {r['p50']:.1f} | {r['p95']:.1f} | {r['max']:.1f} "
                f"| {r['hits_median']} / {r['hits_max']} |"
            )
    cmd = "benchmarks/bench_search.py " + " ".join(argv if argv is not None else sys.argv[1:])
    report = "\n".join(
        [
            f"## Search benchmark, {len(articles):,} articles",
            "",
            f"- date: {date.today().isoformat()}; command: `.venv/bin/python {cmd.strip()}`",
            f"- machine: {os.cpu_count()} CPUs (`nproc`), {cpu_model()}; "
            f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}",
            f"- text: {chars / len(articles):.0f} characters, "
            f"{text_bytes / len(articles):.0f} UTF-8 bytes per article (title + body)",
            "",
            "| indexing | value |",
            "|---|---|",
            *(
                [
                    f"| insert rate with the index (500 per transaction) | "
                    f"{len(articles) / idx_s:,.0f} articles/s |",
                ]
                if idx_s
                else []
            ),
            *(
                [
                    f"| insert rate without the index (baseline) | "
                    f"{len(articles) / base_s:,.0f} articles/s |",
                    f"| indexing cost per article | "
                    f"{(idx_s - base_s) / len(articles) * 1000:.2f} ms |",
                ]
                if base_s and idx_s
                else []
            ),
            *(
                [
                    f"| `newsarchive reindex` (rebuild + optimize) | "
                    f"{len(articles) / reindex_s:,.0f} articles/s |",
                    f"| optimize after the load | {opt_s:.1f} s |",
                ]
                if reindex_s
                else []
            ),
            f"| index size | {ibytes / len(articles):,.0f} bytes/article "
            f"({ibytes / text_bytes:.2f}x the text bytes) |",
            "",
            *lines,
            "",
        ]
    )
    print(report)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        with args.out.open("a", encoding="utf-8") as f:
            f.write(report + "\n")
    db.conn.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
