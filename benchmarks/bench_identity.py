"""Issue 17's per-page cost: what ``crawler.multipage.examine`` (the page's declared
canonical URL, its article's continuation links, whether it is itself a continuation
page) adds to the extraction worker's ``extract_page``, on the shared eval pages.

    .venv/bin/python benchmarks/bench_identity.py [/work/shared/eval] [--rounds 7]

Prints the median per-page milliseconds of each and their ratio (same run).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from crawler.multipage import examine
from crawler.urls import canonical_url
from crawler.worker import extract_page


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("eval_dir", nargs="?", default="/work/shared/eval")
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    pages = []
    for path in sorted(Path(args.eval_dir).glob("*/*.html")):
        meta = path.with_suffix(".json")
        url = f"http://example.cn/a/{path.stem}.html"
        if meta.exists():
            url = json.loads(meta.read_text(encoding="utf-8")).get("url") or url
        pages.append((canonical_url(url), path.read_bytes()))

    def timed(work) -> float:
        runs = []
        for _ in range(args.rounds):
            started = time.perf_counter()
            for url, body in pages:
                work(url, body)
            runs.append((time.perf_counter() - started) / len(pages) * 1000)
        return statistics.median(runs)

    extract_ms = timed(lambda url, body: extract_page(body, url, None, None))
    examine_ms = timed(lambda url, body: examine(body, url, url, None))
    found = sum(bool(examine(body, url, url, None).links) for url, body in pages)
    print(f"{len(pages)} pages: extract_page {extract_ms:.2f} ms/page, examine "
          f"{examine_ms:.2f} ms/page ({examine_ms / extract_ms:.1%} on top); "
          f"{found} pages with continuation links")


if __name__ == "__main__":
    main()
