"""Search: full-text search for Chinese text, one tokenizer and one normalisation for every tool.

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

Modules: :mod:`.normalize` (fold, normalize), :mod:`.tokens` (document and query tokens),
:mod:`.tokenizer` (the FTS5 tokenizer through ctypes, :func:`register`), :mod:`.index`
(``articles_fts``: ensure, check, rebuild), :mod:`.query` (the query language),
:mod:`.ranking` (:func:`search`, IDFs), :mod:`.snippets` (:func:`highlight`),
:mod:`.plugins` (the sqlite-utils and Datasette hooks), :mod:`.charts` (the stats chart).
This package imports neither Scrapy nor :mod:`crawler.archive` (import-linter checks it);
this module re-exports the public functions, so ``from crawler import search`` is the API.
"""

from __future__ import annotations

from crawler.search.index import ensure_index, index_problems, reindex
from crawler.search.normalize import fold, normalize, normalize_query
from crawler.search.query import parse_query, query_phrases, translate_query
from crawler.search.ranking import DEFAULT_WINDOW, IDF_EXACT_HITS, match_rowids, phrase_idfs, search
from crawler.search.snippets import highlight
from crawler.search.tokenizer import (
    COLUMNS,
    FTS5_TOKEN_COLOCATED,
    FTS5_TOKENIZE_AUX,
    FTS5_TOKENIZE_DOCUMENT,
    FTS5_TOKENIZE_PREFIX,
    FTS5_TOKENIZE_QUERY,
    FTS_TABLE,
    NO_SPEEDUPS_ENV,
    RANK,
    RANK_FUNCTION,
    REQUIRE_SPEEDUPS_ENV,
    SQLITE_ERROR,
    SQLITE_OK,
    SQLITE_ROW,
    TABLE,
    TOKENIZER,
    TOKENIZER_VERSION,
    WEIGHTS,
    QueryError,
    SearchIndexError,
    TokenizerError,
    register,
    speedups,
    without_speedups,
)
from crawler.search.tokens import (
    TRIGRAM_MARK,
    document_buffer,
    document_tokens,
    pretokenized,
    query_tokens,
)

__all__ = [
    "COLUMNS",
    "DEFAULT_WINDOW",
    "FTS5_TOKENIZE_AUX",
    "FTS5_TOKENIZE_DOCUMENT",
    "FTS5_TOKENIZE_PREFIX",
    "FTS5_TOKENIZE_QUERY",
    "FTS5_TOKEN_COLOCATED",
    "FTS_TABLE",
    "IDF_EXACT_HITS",
    "NO_SPEEDUPS_ENV",
    "QueryError",
    "RANK",
    "RANK_FUNCTION",
    "REQUIRE_SPEEDUPS_ENV",
    "SQLITE_ERROR",
    "SQLITE_OK",
    "SQLITE_ROW",
    "SearchIndexError",
    "TABLE",
    "TOKENIZER",
    "TOKENIZER_VERSION",
    "TRIGRAM_MARK",
    "TokenizerError",
    "WEIGHTS",
    "document_buffer",
    "document_tokens",
    "ensure_index",
    "fold",
    "highlight",
    "index_problems",
    "match_rowids",
    "normalize",
    "normalize_query",
    "parse_query",
    "phrase_idfs",
    "pretokenized",
    "query_phrases",
    "query_tokens",
    "register",
    "reindex",
    "search",
    "speedups",
    "translate_query",
    "without_speedups",
]
