"""Distributed crawl throughput: 1 vs 2 workers on one Redis frontier, and the ingest rate.

    .venv/bin/python -m benchmarks.bench_redis [--articles 600] [--out benchmarks/out/redis]
    .venv/bin/python -m benchmarks.bench_redis --ingest-only --repeat 3   # ingest alone

Serves the benchmark mirror (``mirror.py``: two portals, ~90 KB article pages) on
127.0.0.1 (nginx when installed, else Python's http.server), starts a private
``redis-server`` on a free port, and for 1 and 2 workers: seeds a fresh archive, runs the
workers and one ingest at once, and reports pages fetched per second of the workers'
wall time (the idle wait before they stop subtracted). Then it measures ingest alone:
two workers fill Redis with every article first, and ``ingest`` drains it (items/s, CPU
per item); one more ``ingest`` on the drained queue gives its fixed start-up CPU.
Writes ``benchmarks/results/redis.md`` and ``OUT/redis.json``.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.common import (  # noqa: E402
    CRAWL_SETTINGS,
    OUT,
    ROOT,
    free_port,
    machine,
    md_table,
    newsarchive_cmd,
    run_measured,
    serve,
    setting_args,
)
from benchmarks.mirror import ensure_mirror, profiles  # noqa: E402

IDLE = 1.0
WORKER_SETTINGS = {**CRAWL_SETTINGS, "NEWSARCHIVE_IDLE_CLOSE": str(IDLE),
                   "NEWSARCHIVE_WORKER_TIMEOUT": "10"}  # fmt: skip


def start_redis(work: Path) -> tuple[subprocess.Popen, str]:
    exe = shutil.which("redis-server")
    if not exe:
        raise SystemExit("redis-server is not installed: apt-get install redis-server")
    port = free_port()
    proc = subprocess.Popen([exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no", "--dir", str(work)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    import redis

    client = redis.Redis(port=port)
    for _ in range(200):
        try:
            client.ping()
            break
        except redis.ConnectionError:
            time.sleep(0.05)
    return proc, f"redis://127.0.0.1:{port}/0"


def na(*args: str) -> list[str]:
    return [*newsarchive_cmd(), *args]


def run_workers(n: int, profs: list[str], db: Path, url: str, work: Path, ingest: bool,
                server: object) -> dict:  # fmt: skip
    db.unlink(missing_ok=True)
    subprocess.run(na("seed", *profs, "--db", str(db), "--redis", url), check=True,
                   capture_output=True, cwd=ROOT)  # fmt: skip
    before = server.requests()  # type: ignore[attr-defined]
    writer = None
    if ingest:
        writer = subprocess.Popen(na("ingest", "--db", str(db), "--redis", url),
                                  stdout=subprocess.PIPE, text=True, cwd=ROOT)  # fmt: skip
    t0 = time.monotonic()
    procs = [subprocess.Popen(na("crawl", *profs, "--db", str(db), "--redis", url,
                                 *setting_args(WORKER_SETTINGS), "--log-file",
                                 str(work / f"w{n}-{i}.log")),
                              stdout=subprocess.PIPE, text=True, cwd=ROOT)  # fmt: skip
             for i in range(n)]  # fmt: skip
    for p in procs:
        p.communicate()
    wall = time.monotonic() - t0 - IDLE
    pages = server.requests() - before  # type: ignore[attr-defined]
    out = {"workers": n, "pages": pages, "seconds": round(wall, 2),
           "pages_per_s": round(pages / wall, 1)}  # fmt: skip
    if writer is not None:
        text, _ = writer.communicate()
        out["ingest"] = text.strip()
        out["seconds_to_archived"] = round(time.monotonic() - t0, 2)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=600)
    parser.add_argument("--out", type=Path, default=OUT / "redis")
    parser.add_argument("--results", type=Path, default=ROOT / "benchmarks/results/redis.md")
    parser.add_argument("--ingest-only", action="store_true",
                        help="skip the 1- and 2-worker runs: fill Redis, measure ingest alone")
    parser.add_argument("--repeat", type=int, default=1, help="ingest-alone measurements")
    args = parser.parse_args(argv)
    work = args.out.resolve()
    work.mkdir(parents=True, exist_ok=True)
    mirror = ensure_mirror(OUT / f"mirror-{args.articles}-9", args.articles)
    redis_proc, url = start_redis(work)
    rows = []
    try:
        with serve(OUT / f"mirror-{args.articles}-9", work / "server", install=False) as server:
            profs = [str(p) for p in profiles(server.url, work / "profiles")]
            db = work / "archive.db"
            for n in () if args.ingest_only else (1, 2):
                rows.append(run_workers(n, profs, db, url, work, True, server))
                print(json.dumps(rows[-1], ensure_ascii=False), flush=True)
            # ingest alone: fill Redis first, then drain it (wall time and CPU time: the
            # machine may be shared, and CPU per item is what load changes least)
            ingests = []
            for _ in range(max(1, args.repeat)):
                fill = run_workers(2, profs, db, url, work, False, server)
                done = run_measured(na("ingest", "--db", str(db), "--redis", url))
                match = re.search(r"ingested (\d+) records \((\d+)/s\)", done.stdout)
                if not match:
                    ingests.append({"error": done.stdout + done.stderr})
                    break
                records = int(match.group(1))
                ingests.append({"records": records, "items_per_s": int(match.group(2)),
                                "cpu_ms_per_item": round(1000 * done.cpu_s / records, 2),
                                "items_per_cpu_s": round(records / done.cpu_s, 1),
                                "cpu_s": round(done.cpu_s, 3)})  # fmt: skip
                print(json.dumps({"fill": fill, "ingest": ingests[-1]}), flush=True)
            # the fixed cost of an ingest process (start, imports, archive open): one more
            # on the drained queue, to tell the CPU per item apart from it
            start_cpu = run_measured(na("ingest", "--db", str(db), "--redis", url,
                                        "--no-wait")).cpu_s  # fmt: skip
            for i in ingests:
                if "error" not in i:
                    i["cpu_ms_per_item_after_start"] = round(
                        1000 * (i["cpu_s"] - start_cpu) / i["records"], 2)
            good = [i for i in ingests if "error" not in i]
            ingest = ({k: statistics.median(i[k] for i in good) for k in good[0]}
                      if good else ingests[-1])  # fmt: skip
            ingest["runs"] = ingests
            ingest["start_cpu_s"] = round(start_cpu, 2)
            kind = server.kind
    finally:
        redis_proc.terminate()
        redis_proc.wait(timeout=10)
    result = {"machine": machine(), "server": kind, "mirror": mirror["pages"], "runs": rows,
              "ingest": ingest}  # fmt: skip
    (work / "redis.json").write_text(json.dumps(result, indent=2, ensure_ascii=False))
    m = result["machine"]
    table = md_table(
        ["workers", "pages", "seconds", "pages/s"],
        [[r["workers"], r["pages"], r["seconds"], r["pages_per_s"]] for r in rows],
    )
    args.results.write_text(
        "# Distributed crawl: 1 vs 2 workers on one Redis frontier, and ingest\n\n"
        f"`.venv/bin/python -m benchmarks.bench_redis --articles {args.articles}` on "
        f"{m.get('cpu', '?')} ({m.get('nproc', '?')} CPUs, load average "
        f"{m.get('loadavg_at_start', '?')} at start), served by {kind}, Redis "
        "from Debian's package on 127.0.0.1. Each run: a fresh archive, `seed`, the "
        "workers and one `ingest` at once; pages = requests the server logged; seconds = "
        f"the workers' wall time (process start included) minus the {IDLE:g} s idle wait "
        "before they stop.\n\n"
        f"{table}\n\n"
        f"Ingest alone (Redis pre-filled with {ingest.get('records', '?')} articles by two "
        f"workers, then `newsarchive ingest`): **{ingest.get('items_per_s', '?')} items/s** "
        f"of wall time, {ingest.get('cpu_ms_per_item', '?')} ms of CPU per item, i.e. "
        f"**{ingest.get('items_per_cpu_s', '?')} items per CPU second** (median of "
        f"{len(ingest.get('runs', []))}; the whole process: of it, "
        f"{ingest.get('start_cpu_s', '?')} s is the fixed cost of starting an ingest, "
        "measured on the drained queue, which leaves "
        f"{ingest.get('cpu_ms_per_item_after_start', '?')} ms per item). Batches of 200 in "
        "one transaction each; the records carry the workers' prepared data (stored page, "
        "duplicate-check fingerprint, search-index token buffers), so ingest does the SQL: "
        "duplicate check, raw page, search index.\n\n"
        "Both workers and ingest share the same CPUs here, so a second worker on the same "
        "2-CPU machine mostly competes for CPU (extraction is CPU-bound); on separate "
        "machines the workers scale with their CPUs and ingest is the limit.\n",
        encoding="utf-8",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
