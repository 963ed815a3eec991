"""Run every benchmark, or a smoke-sized pass of each for CI.

    .venv/bin/python -m benchmarks.run_all            # the reported sizes (make bench)
    .venv/bin/python -m benchmarks.run_all --smoke    # seconds: tiny mirror, 1 pair, no nginx

Full runs write Markdown reports to ``benchmarks/results/{crawl,memory,archive}.md``
(summarised by hand in ``benchmarks/RESULTS.md``) and raw JSON to ``benchmarks/out/``.
The extraction and search benchmarks (``bench_extract.py``, ``bench_search.py``, owned
by their authors) run too when present, with their own defaults (``--smoke`` passes
``--smoke`` to them when they accept it).

``--smoke`` exercises the same code on a 30-article mirror served by Python's
http.server, one pair, a 40-page memory crawl and 40 archive inserts per variant, and writes
everything under ``benchmarks/out/smoke/`` (``--out`` to change it). It asserts no
timing; it fails only if a benchmark cannot run.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

from benchmarks import common  # noqa: E402


def run(cmd: list[str]) -> int:
    print("$ " + " ".join(cmd), flush=True)
    return subprocess.run(cmd, cwd=common.ROOT).returncode


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--out", type=Path, help="work folder (default benchmarks/out[/smoke])")
    parser.add_argument("--only", choices=("crawl", "memory", "archive", "others"), action="append")
    args = parser.parse_args(argv)
    py = common.python()
    only = set(args.only or ("crawl", "memory", "archive", "others"))
    out = args.out or (common.OUT / "smoke" if args.smoke else common.OUT)
    reports = out if args.smoke else HERE / "results"
    sizes = (
        {"crawl": ["--articles", "30", "--pairs", "1", "--server", "python"],
         "memory": ["--pages", "40", "--server", "python"],
         "archive": ["--articles", "40"]}
        if args.smoke else
        {"crawl": ["--articles", "2000", "--pairs", "3", "--profile", "cprofile"],
         "memory": ["--pages", "20000"],
         "archive": ["--articles", "5000"]}
    )  # fmt: skip
    failed = []
    for name in ("crawl", "memory", "archive"):
        if name not in only:
            continue
        cmd = [py, "-m", f"benchmarks.bench_{name}", *sizes[name], "--out", str(out),
               "--report", str(reports / f"{name}.md"),
               "--json", str(out / f"{name}-results.json")]  # fmt: skip
        if run(cmd) != 0:
            failed.append(name)
    if "others" in only:
        for script in ("bench_extract", "bench_search", "bench_reextract"):
            if not (HERE / f"{script}.py").exists():
                continue
            module = ["-m", f"benchmarks.{script}"]
            extra: list[str] = []
            if args.smoke:
                helptext = subprocess.run([py, *module, "--help"], capture_output=True,
                                          text=True, cwd=common.ROOT).stdout  # fmt: skip
                if "--smoke" not in helptext:
                    continue
                extra = ["--smoke"]
            if run([py, *module, *extra]) != 0:
                failed.append(script)
    summary = {"smoke": args.smoke, "out": str(out), "failed": failed}
    common.write_json(out / "run_all.json", summary)
    print(json.dumps(summary))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
