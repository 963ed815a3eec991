"""Snippets: where the query's terms occur in the folded text, marked in the original
(:func:`highlight`).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    pass

from crawler.search.normalize import fold


def _term_pattern(terms: list[str]) -> re.Pattern[str]:
    """Where normalised terms occur in :func:`fold`-ed text (separators: any non-word run)."""
    alts = sorted(
        (r"[\W_]+".join(map(re.escape, t.split(" "))) for t in terms), key=len, reverse=True
    )
    return re.compile("|".join(alts))


def _folded_with_offsets(text: str) -> tuple[str, list[int] | None]:
    """``fold(text)`` and, unless it is aligned with ``text`` character for character,
    the original index of each folded character."""
    f = fold(text)
    if len(f) == len(text):
        return f, None
    chars: list[str] = []
    origin: list[int] = []
    for i, c in enumerate(text):
        for fc in fold(c):
            chars.append(fc)
            origin.append(i)
    return "".join(chars), origin


def highlight(
    text: str | None,
    pattern: re.Pattern[str],
    marks: tuple[str, str] = ("[", "]"),
    width: int | None = None,
) -> str | None:
    """``text`` with the matches of ``pattern`` (see :func:`_term_pattern`) marked.

    With ``width``, only a passage of about ``width`` characters around the first match
    (``…`` where cut), with line breaks as spaces; None when nothing matches.
    """
    if not text:
        return None
    folded, origin = _folded_with_offsets(text)
    spans = []
    for m in pattern.finditer(folded):
        a, b = m.span()
        if origin is not None:
            a, b = origin[a], origin[b - 1] + 1
        spans.append((a, b))
    if width is None:
        lo, hi = 0, len(text)
    elif not spans:
        return None
    else:
        lo = max(0, spans[0][0] - width // 4)
        hi = min(len(text), max(lo + width, spans[0][1]))
        lo = max(0, min(lo, hi - width))
    out = ["…" if lo > 0 else ""]
    pos = lo
    for a, b in spans:
        if b <= pos or a >= hi:
            continue
        a = max(a, pos)
        b = min(b, hi)
        out += [text[pos:a], marks[0], text[a:b], marks[1]]
        pos = b
    out += [text[pos:hi], "…" if hi < len(text) else ""]
    result = "".join(out)
    return " ".join(result.split()) if width is not None else result



