"""Memory: peak RSS of a long ``newsarchive crawl``, and RSS as the page count grows.

    .venv/bin/python -m benchmarks.bench_memory                    # 20,000 pages
    .venv/bin/python -m benchmarks.bench_memory --pages 600 --server python

One full crawl (same command and settings as ``bench_crawl.py``) of a mirror with at
least ``--pages`` pages (articles + list pages) into a fresh archive. While it runs, the
crawl process's VmRSS, plus that of its extraction worker processes
(``/proc/PID/status``), is sampled every 0.25 s together with the
number of requests the server has answered (its access log), which gives RSS at 5k,
10k and 20k pages (or at quarters of a smaller run); the peak is the process's
``ru_maxrss``. Growth is reported as MB per 1,000 pages between the first checkpoint and
the end. Nothing here asserts a size.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
from pathlib import Path

from benchmarks import common, mirror  # noqa: E402
from benchmarks.bench_crawl import full_cmd  # noqa: E402


def checkpoints_for(pages: int) -> list[int]:
    if pages >= 20000:
        return [5000, 10000, 15000, 20000]
    return [max(1, pages * k // 4) for k in (1, 2, 3, 4)]


def rss_at(samples: list[tuple[float, int, float]], n: int,
           total: int) -> tuple[float, int] | None:  # fmt: skip
    """RSS (MB) of the first sample taken once ``n`` requests were answered.

    A sample taken after the last request (``total``) is from the crawl's shutdown, when
    the extraction workers are already exiting; the last sample before it stands in.
    """
    before = None
    for _t, reqs, rss in samples:
        if reqs >= n:
            if reqs >= total and before is not None:
                return before
            return rss, reqs
        if rss > 0:
            before = (rss, reqs)
    return before if n <= total else None  # the crawl ended before another sample


def report_md(res: dict) -> str:
    points = res["checkpoints"]
    return "\n".join([
        "# Memory: RSS of one long full crawl",
        "",
        f"Date {res['machine']['date']}; nproc {res['machine']['nproc']}; CPU "
        f"{res['machine']['cpu']}; code {res['machine']['commit']}. Server: {res['server']}.",
        "",
        "Command: `" + res["command"] + "`",
        "",
        f"{res['pages']} pages fetched, {res['archived']} articles archived, exit code "
        f"{res['returncode']}, {res['wall_s']} s wall, {res['cpu_s']} s CPU, "
        f"{res['processes']} processes. **Peak RSS {res['peak_rss_mb']} MB** (crawl process "
        "+ extraction workers, sampled every 0.25 s; largest single process "
        f"{res['peak_rss_largest_process_mb']} MB by ru_maxrss); growth between the first "
        f"and last checkpoint {res['growth_mb_per_1k_pages']} MB per 1,000 pages.",
        "",
        common.md_table(["pages fetched", "at request", "VmRSS MB (process tree)"],
                        [[p["pages"], p["at_requests"], p["rss_mb"]] for p in points]),
    ]) + "\n"  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=20000, help="pages to crawl (at least)")
    parser.add_argument("--seed", type=int, default=9)
    parser.add_argument("-s", dest="setting", action="append", default=[], metavar="NAME=VALUE",
                        help="a setting for the crawl (repeatable), e.g. "
                        "-s NEWSARCHIVE_GC_THRESHOLD=0")  # fmt: skip
    parser.add_argument("--server", choices=("nginx", "python"), default="nginx")
    parser.add_argument("--no-install", action="store_true")
    parser.add_argument("--out", type=Path, default=common.OUT)
    parser.add_argument("--report", type=Path)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)

    articles = -(-args.pages * mirror.PER_LIST // (mirror.PER_LIST + 1))
    work = args.out / "memory"
    work.mkdir(parents=True, exist_ok=True)
    mdir = args.out / f"mirror-{articles}-{args.seed}"
    print(f"mirror: {mdir} ({articles} articles)", flush=True)
    manifest = mirror.ensure_mirror(mdir, articles, args.seed)
    db = work / "archive.db"
    for p in (db, Path(f"{db}-wal"), Path(f"{db}-shm")):
        p.unlink(missing_ok=True)
    res: dict = {"machine": common.machine(), "mirror": manifest}
    with common.serve(mdir, work / "server", args.server, not args.no_install) as server:
        res["server"] = server.kind
        profiles = mirror.profiles(server.url, work / "profiles")
        cmd = full_cmd(profiles, db, work / "crawl.log")
        for setting in args.setting:
            cmd[-2:-2] = ["-s", setting]  # before --log-file
        res["command"] = " ".join(cmd).replace(str(common.ROOT) + "/", "")
        print(f"server: {server.kind} at {server.url}; crawling", flush=True)
        run = common.run_measured(cmd, server=server, interval=0.25)
        server_pages = server.requests()
    with sqlite3.connect(db) as conn:
        archived = conn.execute("select count(*) from articles").fetchone()[0]
    pages = server_pages  # the access log: Scrapy may dump its stats more than once
    points = []
    for n in checkpoints_for(pages):
        hit = rss_at(run.samples, n, pages)
        if hit:
            points.append({"pages": n, "at_requests": hit[1], "rss_mb": round(hit[0], 1)})
    growth = None
    if len(points) >= 2:
        a, b = points[0], points[-1]
        span = (b["at_requests"] - a["at_requests"]) / 1000
        growth = round((b["rss_mb"] - a["rss_mb"]) / span, 2) if span else None
    res.update(
        returncode=run.returncode, pages=pages, archived=archived, wall_s=round(run.wall_s, 1),
        cpu_s=round(run.cpu_s, 1), peak_rss_mb=round(run.peak_tree_rss_mb, 1),
        peak_rss_largest_process_mb=round(run.peak_rss_mb, 1), processes=run.processes,
        checkpoints=points,
        growth_mb_per_1k_pages=growth,
        max_sampled_rss_mb=round(max((s[2] for s in run.samples), default=0), 1),
        samples=[(round(t, 1), r, round(m, 1))
                 for t, r, m in run.samples[:: max(1, len(run.samples) // 200)]],
    )  # fmt: skip
    if run.returncode != 0:
        res["stderr"] = (run.stderr or run.stdout)[-2000:]
    common.publish(report_md(res), args.report, args.json or work / "results.json", res)
    if run.returncode != 0:
        print(f"crawl failed rc {run.returncode}: {res.get('stderr', '')}", file=sys.stderr)
    return 0 if run.returncode in (0, 1) else 1


if __name__ == "__main__":
    sys.exit(main())
