"""The optional C extensions and their two switches, in one place.

``crawler.search._rank`` (search ranking, ``crawler/search/_rank.c``),
``crawler.extract._walk`` (the extraction's page walk, ``crawler/extract/_walk.c``),
``crawler.archive._shingles`` (the duplicate check's fingerprint,
``crawler/archive/_shingles.c``) and ``crawler.search._tokens`` (the search index's token
buffers, ``crawler/search/_tokens.c``) are built by ``pip install`` when a C compiler and
Python's headers are present. Without them everything works, slower, with the same
results.

* ``NEWSARCHIVE_NO_SPEEDUPS=1`` does without them (the Python fallbacks; it wins).
* ``NEWSARCHIVE_REQUIRE_SPEEDUPS=1`` makes a missing or unusable one an ImportError (CI).
"""

from __future__ import annotations

import importlib
import logging
import os
from types import ModuleType

log = logging.getLogger(__name__)

REQUIRE_ENV = "NEWSARCHIVE_REQUIRE_SPEEDUPS"
NO_ENV = "NEWSARCHIVE_NO_SPEEDUPS"


def _flag(name: str) -> bool:
    return os.environ.get(name, "").strip() not in ("", "0")


def load(name: str, without: str) -> ModuleType | None:
    """The extension ``crawler.<name>`` (``extract._walk``, ``search._rank``, ...), or None
    when it is switched off or cannot be imported. ``without`` says what happens then
    (for the debug log)."""
    if _flag(NO_ENV):
        return None
    try:
        return importlib.import_module(f"crawler.{name}")
    except ImportError as exc:
        if _flag(REQUIRE_ENV):
            raise ImportError(
                f"{REQUIRE_ENV} is set but the C extension crawler.{name} cannot be "
                f"imported ({exc}): install with a C compiler and Python's headers "
                "(pip install -e .) and read the build output"
            ) from exc
        log.debug("crawler.%s not available (%s): %s", name, exc, without)
        return None
