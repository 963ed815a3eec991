"""Extraction benchmark: quality (../shared/eval/score.py) and in-process speed.

    .venv/bin/python benchmarks/bench_extract.py            # full run, writes results/extract.md
    .venv/bin/python benchmarks/bench_extract.py --smoke    # CI: one small set, no timings judged

Quality: score.py runs newsarchive (the ``newsarchive extract`` CLI when installed, else an
in-repo adapter) and, when they are installed (dev-only: ``pip install trafilatura
readability-lxml gne``), trafilatura, readability-lxml and GNE through small adapters
(this file with ``--adapter NAME``), all in the same run over the same pages.

Speed: pages/s of newsarchive's ``extract()`` and of each other installed extractor
(trafilatura's ``bare_extraction(with_metadata=True, include_tables=True)``, readability's
``Document.summary()``, GNE's ``extract()``; the adapters of the quality run), each in a
fresh process over the eval pages (bytes already in memory, one warm-up pass), median of
``--rounds`` rounds, and newsarchive's speed ratio to each. score.py's own pages_per_s
includes interpreter start-up of each call.

Skips cleanly (exit 0) when the eval folder is absent.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import statistics
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = ROOT / ".venv" / "bin" / "python"
NEWSARCHIVE = ROOT / ".venv" / "bin" / "newsarchive"
RESULTS = ROOT / "benchmarks" / "results" / "extract.md"
SETS = ("cwced", "readability_zh", "trafilatura_zh")
OTHERS = ("trafilatura", "readability", "gne")


# --------------------------------------------------------------------------- adapters


def _adapter(name: str, files: list[str]) -> int:
    """Print score.py JSON Lines for FILES with extractor NAME."""
    sys.path.insert(0, str(ROOT))
    for f in files:
        try:
            data = Path(f).read_bytes()
        except OSError:
            data = b""
        try:
            rec = _run_one(name, data)
        except Exception as exc:  # an extractor failing on a page is an empty prediction
            rec = {"error": repr(exc)[:200]}
        rec["file"] = f
        print(json.dumps(rec, ensure_ascii=False), flush=True)
    return 0


def _decode(data: bytes) -> str:
    from crawler.extract import decode_html

    return decode_html(data)[0]


def _run_one(name: str, data: bytes) -> dict:
    if name == "newsarchive":
        from crawler.extract import extract

        a = extract(data)
        return {k: getattr(a, k) for k in
                ("url", "title", "published_at", "source", "author", "editor", "body")}
    if name == "trafilatura":
        import trafilatura

        doc = trafilatura.bare_extraction(data, with_metadata=True, include_tables=True)
        if doc is None:
            return {}
        d = doc.as_dict() if hasattr(doc, "as_dict") else dict(doc)
        return {"title": d.get("title"), "published_at": d.get("date"),
                "author": d.get("author"), "body": d.get("text")}
    if name == "readability":
        from lxml import html as lhtml
        from readability import Document

        doc = Document(_decode(data))
        body = lhtml.fromstring(doc.summary(html_partial=True)).text_content()
        return {"title": doc.short_title(), "body": body}
    if name == "gne":
        from gne import GeneralNewsExtractor

        d = GeneralNewsExtractor().extract(_decode(data))
        return {"title": d.get("title"), "published_at": d.get("publish_time"),
                "author": d.get("author"), "body": d.get("content")}
    raise ValueError(name)


def _installed(name: str) -> bool:
    mod = {"trafilatura": "trafilatura", "readability": "readability", "gne": "gne"}[name]
    code = f"import {mod}"
    return subprocess.run([_python(), "-c", code], capture_output=True).returncode == 0


def _python() -> str:
    return str(PYTHON) if PYTHON.exists() else sys.executable


# --------------------------------------------------------------------------- quality


def score(eval_dir: Path, cmd: str, sets: tuple[str, ...]) -> tuple[str, str, float | None]:
    """Run score.py; returns (table, summary line, body F1 on the 2010+ pages)."""
    try:
        from benchmarks.eval_gate import body_f1_2010
    except ImportError:  # run as a script: benchmarks/ is sys.path[0]
        from eval_gate import body_f1_2010  # type: ignore[no-redef]

    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        proc = subprocess.run(
            [sys.executable, str(eval_dir / "score.py"), "--cmd", cmd, "--sets", ",".join(sets),
             "--report", str(report)],
            capture_output=True, text=True, timeout=3600,
        )
        try:
            f1_2010 = body_f1_2010(json.loads(report.read_text("utf-8")))
        except (OSError, ValueError):
            f1_2010 = None
    lines = proc.stdout.strip().splitlines()
    summary = next((ln for ln in reversed(lines) if ln.startswith("summary ")), "summary (none)")
    table = "\n".join(ln for ln in lines if ln and not ln.startswith("summary "))
    return table, summary, f1_2010


def newsarchive_cmd() -> str:
    if NEWSARCHIVE.exists():
        return f"{shlex.quote(str(NEWSARCHIVE))} extract"
    return f"{shlex.quote(_python())} {shlex.quote(__file__)} --adapter newsarchive"


# --------------------------------------------------------------------------- speed


def _speed_code(name: str, files: list[str], rounds: int) -> str:
    # Each extractor through the same adapter the quality run uses (_run_one).
    return f"""
import json, statistics, sys, time
sys.path.insert(0, {str(ROOT)!r})
from benchmarks.bench_extract import _run_one
datas = [open(f, 'rb').read() for f in {files!r}]
fn = lambda d: _run_one({name!r}, d)
for d in datas:
    fn(d)
rates, cpu = [], []
for _ in range({rounds}):
    t = time.perf_counter()
    c = time.process_time()
    for d in datas:
        fn(d)
    cpu.append(len(datas) / (time.process_time() - c))
    rates.append(len(datas) / (time.perf_counter() - t))
print(json.dumps([rates, cpu]))
"""


def speed(name: str, files: list[str], rounds: int) -> tuple[list[float], list[float]]:
    """(wall-clock, CPU-time) pages/s per round, in a fresh process (so imports and caches do
    not mix). CPU time is what one process needs; wall time also counts waiting for a core
    on a loaded machine."""
    proc = subprocess.run([_python(), "-c", _speed_code(name, files, rounds)],
                          capture_output=True, text=True, timeout=3600)
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-2000:])
    return json.loads(proc.stdout.strip().splitlines()[-1])


# --------------------------------------------------------------------------- main


def _machine() -> str:
    cpu = platform.processor() or "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = ""
    if hasattr(os, "getloadavg"):
        load = f", load average {os.getloadavg()[0]:.2f}"
    return f"{cpu}, {os.cpu_count()} CPUs{load}, Python {platform.python_version()}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--eval-dir", type=Path, default=ROOT.parent / "shared" / "eval")
    ap.add_argument("--smoke", action="store_true", help="one small set, one round (CI)")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--out", type=Path, default=RESULTS)
    ap.add_argument("--adapter", help=argparse.SUPPRESS)
    ap.add_argument("files", nargs="*", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.adapter:
        return _adapter(args.adapter, args.files)

    eval_dir = args.eval_dir.resolve()
    if not (eval_dir / "score.py").exists():
        print(f"bench_extract: skipped ({eval_dir} absent)")
        return 0

    sets = ("trafilatura_zh",) if args.smoke else SETS
    rounds = 1 if args.smoke else max(3, args.rounds)
    files = sorted(str(p) for s in sets for p in (eval_dir / s).glob("*.html"))
    if args.smoke:
        files = files[:4]

    report = [
        "# Extraction benchmark",
        "",
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {_machine()}.",
        f"Eval set: `{eval_dir}` ({', '.join(sets)}; {len(files)} pages for speed).",
        "Command: `.venv/bin/python benchmarks/bench_extract.py"
        + (" --smoke`" if args.smoke else "`"),
        "",
        "## Quality (score.py, strict rates)",
        "",
    ]
    extractors = [("newsarchive", newsarchive_cmd())]
    if not args.smoke:
        for name in OTHERS:
            if _installed(name):
                extractors.append(
                    (name, f"{shlex.quote(_python())} {shlex.quote(__file__)} --adapter {name}")
                )
            else:
                report.append(f"- {name}: not installed, skipped")
    summaries = []
    for name, cmd in extractors:
        table, summary, f1_2010 = score(eval_dir, cmd, sets)
        print(f"{name}: {summary}", flush=True)
        if f1_2010 is not None:
            print(f"{name}: body F1 on 2010+ pages {f1_2010:.3f}", flush=True)
        summaries.append((name, summary, table, f1_2010))
    report += ["| extractor | summary | body F1, 2010+ pages |", "|---|---|---|"]
    report += [f"| {n} | `{s}` | {'na' if f is None else f'{f:.3f}'} |"
               for n, s, _, f in summaries]
    report += ["", "2010+ pages: truth JSON with a year >= 2010 in published_at or provenance "
               "(`benchmarks/eval_gate.py`, `body_f1_2010`).",
               "", "### newsarchive per set", "", "```", summaries[0][2], "```", ""]

    report += ["## Speed (in process, pages/s)", ""]
    rates = {"newsarchive": speed("newsarchive", files, rounds)}
    for name in OTHERS:
        if _installed(name):
            rates[name] = speed(name, files, rounds)
    report += ["Each extractor runs in a fresh process, one after the other, through the "
               "adapter the quality run uses, bytes in memory, one warm-up pass; wall = "
               "elapsed time, CPU = process time (the machine is shared, so wall time "
               "includes waiting for a core).", "",
               "| extractor | median pages/s (wall) | median pages/s (CPU) | rounds (wall) |",
               "|---|---|---|---|"]
    for name, (wall, cpu) in rates.items():
        report.append(f"| {name} | {statistics.median(wall):.1f} | {statistics.median(cpu):.1f} | "
                      + ", ".join(f"{x:.1f}" for x in wall) + " |")
        print(f"{name}: median {statistics.median(wall):.1f} pages/s wall, "
              f"{statistics.median(cpu):.1f} pages/s CPU over {len(wall)} rounds")
    if len(rates) > 1:
        report += ["", "| speed ratio | wall | CPU |", "|---|---|---|"]
    for name in [n for n in rates if n != "newsarchive"]:
        ratio = (statistics.median(rates["newsarchive"][0])
                 / statistics.median(rates[name][0]))
        ratio_cpu = (statistics.median(rates["newsarchive"][1])
                     / statistics.median(rates[name][1]))
        report.append(f"| newsarchive / {name} | **{ratio:.2f}x** | **{ratio_cpu:.2f}x** |")
        print(f"ratio newsarchive/{name}: {ratio:.2f}x wall, {ratio_cpu:.2f}x CPU")
    report.append("")
    if not args.smoke or args.out != RESULTS:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text("\n".join(report), encoding="utf-8")
        print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
