"""Eval gate: fail when extraction quality drops below agreed floors.

    .venv/bin/python benchmarks/eval_gate.py [--eval-dir ../shared/eval]

Runs ``score.py --cmd "<venv>/bin/newsarchive extract"`` over all sets, parses the summary
line and exits 1 if a metric is below its floor (or above its ceiling). Exits 0 with
"eval gate: skipped (../shared/eval absent)" when the eval folder is missing.

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


def check(metrics: dict[str, float | None]) -> list[str]:
    failures = []
    for key, floor in FLOORS.items():
        v = metrics.get(key)
        if v is None:
            failures.append(f"{key}: missing (floor {floor})")
        elif v < floor:
            failures.append(f"{key}={v:.3f} < floor {floor}")
    for key, ceiling in CEILINGS.items():
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
    with tempfile.TemporaryDirectory() as tmp:
        report_path = Path(tmp) / "report.json"
        proc = subprocess.run([sys.executable, str(score), "--cmd", args.cmd,
                               "--report", str(report_path)],
                              capture_output=True, text=True, timeout=3600)
        try:
            report = json.loads(report_path.read_text("utf-8"))
        except (OSError, ValueError):
            report = {}
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("summary ")]
    if proc.returncode != 0 or not lines:
        print(f"eval gate: score.py failed (exit {proc.returncode})\n{proc.stderr[-2000:]}")
        return 1
    print(lines[-1])
    metrics = parse_summary(lines[-1])
    metrics["body_f1_2010"] = body_f1_2010(report)
    if metrics["body_f1_2010"] is not None:
        print(f"body_f1 on 2010+ pages: {metrics['body_f1_2010']:.3f}")
    failures = check(metrics)
    if failures:
        print("eval gate: FAILED\n  " + "\n  ".join(failures))
        return 1
    print("eval gate: passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
