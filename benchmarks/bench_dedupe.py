"""The duplicate check's cost per new article as the archive grows, on both mirrors' texts.

    .venv/bin/python -m benchmarks.bench_dedupe                       # 2,000 articles each
    .venv/bin/python -m benchmarks.bench_dedupe --articles 4000 --links links.json

Stores the article texts of :mod:`mirror` (the normal mirror and the template-heavy one:
notices from a shared pool of sentences) into a fresh archive, in a fixed order, with the
fingerprints and search buffers computed beforehand as a crawl's extraction workers do,
and reports per block of articles: CPU ms per article spent in the duplicate check
(``Archive._link_duplicate``) and in the whole store, SQL rows read and shingle sets
unpacked per article (``Archive.dedupe_work``), articles linked, and the bytes that
``shingle_sets`` adds per article next to the body's. Run it from another checkout
(``cd OTHER && PYTHONPATH=OTHER python -m benchmarks.bench_dedupe``) to compare versions;
``--links`` writes every ``duplicate_of`` (archive times are a counter there, so that two
versions' links can be compared exactly).
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import tempfile
import time
from pathlib import Path

from benchmarks import common, mirror
from crawler import search as fts
from crawler.archive import Archive, dedupe
from crawler.archive import core as archive_mod
from crawler.items import Article


def articles(kind: str, count: int, seed: int) -> list[Article]:
    out = []
    per_site = (count - count // 2, count // 2)
    for site, n in zip(mirror.SITES, per_site, strict=True):
        for e in mirror.entries_of(site, n, seed, kind):
            f, _ = mirror.article_fields(site, e, seed, kind)
            a = Article(url=f"http://{site.key}.example{e.path}", site=site.key,
                        title=f["title"], body=f["body"])  # fmt: skip
            a.fingerprint = dedupe.fingerprint(a.body or "")
            a.fts_buffers = (fts.document_buffer(a.title or ""), fts.document_buffer(a.body))
            out.append(a)
    out.sort(key=lambda a: (a.url.rsplit("/", 1)[-1], a.url))  # the two sites interleaved
    return out


def measure(kind: str, count: int, seed: int, blocks: int) -> tuple[list[dict], dict]:
    arts = articles(kind, count, seed)
    clock = itertools.count()
    archive_mod.utcnow = lambda: f"2026-01-01T{next(clock):010d}Z"  # type: ignore[assignment]
    link_cpu = [0.0]
    with tempfile.TemporaryDirectory() as tmp, Archive(Path(tmp) / "a.db") as ar:
        real = ar._link_duplicate

        def timed(*args: object, **kw: object) -> str | None:
            t = time.process_time()
            try:
                return real(*args, **kw)  # type: ignore[arg-type]
            finally:
                link_cpu[0] += time.process_time() - t

        ar._link_duplicate = timed  # type: ignore[method-assign]
        rows = []
        work = getattr(ar, "dedupe_work", None)  # None: a version that did not count it
        size = max(1, len(arts) // blocks)
        for b in range(0, len(arts), size):
            block = arts[b : b + size]
            before, cpu0, link0 = dict(work or {}), time.process_time(), link_cpu[0]
            for a in block:
                ar.upsert_batched(a)
                if ar.batch_size() >= 50:
                    ar.commit_batch()
            ar.commit_batch()
            n = len(block)
            rows.append({
                "archived_before": b, "articles": n,
                "store_cpu_ms": round(1000 * (time.process_time() - cpu0) / n, 3),
                "dedupe_cpu_ms": round(1000 * (link_cpu[0] - link0) / n, 3),
                **{f"{k}_per_article": round((work[k] - before.get(k, 0)) / n, 1)
                   if work is not None else "n/a" for k in ("rows", "unpacked", "reshingled")},
            })  # fmt: skip
        conn = ar.db.conn
        links = dict(conn.execute("select url, duplicate_of from articles").fetchall())
        body = conn.execute("select sum(length(cast(body as blob))) from articles").fetchone()
        sets = (conn.execute("select sum(length(shingles) + length(sketch)), count(*)"
                             " from shingle_sets").fetchone()
                if ar.db["shingle_sets"].exists() else (0, 0))  # fmt: skip
    storage = {"shingle_set_bytes_per_article": round((sets[0] or 0) / max(sets[1], 1)),
               "body_bytes_per_article": round(body[0] / max(len(arts), 1)),
               "linked": sum(1 for v in links.values() if v), "links": links}  # fmt: skip
    return rows, storage


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=9)
    parser.add_argument("--blocks", type=int, default=4, help="report per this many blocks")
    parser.add_argument("--mirrors", default="normal,template")
    parser.add_argument("--links", type=Path, help="write every duplicate_of here (JSON)")
    args = parser.parse_args(argv)
    print(f"code {common.machine()['commit']}", flush=True)
    all_links = {}
    for kind in args.mirrors.split(","):
        rows, storage = measure(kind, args.articles, args.seed, args.blocks)
        all_links[kind] = storage.pop("links")
        print(f"\n{kind} mirror texts: {json.dumps(storage)}")
        print(common.md_table(list(rows[0]), [list(r.values()) for r in rows]), flush=True)
    if args.links:
        args.links.write_text(json.dumps(all_links, sort_keys=True, indent=0))
    return 0


if __name__ == "__main__":
    sys.exit(main())
