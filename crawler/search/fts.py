"""Full-text search for Chinese text: one tokenizer and one normalisation for every tool.

Design (README.md, "Searching the archive"):

* **Tokens are overlapping character bigrams.** Text is normalised (:func:`normalize`:
  NFKC, case folding, traditional → simplified), split into *segments* of word
  characters (letters and digits of any script; everything else separates), and every
  character of a segment starts one token: itself and the next character of the
  segment, or itself alone at the segment's end. ``消费者 iPhone`` gives ``消费 费者 者
  ip ph ho on ne e``. A query of n ≥ 2 characters is the phrase of its n-1 bigrams, so a
  match is exactly "the normalised text contains the normalised query"; one character
  is a prefix query. No dictionary, so nothing is ever missed.
* **Trigrams ride along.** Where three word characters start at a position, that
  position also holds their trigram as a colocated token (FTS5_TOKEN_COLOCATED: same
  position, not counted in the document's length). A query phrase uses the trigram at
  each position where it fits (:func:`query_tokens`): it matches exactly the same rows,
  because a trigram is indexed wherever its bigram is, but FTS5 intersects far shorter
  doclists than those of common bigrams, which is what long phrases were slow on.
* **The tokenizer is an FTS5 tokenizer named ``newsarchive``**, registered on a
  connection through the ``fts5_api`` with ctypes (:func:`register`). When FTS5 indexes
  a document, its tokens are built without a Python loop (:func:`document_buffer`) as
  one string and handed to SQLite's own C ``ascii`` tokenizer, which feeds FTS5 at C
  speed through ``colocate()`` of ``crawler/search/_rank.c`` (it flags the trigrams): one
  Python call per column value, not per token. Queries, and FTS5's
  ``highlight()``/``snippet()`` (other tools' SQL), use a per-token Python path with
  exact byte offsets. :func:`search` makes its snippets in Python (:func:`highlight`).
* **The index is ``articles_fts``**, an external-content FTS5 table over
  ``articles(title, body)``, kept in sync by triggers and found by sqlite-utils'
  and Datasette's ``detect_fts``. sqlite-utils and Datasette load :func:`register`
  through their ``prepare_connection`` plugin hooks (``crawler/search/plugins.py``).
* **Ranking** is FTS5's bm25 with a title hit counting three times a body hit. When more
  than ``window`` articles match, only the newest ``window`` of them (highest rowids,
  the most recently archived) are ranked: a subquery ``ORDER BY rowid DESC LIMIT
  window``, whose order FTS5 produces itself by walking its doclists backwards, so it
  stops after ``window`` matches. With the optional C extension ``crawler.search._rank``
  (``crawler/search/_rank.c``) the ranking function is ``newsarchive_bm25``: bm25's formula
  with each phrase's IDF passed in, counted exactly for phrases with fewer than
  :data:`IDF_EXACT_HITS` hits and estimated from the rowid density of the newest hits
  above that, instead of FTS5 reading every phrase's whole doclist for each query.
  Without the extension, FTS5's own bm25 ranks the window.
* **Without the plugin** (the plain ``sqlite3`` shell) ``SELECT`` on ``articles`` works;
  any write that touches ``title`` or ``body`` fails with ``no such tokenizer`` inside
  the trigger, so the index can never silently fall behind. :func:`reindex` rebuilds.
"""

from __future__ import annotations

import ctypes
import logging
import math
import re
import sqlite3
import struct
import sys
import threading
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from crawler import speedups as speedups_
from crawler.search import chars

if TYPE_CHECKING:  # pragma: no cover
    import sqlite_utils

log = logging.getLogger(__name__)

#: The name FTS5 knows the tokenizer by.
TOKENIZER = "newsarchive"
#: Bumped whenever tokens change (normalisation, table, rules). An index built by another
#: version is rebuilt by :func:`ensure_index` / :func:`reindex`; the tokenizer refuses it.
TOKENIZER_VERSION = 2
TABLE = "articles"
FTS_TABLE = "articles_fts"
#: Indexed columns of ``articles``, in order. bm25 weights in :data:`WEIGHTS`.
COLUMNS = ("title", "body")
#: bm25 column weights: a title hit counts three times a body hit.
WEIGHTS = (3.0, 1.0)
#: The index's configured rank (FTS5's own bm25), used without the C extension.
RANK = "bm25(3.0, 1.0)"
#: The C ranking function (``crawler/search/_rank.c``): bm25 with the phrases' IDFs as arguments.
RANK_FUNCTION = "newsarchive_bm25"
#: :func:`search` ranks only the newest this many matches when more match (0: all).
DEFAULT_WINDOW = 2000
#: A phrase's document frequency is counted exactly below this many hits and estimated
#: from the rowid density of its newest this many hits above (see :func:`phrase_idfs`).
IDF_EXACT_HITS = 2000
#: The C extensions' switches (:mod:`crawler.speedups`).
REQUIRE_SPEEDUPS_ENV = speedups_.REQUIRE_ENV
NO_SPEEDUPS_ENV = speedups_.NO_ENV


class QueryError(ValueError):
    """A search query that cannot be understood. The message says why, in one line."""


class TokenizerError(RuntimeError):
    """The tokenizer cannot be registered on this connection."""


_rank = speedups_.load(
    "search._rank",
    "search ranks with FTS5's bm25 and indexes through Python (the same results, slower)",
)


def speedups() -> bool:
    """Whether the C ranking function (``crawler.search._rank``) is in use."""
    return _rank is not None


# =========================================================================================
# Normalisation
# =========================================================================================


def _load_t2s() -> dict[int, str]:
    flat = "".join(_T2S_PAIRS.split())
    return {ord(flat[i]): flat[i + 1] for i in range(0, len(flat), 2)}


_T2S: dict[int, str] = {}  # filled at the end of the module (the table is long)
_ASTRAL_RE = re.compile("[\U00010000-\U0010ffff]")


def _fold_slow(text: str) -> str:
    t = unicodedata.normalize("NFKC", text)
    t = unicodedata.normalize("NFKC", t.casefold())
    return t.translate(_T2S)


_FOLD_TABLE: list[str] = []


def _fold_table() -> list[str]:
    """``str.translate`` table: each BMP character to its fold (built once, ~50 ms)."""
    return chars.bmp_table(_fold_slow, _FOLD_TABLE)


def fold(text: str) -> str:
    """NFKC, case folding, and traditional → simplified (``消費`` → ``消费``).

    This is the one normalisation: documents, queries and expected results all go
    through it. Full-width forms (``ＡＢＣ１２３``, ``，``) become their ASCII forms by NFKC.
    Each BMP character is first replaced by its own fold (a table lookup, fast), then
    the text as a whole is NFKC-normalised and case-folded again, which composes
    sequences such as ``e`` + U+0301. It is idempotent: ``fold(fold(s)) == fold(s)``.
    """
    t = text.translate(_FOLD_TABLE or _fold_table())
    if t.isascii():
        return t
    astral = _ASTRAL_RE.search(t)  # not in the table: e.g. U+2F8xx, which NFKC maps to BMP
    t = unicodedata.normalize("NFKC", t)
    t = unicodedata.normalize("NFKC", t.casefold())
    if astral:
        t = t.translate(_T2S)
    return t


#: A run of word characters: letters and digits of any script (``_`` excluded).
_SEGMENT_RE = re.compile(r"[^\W_]+")
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
    """
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


def normalize(text: str) -> str:
    """The searchable form of ``text``: :func:`fold`, then every run of characters that
    are not letters or digits (spaces, punctuation, symbols) becomes one space.

    A row matches a query term exactly when ``normalize(term)`` is a substring of
    ``normalize(title)`` or ``normalize(body)``.

    >>> normalize("「消費者」ＩＰＨＯＮＥ１５，３·１５")
    '消费者 iphone15 3 15'
    """
    return " ".join(_SEGMENT_RE.findall(fold(text)))


#: The query-side name of the same function (a query term is normalised like text).
normalize_query = normalize


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


# =========================================================================================
# The FTS5 tokenizer, through ctypes
# =========================================================================================

SQLITE_OK = 0
SQLITE_ERROR = 1
SQLITE_ROW = 100
FTS5_TOKENIZE_QUERY = 0x0001
FTS5_TOKENIZE_PREFIX = 0x0002
FTS5_TOKENIZE_DOCUMENT = 0x0004
FTS5_TOKENIZE_AUX = 0x0008
FTS5_TOKEN_COLOCATED = 0x0001

_c_int = ctypes.c_int
_vp = ctypes.c_void_p

_XTOKEN = ctypes.CFUNCTYPE(_c_int, _vp, _c_int, ctypes.c_char_p, _c_int, _c_int, _c_int)
_XCREATE = ctypes.CFUNCTYPE(_c_int, _vp, ctypes.POINTER(ctypes.c_char_p), _c_int, _vp)
#: xTokenize with raw pointers, so FTS5's own xToken can be passed straight on to C.
_XTOKENIZE = ctypes.CFUNCTYPE(_c_int, _vp, _vp, _c_int, _vp, _c_int, _vp)


class _Fts5Tokenizer(ctypes.Structure):
    _fields_ = [("xCreate", _vp), ("xDelete", _vp), ("xTokenize", _vp)]


class _Fts5Api(ctypes.Structure):
    _fields_ = [
        ("iVersion", _c_int),
        ("xCreateTokenizer", _vp),
        ("xFindTokenizer", _vp),
        ("xCreateFunction", _vp),
    ]


_CREATE_TOKENIZER = ctypes.CFUNCTYPE(
    _c_int, _vp, ctypes.c_char_p, _vp, ctypes.POINTER(_Fts5Tokenizer), _vp
)
_FIND_TOKENIZER = ctypes.CFUNCTYPE(
    _c_int, _vp, ctypes.c_char_p, ctypes.POINTER(_vp), ctypes.POINTER(_Fts5Tokenizer)
)
_C_XCREATE = ctypes.CFUNCTYPE(_c_int, _vp, _vp, _c_int, ctypes.POINTER(_vp))
#: ``colocate(ascii_xTokenize, tokenizer, ctx, flags, text, n, xToken)`` of crawler/search/_rank.c.
_COLOCATE = ctypes.CFUNCTYPE(_c_int, _vp, _vp, _vp, _c_int, ctypes.c_char_p, _c_int, _vp)
#: The C extension's colocate(), if it is built (an older build may lack it).
_colocate = (
    _COLOCATE(_rank.colocate()) if _rank is not None and hasattr(_rank, "colocate") else None
)
#: fts5_api.xCreateFunction(api, name, user_data, xFunction, xDestroy).
_CREATE_FUNCTION = ctypes.CFUNCTYPE(_c_int, _vp, ctypes.c_char_p, _vp, _vp, _vp)


class _Lib:
    """The libsqlite3 that Python's own ``sqlite3`` module is linked against."""

    def __init__(self) -> None:
        import _sqlite3

        # Only the library the _sqlite3 module itself uses: looked up through the module
        # (dlsym searches its dependencies), or on Windows the already loaded sqlite3.dll.
        # Another copy of SQLite would not know this connection's handle.
        lib = None
        candidates = [_sqlite3.__file__] + (["sqlite3"] if sys.platform == "win32" else [])
        for candidate in candidates:
            try:
                lib = ctypes.CDLL(candidate)
                lib.sqlite3_libversion  # noqa: B018 - the probe
                break
            except (OSError, AttributeError):
                lib = None
        if lib is None:
            raise TokenizerError("cannot find the SQLite library of Python's sqlite3 module")
        lib.sqlite3_libversion.restype = ctypes.c_char_p
        version = lib.sqlite3_libversion().decode()
        if version != sqlite3.sqlite_version:
            raise TokenizerError(
                f"ctypes found SQLite {version} but Python's sqlite3 uses "
                f"{sqlite3.sqlite_version}; cannot register the tokenizer"
            )
        lib.sqlite3_prepare_v2.argtypes = [_vp, ctypes.c_char_p, _c_int, ctypes.POINTER(_vp), _vp]
        lib.sqlite3_prepare_v2.restype = _c_int
        lib.sqlite3_bind_pointer.argtypes = [_vp, _c_int, _vp, ctypes.c_char_p, _vp]
        lib.sqlite3_bind_pointer.restype = _c_int
        lib.sqlite3_step.argtypes = [_vp]
        lib.sqlite3_step.restype = _c_int
        lib.sqlite3_finalize.argtypes = [_vp]
        lib.sqlite3_finalize.restype = _c_int
        lib.sqlite3_db_filename.argtypes = [_vp, ctypes.c_char_p]
        lib.sqlite3_db_filename.restype = ctypes.c_char_p
        lib.sqlite3_errmsg.argtypes = [_vp]
        lib.sqlite3_errmsg.restype = ctypes.c_char_p
        self.lib = lib

    def address(self, name: str) -> int:
        """The address of one of the library's C functions."""
        return ctypes.cast(getattr(self.lib, name), _vp).value or 0


_lib: _Lib | None = None
_lock = threading.Lock()
_xtoken_cache: dict[int, Any] = {}
_FTS5_API_PTR = b"fts5_api_ptr"
#: Set by :func:`reindex` while it drops an index built by another tokenizer version.
_accept_any_version = threading.local()
_accept_any_version.on = False


def _get_lib() -> _Lib:
    global _lib
    if _lib is None:
        with _lock:
            if _lib is None:
                _lib = _Lib()
    return _lib


def _db_handle(conn: sqlite3.Connection) -> int:
    """The ``sqlite3*`` of a Python connection: the first field after PyObject_HEAD."""
    lib = _get_lib().lib
    handle = _vp.from_address(id(conn) + object.__basicsize__).value
    if not handle:
        raise TokenizerError("the connection is closed")
    # Check we read the right field: SQLite must report the same main database file.
    row = conn.execute("PRAGMA database_list").fetchone()
    expected = (row[2] or "") if row else ""
    got = (lib.sqlite3_db_filename(handle, b"main") or b"").decode("utf-8", "replace")
    if got != expected:
        raise TokenizerError("cannot find the SQLite handle of this Python connection")
    return handle


def _fts5_api(handle: int) -> int:
    lib = _get_lib().lib
    stmt = _vp()
    api = _vp(0)
    rc = lib.sqlite3_prepare_v2(handle, b"SELECT fts5(?1)", -1, ctypes.byref(stmt), None)
    if rc != SQLITE_OK:
        msg = (lib.sqlite3_errmsg(handle) or b"").decode()
        raise TokenizerError(f"this SQLite has no FTS5 ({msg})")
    try:
        lib.sqlite3_bind_pointer(stmt, 1, ctypes.addressof(api), _FTS5_API_PTR, None)
        lib.sqlite3_step(stmt)
    finally:
        lib.sqlite3_finalize(stmt)
    if not api.value:
        raise TokenizerError("FTS5 did not hand out its fts5_api")
    return api.value


def _xtoken(addr: int) -> Any:
    fn = _xtoken_cache.get(addr)
    if fn is None:
        fn = _xtoken_cache[addr] = _XTOKEN(addr)
    return fn


#: SQLite's ``ascii`` tokenizer (static C functions, the same for every connection).
_ascii: dict[str, Any] = {}


def _find_ascii(api_ptr: int) -> None:
    if _ascii:
        return
    api = _Fts5Api.from_address(api_ptr)
    ud = _vp()
    tok = _Fts5Tokenizer()
    if _FIND_TOKENIZER(api.xFindTokenizer)(api_ptr, b"ascii", ctypes.byref(ud), ctypes.byref(tok)):
        raise TokenizerError("FTS5 has no ascii tokenizer")
    _ascii.update(
        xtokenize=tok.xTokenize,
        user_data=ud.value,
        create=_C_XCREATE(tok.xCreate),
        delete_ptr=tok.xDelete,
    )


@_XCREATE
def _x_create(user_data: int, az_arg: Any, n_arg: int, pp_out: int) -> int:
    """An instance of ours *is* an ascii tokenizer instance: xDelete is ascii's own (C),
    so closing a connection never calls into Python, even at interpreter exit."""
    try:
        args = [az_arg[i].decode() for i in range(n_arg)]
        stale = args and args[0] != str(TOKENIZER_VERSION)
        if stale and not getattr(_accept_any_version, "on", False):
            log.error(
                "articles_fts was built by tokenizer version %s, this is version %s: "
                "run `newsarchive reindex`",
                args[0],
                TOKENIZER_VERSION,
            )
            return SQLITE_ERROR
        inst = _vp()
        if _ascii["create"](_ascii["user_data"], None, 0, ctypes.byref(inst)):
            return SQLITE_ERROR
        _vp.from_address(pp_out).value = inst.value
        return SQLITE_OK
    except Exception:  # noqa: BLE001 - never let an exception cross into C
        log.exception("newsarchive tokenizer: xCreate failed")
        return SQLITE_ERROR


@_XTOKENIZE
def _x_tokenize(p_tok: int, p_ctx: int, flags: int, p_text: int, n_text: int, x_token: int) -> int:
    try:
        raw = ctypes.string_at(p_text, n_text) if n_text > 0 else b""
        if flags & FTS5_TOKENIZE_DOCUMENT:
            # Fast path: the tokens as one string, tokenized by SQLite's C ascii tokenizer,
            # which calls FTS5's xToken itself (through crawler.search._rank's colocate(), which
            # flags the trigrams). Offsets are unused when indexing.
            table = getattr(_pretokenized, "table", None)
            buf = table.get(raw) if table else None
            if buf is None:
                buf = document_buffer(raw.decode("utf-8", "replace"))
            if _colocate is not None:
                return _colocate(_ascii["xtokenize"], p_tok, p_ctx, flags, buf, len(buf), x_token)
            return _emit_buffer(_xtoken(x_token), p_ctx, buf)
        emit = _xtoken(x_token)
        if flags & FTS5_TOKENIZE_QUERY:
            text = raw.decode("utf-8", "replace")
            for tok in query_tokens(text):
                b = tok.encode()
                rc = emit(p_ctx, 0, b, len(b), 0, n_text)
                if rc != SQLITE_OK:
                    return rc
            return SQLITE_OK
        for b, start, end in _aux_tokens(raw):
            rc = emit(p_ctx, 0, b, len(b), start, end)
            if rc != SQLITE_OK:
                return rc
        return SQLITE_OK
    except Exception:  # noqa: BLE001
        log.exception("newsarchive tokenizer: xTokenize failed")
        return SQLITE_ERROR


def _emit_buffer(emit: Any, p_ctx: int, buf: bytes) -> int:
    """What ``colocate()`` of ``crawler/search/_rank.c`` does, in Python (without the extension)."""
    for tok in _BUFFER_SPLIT_RE.split(buf):
        if tok:
            colocated = tok.startswith(_TRIGRAM_MARK_UTF8)
            rc = emit(p_ctx, FTS5_TOKEN_COLOCATED if colocated else 0, tok, len(tok), 0, 0)
            if rc != SQLITE_OK:
                return rc
    return SQLITE_OK


# The callbacks must outlive every connection, including those closed while the
# interpreter shuts down: make them immortal.
for _cb in (_x_create, _x_tokenize):
    ctypes.pythonapi.Py_IncRef(ctypes.py_object(_cb))
_TOKENIZER_STRUCT = _Fts5Tokenizer(
    ctypes.cast(_x_create, _vp).value, None, ctypes.cast(_x_tokenize, _vp).value
)


_rank_ready = False


def _register_rank_function(api: _Fts5Api, api_ptr: int) -> None:
    """Put ``newsarchive_bm25`` (``crawler.search._rank``) on the connection of ``api_ptr``.

    Its user data is the ``fts5_api*`` itself, and its xDestroy (C) forgets that pointer
    when the connection closes, so ``_rank.registered()`` is exact per open connection.
    """
    global _rank_ready
    assert _rank is not None
    lib = _get_lib()
    with _lock:
        if not _rank_ready:
            _rank.init(
                lib.address("sqlite3_result_double"),
                lib.address("sqlite3_result_error"),
                lib.address("sqlite3_value_double"),
                lib.address("sqlite3_value_type"),
                lib.address("sqlite3_value_blob"),
                lib.address("sqlite3_value_bytes"),
            )
            _rank_ready = True
        rc = _CREATE_FUNCTION(api.xCreateFunction)(
            api_ptr, RANK_FUNCTION.encode(), api_ptr, _rank.function(), _rank.destroy()
        )
        if rc != SQLITE_OK:
            raise TokenizerError(f"FTS5 refused the function {RANK_FUNCTION} (error {rc})")
        _rank.add(api_ptr)


def register(conn: sqlite3.Connection) -> None:
    """Make the ``newsarchive`` FTS5 tokenizer available on ``conn``, and the ranking
    function ``newsarchive_bm25`` when the C extension is installed (:func:`speedups`).

    Idempotent and cheap (a lookup when already registered). On a database that has
    the search index it also turns on ``recursive_triggers``, so that ``INSERT OR
    REPLACE`` fires the delete trigger for the row it replaces and the index cannot
    keep the old row's tokens (other databases are left as they are).

    Raises :class:`TokenizerError` if the tokenizer cannot be installed.
    """
    handle = _db_handle(conn)
    api_ptr = _fts5_api(handle)
    if not _ascii:
        with _lock:
            _find_ascii(api_ptr)
            _TOKENIZER_STRUCT.xDelete = _ascii["delete_ptr"]
    api = _Fts5Api.from_address(api_ptr)
    if _rank is not None and not _rank.registered(api_ptr):
        _register_rank_function(api, api_ptr)
    found = _Fts5Tokenizer()
    ud = _vp()
    if (
        _FIND_TOKENIZER(api.xFindTokenizer)(
            api_ptr, TOKENIZER.encode(), ctypes.byref(ud), ctypes.byref(found)
        )
        != SQLITE_OK
        or found.xTokenize != _TOKENIZER_STRUCT.xTokenize
    ):
        rc = _CREATE_TOKENIZER(api.xCreateTokenizer)(
            api_ptr, TOKENIZER.encode(), api_ptr, ctypes.byref(_TOKENIZER_STRUCT), None
        )
        if rc != SQLITE_OK:
            raise TokenizerError(f"FTS5 refused the tokenizer (error {rc})")
    if _index_sql(conn) is not None:
        conn.execute("PRAGMA recursive_triggers = ON")


# =========================================================================================
# The index: articles_fts
# =========================================================================================

_VERSION_RE = re.compile(r"tokenize\s*=\s*'" + TOKENIZER + r"\s+(\d+)'")
_TRIGGERS: dict[str, str] = {
    "articles_ai": (
        'CREATE TRIGGER "articles_ai" AFTER INSERT ON "articles" BEGIN\n'
        '  INSERT INTO "articles_fts" (rowid, "title", "body")'
        " VALUES (new.rowid, new.title, new.body);\nEND"
    ),
    "articles_ad": (
        'CREATE TRIGGER "articles_ad" AFTER DELETE ON "articles" BEGIN\n'
        '  INSERT INTO "articles_fts" ("articles_fts", rowid, "title", "body")'
        " VALUES ('delete', old.rowid, old.title, old.body);\nEND"
    ),
    # Only when title or body is set: metadata updates need no tokenizer.
    "articles_au": (
        'CREATE TRIGGER "articles_au" AFTER UPDATE OF "title", "body" ON "articles"\n'
        "WHEN old.title IS NOT new.title OR old.body IS NOT new.body BEGIN\n"
        '  INSERT INTO "articles_fts" ("articles_fts", rowid, "title", "body")'
        " VALUES ('delete', old.rowid, old.title, old.body);\n"
        '  INSERT INTO "articles_fts" (rowid, "title", "body")'
        " VALUES (new.rowid, new.title, new.body);\nEND"
    ),
}


def _create_sql() -> str:
    cols = ", ".join(f'"{c}"' for c in COLUMNS)
    return (
        f'CREATE VIRTUAL TABLE "{FTS_TABLE}" USING fts5({cols}, content="{TABLE}", '
        f"tokenize='{TOKENIZER} {TOKENIZER_VERSION}')"
    )


def _conn(db: sqlite_utils.Database | sqlite3.Connection) -> sqlite3.Connection:
    return db if isinstance(db, sqlite3.Connection) else db.conn


def _index_sql(conn: sqlite3.Connection) -> str | None:
    row = conn.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", [FTS_TABLE]
    ).fetchone()
    return None if row is None else (row[0] or "")


def _version_problem(sql: str | None) -> str | None:
    if sql is None:
        return f"there is no search index ({FTS_TABLE})"
    m = _VERSION_RE.search(sql)
    if not m or int(m.group(1)) != TOKENIZER_VERSION:
        built = m.group(1) if m else "unknown"
        return (
            f"the search index was built by tokenizer version {built}, "
            f"this newsarchive uses version {TOKENIZER_VERSION}"
        )
    return None


def index_problems(db: sqlite_utils.Database | sqlite3.Connection) -> list[str]:
    """What is wrong with the search index, if anything (empty list: nothing).

    Checks that ``articles_fts`` exists, was built by this tokenizer version, has its
    three triggers, and holds one entry per article (a count: milliseconds per 100k).
    """
    conn = _conn(db)
    problem = _version_problem(_index_sql(conn))
    if problem:
        return [problem]
    problems = []
    have = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
    missing = sorted(set(_TRIGGERS) - have)
    if missing:
        problems.append(f"triggers missing: {', '.join(missing)}")
    n_articles = conn.execute(f'SELECT count(*) FROM "{TABLE}"').fetchone()[0]
    n_indexed = conn.execute(f'SELECT count(*) FROM "{FTS_TABLE}_docsize"').fetchone()[0]
    if n_articles != n_indexed:
        problems.append(f"{n_indexed} articles indexed, {n_articles} in the archive")
    return problems


def _build(conn: sqlite3.Connection) -> int:
    """Drop and recreate ``articles_fts`` and its triggers, index every article."""
    _accept_any_version.on = True
    try:
        for name in _TRIGGERS:
            conn.execute(f'DROP TRIGGER IF EXISTS "{name}"')
        conn.execute(f'DROP TABLE IF EXISTS "{FTS_TABLE}"')
    finally:
        _accept_any_version.on = False
    conn.execute(_create_sql())
    conn.execute(f'INSERT INTO "{FTS_TABLE}" ("{FTS_TABLE}", rank) VALUES (\'rank\', ?)', [RANK])
    for sql in _TRIGGERS.values():
        conn.execute(sql)
    conn.execute("PRAGMA recursive_triggers = ON")  # see register()
    conn.execute(f'INSERT INTO "{FTS_TABLE}" ("{FTS_TABLE}") VALUES (\'rebuild\')')
    conn.execute(f'INSERT INTO "{FTS_TABLE}" ("{FTS_TABLE}") VALUES (\'optimize\')')
    return conn.execute(f'SELECT count(*) FROM "{FTS_TABLE}_docsize"').fetchone()[0]


def ensure_index(db: sqlite_utils.Database | sqlite3.Connection) -> None:
    """Create the search index of ``articles`` (and its triggers) if it is absent.

    Cheap when the index is in order. An index built by another tokenizer version, or
    missing a trigger, is rebuilt (logged). Needs the ``articles`` table. Runs inside
    the caller's transaction if there is one.
    """
    conn = _conn(db)
    register(conn)
    problems = index_problems(conn)
    if not problems:
        return
    if conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", [FTS_TABLE]
    ).fetchone():
        log.warning("rebuilding the search index: %s", "; ".join(problems))
    if conn.in_transaction:
        _build(conn)
    else:
        with conn:
            _build(conn)


def reindex(db: sqlite_utils.Database | sqlite3.Connection) -> int:
    """Rebuild the search index from ``articles``; returns how many articles it holds.

    Use after writing to the archive with a tool that bypassed the triggers, after
    restoring a copy, or to pick up a new tokenizer version. One transaction.
    """
    conn = _conn(db)
    register(conn)
    if not conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", [TABLE]
    ).fetchone():
        raise SearchIndexError(f"there is no {TABLE} table to index")
    if conn.in_transaction:
        return _build(conn)
    with conn:
        return _build(conn)


# =========================================================================================
# Queries
# =========================================================================================


def _lex(query: str) -> list[tuple[str, str, bool]]:
    """``(kind, text, negated)`` items: kind is ``"term"``, ``"phrase"``, ``"OR"``,
    ``"AND"`` or ``"NOT"``."""
    items: list[tuple[str, str, bool]] = []
    i, n = 0, len(query)
    while i < n:
        c = query[i]
        if c.isspace():
            i += 1
            continue
        neg = False
        if c == "-":
            if i + 1 >= n or query[i + 1].isspace():
                raise QueryError("'-' must be followed directly by the word to exclude")
            neg = True
            i += 1
            c = query[i]
        if c == '"':
            j = query.find('"', i + 1)
            if j < 0:
                raise QueryError('unbalanced quote: a phrase opened with " is never closed')
            items.append(("phrase", query[i + 1 : j], neg))
            i = j + 1
            continue
        j = i
        while j < n and not query[j].isspace() and query[j] != '"':
            j += 1
        word = query[i:j]
        i = j
        if word in ("OR", "AND", "NOT") and not neg:
            items.append((word, word, False))
        else:
            items.append(("term", word, neg))
    return items


def _term(text: str, quoted: bool) -> str:
    norm = normalize(text)
    if not norm:
        what = f'"{text}"' if quoted else f"'{text}'"
        raise QueryError(f"{what} has no letters or digits to search for")
    return norm


def _fts_phrase(norm: str) -> str:
    last = norm.rsplit(" ", 1)[-1]
    return f'"{norm}"' + ("*" if len(last) == 1 else "")


def parse_query(query: str) -> tuple[list[list[str]], list[str]]:
    """The normalised terms of a query: OR-groups that must all match, and excluded terms.

    >>> parse_query('召回 汽车 OR 電動車 -"二手，汽车"')
    ([['召回'], ['汽车', '电动车']], ['二手 汽车'])

    Raises :class:`QueryError` with a one-line reason for a query it cannot parse.
    """
    if not query or not query.strip():
        raise QueryError("empty query: give at least one word to search for")
    groups: list[list[str]] = []
    negatives: list[str] = []
    prev = None  # kind of the previous item: "pos", "neg", "OR", "AND", "NOT"
    for kind, text, neg in _lex(query):
        if kind in ("AND", "NOT"):  # FTS5's operators, as sqlite-utils and Datasette take
            if prev not in ("pos", "neg"):
                raise QueryError(f"{kind} must stand between two words (e.g. 召回 {kind} 汽车)")
            prev = kind
            continue
        if prev == "NOT":
            neg = not neg
            if not neg:
                raise QueryError("NOT cannot be followed by an excluded -word")
        if prev == "AND":
            prev = None  # an explicit AND is the implicit one
        if kind == "OR":
            if prev != "pos":
                raise QueryError("OR must stand between two words (e.g. 召回 OR 退货)")
            prev = "OR"
            continue
        term = _term(text, kind == "phrase")
        if neg:
            if prev == "OR":
                raise QueryError("OR cannot be followed by an excluded -word")
            negatives.append(term)
            prev = "neg"
        elif prev == "OR":
            groups[-1].append(term)
            prev = "pos"
        else:
            groups.append([term])
            prev = "pos"
    if prev in ("OR", "AND", "NOT"):
        raise QueryError(f"{prev} must stand between two words (e.g. 召回 {prev} 汽车)")
    if not groups:
        raise QueryError("nothing to search for: a query needs a word that is not excluded")
    return groups, negatives


def translate_query(query: str) -> str:
    """Translate a user query into an FTS5 MATCH expression for ``articles_fts``.

    Syntax: words separated by spaces must all occur (AND); ``"a quoted phrase"`` must
    occur as written (spaces and punctuation inside it match any separator); ``A OR B``
    needs either (OR binds tighter than the implicit AND: ``召回 汽车 OR 电动车`` is
    召回 AND (汽车 OR 电动车)); ``-word`` or ``-"phrase"`` excludes. Each word matches
    where its :func:`normalize` form is a substring of the normalised title or body:
    ``专利`` finds 专利权, ``iphone`` finds iPhone15, ``消費`` finds 消费. A word of one
    character is a prefix query.

    >>> translate_query('召回 汽车 OR 电动车 -"二手 汽车" 专')
    '("召回") AND ("汽车" OR "电动车") AND ("专"*) NOT ("二手 汽车")'

    Raises :class:`QueryError` with a one-line reason for a query it cannot parse.
    """
    return _expression(*parse_query(query))


def _expression(groups: list[list[str]], negatives: list[str]) -> str:
    out = " AND ".join("(" + " OR ".join(map(_fts_phrase, g)) + ")" for g in groups)
    if negatives:
        out += " NOT (" + " OR ".join(map(_fts_phrase, negatives)) + ")"
    return out


def query_phrases(query: str) -> list[str]:
    """The FTS5 phrases of :func:`translate_query`'s expression, in the order FTS5
    numbers them (the order they are written in it, excluded phrases last).

    >>> query_phrases('召回 汽车 OR 电动车 -"二手 汽车" 专')
    ['"召回"', '"汽车"', '"电动车"', '"专"*', '"二手 汽车"']
    """
    return _phrases(*parse_query(query))


def _phrases(groups: list[list[str]], negatives: list[str]) -> list[str]:
    return [_fts_phrase(t) for g in groups for t in g] + [_fts_phrase(t) for t in negatives]


def _varint(buf: bytes, i: int) -> tuple[int, int]:
    """An SQLite varint (as FTS5 writes them) at ``buf[i]``: value and next offset."""
    value = 0
    for k in range(8):
        byte = buf[i + k]
        value = (value << 7) | (byte & 0x7F)
        if byte < 0x80:
            return value, i + k + 1
    return (value << 8) | buf[i + 8], i + 9


def _indexed_rows(conn: sqlite3.Connection) -> int:
    """How many rows the index holds: FTS5's own count (``xRowCount``), read from its
    averages record (``%_data`` id 1: a varint row count, then per-column token totals)."""
    row = conn.execute(f'SELECT block FROM "{FTS_TABLE}_data" WHERE id = 1').fetchone()
    if row is None or not row[0]:
        return 0
    try:
        return _varint(row[0], 0)[0]
    except IndexError:  # pragma: no cover - a damaged record: count instead
        return conn.execute(f'SELECT count(*) FROM "{FTS_TABLE}_docsize"').fetchone()[0]


def _idf(n: int, df: int | float) -> float:
    """FTS5's bm25 IDF (``fts5Bm25GetData``), including its floor for frequent phrases."""
    idf = math.log((n - df + 0.5) / (df + 0.5))
    return idf if idf > 0.0 else 1e-6


def phrase_idfs(
    db: sqlite_utils.Database | sqlite3.Connection,
    phrases: list[str],
    exact_below: int | None = None,
) -> list[float]:
    """bm25's IDF of each FTS5 phrase (see :func:`query_phrases`), without a full scan.

    A phrase's document frequency ``df`` is counted exactly while it has fewer than
    ``exact_below`` (C) hits: then the IDF is exactly FTS5's. Otherwise it is estimated
    from the rowid density of its newest C hits, ``df = C * (max_rowid - min_rowid + 1) /
    (max_rowid - r_C + 1)`` (r_C the rowid of the C-th newest hit, capped at the row
    count), which reads C hits instead of the whole doclist. bm25 gives every phrase in
    more than half of the rows the same tiny IDF, so a coarse estimate of a frequent
    phrase changes nothing; for rarer ones the density is close. The cost is at most C
    hits read per phrase.
    """
    if exact_below is None:
        exact_below = IDF_EXACT_HITS
    if exact_below < 1:
        raise ValueError("exact_below must be at least 1")
    conn = _conn(db)
    n = _indexed_rows(conn)
    sql = (
        f'SELECT count(*), min(rowid) FROM (SELECT rowid FROM "{FTS_TABLE}"'
        f' WHERE "{FTS_TABLE}" MATCH ? ORDER BY rowid DESC LIMIT ?)'
    )
    known: dict[str, float] = {}
    out = []
    for phrase in phrases:
        if phrase not in known:
            hits, r_c = conn.execute(sql, [phrase, exact_below]).fetchone()
            if hits < exact_below:
                known[phrase] = _idf(n, hits)
            else:
                known[phrase] = _idf_estimate(conn, r_c, exact_below, n)
        out.append(known[phrase])
    return out


def _idf_estimate(conn: sqlite3.Connection, r_c: int, c: int, n: int | None = None) -> float:
    """The IDF of a phrase whose ``c``-th newest hit is the row ``r_c``, from the density
    of its hits among the newest rows (see :func:`phrase_idfs`)."""
    if n is None:
        n = _indexed_rows(conn)
    lo_id, hi_id = conn.execute(
        f'SELECT (SELECT min(rowid) FROM "{TABLE}"), (SELECT max(rowid) FROM "{TABLE}")'
    ).fetchone()
    return _idf(n, min(float(n), c * (hi_id - lo_id + 1) / max(1, hi_id - r_c + 1)))


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


def _date_bound(value: str, option: str, end: bool) -> str:
    """``published_at`` bound for ``--since``/``--until``: a date or ISO date-time."""
    from crawler.dates import parse_date
    from crawler.errors import UsageError

    try:
        v = parse_date(value, option)
    except UsageError as exc:
        raise QueryError(str(exc)) from None
    d = date.fromisoformat(v[:10])
    if len(v) == 10:
        return (d + timedelta(days=1)).isoformat() if end else d.isoformat()
    return v


class SearchIndexError(RuntimeError):
    """The archive has no usable search index; ``newsarchive reindex`` fixes it."""


def search(
    db: sqlite_utils.Database | sqlite3.Connection,
    query: str,
    *,
    site: str | None = None,
    since: str | None = None,
    until: str | None = None,
    limit: int | None = 20,
    marks: tuple[str, str] = ("[", "]"),
    snippet_chars: int = 80,
    unique: bool = False,
    window: int = DEFAULT_WINDOW,
) -> list[dict[str, Any]]:
    """Articles matching ``query`` (see :func:`translate_query`), best bm25 rank first.

    When more than ``window`` articles match (after ``site``/``since``/``until``), only
    the ``window`` most recently archived of them (highest rowids; at least ``limit``)
    are ranked, which bounds the work for frequent words: the set of matching articles
    is the same, only which of them come first can change. ``window=0``, or
    ``limit=None`` (every match), ranks all of them. With the C extension
    (:func:`speedups`) the ranking function is ``newsarchive_bm25`` with IDFs from
    :func:`phrase_idfs` (FTS5's bm25 exactly while every phrase has fewer than
    :data:`IDF_EXACT_HITS` hits); without it, FTS5's bm25.

    With ``unique``, syndicated copies (``articles.duplicate_of``) collapse into one
    result per story, the best-ranked copy, with ``sites`` listing every site the story
    appeared on (earliest first) and ``copies`` how many archived articles carry it.

    Each result has ``url``, ``site``, ``title``, ``published_at``, ``snippet`` (a
    passage of the body, or else the title, around the first match, with every match
    wrapped in ``marks``), ``title_highlighted`` and ``rank`` (bm25; lower is better).
    ``since``/``until`` are inclusive dates (or ISO date-times) on
    ``published_at``; ``limit=None`` returns every match.

    Raises :class:`QueryError` for a query it cannot parse and
    :class:`SearchIndexError` if the archive has no search index.
    """
    groups, negatives = parse_query(query)  # once: the expression and its phrases
    match = _expression(groups, negatives)
    phrases = _phrases(groups, negatives)
    pattern = _term_pattern([t for g in groups for t in g])
    if limit is not None and limit < 1:
        raise QueryError("limit must be at least 1")
    if isinstance(window, bool) or not isinstance(window, int) or window < 0:
        raise QueryError(f"window must be a whole number, 0 or more (got {window!r})")
    conn = _conn(db)
    register(conn)
    problem = _version_problem(_index_sql(conn))
    if problem:
        raise SearchIndexError(f"{problem}: run `newsarchive reindex`")
    filters: list[str] = []
    params: dict[str, Any] = {"match": match, "limit": -1 if limit is None else int(limit)}
    if site:
        filters.append("a.site = :site")
        params["site"] = site
    if since:
        filters.append("a.published_at >= :since")
        params["since"] = _date_bound(since, "--since", end=False)
    if until:
        bound = _date_bound(until, "--until", end=True)
        filters.append("a.published_at " + ("<" if len(until.strip()) == 10 else "<=") + " :until")
        params["until"] = bound
    fts_ = f'"{FTS_TABLE}"'
    where = " AND ".join([f"{fts_} MATCH :match", *filters])
    windowed = limit is not None and window > 0
    if windowed and limit is not None:
        window = max(window, limit)  # `limit` results need at least as many ranked
    # One phrase, no filter, a window: the window's own rows tell the phrase's document
    # frequency (all of its hits, or its newest `window`), and its IDF, one positive
    # factor of every score, cannot change the order. So rank with IDF 1, scale after:
    # one pass over the phrase's hits instead of two.
    scale_later = (
        _rank is not None and windowed and len(phrases) == 1 and not filters and not unique
    )
    if _rank is not None:
        idfs = [1.0] if scale_later else phrase_idfs(conn, phrases)
        # One blob, not one argument per phrase: SQLite caps a function at 127 arguments.
        params["idfs"] = struct.pack(f"={len(idfs)}d", *idfs)
        rank = f"{RANK_FUNCTION}({fts_}, {', '.join(map(repr, WEIGHTS))}, :idfs)"
    else:
        rank = f"bm25({fts_}, {', '.join(map(repr, WEIGHTS))})"
    # Rank rowids only; the 20 articles shown are read afterwards. articles is joined
    # only when a filter or --unique needs it: its row lookups cost more than ranking.
    join = f' JOIN "{TABLE}" AS a ON a.rowid = {fts_}.rowid' if filters or unique else ""
    story = ", coalesce(a.duplicate_of, a.url)" if unique else ", NULL"
    ranked = f"SELECT {fts_}.rowid AS id, {rank} AS rank{story} FROM {fts_}{join} WHERE {where}"
    if windowed:
        # The window: the newest `window` matches, read newest first (FTS5 walks its
        # doclists backwards and stops there); only those are ranked.
        ranked = f"{ranked} ORDER BY {fts_}.rowid DESC LIMIT :window"
        params["window"] = window
    # Equal ranks: the newer article first.
    order = " ORDER BY rank, id DESC" + ("" if unique else " LIMIT :limit")
    if scale_later:
        # The window once (a CTE used twice is materialised): its best rows, then a
        # marked row with how many it holds and its oldest rowid.
        sql = (
            f"WITH w AS ({ranked}) SELECT * FROM (SELECT * FROM w{order})"
            " UNION ALL SELECT count(*), min(id), -1 FROM w"
        )
    else:
        sql = f"SELECT * FROM ({ranked}){order}"
    try:
        cursor = conn.execute(sql, params)
        if unique:  # keep the best-ranked copy of each story, reading only as far as needed
            hits, stories = [], set()
            for hit in cursor:
                if hit[2] not in stories:
                    stories.add(hit[2])
                    hits.append(hit)
                    if limit is not None and len(hits) >= limit:
                        break
        else:
            hits = cursor.fetchall()
        if scale_later:
            in_window, oldest = next(h[:2] for h in hits if h[2] == -1)
            hits = [h for h in hits if h[2] != -1]
            if in_window < min(window, IDF_EXACT_HITS):
                idf = _idf(_indexed_rows(conn), in_window)
            elif in_window == window == IDF_EXACT_HITS:  # oldest: the C-th newest hit
                idf = _idf_estimate(conn, oldest, window)
            else:  # the window cannot tell what phrase_idfs would: ask it
                idf = phrase_idfs(conn, phrases)[0]
            hits = [(h[0], h[1] * idf, h[2]) for h in hits]
        found = _articles_by_rowid(conn, [hit[0] for hit in hits])
    except sqlite3.OperationalError as exc:  # pragma: no cover - translate_query is strict
        raise QueryError(f"cannot search for {query!r}: {exc}") from None
    out = []
    for rowid, rank_, story_url in hits:
        if rowid not in found:  # pragma: no cover - an index behind its table (reindex)
            continue
        url, site_, title, published_at, body = found[rowid]
        snippet = highlight(body, pattern, marks, snippet_chars) or highlight(
            title, pattern, marks, snippet_chars
        )
        out.append(
            {
                "url": url,
                "site": site_,
                "title": title,
                "published_at": published_at,
                "snippet": snippet,
                "title_highlighted": highlight(title, pattern, marks),
                "rank": rank_,
            }
        )
        if unique:
            copies = conn.execute(
                f'SELECT site FROM "{TABLE}" WHERE url = ? OR duplicate_of = ?'
                " ORDER BY archived_at, url",
                [story_url, story_url],
            ).fetchall()
            out[-1]["sites"] = list(dict.fromkeys(r[0] for r in copies))
            out[-1]["copies"] = len(copies)
    return out


def _articles_by_rowid(conn: sqlite3.Connection, rowids: list[int]) -> dict[int, tuple]:
    """``rowid -> (url, site, title, published_at, body)`` of the given articles."""
    out: dict[int, tuple] = {}
    for i in range(0, len(rowids), 500):
        chunk = rowids[i : i + 500]
        sql = (
            f'SELECT rowid, url, site, title, published_at, body FROM "{TABLE}"'
            f" WHERE rowid IN ({', '.join('?' * len(chunk))})"
        )
        out.update((r[0], r[1:]) for r in conn.execute(sql, chunk))
    return out


def match_rowids(db: sqlite_utils.Database | sqlite3.Connection, query: str) -> set[int]:
    """The rowids of every article matching ``query``, unranked (for tests and tools)."""
    conn = _conn(db)
    register(conn)
    sql = f'SELECT rowid FROM "{FTS_TABLE}" WHERE "{FTS_TABLE}" MATCH ?'
    return {r[0] for r in conn.execute(sql, [translate_query(query)])}


# =========================================================================================
# Traditional -> simplified, one character to one character.
# Derived from OpenCC's TSCharacters.txt (Apache-2.0): the first simplified form of each
# traditional character, leaving out the characters OpenCC keeps as they are in some
# words (乾, 於, 著 ...), with chains resolved so the mapping is idempotent.
# =========================================================================================
_T2S_PAIRS = """
    㑮𫝈㑯㑔㑳㑇㑶㐹㒓𠉂㓄𪠟㓨刾㔋𪟎㖮𪠵㗲𠵾㗿𪡛㘉𠰱㘓𪢌㘔𫬐㘚㘎㛝𫝦㜄㚯㜏㛣㜐𫝧㜗𡞋
    㜢𡞱㜷𡝠㞞𪨊㟺𪩇㠏㟆㠣𫵷㢗𪪑㢝𢋈㥮㤘㦎𢛯㦛𢗓㦞𪫷㨻𪮃㩋𪮋㩜㨫㩳㧐㩵擜㪎𪯋㯤𣘐㰙𣗙
    㵗𣳆㵾𪷍㶆𫞛㷍𤆢㷿𤈷㸇𤎺㹽𫞣㺏𤠋㺜𪺻㻶𪼋㿖𪽮㿗𤻊㿧𤽯䀉𥁢䀹𥅴䁪𥇢䁻䀥䂎𥎝䃮鿎䅐𫀨
    䅳𫀬䆉𫁂䉑𫁲䉙𥬀䉬𫂈䉲𥮜䉶𫁷䊭𥺅䊷䌶䊺𫄚䋃𫄜䋔𫄞䋙䌺䋚䌻䋦𫄩䋹䌿䋻䌾䋼𫄮䋿𦈓䌈𦈖
    䌋𦈘䌖𦈜䌝𦈟䌟𦈞䌥𦈠䌰𦈙䍤𫅅䍦䍠䍽𦍠䎙𫅭䎱䎬䓣𬜯䕤𫟕䕳𦰴䖅𫟑䗅𫊪䗿𧉞䙔𫋲䙡䙌䙱𧜭
    䚩𫌯䛄𫍠䛳𫍫䜀䜧䜖𫟢䝭𫎧䝻𧹕䝼䞍䞈𧹑䞋𫎪䞓𫎭䟃𫎺䟆𫎳䟐𫎱䠆𫏃䠱𨅛䡐𫟤䡩𫟥䡵𫟦䢨𨑹
    䤤𫟺䥄𫠀䥇䦂䥑鿏䥕𬭯䥗𫔋䥩𨱖䥯𫔆䥱䥾䦘𨸄䦛䦶䦟䦷䦯𫔵䦳𨷿䧢𨸟䪊𫖅䪏𩏼䪗𩐀䪘𩏿䪴𫖫
    䪾𫖬䫀𫖱䫂𫖰䫟𫖲䫴𩖗䫶𫖺䫻𫗇䫾𫠈䬓𫗊䬘𩙮䬝𩙯䬞𩙧䬧𫗟䭀𩠇䭃𩠈䭑𫗱䭔𫗰䭿𩧭䮄𫠊䮝𩧰
    䮞𩨁䮠𩧿䮫𩨇䮰𫘮䮳𩨏䮾𩧪䯀䯅䯤𩩈䰾鲃䱀𫚐䱁𫚏䱙𩾈䱧𫚠䱬𩾊䱰𩾋䱷䲣䱸𫠑䱽䲝䲁鳚䲅𫚜
    䲖𩾂䲘鳤䲰𪉂䳜𫛬䳢𫛰䳤𫛮䳧𫛺䳫𫛼䴉鹮䴋𫜅䴬𪎈䴱𫜒䴴𪎋䴽𫜔䵳𪑅䵴𫜙䶕𫜨䶲𫜳丟丢並并
    亂乱亙亘亞亚佇伫佈布佔占併并來来侖仑侶侣侷局俁俣係系俓𠇹俔伣俠侠俥伡俬私倀伥倆俩
    倈俫倉仓個个們们倖幸倫伦倲㑈偉伟偑㐽側侧偵侦偽伪傌㐷傑杰傖伧傘伞備备傢家傭佣傯偬
    傳传傴伛債债傷伤傾倾僂偻僅仅僉佥僑侨僕仆僞伪僤𫢸僥侥僨偾僱雇價价儀仪儁俊儂侬億亿
    儈侩儉俭儎傤儐傧儔俦儕侪儘尽償偿儣𠆲優优儭𠋆儲储儷俪儸㑩儺傩儻傥儼俨兇凶兌兑兒儿
    兗兖內内兩两冊册冑胄冪幂凈净凍冻凙𪞝凜凛凱凯別别刪删剄刭則则剎刹剗刬剛刚剝剥剮剐
    剴剀創创剷铲剾𠛅劃划劇剧劉刘劊刽劌刿劍剑劏㓥劑剂劚㔉勁劲勑𠡠動动務务勛勋勝胜勞劳
    勢势勣𪟝勩勚勱劢勳勋勵励勸劝勻匀匭匦匯汇匱匮區区協协卹恤卻却卽即厙厍厠厕厤历厭厌
    厲厉厴厣參参叄叁叢丛吒咤吳吴吶呐呂吕咼呙員员哯𠯟唄呗唓𪠳唸念問问啓启啞哑啟启啢唡
    喎㖞喚唤喪丧喫吃喬乔單单喲哟嗆呛嗇啬嗊唝嗎吗嗚呜嗩唢嗰𠮶嗶哔嗹𪡏嘆叹嘍喽嘓啯嘔呕
    嘖啧嘗尝嘜唛嘩哗嘪𪡃嘮唠嘯啸嘰叽嘳𪡞嘵哓嘸呒嘺𪡀嘽啴噁恶噅𠯠噓嘘噚㖊噝咝噞𪡋噠哒
    噥哝噦哕噯嗳噲哙噴喷噸吨噹当嚀咛嚇吓嚌哜嚐尝嚕噜嚙啮嚛𪠸嚥咽嚦呖嚧𠰷嚨咙嚮向嚲亸
    嚳喾嚴严嚶嘤嚽𪢕囀啭囁嗫囂嚣囃𠱞囅冁囈呓囉啰囌苏囑嘱囒𪢠囪囱圇囵國国圍围園园圓圆
    圖图團团圞𪢮垻坝埡垭埨𫭢埬𪣆埰采執执堅坚堊垩堖垴堚𪣒堝埚堯尧報报場场塊块塋茔塏垲
    塒埘塗涂塚冢塢坞塤埙塵尘塸𫭟塹堑塿𪣻墊垫墜坠墠𫮃墮堕墰坛墲𪢸墳坟墶垯墻墙墾垦壇坛
    壈𡒄壋垱壎埙壓压壗𡋤壘垒壙圹壚垆壜坛壞坏壟垄壠垅壢坜壣𪤚壩坝壪塆壯壮壺壶壼壸壽寿
    夠够夢梦夾夹奐奂奧奥奩奁奪夺奬奖奮奋奼姹妝妆姍姗姦奸娙𫰛娛娱婁娄婡𫝫婦妇婭娅媈𫝨
    媧娲媯妫媰㛀媼媪媽妈嫋袅嫗妪嫵妩嫺娴嫻娴嫿婳嬀妫嬃媭嬇𫝬嬈娆嬋婵嬌娇嬙嫱嬡嫒嬣𪥰
    嬤嬷嬦𫝩嬪嫔嬰婴嬸婶嬻𪥿孃娘孄𫝮孆𫝭孇𪥫孋㛤孌娈孎𡠟孫孙學学孻𡥧孾𪧀孿孪宮宫寀采
    寠𪧘寢寝實实寧宁審审寫写寬宽寵宠寶宝將将專专尋寻對对導导尷尴屆届屍尸屓屃屜屉屢屡
    層层屨屦屩𪨗屬属岡冈峯峰峴岘島岛峽峡崍崃崑昆崗岗崙仑崢峥崬岽嵐岚嵗岁嵼𡶴嵽𫶇嵾㟥
    嶁嵝嶄崭嶇岖嶈𡺃嶔嵚嶗崂嶘𡺄嶠峤嶢峣嶧峄嶨峃嶮崄嶸嵘嶹𫝵嶺岭嶼屿嶽岳巊𪩎巋岿巒峦
    巔巅巖岩巗𪨷巘𪩘巰巯巹卺帥帅師师帳帐帶带幀帧幃帏幓㡎幗帼幘帻幝𪩷幟帜幣币幩𪩸幫帮
    幬帱幹干幾几庫库廁厕廂厢廄厩廈厦廎庼廕荫廚厨廝厮廞𫷷廟庙廠厂廡庑廢废廣广廧𪪞廩廪
    廬庐廳厅弒弑弔吊弳弪張张強强彃𪪼彄𫸩彆别彈弹彌弥彎弯彔录彙汇彠彟彥彦彫雕彲彨彿佛
    後后徑径從从徠徕復复徹彻徿𪫌恆恒恥耻悅悦悞悮悵怅悶闷悽凄惡恶惱恼惲恽惻恻愛爱愜惬
    愨悫愴怆愷恺愻𢙏愾忾慄栗態态慍愠慘惨慚惭慟恸慣惯慤悫慪怄慫怂慮虑慳悭慶庆慺㥪慼戚
    慾欲憂忧憊惫憐怜憑凭憒愦憖慭憚惮憢𢙒憤愤憫悯憮怃憲宪憶忆憸𪫺憹𢙐懀𢙓懇恳應应懌怿
    懍懔懎𢠁懞蒙懟怼懣懑懤㤽懨恹懲惩懶懒懷怀懸悬懺忏懼惧懾慑戀恋戇戆戔戋戧戗戩戬戰战
    戱戯戲戏戶户拋抛挩捝挱挲挾挟捨舍捫扪捱挨捲卷掃扫掄抡掆㧏掗挜掙挣掚𪭵掛挂採采揀拣
    揚扬換换揮挥揯搄損损搖摇搗捣搵揾搶抢摋𢫬摐𪭢摑掴摜掼摟搂摯挚摳抠摶抟摺折摻掺撈捞
    撊𪭾撏挦撐撑撓挠撝㧑撟挢撣掸撥拨撧𪮖撫抚撲扑撳揿撻挞撾挝撿捡擁拥擄掳擇择擊击擋挡
    擓㧟擔担據据擟𪭧擠挤擣捣擫𢬍擬拟擯摈擰拧擱搁擲掷擴扩擷撷擺摆擻擞擼撸擽㧰擾扰攄摅
    攆撵攋𪮶攏拢攔拦攖撄攙搀攛撺攜携攝摄攢攒攣挛攤摊攪搅攬揽敎教敓敚敗败敘叙敵敌數数
    斂敛斃毙斅𢽾斆敩斕斓斬斩斷断斸𣃁旂旗旣既昇升時时晉晋晛𬀪晝昼暈晕暉晖暐𬀩暘旸暢畅
    暫暂曄晔曆历曇昙曉晓曊𪰶曏向曖暧曠旷曥𣆐曨昽曬晒書书會会朥𦛨朧胧朮术東东枴拐柵栅
    柺拐査查桱𣐕桿杆梔栀梖𪱷梘枧梜𬂩條条梟枭梲棁棄弃棊棋棖枨棗枣棟栋棡㭎棧栈棲栖棶梾
    椏桠椲㭏楇𣒌楊杨楓枫楨桢業业極极榘矩榦干榪杩榮荣榲榅榿桤構构槍枪槓杠槤梿槧椠槨椁
    槫𣏢槮椮槳桨槶椢槼椝樁桩樂乐樅枞樑梁樓楼標标樞枢樠𣗊樢㭤樣样樤𣔌樧榝樫㭴樳桪樸朴
    樹树樺桦樿椫橈桡橋桥機机橢椭橫横橯𣓿檁檩檉柽檔档檜桧檟槚檢检檣樯檭𣘴檮梼檯台檳槟
    檵𪲛檸柠檻槛櫃柜櫅𪲎櫍𬃊櫓橹櫚榈櫛栉櫝椟櫞橼櫟栎櫠𪲮櫥橱櫧槠櫨栌櫪枥櫫橥櫬榇櫱蘖
    櫳栊櫸榉櫻樱欄栏欅榉欇𪳍權权欍𣐤欏椤欐𪲔欑𪴙欒栾欓𣗋欖榄欘𣚚欞棂欽钦歎叹歐欧歟欤
    歡欢歲岁歷历歸归歿殁殘残殞殒殢𣨼殤殇殨㱮殫殚殭僵殮殓殯殡殰㱩殲歼殺杀殻壳殼壳毀毁
    毆殴毊𪵑毿毵氂牦氈毡氌氇氣气氫氢氬氩氭𣱝氳氲氾泛汎泛汙污決决沒没沖冲況况泝溯洩泄
    洶汹浹浃浿𬇙涇泾涗涚涼凉淒凄淚泪淥渌淨净淩凌淪沦淵渊淶涞淺浅渙涣減减渢沨渦涡測测
    渾浑湊凑湋𣲗湞浈湧涌湯汤溈沩準准溝沟溡𪶄溫温溮浉溳涢溼湿滄沧滅灭滌涤滎荥滙汇滬沪
    滯滞滲渗滷卤滸浒滻浐滾滚滿满漁渔漊溇漍𬇹漚沤漢汉漣涟漬渍漲涨漵溆漸渐漿浆潁颍潑泼
    潔洁潕𣲘潙沩潚㴋潛潜潣𫞗潤润潯浔潰溃潷滗潿涠澀涩澅𣶩澆浇澇涝澐沄澗涧澠渑澤泽澦滪
    澩泶澫𬇕澬𫞚澮浍澱淀澾㳠濁浊濃浓濄㳡濆𣸣濕湿濘泞濚溁濛蒙濜浕濟济濤涛濧㳔濫滥濰潍
    濱滨濺溅濼泺濾滤濿𪵱瀂澛瀃𣽷瀅滢瀆渎瀇㲿瀉泻瀋沈瀏浏瀕濒瀘泸瀝沥瀟潇瀠潆瀦潴瀧泷
    瀨濑瀰弥瀲潋瀾澜灃沣灄滠灍𫞝灑洒灒𪷽灕漓灘滩灙𣺼灝灏灡㳕灣湾灤滦灧滟灩滟災灾為为
    烏乌烴烃無无煇𪸩煉炼煒炜煙烟煢茕煥焕煩烦煬炀煱㶽熂𪸕熅煴熉𤈶熌𤇄熒荧熓𤆡熗炝熚𤇹
    熡𤋏熰𬉼熱热熲颎熾炽燀𬊤燁烨燈灯燉炖燒烧燖𬊈燙烫燜焖營营燦灿燬毁燭烛燴烩燶㶶燻熏
    燼烬燾焘爃𫞡爄𤇃爇𦶟爍烁爐炉爖𤇭爛烂爥𪹳爧𫞠爭争爲为爺爷爾尔牀床牆墙牘牍牽牵犖荦
    犛牦犞𪺭犢犊犧牺狀状狹狭狽狈猌𪺽猙狰猶犹猻狲獁犸獃呆獄狱獅狮獊𪺷獎奖獨独獩𤞃獪狯
    獫猃獮狝獰狞獱㺍獲获獵猎獷犷獸兽獺獭獻献獼猕玀猡玁𤞤珼𫞥現现琱雕琺珐琿珲瑋玮瑒玚
    瑣琐瑤瑶瑩莹瑪玛瑲玱瑻𪻲瑽𪻐璉琏璊𫞩璕𬍤璗𬍡璝𪻺璡琎璣玑璦瑷璫珰璯㻅環环璵玙璸瑸
    璼𫞨璽玺璾𫞦璿璇瓄𪻨瓅𬍛瓊琼瓏珑瓔璎瓕𤦀瓚瓒瓛𤩽甌瓯甕瓮產产産产甦苏甯宁畝亩畢毕
    畫画異异畵画當当畼𪽈疇畴疊叠痙痉痠酸痮𪽪痾疴瘂痖瘋疯瘍疡瘓痪瘞瘗瘡疮瘧疟瘮瘆瘱𪽷
    瘲疭瘺瘘瘻瘘療疗癆痨癇痫癉瘅癐𤶊癒愈癘疠癟瘪癡痴癢痒癤疖癥症癧疬癩癞癬癣癭瘿癮瘾
    癰痈癱瘫癲癫發发皁皂皚皑皟𤾀皰疱皸皲皺皱盃杯盜盗盞盏盡尽監监盤盘盧卢盨𪾔盪荡眝𪾣
    眞真眥眦眾众睍𪾢睏困睜睁睞睐瞘眍瞜䁖瞞瞒瞤𥆧瞶瞆瞼睑矇蒙矉𪾸矑𪾦矓眬矚瞩矯矫硃朱
    硜硁硤硖硨砗硯砚碕埼碙𥐻碩硕碭砀碸砜確确碼码碽䂵磑硙磚砖磠硵磣碜磧碛磯矶磽硗磾䃅
    礄硚礆硷礎础礐𬒈礒𥐟礙碍礦矿礪砺礫砾礬矾礮𪿫礱砻祕秘祿禄禍祸禎祯禕祎禡祃禦御禪禅
    禮礼禰祢禱祷禿秃秈籼稅税稈秆稏䅉稜棱稟禀種种稱称穀谷穇䅟穌稣積积穎颖穠秾穡穑穢秽
    穩稳穫获穭穞窩窝窪洼窮穷窯窑窵窎窶窭窺窥竄窜竅窍竇窦竈灶竊窃竚𥩟竪竖竱𫁟競竞筆笔
    筍笋筧笕筴䇲箇个箋笺箏筝節节範范築筑篋箧篔筼篘𥬠篠筿篢𬕂篤笃篩筛篳筚篸𥮾簀箦簂𫂆
    簍篓簑蓑簞箪簡简簢𫂃簣篑簫箫簹筜簽签簾帘籃篮籅𥫣籋𥬞籌筹籔䉤籙箓籛篯籜箨籟籁籠笼
    籤签籩笾籪簖籬篱籮箩籲吁粵粤糉粽糝糁糞粪糧粮糰团糲粝糴籴糶粜糹纟糺𫄙糾纠紀纪紂纣
    紃𬘓約约紅红紆纡紇纥紈纨紉纫紋纹納纳紐纽紓纾純纯紕纰紖纼紗纱紘纮紙纸級级紛纷紜纭
    紝纴紞𬘘紟𫄛紡纺紬䌷紮扎細细紱绂紲绁紳绅紵纻紹绍紺绀紼绋紿绐絀绌絁𫄟終终絃弦組组
    絅䌹絆绊絍𫟃絎绗結结絕绝絙𫄠絛绦絝绔絞绞絡络絢绚絥𫄢給给絧𫄡絨绒絪𬘡絰绖統统絲丝
    絳绛絶绝絹绢絺𫄨綀𦈌綁绑綃绡綄𬘫綆绠綇𦈋綈绨綉绣綋𫟄綌绤綎𬘩綏绥綐䌼綑捆經经綖𫄧
    綜综綝𬘭綞缍綟𫄫綠绿綡𫟅綢绸綣绻綧𬘯綪𬘬綫线綬绶維维綯绹綰绾綱纲網网綳绷綴缀綵彩
    綸纶綹绺綺绮綻绽綽绰綾绫綿绵緄绲緇缁緊紧緋绯緍𦈏緑绿緒绪緓绬緔绱緗缃緘缄緙缂線线
    緝缉緞缎緟𫟆締缔緡缗緣缘緤𫄬緦缌編编緩缓緬缅緮𫄭緯纬緰𦈕緱缑緲缈練练緶缏緷𦈉緸𦈑
    緹缇緻致緼缊縈萦縉缙縊缢縋缒縍𫄰縎𦈔縐绉縑缣縕缊縗缞縛缚縝缜縞缟縟缛縣县縧绦縫缝
    縬𦈚縭缡縮缩縯𬙂縰𫄳縱纵縲缧縳䌸縴纤縵缦縶絷縷缕縸𫄲縹缥縺𦈐總总績绩繂𫄴繃绷繅缫
    繆缪繈𫄶繏𦈝繐𰬸繒缯繓𦈛織织繕缮繚缭繞绕繟𦈎繡绣繢缋繨𫄤繩绳繪绘繫系繬𫄱繭茧繮缰
    繯缳繰缲繳缴繶𫄷繷𫄣繸䍁繹绎繻𦈡繼继繽缤繾缱繿䍀纁𫄸纆𬙊纇颣纈缬纊纩續续纍累纏缠
    纓缨纔才纕𬙋纖纤纗𫄹纘缵纚𫄥纜缆缽钵罃䓨罈坛罌罂罎坛罰罚罵骂罷罢羅罗羆罴羈羁羋芈
    羣群羥羟羨羡義义羵𫅗羶膻習习翫玩翬翚翹翘翽翙耬耧耮耢聖圣聞闻聯联聰聪聲声聳耸聵聩
    聶聂職职聹聍聻𫆏聽听聾聋肅肃脅胁脈脉脛胫脣唇脥𣍰脩修脫脱脹胀腎肾腖胨腡脶腦脑腪𣍯
    腫肿腳脚腸肠膃腽膕腘膚肤膞䏝膠胶膢𦝼膩腻膹𪱥膽胆膾脍膿脓臉脸臍脐臏膑臗𣎑臘腊臚胪
    臟脏臠脔臢臜臥卧臨临臺台與与興兴舉举舊旧舘馆艙舱艣𫇛艤舣艦舰艫舻艱艰艷艳芻刍苧苎
    茲兹荊荆莊庄莖茎莢荚莧苋菕𰰨華华菴庵菸烟萇苌萊莱萬万萴荝萵莴葉叶葒荭葝𫈎葤荮葦苇
    葯药葷荤蒍𫇭蒐搜蒓莼蒔莳蒕蒀蒞莅蒭𫇴蒼苍蓀荪蓆席蓋盖蓧𦰏蓮莲蓯苁蓴莼蓽荜蔄𬜬蔔卜
    蔘参蔞蒌蔣蒋蔥葱蔦茑蔭荫蔯𫈟蔿𫇭蕁荨蕆蒇蕎荞蕒荬蕓芸蕕莸蕘荛蕝𫈵蕢蒉蕩荡蕪芜蕭萧
    蕳𫈉蕷蓣蕽𫇽薀蕰薆𫉁薈荟薊蓟薌芗薑姜薔蔷薘荙薟莶薦荐薩萨薳䓕薴苎薵䓓薺荠藍蓝藎荩
    藝艺藥药藪薮藭䓖藴蕴藶苈藷𫉄藹蔼藺蔺蘀萚蘄蕲蘆芦蘇苏蘊蕴蘋苹蘚藓蘞蔹蘟𦻕蘢茏蘭兰
    蘺蓠蘿萝虆蔂虉𬟁處处虛虚虜虏號号虧亏虯虬蛺蛱蛻蜕蜆蚬蝀𬟽蝕蚀蝟猬蝦虾蝨虱蝸蜗螄蛳
    螞蚂螢萤螮䗖螻蝼螿螀蟂𫋇蟄蛰蟈蝈蟎螨蟘𫋌蟜𫊸蟣虮蟬蝉蟯蛲蟲虫蟳𫊻蟶蛏蟻蚁蠀𧏗蠁蚃
    蠅蝇蠆虿蠍蝎蠐蛴蠑蝾蠔蚝蠙𧏖蠟蜡蠣蛎蠦𫊮蠨蟏蠱蛊蠶蚕蠻蛮蠾𧑏衆众衊蔑術术衕同衚胡
    衛卫衝冲袞衮裊袅裏里補补裝装裡里製制複复褌裈褘袆褲裤褳裢褸褛褻亵襀𫌀襇裥襉裥襏袯
    襓𫋹襖袄襗𫋷襘𫋻襝裣襠裆襤褴襪袜襬摆襯衬襰𧝝襲袭襴襕襵𫌇覈核見见覎觃規规覓觅視视
    覘觇覛𫌪覡觋覥觍覦觎親亲覬觊覯觏覲觐覷觑覹𫌭覺觉覼𫌨覽览覿觌觀观觴觞觶觯觸触訁讠
    訂订訃讣計计訊讯訌讧討讨訏𬣙訐讦訑𫍙訒讱訓训訕讪訖讫託托記记訛讹訜𫍛訝讶訞𫍚訟讼
    訢䜣訣诀訥讷訨𫟞訩讻訪访設设許许訴诉訶诃診诊註注証证詀𧮪詁诂詆诋詊𫟟詎讵詐诈詑𫍡
    詒诒詓𫍜詔诏評评詖诐詗诇詘诎詛诅詝𬣞詞词詠咏詡诩詢询詣诣試试詩诗詪𬣳詫诧詬诟詭诡
    詮诠詰诘話话該该詳详詵诜詷𫍣詼诙詿诖誂𫍥誄诔誅诛誆诓誇夸誋𫍪誌志認认誑诳誒诶誕诞
    誘诱誚诮語语誠诚誡诫誣诬誤误誥诰誦诵誨诲說说誫𫍨説说誰谁課课誳𫍮誴𫟡誶谇誷𫍬誹诽
    誺𫍧誼谊誾訚調调諂谄諄谆談谈諉诿請请諍诤諏诹諑诼諒谅諓𬣡論论諗谂諛谀諜谍諝谞諞谝
    諟𬤊諡谥諢诨諣𫍩諤谔諥𫍳諦谛諧谐諫谏諭谕諮咨諯𫍱諰𫍰諱讳諲𬤇諳谙諴𫍯諶谌諷讽諸诸
    諺谚諼谖諾诺謀谋謁谒謂谓謄誊謅诌謆𫍸謉𫍷謊谎謎谜謏𫍲謐谧謔谑謖谡謗谤謙谦謚谥講讲
    謝谢謠谣謡谣謨谟謫谪謬谬謭谫謯𫍹謱𫍴謳讴謸𫍵謹谨謾谩譁哗譂𫟠譅𰶎譆𫍻證证譊𫍢譎谲
    譏讥譑𫍤譓𬤝譖谮識识譙谯譚谭譜谱譞𫍽譟噪譨𫍦譫谵譭毁譯译議议譴谴護护譸诪譽誉譾谫
    讀读讅谉變变讋詟讌䜩讎雠讒谗讓让讕谰讖谶讚赞讜谠讞谳豈岂豎竖豐丰豔艳豬猪豵𫎆豶豮
    貓猫貗𫎌貙䝙貝贝貞贞貟贠負负財财貢贡貧贫貨货販贩貪贪貫贯責责貯贮貰贳貲赀貳贰貴贵
    貶贬買买貸贷貺贶費费貼贴貽贻貿贸賀贺賁贲賂赂賃赁賄贿賅赅資资賈贾賊贼賑赈賒赊賓宾
    賕赇賙赒賚赉賜赐賝𫎩賞赏賟𧹖賠赔賡赓賢贤賣卖賤贱賦赋賧赕質质賫赍賬账賭赌賰䞐賴赖
    賵赗賺赚賻赙購购賽赛賾赜贃𧹗贄贽贅赘贇赟贈赠贉𫎫贊赞贋赝贍赡贏赢贐赆贑𫎬贓赃贔赑
    贖赎贗赝贚𫎦贛赣贜赃赬赪趕赶趙赵趨趋趲趱跡迹踐践踰逾踴踊蹌跄蹔𫏐蹕跸蹟迹蹠跖蹣蹒
    蹤踪蹳𫏆蹺跷蹻𫏋躂跶躉趸躊踌躋跻躍跃躎䟢躑踯躒跞躓踬躕蹰躘𨀁躚跹躝𨅬躡蹑躥蹿躦躜
    躪躏軀躯軉𨉗車车軋轧軌轨軍军軏𫐄軑轪軒轩軔轫軕𫐅軗𨐅軛轭軜𫐇軝𬨂軟软軤轷軨𫐉軫轸
    軬𫐊軲轱軷𫐈軸轴軹轵軺轺軻轲軼轶軾轼軿𫐌較较輄𨐈輅辂輇辁輈辀載载輊轾輋𪨶輒辄輓挽
    輔辅輕轻輖𫐏輗𫐐輛辆輜辎輝辉輞辋輟辍輢𫐎輥辊輦辇輨𫐑輩辈輪轮輬辌輮𫐓輯辑輳辏輶𬨎
    輷𫐒輸输輻辐輼辒輾辗輿舆轀辒轂毂轄辖轅辕轆辘轇𫐖轉转轊𫐕轍辙轎轿轐𫐗轔辚轗𫐘轟轰
    轠𫐙轡辔轢轹轣𫐆轤轳辦办辭辞辮辫辯辩農农迴回逕迳這这連连週周進进遊游運运過过達达
    違违遙遥遜逊遞递遠远遡溯適适遱𫐷遲迟遷迁選选遺遗遼辽邁迈還还邇迩邊边邏逻邐逦郟郏
    郵邮鄆郓鄉乡鄒邹鄔邬鄖郧鄟𫑘鄧邓鄩𬩽鄭郑鄰邻鄲郸鄳𫑡鄴邺鄶郐鄺邝酇酂酈郦醃腌醖酝
    醜丑醞酝醟蒏醣糖醫医醬酱醱酦醲𬪩醶𫑷釀酿釁衅釃酾釅酽釋释釐厘釒钅釓钆釔钇釕钌釗钊
    釘钉釙钋釚𫟲針针釟𫓥釣钓釤钐釦扣釧钏釨𫓦釩钒釲𫟳釳𨰿釴𬬩釵钗釷钍釹钕釺钎釾䥺釿𬬱
    鈀钯鈁钫鈃钘鈄钭鈅钥鈆𫓪鈇𫓧鈈钚鈉钠鈋𨱂鈍钝鈎钩鈐钤鈑钣鈒钑鈔钞鈕钮鈖𫟴鈗𫟵鈛𫓨
    鈞钧鈠𨱁鈡钟鈣钙鈥钬鈦钛鈧钪鈮铌鈯𨱄鈰铈鈲𨱃鈳钶鈴铃鈷钴鈸钹鈹铍鈺钰鈽钸鈾铀鈿钿
    鉀钾鉁𨱅鉅巨鉆钻鉈铊鉉铉鉊𬬿鉋铇鉍铋鉑铂鉔𫓬鉕钷鉗钳鉚铆鉛铅鉝𫟷鉞钺鉠𫓭鉢钵鉤钩
    鉥𬬸鉦钲鉧𬭁鉬钼鉭钽鉮𬬹鉳锫鉶铏鉷𫟹鉸铰鉺铒鉻铬鉽𫟸鉾𫓴鉿铪銀银銁𫓲銂𫟻銃铳銅铜
    銈𫓯銊𫓰銍铚銏𫟶銑铣銓铨銖铢銘铭銚铫銛铦銜衔銠铑銣铷銥铱銦铟銨铵銩铥銪铕銫铯銬铐
    銱铞銳锐銶𨱇銷销銹锈銻锑銼锉鋁铝鋂𰾄鋃锒鋅锌鋇钡鋉𨱈鋌铤鋏铗鋐𬭎鋒锋鋗𫓶鋙铻鋝锊
    鋟锓鋠𫓵鋣铘鋤锄鋥锃鋦锔鋨锇鋩铓鋪铺鋭锐鋮铖鋯锆鋰锂鋱铽鋶锍鋸锯鋹𬬮鋼钢錀𬬭錁锞
    錂𨱋錄录錆锖錇锫錈锩錏铔錐锥錒锕錕锟錘锤錙锱錚铮錛锛錜𫓻錝𫓽錞𬭚錟锬錠锭錡锜錢钱
    錤𫓹錥𫓾錦锦錨锚錩锠錫锡錮锢錯错録录錳锰錶表錸铼錼镎錽𫓸鍀锝鍁锨鍃锪鍄𨱉鍅钫鍆钔
    鍇锴鍈锳鍉𫔂鍊炼鍋锅鍍镀鍒𫔄鍔锷鍘铡鍚钖鍛锻鍠锽鍤锸鍥锲鍩锘鍬锹鍭𬭤鍮𨱎鍰锾鍵键
    鍶锶鍺锗鍼针鍾钟鎂镁鎄锿鎇镅鎈𫟿鎊镑鎌镰鎍𫔅鎓𬭩鎔镕鎖锁鎘镉鎙𫔈鎚锤鎛镈鎝𨱏鎞𫔇
    鎡镃鎢钨鎣蓥鎦镏鎧铠鎩铩鎪锼鎬镐鎭镇鎮镇鎯𨱍鎰镒鎲镋鎳镍鎵镓鎶鿔鎷𨰾鎸镌鎿镎鏃镞
    鏆𨱌鏇旋鏈链鏉𨱒鏌镆鏍镙鏏𬭬鏐镠鏑镝鏗铿鏘锵鏚𬭭鏜镗鏝镘鏞镛鏟铲鏡镜鏢镖鏤镂鏥𫔊
    鏦𫓩鏨錾鏰镚鏵铧鏷镤鏹镪鏺䥽鏻𬭸鏽锈鏾𫔌鐃铙鐄𨱑鐇𫔍鐈𫓱鐋铴鐍𫔎鐎𨱓鐏𨱔鐐镣鐒铹
    鐓镦鐔镡鐘钟鐙镫鐝镢鐠镨鐥䦅鐦锎鐧锏鐨镄鐩𬭼鐪𫓺鐫镌鐮镰鐯䦃鐲镯鐳镭鐵铁鐶镮鐸铎
    鐺铛鐼𫔁鐽𫟼鐿镱鑀𰾭鑄铸鑉𫠁鑊镬鑌镔鑑鉴鑒鉴鑔镲鑕锧鑞镴鑠铄鑣镳鑥镥鑪𬬻鑭镧鑰钥
    鑱镵鑲镶鑴𫔔鑷镊鑹镩鑼锣鑽钻鑾銮鑿凿钁镢钂镋長长門门閂闩閃闪閆闫閈闬閉闭開开閌闶
    閍𨸂閎闳閏闰閐𨸃閑闲閒闲間间閔闵閗𫔯閘闸閝𫠂閞𫔰閡阂閣阁閤合閥阀閨闺閩闽閫阃閬阆
    閭闾閱阅閲阅閵𫔴閶阊閹阉閻阎閼阏閽阍閾阈閿阌闃阒闆板闇暗闈闱闉𬮱闊阔闋阕闌阑闍阇
    闐阗闑𫔶闒阘闓闿闔阖闕阙闖闯關关闞阚闠阓闡阐闢辟闤阛闥闼陘陉陝陕陞升陣阵陰阴陳陈
    陸陆陽阳隉陧隊队階阶隑𬮿隕陨際际隤𬯎隨随險险隮𬯀隯陦隱隐隴陇隸隶隻只雋隽雖虽雙双
    雛雏雜杂雞鸡離离難难雲云電电霑沾霢霡霣𫕥霧雾霼𪵣霽霁靂雳靄霭靆叇靈灵靉叆靚靓靜静
    靝靔靦腼靧𫖃靨靥鞏巩鞝绱鞦秋鞽鞒鞾𫖇韁缰韃鞑韆千韉鞯韋韦韌韧韍韨韓韩韙韪韚𫠅韛𫖔
    韜韬韝鞲韞韫韠𫖒韻韵響响頁页頂顶頃顷項项順顺頇顸須须頊顼頌颂頍𫠆頎颀頏颃預预頑顽
    頒颁頓顿頔𬱖頗颇領领頜颌頠𬱟頡颉頤颐頦颏頫𫖯頭头頮颒頰颊頲颋頴颕頵𫖳頷颔頸颈頹颓
    頻频頽颓顂𩓋顃𩖖顅𫖶顆颗題题額额顎颚顏颜顒颙顓颛顔颜顗𫖮願愿顙颡顛颠類类顢颟顣𫖹
    顥颢顧顾顫颤顬颥顯显顰颦顱颅顳颞顴颧風风颭飐颮飑颯飒颰𩙥颱台颳刮颶飓颷𩙪颸飔颺飏
    颻飖颼飕颾𩙫飀飗飄飘飆飙飈飚飋𫗋飛飞飠饣飢饥飣饤飥饦飦𫗞飩饨飪饪飫饫飭饬飯饭飱飧
    飲饮飴饴飵𫗢飶𫗣飼饲飽饱飾饰飿饳餃饺餄饸餅饼餈糍餉饷養养餌饵餎饹餏饻餑饽餒馁餓饿
    餔𫗦餕馂餖饾餗𫗧餘余餚肴餛馄餜馃餞饯餡馅餦𫗠餧𫗪館馆餪𫗬餫𫗥餬糊餭𫗮餱糇餳饧餵喂
    餶馉餷馇餸𩠌餺馎餼饩餾馏餿馊饁馌饃馍饅馒饈馐饉馑饊馓饋馈饌馔饑饥饒饶饗飨饘𫗴饜餍
    饞馋饟𫗵饠𫗩饢馕馬马馭驭馮冯馯𫘛馱驮馳驰馴驯馹驲馼𫘜駁驳駃𫘝駉𬳶駊𫘟駎𩧨駐驻駑驽
    駒驹駓𬳵駔驵駕驾駘骀駙驸駚𩧫駛驶駝驼駞𫘞駟驷駡骂駢骈駤𫘠駧𩧲駩𩧴駪𬳽駫𫘡駭骇駰骃
    駱骆駶𩧺駸骎駻𫘣駼𬳿駿骏騁骋騂骍騃𫘤騄𫘧騅骓騉𫘥騊𫘦騌骔騍骒騎骑騏骐騑𬴂騔𩨀騖骛
    騙骗騚𩨊騜𫘩騝𩨃騞𬴃騟𩨈騠𫘨騤骙騧䯄騪𩨄騫骞騭骘騮骝騰腾騱𫘬騴𫘫騵𫘪騶驺騷骚騸骟
    騻𫘭騼𫠋騾骡驀蓦驁骜驂骖驃骠驄骢驅驱驊骅驋𩧯驌骕驍骁驎𬴊驏骣驓𫘯驕骄驗验驙𫘰驚惊
    驛驿驟骤驢驴驤骧驥骥驦骦驨𫘱驪骊驫骉骯肮髏髅髒脏體体髕髌髖髋髮发鬆松鬍胡鬖𩭹鬚须
    鬠𫘽鬢鬓鬥斗鬧闹鬨哄鬩阋鬮阄鬱郁鬹鬶魎魉魘魇魚鱼魛鱽魟𫚉魢鱾魥𩽹魦𫚌魨鲀魯鲁魴鲂
    魵𫚍魷鱿魺鲄魽𫠐鮀𬶍鮁鲅鮃鲆鮄𫚒鮅𫚑鮆𫚖鮈𬶋鮊鲌鮋鲉鮍鲏鮎鲇鮐鲐鮑鲍鮒鲋鮓鲊鮚鲒
    鮜鲘鮝鲞鮞鲕鮟𩽾鮠𬶏鮡𬶐鮣䲟鮤𫚓鮦鲖鮪鲔鮫鲛鮭鲑鮮鲜鮯𫚗鮰𫚔鮳鲓鮵𫚛鮶鲪鮸𩾃鮺鲝
    鮿𫚚鯀鲧鯁鲠鯄𩾁鯆𫚙鯇鲩鯉鲤鯊鲨鯒鲬鯔鲻鯕鲯鯖鲭鯗鲞鯛鲷鯝鲴鯞𫚡鯡鲱鯢鲵鯤鲲鯧鲳
    鯨鲸鯪鲮鯫鲰鯬𫚞鯰鲶鯱𩾇鯴鲺鯶𩽼鯷鳀鯻𬶟鯽鲫鯾𫚣鯿鳊鰁鳈鰂鲗鰃鳂鰆䲠鰈鲽鰉鳇鰊𬶠
    鰋𫚢鰌䲡鰍鳅鰏鲾鰐鳄鰑𫚊鰒鳆鰓鳃鰕𫚥鰛鳁鰜鳒鰟鳑鰠鳋鰣鲥鰤𫚕鰥鳏鰦𫚤鰧䲢鰨鳎鰩鳐
    鰫𫚦鰭鳍鰮鳁鰱鲢鰲鳌鰳鳓鰵鳘鰶𬶭鰷鲦鰹鲣鰺鲹鰻鳗鰼鳛鰽𫚧鰾鳔鱀𬶨鱂鳉鱄𫚋鱅鳙鱆𫠒
    鱇𩾌鱈鳕鱉鳖鱊𫚪鱒鳟鱔鳝鱖鳜鱗鳞鱘鲟鱚𬶮鱝鲼鱟鲎鱠鲙鱢𫚫鱣鳣鱤鳡鱧鳢鱨鲿鱭鲚鱮𫚈
    鱯鳠鱲𫚭鱷鳄鱸鲈鱺鲡鳥鸟鳧凫鳩鸠鳬凫鳲鸤鳳凤鳴鸣鳶鸢鳷𫛛鳼𪉃鳽𫛚鳾䴓鴀𫛜鴃𫛞鴅𫛝
    鴆鸩鴇鸨鴉鸦鴐𫛤鴒鸰鴔𫛡鴕鸵鴗𫁡鴛鸳鴜𪉈鴝鸲鴞鸮鴟鸱鴣鸪鴥𫛣鴦鸯鴨鸭鴮𫛦鴯鸸鴰鸹
    鴲𪉆鴳𫛩鴴鸻鴷䴕鴻鸿鴽𫛪鴿鸽鵁䴔鵂鸺鵃鸼鵊𫛥鵏𬷕鵐鹀鵑鹃鵒鹆鵓鹁鵚𪉍鵜鹈鵝鹅鵟𫛭
    鵠鹄鵡鹉鵧𫛨鵩𫛳鵪鹌鵫𫛱鵬鹏鵮鹐鵯鹎鵰雕鵲鹊鵷鹓鵾鹍鶄䴖鶇鸫鶉鹑鶊鹒鶌𫛵鶒𫛶鶓鹋
    鶖鹙鶗𫛸鶘鹕鶚鹗鶠𬸘鶡鹖鶥鹛鶦𫛷鶩鹜鶪䴗鶬鸧鶭𫛯鶯莺鶰𫛫鶱𬸣鶲鹟鶴鹤鶹鹠鶺鹡鶻鹘
    鶼鹣鶿鹚鷀鹚鷁鹢鷂鹞鷄鸡鷅𫛽鷉䴘鷊鹝鷐𫜀鷓鹧鷔𪉑鷖鹥鷗鸥鷙鸷鷚鹨鷟𬸦鷣𫜃鷤𫛴鷥鸶
    鷦鹪鷨𪉊鷩𫜁鷫鹔鷭𬸪鷯鹩鷲鹫鷳鹇鷴鹇鷷𫜄鷸鹬鷹鹰鷺鹭鷽鸴鷿𬸯鸂㶉鸇鹯鸊䴙鸋𫛢鸌鹱
    鸏鹲鸑𬸚鸕鸬鸗𫛟鸘鹴鸚鹦鸛鹳鸝鹂鸞鸾鹵卤鹹咸鹺鹾鹼碱鹽盐麗丽麥麦麨𪎊麩麸麪面麫面
    麬𤿲麯曲麲𪎉麳𪎌麴曲麵面麷𫜑麼么黃黄黌黉點点黨党黲黪黴霉黶黡黷黩黽黾黿鼋鼂鼌鼉鼍
    鼕冬鼴鼹齊齐齋斋齎赍齏齑齒齿齔龀齕龁齗龂齘𬹼齙龅齜龇齟龃齠龆齡龄齣出齦龈齧啮齩𫜪
    齪龊齬龉齭𫜭齮𬺈齯𫠜齰𫜬齲龋齴𫜮齶腭齷龌齼𬺓齾𫜰龍龙龎厐龐庞龑䶮龓𫜲龔龚龕龛龜龟
    龭𩨎龯𨱆鿁䜤鿓鿒𠁞𠀾𠌥𠆿𠏢𠉗𠐊𫝋𠗣㓆𠞆𠛆𠠎𠚳𠬙𪠡𠽃𪠺𠿕𪜎𡂡𪢒𡃄𪡺𡃕𠴛𡃤𪢐𡄔𠴢𡄣𠵸
    𡅏𠲥𡅯𪢖𡑍𫭼𡑭𡋗𡓁𪤄𡓾𡋀𡔖𡍣𡞵㛟𡟫𫝪𡠹㛿𡢃㛠𡮉𡭜𡮣𡭬𡳳𡳃𡸗𪨩𡹬𪨹𡻕岁𡽗𡸃𡾱㟜𡿖𪩛
    𢍰𪪴𢠼𢙑𢣐𪬚𢣚𢘝𢣭𢘞𢤩𪫡𢤱𢘙𢤿𪬯𢯷𪭝𢶒𪭯𢶫𢫞𢷮𢫊𢹿𢬦𢺳𪮳𣈶暅𣋋𣈣𣍐𫧃𣙎㭣𣜬𪳗𣝕𣘷
    𣞻𣘓𣠩𣞎𣠲𣑶𣯩𣯣𣯴𣭤𣯶毶𣽏𪶮𣾷㳢𣿉𣶫𤁣𣺽𤄷𪶒𤅶𣷷𤑳𤎻𤑹𪹀𤒎𤊀𤒻𪹹𤓌𪹠𤓎𤎺𤓩𤊰𤘀𪺣
    𤛮𤙯𤛱𫞢𤜆𪺪𤠮𪺸𤢟𤝢𤢻𢢐𤩂𫞧𤪺㻘𤫩㻏𤬅𪼴𤳷𪽝𤳸𤳄𤷃𪽭𤸫𤶧𤺔𪽴𥊝𥅿𥌃𥅘𥏝𪿊𥕥𥐰𥖅𥐯
    𥖲𪿞𥗇𪿵𥗽𬒗𥜐𫀓𥜰𫀌𥞵𥞦𥢢䅪𥢶𫞷𥢷𫀮𥨐𥧂𥪂𥩺𥯤𫁳𥴨𫂖𥴼𫁺𥵃𥱔𥵊𥭉𥶽𫁱𥸠𥮋𥻦𫂿𥼽𥹥
    𥽖𥺇𥾯𫄝𥿊𦈈𦀖𫄦𦂅𦈒𦃄𦈗𦃩𫄯𦅇𫄪𦅈𫄵𦆲𫟇𦒀𫅥𦔖𫅼𦘧𡳒𦟼𫆝𦠅𫞅𦡝𫆫𦢈𣍨𦣎𦟗𦧺𫇘𦪙䑽
    𦪽𦨩𦱌𫇪𦾟𦶻𧎈𧌥𧒯𫊹𧔥𧒭𧕟𧉐𧜗䘞𧜵䙊𧝞䘛𧞫𫌋𧟀𧝧𧡴𫌫𧢄𫌬𧦝𫍞𧦧𫍟𧩕𫍭𧩙䜥𧩼𫍶𧫝𫍺
    𧬤𫍼𧭈𫍾𧭹𫍐𧳟𧳕𧵳䞌𧶔𧹓𧶧䞎𧷎𪠀𧸘𫎨𧹈𪥠𧽯𫎸𨂐𫏌𨄣𨀱𨅍𨁴𨆪𫏕𨇁𧿈𨇞𨅫𨇤𫏨𨇰𫏞𨇽𫏑
    𨈊𨂺𨈌𨄄𨊰䢀𨊸䢁𨊻𨐆𨋢䢂𨌈𫐍𨍰𫐔𨎌𫐋𨎮𨐉𨏠𨐇𨏥𨐊𨞺𫟫𨟊𫟬𨢿𨡙𨣈𨡺𨣞𨟳𨣧𨠨𨤻𨤰𨥛𨱀
    𨥟𫓫𨦫䦀𨧀𬭊𨧜䦁𨧰𫟽𨧱𨱊𨨏𬭛𨨛𫓼𨨢𫓿𨩰𫟾𨪕𫓮𨫒𨱐𨬖𫔏𨭆𬭶𨭎𬭳𨭖𫔑𨭸𫔐𨮂𨱕𨮳𫔒𨯅䥿
    𨯟𫔓𨰃𫔉𨰋𫓳𨰥𫔕𨰲𫔃𨲳𫔖𨳑𨸁𨳕𨸀𨴗𨸅𨴹𫔲𨵩𨸆𨵸𨸇𨶀𨸉𨶏𨸊𨶮𨸌𨶲𨸋𨷲𨸎𨼳𫔽𨽏𨸘𩀨𫕚
    𩅙𫕨𩎖𫖑𩎢𩏾𩏂𫖓𩏠𫖖𩏪𩏽𩏷𫃗𩑔𫖪𩒎𫖭𩓣𩖕𩓥𫖵𩔑𫖷𩔳𫖴𩖰𫠇𩗀𩙦𩗓𫗈𩗴𫗉𩘀𩙩𩘝𩙭𩘹𩙨
    𩘺𩙬𩙈𩙰𩚛𩟿𩚥𩠀𩚩𫗡𩚵𩠁𩛆𩠂𩛌𫗤𩛡𫗨𩛩𩠃𩜇𩠉𩜦𩠆𩜵𩠊𩝔𩠋𩝽𫗳𩞄𩠎𩞦𩠏𩞯䭪𩟐𩠅𩟗𫗚
    𩠴𩠠𩡣𩡖𩡺𩧦𩢡𩧬𩢴𩧵𩢸𩧳𩢾𩧮𩣏𩧶𩣑䯃𩣫𩧸𩣵𩧻𩣺𩧼𩤊𩧩𩤙𩨆𩤲𩨉𩤸𩨅𩥄𩨋𩥇𩨍𩥉𩧱𩥑𩨌
    𩦠𫠌𩧆𩨐𩭙𩬣𩯁𫙂𩯳𩯒𩰀𩬤𩰹𩰰𩳤𩲒𩴵𩴌𩵦𫠏𩵩𩽺𩵹𩽻𩶁𫚎𩶘䲞𩶰𩽿𩶱𩽽𩷰𩾄𩸃𩾅𩸄𫚝𩸡𫚟
    𩸦𩾆𩻗𫚨𩻬𫚩𩻮𫚘𩼶𫚬𩽇𩾎𩿅𫠖𩿤𫛠𩿪𪉄𪀖𫛧𪀦𪉅𪀾𪉋𪁈𪉉𪁖𪉌𪂆𪉎𪃍𪉐𪃏𪉏𪃒𫛻𪃧𫛹𪄆𪉔
    𪄕𪉒𪅂𫜂𪆷𫛾𪇳𪉕𪈼𱊜𪉸𫜊𪋿𫧮𪌭𫜓𪍠𫜕𪓰𫜟𪔵𪔭𪘀𪚏𪘯𪚐𪙏𫜯𪟖𠛾𪷓𣶭𫒡𫓷𫜦𫜫
"""

_T2S.update(_load_t2s())
