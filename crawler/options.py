"""Check setting values (``-s NAME=VALUE`` and a profile's ``[settings]``) before a crawl.

Scrapy takes any ``-s`` value as a string and converts it only when a component reads it,
inside the running crawl: ``DOWNLOAD_DELAY=abc`` then fails deep in Twisted and the run
is still logged as a success. This module checks every value that names a known setting
against its type first, so a bad one is a one-line usage error (exit 2) and nothing runs.
A name that is a typo of a known setting (``DOWNLOAD_DELAYY``, ``download_delay``) is
refused the same way, with the name it resembles.

The type of a setting is the type of its default, in newsarchive's ``crawler/settings.py``
or else in Scrapy's ``default_settings``; :data:`READ_AS_FLOAT` and :data:`EXTRA_TYPES`
cover the few settings whose default does not say how they are read. Other unknown names
pass unchecked (add-ons have settings of their own).
"""

from __future__ import annotations

import difflib
import json
import math
from collections.abc import Mapping
from functools import cache
from typing import Any

from crawler.errors import UsageError

#: Settings with an integer default that are read as seconds with ``getfloat``.
READ_AS_FLOAT = frozenset({"DOWNLOAD_TIMEOUT", "DNS_TIMEOUT"})
#: Settings without a default (or with ``None``) whose reader still wants one type.
EXTRA_TYPES: dict[str, type] = {
    "CONCURRENT_REQUESTS_PER_IP": int,
    "AWS_MAX_POOL_CONNECTIONS": int,
    "NEWSARCHIVE_CRAWL_ID": int,
    "NEWSARCHIVE_IDLE_CLOSE": float,
    "NEWSARCHIVE_WORKER_TIMEOUT": float,
}
#: Lower bounds (inclusive) of numbers where a smaller value makes no sense; ``>0`` ones
#: are in :data:`POSITIVE`.
MINIMUM: dict[str, float] = {
    "DOWNLOAD_DELAY": 0,
    "CONCURRENT_REQUESTS": 1,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 1,
    "CONCURRENT_ITEMS": 1,
    "RETRY_TIMES": 0,
    "REDIRECT_MAX_TIMES": 0,
    "DOWNLOAD_MAXSIZE": 0,
    "DOWNLOAD_WARNSIZE": 0,
    "AUTOTHROTTLE_START_DELAY": 0,
    "AUTOTHROTTLE_MAX_DELAY": 0,
    "NEWSARCHIVE_EXTRACT_PROCESSES": 0,
    "NEWSARCHIVE_COMMIT_ITEMS": 1,
    "NEWSARCHIVE_COMMIT_SECONDS": 0,
    "NEWSARCHIVE_RETRY_BACKOFF": 0,
    "NEWSARCHIVE_RETRY_BACKOFF_MAX": 0,
    "NEWSARCHIVE_RETRY_AFTER_MAX": 0,
    "NEWSARCHIVE_IDLE_CLOSE": 0,
    "NEWSARCHIVE_GC_THRESHOLD": 0,
}
POSITIVE = frozenset(
    {"DOWNLOAD_TIMEOUT", "DNS_TIMEOUT", "AUTOTHROTTLE_TARGET_CONCURRENCY",
     "NEWSARCHIVE_WORKER_TIMEOUT"}
)  # fmt: skip

_TRUE = {"1", "True", "true"}
_FALSE = {"0", "False", "false"}


@cache
def known_types() -> dict[str, type]:
    """Setting name -> the type its value must have, for every typed known setting."""
    from scrapy.settings import default_settings

    import crawler.settings as project

    types: dict[str, type] = {}
    for module in (default_settings, project):  # the project's defaults win
        for name in dir(module):
            value = getattr(module, name)
            if name.isupper() and value is not None:
                types[name] = type(value)
    types.update(EXTRA_TYPES)
    for name in READ_AS_FLOAT:
        types[name] = float
    return types


@cache
def known_names() -> frozenset[str]:
    """Every setting name of Scrapy's ``default_settings`` and newsarchive's, typed or not."""
    from scrapy.settings import default_settings

    import crawler.settings as project

    return frozenset(
        name for module in (default_settings, project) for name in dir(module) if name.isupper()
    ) | frozenset(EXTRA_TYPES)


def misspelt(name: str) -> str | None:
    """The known setting that ``name`` is most likely a typo of (``DOWNLOAD_DELAYY``,
    ``download_delay``, ``NEWSARCHIVE_COMMIT_ITEM``), or None: a known name, or one like
    no known name (an add-on's own setting passes)."""
    known = known_names()
    if name in known:
        return None
    if name.upper() in known:
        return name.upper()
    close = difflib.get_close_matches(name.upper(), known, n=1, cutoff=0.88)
    return close[0] if close else None


def check_setting(name: str, value: Any) -> Any:
    """``value`` of setting ``name`` converted to its type (a string as Scrapy would read
    it, or a TOML value); raises ValueError with the problem when it cannot be, or when
    ``name`` is a typo of a known setting (:func:`misspelt`)."""
    kind = known_types().get(name)
    if kind is None:
        typo = misspelt(name)
        if typo is not None:
            raise ValueError(f"is not a setting: did you mean {typo}?")
        return value
    if kind is bool:
        converted = _to_bool(value)
    elif kind is int:
        converted = _to_int(value)
    elif kind is float:
        converted = _to_float(value)
    elif kind is str:
        if not isinstance(value, str):
            raise ValueError(f"must be a string, not {_describe(value)}")
        converted = value
    elif kind is dict:
        converted = _to_container(value, dict, 'a JSON object like {"key": 1}')
    elif kind in (list, tuple):
        converted = _to_container(value, list, "a comma-separated list or a JSON list")
    else:
        return value
    if kind in (int, float):
        _check_range(name, converted)
    return converted


def check_overrides(overrides: Mapping[str, str]) -> None:
    """Raise :class:`UsageError` (``-s NAME=VALUE: problem``) for the first bad value."""
    for name, value in overrides.items():
        try:
            check_setting(name, value)
        except ValueError as exc:
            raise UsageError(f"-s {name}={value}: {name} {exc}") from None


def check_cmdline_settings(settings: Any) -> None:
    """Check the command-line (``-s``) values of Scrapy ``settings``; raises Scrapy's
    ``UsageError``, which ``scrapy crawl`` prints as one error line with exit code 2."""
    from scrapy.exceptions import UsageError as ScrapyUsageError
    from scrapy.settings import SETTINGS_PRIORITIES

    cmdline = SETTINGS_PRIORITIES["cmdline"]
    for name in list(settings):
        if settings.getpriority(name) != cmdline:
            continue
        value = settings[name]
        if not isinstance(value, str):
            continue  # set by code (newsarchive crawl, run_worker), not typed by a user
        try:
            check_setting(name, value)
        except ValueError as exc:
            raise ScrapyUsageError(f"-s {name}={value}: {name} {exc}", print_help=False) from None


def _to_bool(value: Any) -> bool:
    # exactly what Scrapy's Settings.getbool() converts
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        if value in _TRUE | _FALSE:
            return value in _TRUE
        try:
            return bool(int(value))
        except ValueError:
            pass
    raise ValueError(f"must be true or false (or 1/0), not {_describe(value)}")


def _to_int(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            pass
    raise ValueError(f"must be a whole number, not {_describe(value)}")


def _to_float(value: Any) -> float:
    number: float | None = None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            number = None
    if number is None or not math.isfinite(number):
        raise ValueError(f"must be a number (like 2 or 0.5), not {_describe(value)}")
    return number


def _to_container(value: Any, kind: type, shape: str) -> Any:
    if isinstance(value, kind) or (kind is dict and isinstance(value, Mapping)):
        return value
    if isinstance(value, str):
        text = value.strip()
        if kind is list and not text.startswith("["):
            return text.split(",") if text else []
        try:
            loaded = json.loads(text)
        except ValueError:
            loaded = None
        if isinstance(loaded, kind):
            return loaded
    raise ValueError(f"must be {shape}, not {_describe(value)}")


def _check_range(name: str, number: float) -> None:
    if name in POSITIVE and number <= 0:
        raise ValueError(f"must be more than 0, not {number:g}")
    low = MINIMUM.get(name)
    if low is not None and number < low:
        raise ValueError(f"must be at least {low:g}, not {number:g}")


def _describe(value: Any) -> str:
    if isinstance(value, str):
        return repr(value)
    return f"{type(value).__name__} {value!r}"
