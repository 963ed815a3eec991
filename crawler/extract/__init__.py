"""Article extraction for Chinese news pages: raw bytes (+ url) -> :class:`Article`.

>>> from crawler.extract import extract
>>> art = extract(response.body, response.url, http_encoding="gbk")

Pure functions, no I/O. ``extract`` never raises: on unusable input it returns an Article
whose fields are None.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import lru_cache

from lxml import etree

from crawler.items import Article

from . import cleaning, evidence, maintext, metadata, page_head, published
from .decoding import decode_html
from .evidence import Evidence

__all__ = ["extract", "explain", "decode_html", "Evidence"]

_FIELD_NAMES = ("title", "published_at", "source", "author", "editor", "body")


def extract(
    data: bytes,
    url: str | None = None,
    *,
    http_encoding: str | None = None,
    fields: Mapping[str, str] | None = None,
) -> Article:
    """Extract an article from raw response bytes. Never raises."""
    try:
        return _extract(data, url, http_encoding, fields)[0]
    except Exception:  # noqa: BLE001 - the contract is "never raise"
        if os.environ.get("NEWSARCHIVE_EXTRACT_DEBUG"):
            raise
        return Article(url=url)


@lru_cache(maxsize=256)
def _compile(selector: str):  # -> CSSSelector | None
    try:
        from lxml.cssselect import CSSSelector

        return CSSSelector(selector, translator="html")
    except Exception:  # invalid selector, or cssselect missing
        return None


def _select(root: etree._Element, selector: str) -> list[etree._Element]:
    sel = _compile(selector) if selector else None
    if sel is None:
        return []
    try:
        return [e for e in sel(root) if isinstance(e.tag, str)]
    except Exception:
        return []


def explain(
    data: bytes,
    url: str | None = None,
    *,
    http_encoding: str | None = None,
    fields: Mapping[str, str] | None = None,
) -> tuple[Article, dict[str, Evidence | None]]:
    """:func:`extract`, and for each field the evidence its value came from (the rule's
    name and the text it matched; None where the field was not found)."""
    try:
        art, found = _extract(data, url, http_encoding, fields)
    except Exception:  # noqa: BLE001 - the contract is "never raise"
        if os.environ.get("NEWSARCHIVE_EXTRACT_DEBUG"):
            raise
        art, found = Article(url=url), {}
    return art, {f: found.get(f) for f in _FIELD_NAMES}


def _extract(
    data: bytes, url: str | None, http_encoding: str | None, fields: Mapping[str, str] | None
) -> tuple[Article, dict[str, Evidence | None]]:
    if not isinstance(data, bytes | bytearray | memoryview):
        return Article(url=url), {}
    text, _encoding = decode_html(bytes(data), http_encoding)
    root = cleaning.parse(text)
    if root is None:
        return Article(url=url), {}
    head = page_head.read_head(root)
    page_url = url or head.url
    cleaning.prune(root)

    body_el = root.find("body")
    page_root = body_el if body_el is not None else root
    # One walk over the page: its lines (for metadata) and its blocks (for the main text).
    lines, blocks = maintext.walk(root, page_root)

    nodes = maintext.select_nodes(root, blocks)

    # Where the article sits among the page's lines.
    inside: set[etree._Element] = set()
    for n in nodes:
        inside.update(n.iter())
    idxs = [i for i, ln in enumerate(lines) if ln.owner in inside]
    title, tidx = metadata.find_title(lines, head, idxs[0] if idxs else None)
    if tidx is not None:
        moved = maintext.headline_column(nodes, lines[tidx].owner, blocks)
        if moved is not nodes:
            nodes = moved
            inside = set()
            for n in nodes:
                inside.update(n.iter())
            idxs = [i for i, ln in enumerate(lines) if ln.owner in inside]
    if idxs:
        b_start, b_end = idxs[0], idxs[-1]
    else:
        b_start, b_end = (tidx or 0), min(len(lines) - 1, (tidx or 0) + 40)
    if tidx is not None and tidx <= b_start:
        header = lines[tidx + 1: min(b_start + 3, tidx + 16)]
        z_start = tidx
    elif tidx is not None:
        header = lines[tidx + 1: tidx + 12]
        z_start = min(tidx, b_start)
    else:
        header = lines[max(0, b_start - 8): b_start + 3]
        z_start = max(0, b_start - 8)
    zone = lines[z_start: b_end + 10]
    # Elements whose class/id names a field, near the article (before the text is taken
    # out of the tree).
    marked = evidence.marked_elements(lines, z_start, b_end + 15, (b_start, b_end))

    # Without profile selectors the page tree is not needed after this: no copy.
    body = maintext.body_from_nodes(nodes, title, in_place=not fields)
    if idxs and body:
        attrs = maintext.document_attributes(lines, b_start)
        if attrs:
            body = "\n".join(attrs) + "\n" + body
    header_t = [ln.text for ln in header]
    zone_t = [ln.text for ln in zone if ln.link_ratio < 0.9 or len(ln.text) < 40]

    def page_t() -> list[str]:  # only when the date is not found near the article
        return [ln.text for ln in lines if ln.link_ratio < 0.5]

    short_t = header_t + [t for t in zone_t if len(t) < 100]
    byline_t = [ln.text for ln in header + zone if len(ln.text) < 60 and ln.link_ratio < 0.5]
    all_pars = body.split("\n") if body else []
    pars = all_pars[:3] + all_pars[-3:] if len(all_pars) > 6 else all_pars
    after_title = [ln.text for ln in lines[tidx + 1: tidx + 4]
                   if ln.link_ratio < 0.5] if tidx is not None else []

    page = evidence.Page(
        head=head, header=header_t, short=short_t, bylines=byline_t,
        header_bylines=[ln.text for ln in header if len(ln.text) < 60 and ln.link_ratio < 0.5],
        after_title=after_title, pars=pars, title=title,
        lead=next((t for t in all_pars[:8] if len(t) >= 20), ""),
        find_marked=lambda: marked,
        tail=[ln.text for ln in lines[max(b_start, b_end - 2): b_end + 6]],
    )
    found = evidence.resolve(page)
    when = published.find_date_evidence(head, header_t, zone_t, page_t, page_url)
    if when:
        found["published_at"] = evidence.Evidence(*when)
    if title:
        found["title"] = evidence.Evidence(
            title, "title.headline" if tidx is not None else "title.head", title)
    if body:
        found["body"] = evidence.Evidence(body, "body.main_text", all_pars[0][:80])

    art = Article(
        url=url,
        title=title,
        published_at=when[0] if when else None,
        source=found["source"].value if found.get("source") else None,
        author=found["author"].value if found.get("author") else None,
        editor=found["editor"].value if found.get("editor") else None,
        body=body,
    )

    if fields:
        for name in _FIELD_NAMES:
            selector = fields.get(name)
            if not selector or not isinstance(selector, str):
                continue
            els = _select(root, selector)
            if not els:
                continue
            if name == "body":
                value = maintext.body_from_nodes(els, art.title)
            else:
                value = metadata.clean_field(
                    name, " ".join("".join(e.itertext()) for e in els), page_url
                )
            if value:
                setattr(art, name, value)
                found[name] = Evidence(value, f"{name}.profile_selector", selector)
    return art, found
