"""Reproducible measurements of newsarchive: run each as ``python -m benchmarks.NAME``."""
