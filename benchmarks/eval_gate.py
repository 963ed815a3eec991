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
import re
import shlex
import subprocess
import sys
from pathlib import Path

#: Minimum values (strict rates from score.py's summary line).
FLOORS: dict[str, float] = {
    "body_f1": 0.92,
    "with": 0.90,
    "without": 0.98,
    "title": 0.93,
    "date": 0.90,
    "time": 0.92,
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
    proc = subprocess.run([sys.executable, str(score), "--cmd", args.cmd],
                          capture_output=True, text=True, timeout=3600)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("summary ")]
    if proc.returncode != 0 or not lines:
        print(f"eval gate: score.py failed (exit {proc.returncode})\n{proc.stderr[-2000:]}")
        return 1
    print(lines[-1])
    failures = check(parse_summary(lines[-1]))
    if failures:
        print("eval gate: FAILED\n  " + "\n  ".join(failures))
        return 1
    print("eval gate: passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
