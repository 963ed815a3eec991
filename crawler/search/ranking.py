""":func:`search`: the query against the index, ranked by bm25 over the newest ``window``
matches, with phrase IDFs counted exactly or estimated (:func:`phrase_idfs`).
"""

from __future__ import annotations

import math
import sqlite3
import struct
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import sqlite_utils

from crawler.search.index import _version_problem
from crawler.search.query import _expression, _phrases, parse_query, translate_query
from crawler.search.snippets import _term_pattern, highlight
from crawler.search.tokenizer import (
    FTS_TABLE,
    RANK_FUNCTION,
    TABLE,
    WEIGHTS,
    QueryError,
    SearchIndexError,
    _conn,
    _index_sql,
    register,
    speedups,
)

#: :func:`search` ranks only the newest this many matches when more match (0: all).
DEFAULT_WINDOW = 2000
#: A phrase's document frequency is counted exactly below this many hits and estimated
#: from the rowid density of its newest this many hits above (see :func:`phrase_idfs`).
IDF_EXACT_HITS = 2000


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
        speedups() and windowed and len(phrases) == 1 and not filters and not unique
    )
    if speedups():
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



