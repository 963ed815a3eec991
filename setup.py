"""Only the optional C extension; everything else is in pyproject.toml.

``crawler._rank`` (newsarchive_bm25, see crawler/_rank.c) and ``crawler._walk`` (the
extraction's page walk, see crawler/_walk.c) need a C compiler and Python's headers.
Without them the install still succeeds (``optional=True``): search falls back to FTS5's
built-in bm25 (README.md, "Searching the archive") and extraction to the same walk in
Python (crawler/extract/maintext.py), with the same results, slower.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension("crawler._rank", ["crawler/_rank.c"], optional=True),
        Extension("crawler._walk", ["crawler/_walk.c"], optional=True),
    ]
)
