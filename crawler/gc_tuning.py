"""Python's cyclic garbage collector, tuned for a long-running crawl process.

A crawl allocates a great many short-lived objects per page (requests, responses,
Twisted deferreds, parsed items), and the collector scans them, and every few hundred
pages the whole heap of Scrapy's and our modules, over and over: 0.57 ms of CPU per page
in the crawl process on the benchmark mirror. :func:`tune` moves what is alive after
start-up out of the collector's reach (``gc.freeze``): 0.25 ms per page, with the same
memory. A higher gen-0 threshold saves a little more CPU for memory: at 5,000 (Python's
default is 700) the collector took 0.13 ms per page, but a 20,000-page crawl's process
tree held 310 MB instead of 260 (2,000: 277 MB; 20,000 with older thresholds 20 and 100:
470 MB and growing). Measured with ``benchmarks/bench_memory.py -s
NEWSARCHIVE_GC_THRESHOLD=N`` (``benchmarks/RESULTS.md``).

:class:`GcTuning` does it when a crawl's engine starts (setting
``NEWSARCHIVE_GC_THRESHOLD``; 0 leaves the collector as Python set it). Processes that
run no Scrapy engine (``newsarchive ingest``) call :func:`tune` themselves; importing
this module does not import Scrapy.
"""

from __future__ import annotations

import gc
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from scrapy.crawler import Crawler

#: Gen-0 threshold after :func:`tune`: Python's default (see above for higher ones).
GEN0_THRESHOLD = 700
#: Gen-1 and gen-2 thresholds after :func:`tune`: Python's own.
OLDER_THRESHOLDS = (10, 10)


def tune(gen0: int = GEN0_THRESHOLD) -> None:
    """Collect once, freeze every object alive now, and collect young objects every
    ``gen0`` net allocations. Idempotent: a later call freezes what was allocated since."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(gen0, *OLDER_THRESHOLDS)


class GcTuning:
    """Scrapy extension: :func:`tune` once the engine has started (start-up is done)."""

    def __init__(self, gen0: int) -> None:
        self.gen0 = gen0

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> GcTuning:
        from scrapy import signals
        from scrapy.exceptions import NotConfigured

        gen0 = crawler.settings.getint("NEWSARCHIVE_GC_THRESHOLD", GEN0_THRESHOLD)
        if gen0 <= 0:
            raise NotConfigured("NEWSARCHIVE_GC_THRESHOLD is 0: the collector is left as it is")
        extension = cls(gen0)
        crawler.signals.connect(extension.engine_started, signal=signals.engine_started)
        return extension

    def engine_started(self) -> None:
        tune(self.gen0)
