"""The FTS5 tokenizer ``newsarchive``, registered on a connection through the ``fts5_api``
with ctypes (:func:`register`), the C ranking function and the search constants.
"""

from __future__ import annotations

import ctypes
import logging
import sqlite3
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from crawler import speedups as speedups_

if TYPE_CHECKING:  # pragma: no cover
    import sqlite_utils

from crawler.search.tokens import (
    _BUFFER_SPLIT_RE,
    _TRIGRAM_MARK_UTF8,
    _aux_tokens,
    _pretokenized,
    document_buffer,
    query_tokens,
)

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


@contextmanager
def without_speedups() -> Iterator[None]:
    """Search without the C ranking function for a while: :func:`search` ranks with FTS5's
    bm25, as where the extension could not be built (``benchmarks/bench_search.py``
    compares both in one process)."""
    global _rank
    saved, _rank = _rank, None
    try:
        yield
    finally:
        _rank = saved



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



def _conn(db: sqlite_utils.Database | sqlite3.Connection) -> sqlite3.Connection:
    return db if isinstance(db, sqlite3.Connection) else db.conn


def _index_sql(conn: sqlite3.Connection) -> str | None:
    row = conn.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", [FTS_TABLE]
    ).fetchone()
    return None if row is None else (row[0] or "")


class SearchIndexError(RuntimeError):
    """The archive has no usable search index; ``newsarchive reindex`` fixes it."""


