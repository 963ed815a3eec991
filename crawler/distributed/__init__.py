"""Distributed crawls: many workers share one frontier on Redis, one ingest writes the archive.

This is the library behind ``newsarchive seed``, ``newsarchive crawl --redis`` and
``newsarchive ingest`` (README.md, "Distributed crawls"; ARCHITECTURE.md)::

    newsarchive seed   --redis URL SITE...   # on the archive's machine: opens a run
    newsarchive crawl  --redis URL SITE...   # any number, on any machine: the workers
    newsarchive ingest --redis URL           # on the archive's machine: the one writer

Modules: :mod:`.frontier` (keys, connection, the reliable queue, the scheduler),
:mod:`.worker` (the worker's spider, run and heartbeat), :mod:`.seed`, :mod:`.ingest`
and :mod:`.queue` (the items queue's record format).
"""

from __future__ import annotations

import importlib
from typing import Any

from crawler.distributed.frontier import Keys, RedisUnavailable, connect, frontier_name

#: Imported when first used: ``ingest`` needs neither the spiders nor the extraction
#: code that the worker and seed modules load (a third of a second of CPU at start).
_LAZY = {
    "IngestReport": "ingest", "run_ingest": "ingest", "SeedReport": "seed",
    "run_seed": "seed", "WorkerReport": "worker", "run_worker": "worker",
}  # fmt: skip


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)


__all__ = [
    "IngestReport",
    "Keys",
    "RedisUnavailable",
    "SeedReport",
    "WorkerReport",
    "connect",
    "frontier_name",
    "run_ingest",
    "run_seed",
    "run_worker",
]
