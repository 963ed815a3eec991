"""Distributed crawls over Redis: the shared frontier and its scheduler, the worker with its
heartbeat, seed and ingest, and the item queue between workers and ingest (see
ARCHITECTURE.md and :mod:`crawler.distributed.run`).
"""
