"""The benchmarks keep working: a smoke-sized pass of each, in a subprocess, no timing judged."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_benchmark_smoke_run(tmp_path: Path) -> None:
    out = tmp_path / "bench"
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.run_all", "--smoke", "--out", str(out),
         "--only", "crawl", "--only", "memory", "--only", "archive"],
        capture_output=True, text=True, timeout=170, cwd=ROOT,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert json.loads((out / "run_all.json").read_text())["failed"] == []

    crawl = json.loads((out / "crawl-results.json").read_text())
    full = [r for r in crawl["runs"] if r["kind"] == "full"]
    noop = [r for r in crawl["runs"] if r["kind"] == "noop"]
    pages = crawl["mirror"]["pages"]
    assert full and noop
    assert noop[0]["pages"] == pages  # the no-op spider walks the whole mirror
    assert full[0]["archived"] == crawl["mirror"]["articles"]
    assert full[0]["peak_rss_mb"] > 0 and full[0]["cpu_s"] > 0
    assert "pages/s" in (out / "crawl.md").read_text()
    # The template-heavy mirror is crawled in the same run and reported next to it.
    template = crawl["template"]
    full = [r for r in template["runs"] if r["kind"] == "full"]
    assert full and full[0]["archived"] == template["mirror"]["articles"]
    assert set(crawl["by_mirror"]) == {"normal", "template"}
    assert "## Template mirror" in (out / "crawl.md").read_text()

    memory = json.loads((out / "memory-results.json").read_text())
    assert memory["archived"] > 0 and memory["peak_rss_mb"] > 0 and memory["checkpoints"]

    archive = json.loads((out / "archive-results.json").read_text())
    assert all(v["articles"] == 40 and v["rows"]["articles"] == 40 for v in archive["variants"])
    assert (out / "archive.md").exists()
