"""Eval gate: fail when extraction quality drops below agreed floors.

    .venv/bin/python benchmarks/eval_gate.py [--eval-dir ../shared/eval]

Runs ``score.py --cmd "<venv>/bin/newsarchive extract"`` over score.py's default sets
(cwced, readability_zh, trafilatura_zh) and, separately, over portals_zh (modern portal
templates with full metadata annotations), parses each summary line and exits 1 if a
metric is below its floor (or above its ceiling). Exits 0 with "eval gate: skipped
(../shared/eval absent)" when the eval folder is missing; portals_zh is skipped alone
when only it is missing.

Floors sit about 0.02 under what the extractor reached when they were set (see git log),
so noise does not fail the gate but a real regression does.
"""

from __future__ import annotations

import argparse
import json
import re
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

#: Minimum values (strict rates from score.py's summary line).
FLOORS: dict[str, float] = {
    "body_f1": 0.94,
    "body_f1_2010": 0.935,  # pages whose truth has a year >= 2010 (see body_f1_2010())
    "with": 0.90,
    "without": 0.98,
    "title": 0.97,
    "date": 0.95,
    "time": 0.96,
    "author": 0.86,
    "source": 0.98,
    "editor": 0.98,
}
#: Maximum values.
CEILINGS: dict[str, float] = {
    "spurious": 0.03,
    "errors": 0,
}
#: Floors and ceilings of portals_zh alone (set at title .951, date/time 1.000, with .963,
#: without .930, author .909, source .946, editor 1.000, spurious .024).
PORTALS_FLOORS: dict[str, float] = {
    "with": 0.94,
    "without": 0.90,
    "title": 0.93,
    "date": 0.97,
    "time": 0.97,
    "author": 0.88,
    "source": 0.92,
    "editor": 0.97,
}
PORTALS_CEILINGS: dict[str, float] = {
    "spurious": 0.05,
    "errors": 0,
}

ROOT = Path(__file__).resolve().parent.parent
NEWSARCHIVE = ROOT / ".venv" / "bin" / "newsarchive"


def parse_summary(line: str) -> dict[str, float | None]:
    out: dict[str, float | None] = {}
    for key, val in re.findall(r"(\w+)=(\S+)", line):
        try:
            out[key] = float(val)
        except ValueError:
            out[key] = None  # "na"
    return out


_YEAR_RE = re.compile(r"(?<!\d)((?:19|20)\d\d)(?!\d)")
#: Truth keys that are not provenance (their years say nothing about the page's age).
_NOT_PROVENANCE = {"body", "title", "with", "without", "author", "source", "editor", "notes",
                   "title_alt", "author_alt", "source_alt", "editor_alt"}


def body_f1_2010(report: dict) -> float | None:
    """Mean body F1 over the pages whose truth JSON has a year >= 2010 in published_at or
    its provenance keys (url, orig_path, ...): the modern pages."""
    scores = []
    for page in report.get("pages", []):
        f1 = (page.get("scores") or {}).get("body_F1")
        if f1 is None:
            continue
        try:
            truth = json.loads(Path(page["file"]).with_suffix(".json").read_text("utf-8"))
        except (OSError, ValueError, KeyError):
            continue
        prov = " ".join(str(v) for k, v in truth.items() if k not in _NOT_PROVENANCE)
        years = [int(y) for y in _YEAR_RE.findall(prov)]
        if years and max(years) >= 2010:
            scores.append(f1)
    return sum(scores) / len(scores) if scores else None


def check(metrics: dict[str, float | None], floors: dict[str, float] | None = None,
          ceilings: dict[str, float] | None = None) -> list[str]:
    floors = FLOORS if floors is None else floors
    ceilings = CEILINGS if ceilings is None else ceilings
    failures = []
    for key, floor in floors.items():
        v = metrics.get(key)
        if v is None:
            failures.append(f"{key}: missing (floor {floor})")
        elif v < floor:
            failures.append(f"{key}={v:.3f} < floor {floor}")
    for key, ceiling in ceilings.items():
        v = metrics.get(key)
        if v is None:
            failures.append(f"{key}: missing (ceiling {ceiling})")
        elif v > ceiling:
            failures.append(f"{key}={v:g} > ceiling {ceiling}")
    return failures


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--eval-dir", type=Path, default=ROOT.parent / "shared" / "eval")
    ap.add_argument("--cmd", default=f"{shlex.quote(str(NEWSARCHIVE))} extract",
                    help="extractor command (default: <venv>/bin/newsarchive extract)")
    args = ap.parse_args(argv)
    score = args.eval_dir / "score.py"
    if not score.exists():
        print("eval gate: skipped (../shared/eval absent)")
        return 0
    failures: list[str] = []
    for name, sets, floors, ceilings in (
        ("default sets", None, FLOORS, CEILINGS),
        ("portals_zh", "portals_zh", PORTALS_FLOORS, PORTALS_CEILINGS),
    ):
        if sets and not (args.eval_dir / sets).is_dir():
            print(f"eval gate: {name} skipped ({args.eval_dir / sets} absent)")
            continue
        ran = _run(score, args.cmd, sets)
        if ran is None:
            return 1
        line, report = ran
        print(f"{name}: {line}")
        metrics = parse_summary(line)
        if sets is None:
            metrics["body_f1_2010"] = body_f1_2010(report)
            if metrics["body_f1_2010"] is not None:
                print(f"body_f1 on 2010+ pages: {metrics['body_f1_2010']:.3f}")
        failures += [f"{name}: {f}" for f in check(metrics, floors, ceilings)]
    if failures:
        print("eval gate: FAILED\n  " + "\n  ".join(failures))
        return 1
    print("eval gate: passed")
    return 0


def _run(score: Path, cmd: str, sets: str | None) -> tuple[str, dict] | None:
    """score.py's summary line and report over ``sets`` (None: its default sets)."""
    with tempfile.TemporaryDirectory() as tmp:
        report_path = Path(tmp) / "report.json"
        argv = [sys.executable, str(score), "--cmd", cmd, "--report", str(report_path)]
        if sets:
            argv += ["--sets", sets]
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=3600)
        try:
            report = json.loads(report_path.read_text("utf-8"))
        except (OSError, ValueError):
            report = {}
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("summary ")]
    if proc.returncode != 0 or not lines:
        print(f"eval gate: score.py failed (exit {proc.returncode})\n{proc.stderr[-2000:]}")
        return None
    return lines[-1], report


if __name__ == "__main__":
    sys.exit(main())
