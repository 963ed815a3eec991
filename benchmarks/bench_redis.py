"""Distributed crawl throughput: 1 vs 2 workers on one Redis frontier, and the ingest rate.

    .venv/bin/python -m benchmarks.bench_redis [--articles 600] [--out benchmarks/out/redis]

Serves the benchmark mirror (``mirror.py``: two portals, ~90 KB article pages) on
127.0.0.1 (nginx when installed, else Python's http.server), starts a private
``redis-server`` on a free port, and for 1 and 2 workers: seeds a fresh archive, runs the
workers and one ingest at once, and reports pages fetched per second of the workers'
wall time (the idle wait before they stop subtracted). Then it measures ingest alone:
two workers fill Redis with every article first, and ``ingest`` drains it (items/s).
Writes ``benchmarks/results/redis.md`` and ``OUT/redis.json``.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
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
            for n in (1, 2):
                rows.append(run_workers(n, profs, db, url, work, True, server))
                print(json.dumps(rows[-1], ensure_ascii=False), flush=True)
            # ingest alone: fill Redis first, then drain it
            fill = run_workers(2, profs, db, url, work, False, server)
            done = subprocess.run(na("ingest", "--db", str(db), "--redis", url),
                                  capture_output=True, text=True, cwd=ROOT)  # fmt: skip
            match = re.search(r"ingested (\d+) records \((\d+)/s\)", done.stdout)
            ingest = {"records": int(match.group(1)), "items_per_s": int(match.group(2))} \
                if match else {"error": done.stdout + done.stderr}  # fmt: skip
            print(json.dumps({"fill": fill, "ingest": ingest}), flush=True)
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
        "(batches of 200 in one transaction each: dedupe fingerprints, raw page, search "
        "index).\n\n"
        "Both workers and ingest share the same CPUs here, so a second worker on the same "
        "2-CPU machine mostly competes for CPU (extraction is CPU-bound); on separate "
        "machines the workers scale with their CPUs and ingest is the limit.\n",
        encoding="utf-8",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
