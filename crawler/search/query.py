"""The query language: words, quoted phrases, ``OR``, ``-`` exclusion and ``*`` prefixes,
translated to an FTS5 ``MATCH`` expression.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    pass

from crawler.search.normalize import normalize
from crawler.search.tokenizer import QueryError


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


