"""The one date parser of every command (``--since``, ``--until``).

A date is ``YYYY-MM-DD``, or an ISO 8601 date-time such as ``2024-05-01T08:00:00+08:00``
or ``2024-05-01T00:00:00Z``: the forms ``published_at`` and ``fetched_at`` are stored in,
so that the archive's string comparisons order them correctly. Anything else
(``yesterday``, ``2024-99-01``, ``20240501``) is a :class:`~crawler.errors.UsageError`.
"""

from __future__ import annotations

import re
from datetime import date, datetime

from crawler.errors import UsageError

_FORM = re.compile(
    r"\d{4}-\d{2}-\d{2}"
    r"(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?(?:Z|[+-]\d{2}:\d{2})?)?"
)  # fmt: skip
EXAMPLE = "YYYY-MM-DD, or an ISO date-time such as 2024-05-01T08:00:00+08:00"


def parse_date(value: str, option: str = "--since") -> str:
    """``value`` stripped, once checked to be a real date or ISO date-time.

    >>> parse_date(" 2024-05-01 ")
    '2024-05-01'
    >>> parse_date("2024-99-01", "--until")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    crawler.errors.UsageError: --until: '2024-99-01' is not a date (YYYY-MM-DD, or an ...)
    """
    v = str(value).strip()
    ok = _FORM.fullmatch(v) is not None
    if ok:
        try:
            if len(v) == 10:
                date.fromisoformat(v)
            else:
                datetime.fromisoformat(v.replace("Z", "+00:00"))
        except ValueError:
            ok = False
    if not ok:
        raise UsageError(f"{option}: {value!r} is not a date ({EXAMPLE})")
    return v
