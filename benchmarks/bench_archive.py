"""Archive: insert rate of ``Archive.upsert_article`` and database bytes per article.

    .venv/bin/python -m benchmarks.bench_archive                  # 10,000 articles
    .venv/bin/python -m benchmarks.bench_archive --articles 200   # smoke size

Articles come from the crawl mirror's generator (:mod:`mirror`, seeded): the title, time,
来源/作者/编辑 and paragraphs of each generated article page, and the page itself (~90 KB
of HTML, UTF-8 or GBK) as the raw response. They are generated in batches outside the
timed part; each article is then stored with one ``Archive.upsert_article`` call, one
transaction each (a crawl's store pipeline batches them: see the third variant).
Variants, each into a fresh archive file:

* ``article``: the article alone (``Article.page`` unset);
* ``article+page``: with the raw response attached, as the portal spider sends it (when
  ``crawler.items.RawPage`` exists);
* ``article+page, 50 per commit``: the same through ``Archive.upsert_batched`` with a
  commit every 50 articles, as ``pipelines/store.py`` stores during a crawl (the
  commit's time is counted in the 50th article's);
* ``article, synchronous=NORMAL``: the first variant with ``PRAGMA synchronous=NORMAL``
  set on the archive's connection, to show what the per-commit fsync costs;
* ``article, no duplicate check``: the first variant with ``Archive._link_duplicate``
  (the syndicated-copy check) replaced by a no-op, to show what it costs. Diagnostic
  only: the archive this writes has no fingerprints.

Bytes per article come from SQLite's ``dbstat`` table after a WAL checkpoint: the file,
and per object (the ``articles`` rows, its indexes, the full-text index, stored pages,
fingerprints, the rest). The report says which of these tables the archive had. Nothing
here asserts a time.
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import sys
import time
from pathlib import Path

from benchmarks import common, mirror  # noqa: E402

BATCH = 250


def articles(n: int, seed: int, with_page: bool):
    """Yield batches of ``Article`` objects (with ``RawPage`` when asked and available)."""
    from crawler import items

    raw_page = getattr(items, "RawPage", None) if with_page else None
    per_site = (n - n // 2, n // 2)
    sources = []
    for site, count in zip(mirror.SITES, per_site, strict=True):
        entries = mirror.entries_of(site, count, seed)
        sources.append((site, mirror.template(site, seed), entries))
    order = []
    for i in range(max(per_site)):
        for k, (_s, _t, entries) in enumerate(sources):
            if i < len(entries):
                order.append((k, i))
    batch = []
    for k, i in order:
        site, tpl, entries = sources[k]
        e = entries[i]
        f, _rng = mirror.article_fields(site, e, seed)
        url = f"http://127.0.0.1:8000{e.path}"
        art = items.Article(url=url, site=site.name, title=f["title"],
                            published_at=f["published_at"], source=f["source"],
                            author=f["author"], editor=f["editor"], body=f["body"],
                            fetched_at="2024-07-01T00:00:00Z")  # fmt: skip
        if raw_page is not None:
            html = mirror.article_page(site, tpl, e, entries, seed).encode(site.encoding)
            known = {"url": url, "final_url": url, "status": 200, "site": site.name,
                     "headers": {"Content-Type": "text/html"}, "body": html,
                     "fetched_at": "2024-07-01T00:00:00Z"}  # fmt: skip
            names = [f.name for f in dataclasses.fields(raw_page)]
            art.page = raw_page(**{k: v for k, v in known.items() if k in names})
        batch.append(art)
        if len(batch) >= BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _group(name: str, tbl: str) -> str:
    if "fts" in name.lower() or "fts" in tbl.lower():
        return "full-text index"
    if tbl == "articles":
        return "articles rows" if name == "articles" else "articles indexes"
    if tbl == "pages":
        return "raw pages (+ index)"
    if tbl == "fingerprints":
        return "fingerprints (+ indexes)"
    return "other tables"


def sizes(path: Path) -> dict:
    import sqlite3

    conn = sqlite3.connect(path)
    try:
        conn.execute("pragma wal_checkpoint(TRUNCATE)")
        owners = {r[0]: r[1] for r in conn.execute("select name, tbl_name from sqlite_master")}
        groups: dict[str, int] = {}
        for name, size in conn.execute("select name, sum(pgsize) from dbstat group by name"):
            g = _group(name, owners.get(name, name))
            groups[g] = groups.get(g, 0) + int(size)
        tables = [r[0] for r in conn.execute(
            "select name from sqlite_master where type = 'table' order by name")]  # fmt: skip
        sql = "select name from sqlite_master where sql like '%virtual table%using fts%'"
        fts = [r[0] for r in conn.execute(sql)]
        rows = {t: conn.execute(f'select count(*) from "{t}"').fetchone()[0]
                for t in ("articles", "pages", "fingerprints") if t in tables}  # fmt: skip
    finally:
        conn.close()
    wal = Path(f"{path}-wal")
    return {"file_bytes": path.stat().st_size + (wal.stat().st_size if wal.exists() else 0),
            "groups": groups, "tables": tables, "fts_tables": fts, "rows": rows}  # fmt: skip


def run_variant(label: str, path: Path, n: int, seed: int, with_page: bool, sync_normal: bool,
                no_dedupe: bool = False, per_commit: int = 1) -> dict:  # fmt: skip
    from crawler.archive import Archive

    for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        p.unlink(missing_ok=True)
    archive = Archive(path)
    if no_dedupe:  # diagnostic only: what the syndicated-copy check costs per insert
        archive._link_duplicate = lambda url, body, mine=None: None  # type: ignore[method-assign]
    if sync_normal:
        archive.db.conn.execute("pragma synchronous = NORMAL")
    crawl_id = archive.start_crawl(["bench-xf", "bench-zl"])
    timed = 0.0
    lat: list[float] = []
    outcomes: dict[str, int] = {}
    has_page = False
    for batch in articles(n, seed, with_page):
        for art in batch:
            has_page = has_page or getattr(art, "page", None) is not None
            t0 = time.perf_counter()
            if per_commit > 1:  # as the crawl's store pipeline does (NEWSARCHIVE_COMMIT_ITEMS)
                outcome = archive.upsert_batched(art, crawl_id)
                if archive.batch_size() >= per_commit:
                    archive.commit_batch()
            else:
                outcome = archive.upsert_article(art, crawl_id)
            dt = time.perf_counter() - t0
            timed += dt
            lat.append(dt)
            outcomes[outcome] = outcomes.get(outcome, 0) + 1
    archive.close()
    sz = sizes(path)
    tenth = max(1, len(lat) // 10)
    first_ms = 1000 * statistics.median(lat[:tenth])
    last_ms = 1000 * statistics.median(lat[-tenth:])
    lat.sort()
    res = {
        "variant": label, "articles": n, "raw_page_attached": has_page,
        "seconds": round(timed, 2), "articles_per_s": round(n / timed, 1) if timed else 0.0,
        "median_ms": round(1000 * statistics.median(lat), 2),
        "p99_ms": round(1000 * lat[min(len(lat) - 1, int(0.99 * len(lat)))], 2),
        "first_tenth_median_ms": round(first_ms, 2), "last_tenth_median_ms": round(last_ms, 2),
        "outcomes": outcomes, "file_bytes_per_article": round(sz["file_bytes"] / n),
        "bytes_per_article": {g: round(b / n) for g, b in sorted(sz["groups"].items())},
        "tables": sz["tables"], "fts_tables": sz["fts_tables"], "rows": sz["rows"],
    }  # fmt: skip
    print(f"  {label}: {res['articles_per_s']} articles/s, median {res['median_ms']} ms, "
          f"{res['file_bytes_per_article']} file bytes/article", flush=True)  # fmt: skip
    return res


def report_md(res: dict) -> str:
    vs = res["variants"]
    groups = sorted({g for v in vs for g in v["bytes_per_article"]})
    fts = vs[0]["fts_tables"]
    lines = [
        "# Archive: insert rate and bytes per article",
        "",
        f"Date {res['machine']['date']}; nproc {res['machine']['nproc']}; CPU "
        f"{res['machine']['cpu']}; code {res['machine']['commit']}.",
        "",
        "Command: `" + res["command"] + "`",
        "",
        f"Full-text index present: **{'yes (' + ', '.join(fts) + ')' if fts else 'no'}**. "
        f"Tables in the archive: {', '.join(vs[0]['tables'])}.",
        "",
        common.md_table(
            ["variant", "articles", "articles/s", "median ms", "p99 ms",
             "median ms, first 10%", "median ms, last 10%", "file bytes/article"],
            [[v["variant"], v["articles"], v["articles_per_s"], v["median_ms"], v["p99_ms"],
              v["first_tenth_median_ms"], v["last_tenth_median_ms"],
              v["file_bytes_per_article"]] for v in vs],
        ),  # fmt: skip
        "",
        "Bytes per article by object (dbstat, after a WAL checkpoint):",
        "",
        common.md_table(["variant", *groups],
                        [[v["variant"], *(v["bytes_per_article"].get(g, 0) for g in groups)]
                         for v in vs]),  # fmt: skip
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=10000)
    parser.add_argument("--seed", type=int, default=9)
    parser.add_argument("--out", type=Path, default=common.OUT)
    parser.add_argument("--report", type=Path)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    from crawler import items

    work = args.out / "archive"
    work.mkdir(parents=True, exist_ok=True)
    res: dict = {"machine": common.machine(), "variants": [],
                 "command": f".venv/bin/python -m benchmarks.bench_archive --articles "
                            f"{args.articles}"}  # fmt: skip
    from crawler.archive import Archive

    plan = [("article", False, False, False, 1)]
    if hasattr(items, "RawPage"):
        plan.append(("article+page", True, False, False, 1))
    if hasattr(Archive, "upsert_batched"):
        plan.append(("article+page, 50 per commit (as a crawl stores)", True, False, False, 50))
    plan.append(("article, synchronous=NORMAL", False, True, False, 1))
    if hasattr(Archive, "_link_duplicate"):
        plan.append(("article, no duplicate check (diagnostic)", False, False, True, 1))
    for i, (label, with_page, sync, no_dedupe, per_commit) in enumerate(plan):
        res["variants"].append(
            run_variant(label, work / f"archive-{i}.db", args.articles, args.seed, with_page,
                        sync, no_dedupe, per_commit)  # fmt: skip
        )
    common.publish(report_md(res), args.report, args.json or work / "results.json", res)
    return 0


if __name__ == "__main__":
    sys.exit(main())
