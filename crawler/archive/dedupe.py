"""Near-duplicate detection for syndicated copies (the same story on several portals).

Chinese portals republish each other constantly; a copy differs by its template,
a title suffix, an added byline or an editor's line. Two bodies are the same story
when the Jaccard similarity of their character 4-gram shingles (after NFKC, lower
case, letters and digits only) is at least :data:`JACCARD_THRESHOLD`.

Finding candidates must not scan the archive: each article keeps a bottom-k sketch,
the :data:`SKETCH_SIZE` smallest shingle hashes, in the ``fingerprints`` table. Two
copies with Jaccard ≥ 0.5 share at least one of them with probability above 0.99, and
every candidate is then confirmed on the full shingle sets.

Confirming must not re-read archived bodies either: each article's full shingle set is
stored, packed (:attr:`Fingerprint.packed`, 32-bit hashes) with its packed sketch, in the
``shingle_sets`` table. The work per
new article is thus bounded by constants (:data:`CANDIDATES_PER_HASH` rows per sketch
hash, :data:`MAX_CANDIDATES` candidates, one stored set each), whatever the archive
holds and however alike its articles are.
"""

from __future__ import annotations

import heapq
import re
import unicodedata
import zlib
from array import array
from itertools import islice
from typing import NamedTuple

from crawler import speedups
from crawler.search import chars

#: ``crawler/archive/_shingles.c``: :func:`shingles` and :func:`fingerprint` in one C call
#: each, with the same results; None without it (the Python code below, slower).
_C = speedups.load("archive._shingles", "fingerprints are computed in Python")

SHINGLE = 4
#: The smallest shingle hashes kept per article for candidate lookup.
SKETCH_SIZE = 16
#: Jaccard similarity of 4-gram shingle sets from which two bodies are one story.
#: Same story across templates / small edits measures 0.75-1.0; different stories
#: on the same topic measure below 0.1.
JACCARD_THRESHOLD = 0.5
#: Bodies shorter than this (normalised characters) are never linked: too little text.
MIN_CHARS = 60
#: Candidates must share this many sketch hashes (for Jaccard 0.5 the expected number
#: is about 8 of 16; fewer than 2 happens with probability under 0.1%).
MIN_SHARED = 2
#: Rows read per sketch hash when looking for candidates (newest first).
CANDIDATES_PER_HASH = 64
#: Candidates whose sketch estimate is below this are not checked on full shingles.
ESTIMATE_FLOOR = 0.25
#: Most candidates (those sharing the most sketch hashes) confirmed per new article.
MAX_CANDIDATES = 10


_NOT_WORD = re.compile(r"[\W_]+")

_NFKC_TABLE: list[str] = []


def _nfkc_table() -> list[str]:
    """``str.translate`` table: each BMP character to its own NFKC form (built once, ~20 ms).

    Replacing every character by its NFKC form leaves the NFKC form of the whole text
    unchanged (each character's compatibility decomposition stays the same), and it
    makes Chinese text, whose full-width punctuation NFKC would otherwise rewrite one
    code point at a time, pass NFKC's quick check: the whole-text pass becomes a scan.
    """
    return chars.bmp_table(_nfkc, _NFKC_TABLE)


def _nfkc(char: str) -> str:
    return unicodedata.normalize("NFKC", char)


#: :data:`_NFKC_TABLE` as the C extension reads it (``_C.bmp_map``), built once.
_NFKC_MAP: list[bytes] = []


def _per_char_nfkc(text: str) -> str:
    """``text.translate(_NFKC_TABLE)``; with the C extension, read from a compact copy of
    the table (the same string, far fewer CPU cache misses on a page's worth of text)."""
    table = _NFKC_TABLE or _nfkc_table()
    if _C is None:
        return text.translate(table)
    if not _NFKC_MAP:
        _NFKC_MAP.append(_C.bmp_map(table))
    return _C.translate(text, _NFKC_MAP[0], table)


def _lowered(text: str) -> str:
    """NFKC and lower case: :func:`normalise` before punctuation and spaces are dropped."""
    return unicodedata.normalize("NFKC", _per_char_nfkc(text)).lower()


def normalise(text: str) -> str:
    """NFKC, lower case, and only letters and digits (punctuation and spaces dropped)."""
    return _NOT_WORD.sub("", _lowered(text))


#: ``slice`` objects of consecutive 4-gram windows in UTF-32 (16 bytes, step 4), shared by
#: every call so that hashing them is one ``map`` with no Python code per shingle.
_WINDOWS: list[slice] = []


def shingles(text: str) -> set[int]:
    """Stable 32-bit hashes (CRC-32) of the normalised text's character 4-grams."""
    if _C is not None:  # drops what normalise's regex drops (str.isalnum), hashes alike
        return _C.shingles(_lowered(text), SHINGLE, MIN_CHARS)
    return _shingles_py(text)


def _shingles_py(text: str) -> set[int]:
    """:func:`shingles` in Python (the fallback, and the reference the C version is tested
    against)."""
    norm = normalise(text)
    if len(norm) < MIN_CHARS:
        return set()
    # UTF-32 gives every character 4 bytes, so a 4-gram is a 16-byte slice.
    data = norm.encode("utf-32-le", "surrogatepass")
    n = len(norm) - SHINGLE + 1
    if len(_WINDOWS) < n:
        width = 4 * SHINGLE
        _WINDOWS.extend(slice(4 * i, 4 * i + width) for i in range(len(_WINDOWS), 2 * n))
    return set(map(zlib.crc32, map(data.__getitem__, islice(_WINDOWS, n))))


def sketch(shingle_set: set[int]) -> list[int]:
    """The bottom-k sketch: the :data:`SKETCH_SIZE` smallest hashes."""
    return heapq.nsmallest(SKETCH_SIZE, shingle_set)


#: 32-bit unsigned array type code (CRC-32 values), for packing shingle sets.
_U32 = "I" if array("I").itemsize == 4 else "L"


def unpack(packed: bytes) -> set[int]:
    """The shingle set of :attr:`Fingerprint.packed` (or of a ``shingle_sets`` row)."""
    return set(array(_U32, packed))


def pack(hashes: tuple[int, ...] | list[int] | set[int]) -> bytes:
    """Hashes as the bytes of a 32-bit unsigned ``array`` (the inverse of :func:`unpack`)."""
    return array(_U32, hashes).tobytes()


def unpack_sketch(packed: bytes) -> list[int]:
    """A packed sketch (``shingle_sets.sketch``) as a list."""
    return array(_U32, packed).tolist()


class Fingerprint(NamedTuple):
    """What the duplicate check needs of one body, cheap to send between processes.

    The crawl's extraction workers compute it; the crawl process only reads the sketch,
    and unpacks the full shingle set when a candidate copy has to be confirmed.
    """

    #: :func:`sketch` of the body's shingles, ascending.
    sketch: tuple[int, ...]
    #: every shingle hash, as the bytes of a 32-bit unsigned ``array`` (what the
    #: ``shingle_sets`` table stores).
    packed: bytes

    def shingles(self) -> set[int]:
        return unpack(self.packed)


def fingerprint(text: str) -> Fingerprint | None:
    """The body's :class:`Fingerprint`, or None when it is too short to be linked.

    With the C extension, one call hashes the shingles into a set built as
    :func:`shingles` builds it (so ``packed`` lists the hashes in the same order), takes
    the sketch and packs the set: the same bytes as :func:`_fingerprint_py`.
    """
    if _C is not None:
        found = _C.fingerprint(_lowered(text), SHINGLE, MIN_CHARS, SKETCH_SIZE)
        return None if found is None else Fingerprint(*found)
    return _fingerprint_py(text)


def _fingerprint_py(text: str) -> Fingerprint | None:
    """:func:`fingerprint` in Python (the fallback and the reference)."""
    found = _shingles_py(text)
    if not found:
        return None
    return Fingerprint(tuple(sketch(found)), pack(found))


def estimate(sketch_a: list[int], sketch_b: list[int]) -> float:
    """Bottom-k estimate of the Jaccard similarity of two sets from their sketches."""
    union = heapq.nsmallest(SKETCH_SIZE, set(sketch_a) | set(sketch_b))
    if not union:
        return 0.0
    both = set(sketch_a) & set(sketch_b)
    return sum(1 for h in union if h in both) / len(union)


def jaccard(a: set[int], b: set[int]) -> float:
    if not a or not b:
        return 0.0
    inter = len(a & b)
    return inter / (len(a) + len(b) - inter)


def same_story(a: set[int], b: set[int]) -> bool:
    return jaccard(a, b) >= JACCARD_THRESHOLD


def same_story_packed(mine: set[int], packed: bytes) -> bool:
    """:func:`same_story` of ``mine`` and a packed set (distinct hashes), without building
    a second set: the intersection is counted straight from the array."""
    theirs = array(_U32, packed)
    if not mine or not theirs:
        return False
    inter = len(mine.intersection(theirs))
    return inter / (len(mine) + len(theirs) - inter) >= JACCARD_THRESHOLD
