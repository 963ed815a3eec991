"""Search benchmark: indexing rate, index size, query latency on a generated archive.

    .venv/bin/python -m benchmarks.bench_search --smoke            # CI: seconds, no timings judged
    .venv/bin/python -m benchmarks.bench_search --articles 200000  # the reported run
    .venv/bin/python -m benchmarks.bench_search --articles 200000 --reuse  # queries only

Articles are generated (seeded, reproducible): Chinese-like text from the 3,755 GB2312
level-1 characters, grouped into a 40,000-word vocabulary drawn with Zipf frequencies
(so a few bigrams are in most articles and most are rare, as in real text), with
punctuation, dates, numbers and some Latin words (iPhone, App, PM2.5). Titles are
10-30 characters, bodies 300-1,700 (mean about 1,000).

Indexing is measured through the real write path: ``Archive``-style inserts into
``articles`` whose triggers feed ``articles_fts``, 500 articles per transaction; the
same inserts into a table without the index give the baseline. Query latency is
``crawler.search.search`` (20 results with snippets) on a warm cache for queries cut from
random places of random articles (so frequent words are drawn as often as they occur),
in four modes: the default (``newsarchive_bm25`` from the C extension, rank window of
``fts.DEFAULT_WINDOW``), ``window=0`` (every match ranked), and both again without the
C extension (FTS5's built-in bm25, as on a machine without a compiler; ``window=0``
there is the ranking as it was before the window).

``--reuse``: if ``--dir``/archive.db already holds exactly the articles this run
generates (same ``--articles`` and ``--seed``: compared row by row), the load, the
baseline and optimize are skipped and only the queries are timed (the generator is
seeded, so they are the same queries). The file is read once first to warm the cache.

Prints a Markdown report (and writes it with ``--out``). Asserts nothing about time.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import os
import platform
import random
import sqlite3
import statistics
import sys
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

import sqlite_utils  # noqa: E402

from benchmarks import common  # noqa: E402
from crawler import search as fts  # noqa: E402
from crawler.archive import ARTICLE_COLUMNS  # noqa: E402

#: The archive's own articles table.
SCHEMA = ARTICLE_COLUMNS
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


#: How :func:`time_queries` calls ``fts.search``: (window, with the C extension).
MODES = {
    "default": (fts.DEFAULT_WINDOW, True),
    "window 0": (0, True),
    "no extension": (fts.DEFAULT_WINDOW, False),
    "no extension, window 0": (0, False),
}


@contextlib.contextmanager
def speedups(on: bool) -> Iterator[None]:
    """Search with or without ``crawler.search._rank``: off, ``fts.search`` ranks with FTS5's
    bm25, as where the extension could not be built (NEWSARCHIVE_NO_SPEEDUPS=1)."""
    with contextlib.nullcontext() if on else fts.without_speedups():
        yield


def count_hits(db: sqlite_utils.Database, queries: list[str]) -> list[int]:
    sql = "SELECT count(*) FROM articles_fts WHERE articles_fts MATCH ?"
    return [db.conn.execute(sql, [fts.translate_query(q)]).fetchone()[0] for q in queries]


def time_queries(db: sqlite_utils.Database, queries: list[str], hits: list[int], mode: str) -> dict:
    """Wall and CPU milliseconds per ``fts.search`` (20 results, snippets) in ``mode``.
    On a shared machine CPU time is the better estimate of the uncontended latency (the
    queries are CPU-bound on a warm cache)."""
    window, ext = MODES[mode]
    if ext and not fts.speedups():
        return {}
    wall: list[float] = []
    cpu: list[float] = []
    with speedups(ext):
        for q in queries[:5]:  # warm-up
            fts.search(db, q, limit=20, window=window)
        for q in queries:
            c0, t0 = time.process_time(), time.perf_counter()
            fts.search(db, q, limit=20, window=window)
            wall.append((time.perf_counter() - t0) * 1000)
            cpu.append((time.process_time() - c0) * 1000)
    return {
        "p50": pct(wall, 50),
        "p95": pct(wall, 95),
        "cpu50": pct(cpu, 50),
        "cpu95": pct(cpu, 95),
        "max": max(wall),
        "hits_median": int(statistics.median(hits)),
        "hits_max": max(hits),
        "cpu": cpu,
    }


def tail(db: sqlite_utils.Database, queries: list[str], hits: list[int], r: dict) -> str:
    """The queries slower than p95 (CPU) in the default mode, beside the CPU time FTS5
    alone takes to find their matches (``count(*)``, no ranking): what is left when the
    ranking is cheap."""
    sql = "SELECT count(*) FROM articles_fts WHERE articles_fts MATCH ?"
    slow = [i for i, c in enumerate(r["cpu"]) if c > r["cpu95"]]
    rows = []
    for i in sorted(slow, key=lambda i: -r["cpu"][i]):
        c0 = time.process_time()
        db.conn.execute(sql, [fts.translate_query(queries[i])]).fetchone()
        rows.append(f"{r['cpu'][i]:.0f}/{(time.process_time() - c0) * 1000:.0f} ({hits[i]:,})")
    return ", ".join(rows) or "none"


def holds_exactly(path: Path, articles: list[dict]) -> bool:
    """Whether the archive at ``path`` holds exactly ``articles``, in rowid order, with
    an index in order (so a run can reuse it instead of loading it again)."""
    if not path.exists():
        return False
    db = sqlite_utils.Database(path)
    try:
        if fts.index_problems(db):
            return False
        if db.conn.execute("SELECT count(*) FROM articles").fetchone()[0] != len(articles):
            return False
        rows = db.conn.execute("SELECT url, title, body FROM articles ORDER BY rowid")
        return all(
            row == (a["url"], a["title"], a["body"]) for row, a in zip(rows, articles, strict=True)
        )
    except sqlite3.Error:
        return False
    finally:
        db.conn.close()


def warm_file(path: Path) -> None:
    """Read the file once, so the timed queries find it in the OS cache."""
    with path.open("rb") as f:
        while f.read(1 << 24):
            pass


def load_with_cpu(db: sqlite_utils.Database, articles: list[dict]) -> tuple[float, float]:
    c0 = time.process_time()
    wall = load(db, articles)
    return wall, time.process_time() - c0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--articles", type=int, default=200_000)
    ap.add_argument("--queries", type=int, default=200, help="per query length")
    ap.add_argument("--smoke", action="store_true", help="tiny run for CI (2,000 articles)")
    ap.add_argument("--dir", type=Path, default=Path("/tmp/newsarchive-bench"))
    ap.add_argument("--out", type=Path, help="also write the Markdown report here")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--no-baseline", action="store_true", help="skip the no-index baseline")
    ap.add_argument("--reindex", action="store_true", help="also time newsarchive reindex")
    ap.add_argument(
        "--reuse", action="store_true",
        help="time only the queries if --dir/archive.db already holds these articles",
    )  # fmt: skip
    args = ap.parse_args(argv)
    if args.smoke:
        args.articles, args.queries, args.reindex = 2_000, 20, True
    args.dir.mkdir(parents=True, exist_ok=True)
    rng = random.Random(args.seed)
    load_before = os.getloadavg()

    t0 = time.perf_counter()
    gen = Generator(args.seed)
    articles = [gen.article() for _ in range(args.articles)]
    gen_s = time.perf_counter() - t0
    chars = sum(len(a["title"]) + len(a["body"]) for a in articles)
    text_bytes = sum(len(a["title"].encode()) + len(a["body"].encode()) for a in articles)
    print(f"generated {len(articles)} articles in {gen_s:.1f}s", file=sys.stderr)

    n = len(articles)
    path = args.dir / "archive.db"
    reused = args.reuse and holds_exactly(path, articles)
    if args.reuse:
        print(f"{path}: {'reused' if reused else 'not these articles: building'}", file=sys.stderr)
    rows: list[str] = []
    results: dict[tuple[str, str], dict] = {}
    qsets: dict[str, list[str]] = {}
    hits: dict[str, list[int]] = {}
    if reused:
        warm_file(path)
        db = sqlite_utils.Database(path)
        ibytes = ibytes_loaded = 0
    else:
        if not args.no_baseline:
            base = make_db(args.dir / "baseline.db", with_index=False)
            base_s, base_cpu = load_with_cpu(base, articles)
            base.conn.close()
            (args.dir / "baseline.db").unlink()
            print(f"baseline load {base_s:.1f}s (cpu {base_cpu:.1f}s)", file=sys.stderr)
        db = make_db(path, with_index=True)
        idx_s, idx_cpu = load_with_cpu(db, articles)
        print(f"indexed load {idx_s:.1f}s (cpu {idx_cpu:.1f}s)", file=sys.stderr)
        rows.append(
            f"| insert with the index, 500 per transaction | {n / idx_s:,.0f} articles/s "
            f"| {n / idx_cpu:,.0f} articles/s |"
        )
        if not args.no_baseline:
            rows.append(
                f"| insert without the index (baseline) | {n / base_s:,.0f} articles/s "
                f"| {n / base_cpu:,.0f} articles/s |"
            )
            rows.append(
                f"| indexing cost per article | {(idx_s - base_s) / n * 1000:.2f} ms "
                f"| {(idx_cpu - base_cpu) / n * 1000:.2f} ms |"
            )
        ibytes_loaded = index_bytes(db.conn)

    db.conn.execute("SELECT count(*) FROM articles_fts_data").fetchone()  # warm the cache
    db.conn.execute("SELECT count(*) FROM articles").fetchone()
    for length in (1, 2, 4, 8):
        qsets[f"{length} chars"] = draw_queries(
            articles, length, args.queries if length > 1 else 10, rng
        )
    qsets["topic words"] = list(DOMAIN_WORDS)
    for name, qs in qsets.items():
        hits[name] = count_hits(db, qs)

    if not reused:
        for name in ("2 chars", "4 chars", "8 chars"):  # the index as a crawl leaves it
            results[(name, "as loaded")] = time_queries(db, qsets[name], hits[name], "default")
        c0, t0 = time.process_time(), time.perf_counter()
        db.execute("INSERT INTO articles_fts(articles_fts) VALUES ('optimize')")
        opt_s, opt_cpu = time.perf_counter() - t0, time.process_time() - c0
        rows.append(f"| optimize after the load | {opt_s:.1f} s | {opt_cpu:.1f} s |")
        ibytes = index_bytes(db.conn)
    if args.reindex:
        c0, t0 = time.process_time(), time.perf_counter()
        assert fts.reindex(db) == n
        re_s, re_cpu = time.perf_counter() - t0, time.process_time() - c0
        rows.append(
            f"| `newsarchive reindex` (rebuild + optimize) | {n / re_s:,.0f} articles/s "
            f"| {n / re_cpu:,.0f} articles/s |"
        )
        print(f"reindex {re_s:.1f}s", file=sys.stderr)

    db.conn.execute("SELECT count(*) FROM articles_fts_data").fetchone()
    for mode in MODES:
        for name, qs in qsets.items():
            r = time_queries(db, qs, hits[name], mode)
            if r:
                results[(name, mode)] = r
                print(f"{name}, {mode}: p95 {r['p95']:.1f} ms", file=sys.stderr)
    tails = {
        name: tail(db, qsets[name], hits[name], results[(name, "default")])
        for name in ("2 chars", "4 chars", "8 chars")
        if (name, "default") in results
    }
    load_after = os.getloadavg()

    window = f"{fts.DEFAULT_WINDOW:,}"
    labels = {
        "as loaded": f"default (window {window}), before optimize (as a crawl leaves it)",
        "default": f"**default**: `newsarchive_bm25`, window {window}",
        "window 0": "`newsarchive_bm25`, `--window 0` (every match ranked)",
        "no extension": f"without the C extension: FTS5 `bm25`, window {window}",
        "no extension, window 0": "FTS5 `bm25`, `--window 0` (the ranking before the window)",
    }
    lines = [
        "| queries | how `fts.search()` ranks (20 results + snippets) | n | p50 ms | p95 ms "
        "| CPU p50 ms | CPU p95 ms | rows matched (median / max) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for (name, mode), r in sorted(
        results.items(), key=lambda kv: (list(qsets).index(kv[0][0]), kv[0][1] != "as loaded")
    ):
        lines.append(
            f"| {name} | {labels[mode]} | {len(qsets[name])} | {r['p50']:.1f} | {r['p95']:.1f} "
            f"| {r['cpu50']:.1f} | {r['cpu95']:.1f} | {r['hits_median']:,} / {r['hits_max']:,} |"
        )
    cmd = "-m benchmarks.bench_search " + " ".join(argv if argv is not None else sys.argv[1:])
    head = [
        f"## Search benchmark, {n:,} articles",
        "",
        f"- date: {date.today().isoformat()}; command: `.venv/bin/python {cmd.strip()}`",
        f"- machine: `nproc` = {os.cpu_count()}, {common.cpu_model()}; "
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}; "
        f"C extension: {'yes' if fts.speedups() else 'NOT BUILT'}",
        f"- load average (1 min) at start / end: {load_before[0]:.1f} / {load_after[0]:.1f}",
        f"- text: {chars / n:.0f} characters, "
        f"{text_bytes / n:.0f} UTF-8 bytes per article (title + body)",
        "",
    ]
    if reused:
        head += [f"Archive reused from `{path}` (the same articles): indexing not timed.", ""]
    else:
        head += [
            "| indexing | wall clock | CPU time of this process |",
            "|---|---|---|",
            *rows,
            f"| index size after optimize | {ibytes / n:,.0f} bytes/article "
            f"({ibytes / text_bytes:.2f}x the UTF-8 text) | |",
            f"| index size as loaded (before optimize) | {ibytes_loaded / n:,.0f} "
            "bytes/article | |",
            "",
        ]
    notes = [
        "",
        "Default mode, the queries slower than its CPU p95: CPU ms of `fts.search()` / CPU ms "
        "of FTS5 alone counting the matches (`count(*)`, no ranking) (rows matched):",
        "",
        *(f"- {name}: {t}" for name, t in tails.items()),
    ]
    report = "\n".join([*head, *lines, *(notes if tails else []), ""])
    print(report)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        with args.out.open("a", encoding="utf-8") as f:
            f.write(report + "\n")
    db.conn.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
