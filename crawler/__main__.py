"""``python -m crawler`` is the ``newsarchive`` command."""

from crawler.cli import cli

cli(prog_name="newsarchive")
