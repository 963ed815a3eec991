"""The tokens of a document and of a query phrase: bigrams with colocated trigrams
(see :mod:`crawler.search` for the design), and the document buffer FTS5 indexes at C speed.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    pass

from crawler import speedups
from crawler.search.normalize import _SEGMENT_RE, fold

#: ``crawler/search/_tokens.c``: :func:`document_buffer` after :func:`fold` in one C pass,
#: byte for byte the same; None without it (the Python layout below, slower).
_C = speedups.load("search._tokens", "document buffers are built in Python")

#: The first character of every trigram token: a Unicode noncharacter, which text never
#: contributes to a token (it is not a letter or digit, so it separates), and which keeps
#: trigrams out of one-character prefix queries (``"专"*`` matches only the bigrams).
TRIGRAM_MARK = "\ufdd0"
_TRIGRAM_MARK_UTF8 = TRIGRAM_MARK.encode()
#: Every document position at once: each word character with the next one, if any, and
#: the one after that (a trigram starts there when both follow).
_TOKEN3_RE = re.compile(r"(?=([^\W_][^\W_]?)([^\W_]?))")
_NONWORD_RE = re.compile(r"[\W_]+")
_SEP_PAIR_RE = re.compile("\x00[^ ]")
#: A trigram unit of :func:`document_buffer` with a separator in it (a segment has no
#: trigram there), with the space before it.
_SEP_TRIGRAM_RE = re.compile(" " + TRIGRAM_MARK + "(?:\x00..|.\x00.|..\x00)\x01", re.DOTALL)
#: What separates tokens in a :func:`document_buffer` for SQLite's ``ascii`` tokenizer.
_BUFFER_SPLIT_RE = re.compile(rb"[ \x00\x01]+")


def document_buffer(text: str) -> bytes:
    """:func:`document_tokens` as one UTF-8 string for SQLite's ``ascii`` tokenizer.

    Built without a Python loop over characters: the folded text, with every separator
    run as NUL, is laid out in UTF-32 as ``c[i] c[i+1] ' ' M c[i] c[i+1] c[i+2] '\\x01'``
    units by strided copies (the bigram, then the marked trigram of each position, ``M``
    being :data:`TRIGRAM_MARK`); trigrams
    that contain a separator and bigrams that start at one are then cut. NUL, space and
    ``\\x01`` separate tokens for ``ascii``; letters, digits and every non-ASCII character
    are token characters, exactly the word characters here. The tokenizer flags each
    marked token as colocated with the bigram before it (``crawler/search/_rank.c``).

    With the C extension (``crawler/search/_tokens.c``) everything after :func:`fold` is
    one pass that writes the same bytes.
    """
    if _C is not None:
        return _C.document_buffer(fold(text))
    return _document_buffer_py(text)


def _document_buffer_py(text: str) -> bytes:
    """:func:`document_buffer` in Python (the fallback, and the reference the C version is
    tested against)."""
    u = _NONWORD_RE.sub("\x00", fold(text))
    n = len(u)
    if not n:
        return b""
    u32 = (u + "\x00\x00").encode("utf-32-le")
    out = bytearray(32 * n)
    for b in range(4):
        first, second, third = u32[b : 4 * n : 4], u32[4 + b : 4 * n + 4 : 4], u32[8 + b :: 4]
        out[b::32] = first
        out[4 + b :: 32] = second
        out[16 + b :: 32] = first
        out[20 + b :: 32] = second
        out[24 + b :: 32] = third
    out[8::32] = b" " * n
    for b, byte in enumerate(TRIGRAM_MARK.encode("utf-32-le")):
        if byte:
            out[12 + b :: 32] = bytes([byte]) * n
    out[28::32] = b"\x01" * n
    units = _SEP_TRIGRAM_RE.sub(" ", out.decode("utf-32-le"))
    return _SEP_PAIR_RE.sub("", units).encode()


_pretokenized = threading.local()


@contextmanager
def pretokenized(*texts: tuple[str | None, bytes | None]) -> Iterator[None]:
    """Within the block, index each ``text`` with its :func:`document_buffer` given as
    ``(text, buffer)`` instead of computing it: a crawl's extraction workers compute the
    buffers, off the crawl process. Pairs with a missing text or buffer are ignored.

    The buffer is used only for a document whose UTF-8 bytes equal the text's, in this
    thread; anything else is tokenized as usual.
    """
    table = {t.encode("utf-8", "surrogatepass"): b for t, b in texts if t and b is not None}
    previous = getattr(_pretokenized, "table", None)
    _pretokenized.table = table
    try:
        yield
    finally:
        _pretokenized.table = previous




def document_tokens(text: str) -> list[str]:
    """The tokens FTS5 stores for ``text``, in order: each position's bigram (or single
    character at a segment's end), then its trigram (:data:`TRIGRAM_MARK` and the three
    characters) when three word characters start there; a trigram is colocated with the
    bigram before it (the same position)."""
    out: list[str] = []
    for pair, third in _TOKEN3_RE.findall(fold(text)):
        out.append(pair)
        if third:
            out.append(TRIGRAM_MARK + pair + third)
    return out


def query_tokens(text: str) -> list[str]:
    """The tokens of a query phrase, one per position: the trigram that starts there
    when the segment has three more characters, else the bigram. The phrase's last
    character may continue in the document, so the last segment's final character
    starts no token of its own; a last segment of one character contributes that
    character, to be matched as a prefix (``"专"*``). A trigram is only ever indexed
    where its bigram is, so the phrase matches exactly where the bigram phrase would,
    and FTS5 walks the far shorter doclists of trigrams."""
    segments = _SEGMENT_RE.findall(fold(text))
    out: list[str] = []
    for i, seg in enumerate(segments):
        ends = len(seg) if i < len(segments) - 1 or len(seg) == 1 else len(seg) - 1
        out.extend(
            TRIGRAM_MARK + seg[j : j + 3] if j + 3 <= len(seg) else seg[j : j + 2]
            for j in range(ends)
        )
    return out


_FOLD_CHAR_CACHE: dict[str, str] = {}


def _aux_tokens(raw: bytes) -> list[tuple[bytes, int, int]]:
    """Tokens with byte offsets into ``raw`` (for highlight() and snippet()).

    Characters are folded one by one so each folded character knows which original
    bytes it came from. For text where per-character NFKC differs from whole-text NFKC
    (decomposed accents), positions can drift and highlights be off; results cannot.
    """
    text = raw.decode("utf-8", "replace")
    cache = _FOLD_CHAR_CACHE
    chars: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    off = 0
    for c in text:
        n = 1 if c < "\x80" else 2 if c < "\u0800" else 3 if c < "\U00010000" else 4
        f = cache.get(c)
        if f is None:
            f = fold(c)
            if len(cache) < 100_000:
                cache[c] = f
        for fc in f:
            chars.append(fc)
            starts.append(off)
            ends.append(off + n)
        off += n
    out = []
    count = len(chars)
    for i, c in enumerate(chars):
        if not c.isalnum():
            continue
        if i + 1 < count and chars[i + 1].isalnum():
            out.append(((c + chars[i + 1]).encode(), starts[i], ends[i + 1]))
        else:
            out.append((c.encode(), starts[i], ends[i]))
    return out




