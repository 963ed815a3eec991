"""Only the optional C extension; everything else is in pyproject.toml.

``crawler._rank`` (newsarchive_bm25, see crawler/_rank.c) needs a C compiler and
Python's headers. Without them the install still succeeds (``optional=True``) and search
falls back to FTS5's built-in bm25 (README.md, "Searching the archive").
"""

from setuptools import Extension, setup

setup(ext_modules=[Extension("crawler._rank", ["crawler/_rank.c"], optional=True)])
