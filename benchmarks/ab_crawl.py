"""A/B of two checkouts of newsarchive: the same full crawl, alternated, in one run.

    git worktree add /tmp/nb-base 99febff          # the version to compare against
    cp crawler/*.so /tmp/nb-base/crawler/          # its C extensions (or build them there)
    .venv/bin/python -m benchmarks.ab_crawl --base /tmp/nb-base --pairs 4

Serves the crawl mirror (:mod:`mirror`, 2,000 articles by default) with nginx as
``bench_crawl.py`` does, then runs ``python -m crawler crawl`` from each checkout in turn
(``cd`` into it, ``PYTHONPATH`` = it, this venv's Python), alternating which goes first,
each into a fresh archive. Prints pages/s over Scrapy's crawl phase and CPU ms per page
(crawl process and extraction workers) per run, their medians, and the ratio new/base of
the medians and per pair. Noisy machines: read the ratio, not the absolute figures.
Nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import shlex
import sqlite3
import statistics
import sys
from pathlib import Path

from benchmarks import common, mirror
from benchmarks.bench_crawl import full_cmd


def crawl_once(where: Path, profiles: list[Path], server: common.Server, work: Path,
               tag: str, env: dict[str, str] | None = None) -> dict[str, float]:  # fmt: skip
    db, log = work / f"ab-{tag}.db", work / f"ab-{tag}.log"
    for p in (db, Path(f"{db}-wal"), Path(f"{db}-shm"), log):
        p.unlink(missing_ok=True)
    cmd = full_cmd(profiles, db, log)
    cmd[: len(common.newsarchive_cmd())] = [common.python(), "-m", "crawler"]
    shell = ["bash", "-c", f"cd {shlex.quote(str(where))} && exec {shlex.join(cmd)}"]
    before = server.requests()
    run = common.run_measured(shell, env={"PYTHONPATH": str(where), **(env or {})})
    pages = max(server.requests() - before, 1)
    elapsed = common.scrapy_stats(log).get("elapsed_time_seconds") or run.wall_s
    with sqlite3.connect(db) as conn:
        archived = conn.execute("select count(*) from articles").fetchone()[0]
    return {"pages_per_s": pages / elapsed, "cpu_ms": 1000 * run.cpu_s / pages,
            "crawl_ms": 1000 * (run.cpu_s - run.children_cpu_s) / pages,
            "worker_ms": 1000 * run.children_cpu_s / pages, "archived": archived,
            "returncode": run.returncode}  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", type=Path, required=True, help="checkout to compare against")
    parser.add_argument("--new", type=Path, default=common.ROOT, help="default: this checkout")
    parser.add_argument("--new-env", action="append", default=[], metavar="NAME=VALUE",
                        help="an environment variable for the new runs only (repeatable): "
                        "A/B one switch of the same checkout with --base .")  # fmt: skip
    parser.add_argument("--pairs", type=int, default=4)
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=9)
    parser.add_argument("--server", choices=("nginx", "python"), default="nginx")
    parser.add_argument("--kind", choices=mirror.KINDS, default="normal", help="which mirror")
    args = parser.parse_args(argv)
    new_env = dict(item.partition("=")[::2] for item in args.new_env)
    work = common.OUT / "ab"
    work.mkdir(parents=True, exist_ok=True)
    suffix = "" if args.kind == "normal" else f"-{args.kind}"
    mdir = common.OUT / f"mirror{suffix}-{args.articles}-{args.seed}"
    mirror.ensure_mirror(mdir, args.articles, args.seed, args.kind)
    runs: dict[str, list[dict[str, float]]] = {"base": [], "new": []}
    with common.serve(mdir, work / "server", args.server, True) as server:
        profiles = mirror.profiles(server.url, work / "profiles")
        for i in range(args.pairs):
            for tag in ("base", "new") if i % 2 == 0 else ("new", "base"):
                where = (args.base if tag == "base" else args.new).resolve()
                env = new_env if tag == "new" else None
                r = crawl_once(where, profiles, server, work, tag, env)
                runs[tag].append(r)
                print(f"{tag} #{i}: " + ", ".join(f"{k} {v:.2f}" for k, v in r.items()),
                      flush=True)  # fmt: skip
    for tag, rs in runs.items():
        med = {k: round(statistics.median(r[k] for r in rs), 2)
               for k in ("pages_per_s", "cpu_ms", "crawl_ms", "worker_ms")}  # fmt: skip
        print(f"{tag} medians: {med}")
    if args.pairs:
        ratio = statistics.median(r["pages_per_s"] for r in runs["new"]) / statistics.median(
            r["pages_per_s"] for r in runs["base"])  # fmt: skip
        pairs = [round(n["pages_per_s"] / b["pages_per_s"], 3)
                 for n, b in zip(runs["new"], runs["base"], strict=True)]  # fmt: skip
        print(f"new/base, pages/s: {ratio:.3f} (medians); per pair {pairs}")
    return 0 if all(r["returncode"] in (0, 1) for rs in runs.values() for r in rs) else 1


if __name__ == "__main__":
    sys.exit(main())
