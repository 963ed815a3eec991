"""Only the optional C extensions; everything else is in pyproject.toml.

``crawler.search._rank`` (newsarchive_bm25, see crawler/search/_rank.c),
``crawler.extract._walk`` (the extraction's page walk, see crawler/extract/_walk.c),
``crawler.archive._shingles`` (dedupe fingerprints, crawler/archive/_shingles.c) and
``crawler.search._tokens`` (the search index's token buffers, crawler/search/_tokens.c)
need a C compiler and Python's headers.
Without them the install still succeeds (``optional=True``): search falls back to FTS5's
built-in bm25 (README.md, "Searching the archive"), extraction to the same walk in
Python (crawler/extract/maintext.py), and fingerprints and token buffers to their Python
versions (crawler/archive/dedupe.py, crawler/search/tokens.py), with the same results,
slower.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension("crawler.search._rank", ["crawler/search/_rank.c"], optional=True),
        Extension("crawler.extract._walk", ["crawler/extract/_walk.c"], optional=True),
        Extension("crawler.archive._shingles", ["crawler/archive/_shingles.c"], optional=True),
        Extension("crawler.search._tokens", ["crawler/search/_tokens.c"], optional=True),
    ]
)
