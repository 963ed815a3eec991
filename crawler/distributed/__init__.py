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

from crawler.distributed.frontier import Keys, RedisUnavailable, connect, frontier_name
from crawler.distributed.ingest import IngestReport, run_ingest
from crawler.distributed.seed import SeedReport, run_seed
from crawler.distributed.worker import WorkerReport, run_worker

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
