"""Design study for issue #4: would trigram tokens make long phrase queries fast enough?

The archive's index has one overlapping bigram per character, so an 8-character query is
a phrase of 7 bigrams; when all of them are frequent, FTS5 position-checks many rows.
This compares that index (A) with one of overlapping trigrams (B) on the same generated
corpus, as two contentless FTS5 tables with SQLite's ``ascii`` tokenizer: the cost of
each (indexing CPU, bytes) and the query CPU of 4- and 8-character phrases on each, and
checks that both return the same rows. In the design under study, B's tokens would be
added to A's, colocated (so index and indexing costs roughly add up). Results:
benchmarks/RESULTS.md, "Search".

    .venv/bin/python -m benchmarks.study_trigram gen 200000   # corpus.db (bench_search's generator)
    .venv/bin/python -m benchmarks.study_trigram build a      # a.db + build_a.json
    .venv/bin/python -m benchmarks.study_trigram build b      # b.db + build_b.json
    .venv/bin/python -m benchmarks.study_trigram query 300    # query.json

Files go to ``--dir`` (default benchmarks/out/trigram); 200,000 articles take ~2 GB.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import sqlite3
import statistics
import sys
import time
from pathlib import Path

from benchmarks.bench_search import Generator, draw_queries, pct
from crawler import search as fts

#: The working folder (``--dir``).
HERE = Path(__file__).resolve().parent / "out" / "trigram"
BATCH = 500

_NONWORD_RE = re.compile(r"[\W_]+")
# Every character of a segment starts one token: a trigram if 3 word characters remain in
# the segment, else the remaining bigram or single character (as document_buffer does for
# bigrams). The tail tokens keep segments apart (no phrase can span a segment boundary)
# and give the same positions as the bigram index (= the colocated layout).
_TRI_RE = re.compile(r"(?=([^\W_][^\W_]?[^\W_]?))")


def trigram_buffer(text: str) -> bytes:
    return " ".join(_TRI_RE.findall(fold_sep(text))).encode()


def fold_sep(text: str) -> str:
    return _NONWORD_RE.sub("\x00", fts.fold(text))


def bigram_buffer(text: str) -> bytes:
    return fts.document_buffer(text)


def query_tokens(q: str, kind: str) -> list[str]:
    if kind == "a":
        return fts.query_tokens(q)
    segs = re.findall(r"[^\W_]+", fts.fold(q))
    assert len(segs) == 1 and len(segs[0]) >= 3, q
    s = segs[0]
    return [s[j : j + 3] for j in range(len(s) - 2)]


def match_expr(q: str, kind: str) -> str:
    return '"' + " ".join(query_tokens(q, kind)) + '"'


def load_articles() -> list[dict]:
    con = sqlite3.connect(HERE / "corpus.db")
    rows = con.execute("SELECT title, body FROM c ORDER BY rowid").fetchall()
    con.close()
    return [{"title": t, "body": b} for t, b in rows]


def cmd_gen(n: int) -> None:
    corpus = HERE / "corpus.db"
    corpus.unlink(missing_ok=True)
    gen = Generator(seed=1)
    con = sqlite3.connect(corpus)
    con.execute("CREATE TABLE c(title, body)")
    t0 = time.perf_counter()
    for i in range(0, n, 10_000):
        rows = [gen.article() for _ in range(min(10_000, n - i))]
        con.executemany(
            "INSERT INTO c(rowid, title, body) VALUES (?,?,?)",
            [(i + k + 1, a["title"], a["body"]) for k, a in enumerate(rows)],
        )
        con.commit()
    print(f"generated {n} in {time.perf_counter() - t0:.1f}s", file=sys.stderr)


def cmd_build(kind: str) -> None:
    buf = bigram_buffer if kind == "a" else trigram_buffer
    path = HERE / f"{kind}.db"
    for p in (path, Path(str(path) + "-journal")):
        if p.exists():
            p.unlink()
    src = sqlite3.connect(HERE / "corpus.db")
    n = src.execute("SELECT count(*) FROM c").fetchone()[0]
    con = sqlite3.connect(path, isolation_level=None)
    # contentless: the real index is external-content, so the token strings are not
    # stored; a plain FTS5 table would store them in t_content (several x the text).
    con.execute("CREATE VIRTUAL TABLE t USING fts5(title, body, tokenize='ascii', content='')")
    ins_cpu = buf_cpu = 0.0
    ins_wall = 0.0
    ntok = 0
    cur = src.execute("SELECT rowid, title, body FROM c ORDER BY rowid")
    while True:
        rows = cur.fetchmany(BATCH)
        if not rows:
            break
        c0 = time.process_time()
        data = [(r, buf(t), buf(b)) for r, t, b in rows]
        buf_cpu += time.process_time() - c0
        ntok += sum(x[1].count(b" ") + x[2].count(b" ") + 2 for x in data)
        c0, w0 = time.process_time(), time.perf_counter()
        con.execute("BEGIN")
        con.executemany("INSERT INTO t(rowid, title, body) VALUES (?,?,?)", data)
        con.execute("COMMIT")
        ins_cpu += time.process_time() - c0
        ins_wall += time.perf_counter() - w0
    size_loaded = path.stat().st_size
    c0, w0 = time.process_time(), time.perf_counter()
    con.execute("INSERT INTO t(t) VALUES('optimize')")
    opt_cpu, opt_wall = time.process_time() - c0, time.perf_counter() - w0
    c0 = time.process_time()
    con.execute("VACUUM")
    vac_cpu = time.process_time() - c0
    try:
        shadow = dict(
            con.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name").fetchall()
        )
    except sqlite3.OperationalError:
        shadow = {}
    size = path.stat().st_size
    con.close()
    res = {
        "kind": kind,
        "articles": n,
        "tokens": ntok,
        "buffer_cpu_ms_per_article": buf_cpu / n * 1000,
        "insert_cpu_ms_per_article": ins_cpu / n * 1000,
        "insert_wall_ms_per_article": ins_wall / n * 1000,
        "optimize_cpu_s": opt_cpu,
        "optimize_wall_s": opt_wall,
        "vacuum_cpu_s": vac_cpu,
        "file_bytes_before_optimize": size_loaded,
        "file_bytes": size,
        "bytes_per_article": size / n,
        "dbstat": shadow,
    }
    (HERE / f"build_{kind}.json").write_text(json.dumps(res, indent=1))
    print(json.dumps(res, indent=1))


def warm(path: Path) -> None:
    with path.open("rb") as f:
        while f.read(1 << 24):
            pass


def rowids(con: sqlite3.Connection, expr: str) -> list[int]:
    sql = "SELECT rowid FROM t WHERE t MATCH ? ORDER BY rowid"
    return [r for (r,) in con.execute(sql, [expr])]


SQL = {
    "limit2000": "SELECT rowid FROM t WHERE t MATCH ? ORDER BY rowid DESC LIMIT 2000",
    "count": "SELECT count(*) FROM t WHERE t MATCH ?",
}
REPS = 3


def cmd_query(nq: int) -> None:
    articles = load_articles()
    rng = random.Random(1)
    qsets = {L: draw_queries(articles, L, nq, rng) for L in (4, 8)}
    cons = {}
    for k in "ab":
        warm(HERE / f"{k}.db")
        cons[k] = sqlite3.connect(HERE / f"{k}.db")
        cons[k].execute("SELECT count(*) FROM t_data").fetchone()
    # correctness: full rowid sets
    mism = []
    hits = {}
    for L, qs in qsets.items():
        hits[L] = []
        for q in qs:
            sets = {k: rowids(cons[k], match_expr(q, k)) for k in "ab"}
            hits[L].append(len(sets["a"]))
            if sets["a"] != sets["b"]:
                mism.append({"q": q, "a": len(sets["a"]), "b": len(sets["b"])})
    # ground truth on a sample: normalised substring test
    sample = [qsets[4][i] for i in range(0, nq, max(1, nq // 10))] + [
        qsets[8][i] for i in range(0, nq, max(1, nq // 10))
    ]
    norm = [(fts.normalize(a["title"]), fts.normalize(a["body"])) for a in articles]
    truth_bad = []
    for q in sample:
        truth = [i + 1 for i, (t, b) in enumerate(norm) if q in t or q in b]
        got = rowids(cons["a"], match_expr(q, "a"))
        if truth != got:
            truth_bad.append({"q": q, "truth": len(truth), "index": len(got)})
    del norm
    # timings: interleaved, REPS passes, per-query median of the passes
    times = {(L, k, s): [[] for _ in qsets[L]] for L in qsets for k in "ab" for s in SQL}
    for k in "ab":  # warm-up
        for q in qsets[8][:10]:
            for s in SQL.values():
                cons[k].execute(s, [match_expr(q, k)]).fetchall()
    for rep in range(REPS):
        for L, qs in qsets.items():
            for i, q in enumerate(qs):
                for k in ("ab" if (i + rep) % 2 == 0 else "ba"):
                    expr = match_expr(q, k)
                    for s, sql in SQL.items():
                        c0 = time.thread_time()
                        cons[k].execute(sql, [expr]).fetchall()
                        times[(L, k, s)][i].append((time.thread_time() - c0) * 1000)
    summary = {}
    for (L, k, s), per_q in times.items():
        med = [statistics.median(x) for x in per_q]
        first = [x[0] for x in per_q]
        summary[f"{L}ch {k} {s}"] = {
            "p50": round(pct(med, 50), 3),
            "p95": round(pct(med, 95), 3),
            "max": round(max(med), 3),
            "p95_first_pass": round(pct(first, 95), 3),
        }
    res = {
        "queries_per_length": nq,
        "hits": {L: {"median": statistics.median(h), "p95": pct(h, 95), "max": max(h)}
                 for L, h in hits.items()},  # fmt: skip
        "mismatches_a_vs_b": mism,
        "truth_sample": len(sample),
        "truth_mismatches": truth_bad,
        "cpu_ms": summary,
        "loadavg": os.getloadavg(),
    }
    # the slowest 8-char queries on A, and B's time for them
    med = lambda key: [statistics.median(x) for x in times[key]]  # noqa: E731
    a8, b8 = med((8, "a", "limit2000")), med((8, "b", "limit2000"))
    worst = sorted(range(len(a8)), key=lambda i: -a8[i])[:8]
    res["slowest_8ch_limit2000"] = [
        {"q": qsets[8][i], "hits": hits[8][i], "a_ms": round(a8[i], 2), "b_ms": round(b8[i], 2)}
        for i in worst
    ]
    res["per_query_median_ms"] = {
        f"{L}ch {k} {s}": [round(statistics.median(x), 3) for x in times[(L, k, s)]]
        for (L, k, s) in times
    }
    res["queries"] = {L: qs for L, qs in qsets.items()}
    res["hits_per_query"] = hits
    for L in qsets:
        for s in SQL:
            a, b = med((L, "a", s)), med((L, "b", s))
            res[f"{L}ch {s}: over 20 ms a/b"] = [sum(x > 20 for x in a), sum(x > 20 for x in b)]
            slower = sum(y > x + 0.5 for x, y in zip(a, b, strict=True))
            res[f"{L}ch {s}: b slower than a by >0.5 ms"] = slower
            res[f"{L}ch {s}: total cpu s a/b"] = [round(sum(a) / 1000, 2), round(sum(b) / 1000, 2)]
    (HERE / "query.json").write_text(json.dumps(res, indent=1, ensure_ascii=False))
    detail = ("per_query_median_ms", "queries", "hits_per_query")
    print(json.dumps({k: v for k, v in res.items() if k not in detail}, indent=1,
                     ensure_ascii=False))  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    global HERE
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dir", type=Path, default=HERE, help="working folder")
    sub = ap.add_subparsers(dest="cmd", required=True)
    sub.add_parser("gen", help="generate the corpus").add_argument("articles", type=int)
    sub.add_parser("build", help="build index a (bigrams) or b (trigrams)").add_argument(
        "kind", choices=("a", "b"))
    sub.add_parser("query", help="time queries on both").add_argument("queries", type=int)
    args = ap.parse_args(argv)
    HERE = args.dir
    HERE.mkdir(parents=True, exist_ok=True)
    if args.cmd == "gen":
        cmd_gen(args.articles)
    elif args.cmd == "build":
        cmd_build(args.kind)
    else:
        cmd_query(args.queries)
    return 0


if __name__ == "__main__":
    sys.exit(main())
