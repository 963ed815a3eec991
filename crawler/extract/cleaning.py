"""Parsing, pruning and boilerplate stripping.

The whole page is parsed once with lxml (fast) and pruned of scripts, styles and comments.
Once the main-content candidate is known, only that fragment goes through BeautifulSoup
(lxml builder), which strips the boilerplate inside it: share bars, 相关阅读 lists, comment
boxes and login forms, "More>>" headline lists, copyright and navigation blocks.
"""

from __future__ import annotations

import re
import warnings
from copy import deepcopy
from dataclasses import dataclass

from bs4 import BeautifulSoup, Comment, NavigableString, Tag
from lxml import etree

from crawler import speedups

from . import rules

_XML_DECL_RE = re.compile(r"^\s*<\?xml[^>]*>", re.IGNORECASE)
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff\ue000-\ue003]")
_WS_RE = re.compile(r"[ \t\r\n\f\v\u00a0\u3000\u2002\u2003\u2009\u200b\ufeff]+")
_NL_RE = re.compile(r"[ \t\f\v]*[\r\n][ \t\r\n\f\v]*")
_ODD_WS_RE = re.compile(r"[\t\r\n\f\v\u00a0\u3000\u2002\u2003\u2009\u200b\ufeff]|  ")
_WIDE_RE = re.compile(r"[ \t\f\v\u00a0\u3000\u2002\u2003\u2009]{2,}|\u3000")

_PARSER = etree.HTMLParser(remove_comments=True, remove_pis=True, remove_blank_text=False,
                          default_doctype=False, collect_ids=False)


#: Attribute set by prune() on forms that hold a password field or a comment textarea.
LOGIN_MARK = "data-na-login"


#: Control characters as UTF-8 bytes (tab, LF and CR are text); and U+FFFE, U+FFFF and
#: U+E000-U+E003, which _CONTROL_RE also removes.
_CONTROL_BYTES = bytes(c for c in range(32) if c not in (9, 10, 13))
_ODD_CHARS = "\ufffe\uffff\ue000\ue001\ue002\ue003"


#: ``crawler.extract._walk`` (optional), for its ``has_control`` scan; None without it.
_walk_c = speedups.load("extract._walk", "the control-character check runs in Python")


def _may_have_control(text: str) -> bool:
    """Whether ``text`` holds a character :data:`_CONTROL_RE` removes. With the C
    extension one pass over the string (~0.07 ms on a 90 KB Chinese page), else
    :func:`_may_have_control_py`."""
    if _walk_c is not None:
        return _walk_c.has_control(text)
    return _may_have_control_py(text)


def _may_have_control_py(text: str) -> bool:
    """:func:`_may_have_control` in Python: 0.25 ms on a 90 KB Chinese page against 0.45
    for the regex (a lone surrogate cannot be encoded; the control bytes are deleted in
    one C pass; six single-character ``in`` scans)."""
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    if len(data.translate(None, _CONTROL_BYTES)) != len(data):
        return True
    return any(ch in text for ch in _ODD_CHARS)


def parse(text: str) -> etree._Element | None:
    """Parse a decoded page into an lxml.html tree, or None if there is nothing to parse."""
    text = _XML_DECL_RE.sub("", text, count=1)
    if _may_have_control(text):
        text = _CONTROL_RE.sub("", text)
    if not text or text.isspace():  # what ``not text.strip()`` says, without a copy
        return None
    try:
        root = etree.fromstring(text, parser=_PARSER)
    except (etree.ParserError, etree.XMLSyntaxError, ValueError, TypeError):
        return None
    return root


def prune(root: etree._Element) -> None:
    """Remove elements that never hold visible article text (scripts, styles, forms fields)."""
    for el in root.iter("textarea", "input"):
        if el.tag == "input" and (el.get("type") or "").lower() != "password":
            continue
        form = next(el.iterancestors("form"), None)
        if form is not None:
            form.set(LOGIN_MARK, "1")
    kill = [el for el in root.iter("script", "style", "noscript", "template", "svg",
                                   "object", "embed", "applet", "select", "textarea",
                                   "button", "iframe", "map", "canvas", "title", "meta",
                                   "link", "base", "head")]
    for el in kill:
        _drop(el)


def _drop(el: etree._Element) -> None:
    """Remove an element and its content but keep its tail text."""
    parent = el.getparent()
    if parent is None:
        return
    tail = el.tail
    if tail:
        prev = el.getprevious()
        if prev is not None:
            prev.tail = (prev.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
    parent.remove(el)


def collapse_ws(text: str) -> str:
    """Collapse whitespace to single spaces."""
    return _WS_RE.sub(" ", text).strip()


#: Every character _WS_RE collapses (all of them disappear at the ends of a line).
_WS_CHARS = " \t\r\n\f\v\u00a0\u3000\u2002\u2003\u2009\u200b\ufeff"


def collapse_ws_keep_gaps(text: str) -> str:
    """Collapse whitespace, keeping wide gaps (field separators) as two spaces."""
    inner = text.strip(_WS_CHARS)
    if not _ODD_WS_RE.search(inner):
        # Only single spaces inside (the usual case: source indentation around the text).
        return inner
    text = _WIDE_RE.sub("\x00", _NL_RE.sub(" ", text))
    return _WS_RE.sub(" ", text).replace("\x00", "  ").replace("   ", "  ").strip()


# --------------------------------------------------------------------------- lines


@dataclass(slots=True)
class Line:
    """One visual line of text: a block's own text, with how much of it is link text."""

    text: str
    link_chars: int
    owner: etree._Element | None = None

    @property
    def link_ratio(self) -> float:
        if not self.link_chars:
            return 0.0
        n = len(self.text.replace(" ", ""))
        return self.link_chars / n if n else 0.0


# --------------------------------------------------------------------------- fragment

#: Marks used in the block skeleton handed to BeautifulSoup (private-use characters, removed
#: from every page by :func:`parse`): a line break, a link's start and end, a table cell's end.
LINE_MARK = "\ue000"
LINK_OPEN = "\ue001"
LINK_CLOSE = "\ue002"
CELL_MARK = "\ue003"
_MARKS = LINE_MARK + LINK_OPEN + LINK_CLOSE + CELL_MARK
_MARKS_RE = re.compile(f"[{_MARKS}]")
#: Attribute marking a data-table row (cells hold inline text only): one line, cells spaced.
ROW_MARK = "data-na-row"
_UNWRAP = "na-unwrap"
_TABLE_TAGS = frozenset({"table", "tbody", "thead", "tfoot", "tr", "td", "th", "caption"})
#: Block elements that may be flattened into text when they hold no other block.
_FLAT_BLOCKS = rules.BLOCK_TAGS - _TABLE_TAGS - {"html", "body", "form", "br", "hr", "iframe",
                                                 "textarea", "select", "option", "noscript"}


def _nonspace(s: str) -> int:
    return len("".join(s.split()))


def _text_stats(s: str) -> tuple[int, int, int]:
    """(visible chars, link chars, links) of a skeleton string with link marks."""
    if not s:
        return 0, 0, 0
    n = _nonspace(s)
    if not _MARKS_RE.search(s):
        return n, 0, 0
    n -= s.count(LINE_MARK) + s.count(LINK_OPEN) + s.count(LINK_CLOSE) + s.count(CELL_MARK)
    link = 0
    parts = s.split(LINK_OPEN)
    for part in parts[1:]:
        link += _nonspace(part.split(LINK_CLOSE, 1)[0])
    return n, link, len(parts) - 1


def _is_boilerplate_attr(words: str) -> bool:
    return rules.is_boilerplate_attr(words)


def _append_end(el: etree._Element, text: str) -> None:
    """Add text at the end of an element's content (after its last child)."""
    if len(el):
        last = el[-1]
        last.tail = (last.tail or "") + text
    else:
        el.text = (el.text or "") + text


def skeleton(nodes: list[etree._Element], *, in_place: bool = False) -> str:
    """The chosen main-content nodes as a small HTML block skeleton for BeautifulSoup.

    Works on a copy with lxml: removes obvious non-content subtrees (navigation, link lists,
    link-heavy boilerplate blocks), and flattens what needs no judgement into text with
    private-use marks: inline markup (links keep their extent as marks), ``<br>``, prose
    leaf blocks and data-table rows (one line, cells separated). What stays a tag is the
    structure BeautifulSoup has to judge. ``in_place``: move the nodes out of their tree
    instead of copying them (when the page tree is not needed any more).
    """
    wrap = etree.Element("div")
    for n in nodes:
        c = n if in_place else deepcopy(n)
        c.tail = None
        wrap.append(c)
    els = list(wrap.iter(etree.Element))
    for e in list(wrap.iter(etree.Comment, etree.ProcessingInstruction, etree.Entity)):
        _drop(e)
    # Bottom-up: [text, link text, links, has block below, has <br> below]
    stats: dict[etree._Element, list] = {}
    block_tags = rules.BLOCK_TAGS
    get_stats = stats.get
    for el in reversed(els):
        tx = el.text
        t = len("".join(tx.split())) if tx and not tx.isspace() else 0
        link = nl = 0
        blk = brk = False
        for ch in el:
            cs = get_stats(ch)
            if cs is not None:
                t += cs[0]
                link += cs[1]
                nl += cs[2]
                ctag = ch.tag
                if ctag == "br" or ctag == "hr":
                    brk = True
                elif cs[3] or ctag in block_tags:
                    blk = True
                if cs[4]:
                    brk = True
            tail = ch.tail
            if tail and not tail.isspace():
                t += len("".join(tail.split()))
        if el.tag == "a":
            link = t
            nl += 1
        stats[el] = [t, link, nl, blk, brk]
    total = stats[wrap][0] or 1
    # Comment-box words anywhere? (If not, no block needs its own text searched.)
    cbox = rules.COMMENT_BOX_TEXT_RE.search("".join(wrap.itertext())) is not None
    dead: set[etree._Element] = set()
    unwrap: list[etree._Element] = []
    strip_tags = _STRIP_TAGS
    list_tags = _LIST_TAGS
    for el in els[1:]:
        parent = el.getparent()
        if parent in dead:
            dead.add(el)
            continue
        tag = el.tag
        if tag == _UNWRAP:
            continue
        n, link, nl, blk, brk = stats[el]
        cls = el.get("class")
        ident = el.get("id")
        bp = (cls is not None or ident is not None) and _is_boilerplate_attr(
            f"{cls or ''} {ident or ''}".lower().strip())
        if tag in strip_tags or (
            tag in list_tags and n < 0.5 * total and (
                (nl >= 3 and link >= 0.8 * n) or (bp and link > 0.5 * n))
        ):
            dead.add(el)
            _drop(el)
            continue
        if tag == "a":
            if not blk:
                el.text = LINK_OPEN + (el.text or "")
                _append_end(el, LINK_CLOSE)
                unwrap.append(el)
            continue
        if tag == "br" or tag == "hr":
            el.tail = LINE_MARK + (el.tail or "")
            unwrap.append(el)
            continue
        if tag not in block_tags:
            if not bp:
                unwrap.append(el)
            continue
        if tag == "tr":
            cells = [c for c in el if isinstance(c.tag, str)]
            if not cells or any(c.tag not in ("td", "th") or stats[c][3] or stats[c][4]
                                for c in cells):
                continue
            el.set(ROW_MARK, "1")
            if bp or any(c.get("class") or c.get("id") for c in cells) or (
                    nl >= 3 and link > 0.6 * n) or (
                    cbox and n < 200
                    and rules.COMMENT_BOX_TEXT_RE.search("".join(el.itertext()))):
                continue
            el.text = LINE_MARK + (el.text or "")
            for c in cells:
                c.tail = CELL_MARK + (c.tail or "")
                unwrap.append(c)
            _append_end(el, LINE_MARK)
            unwrap.append(el)
            continue
        if blk or bp or tag == "form" or (nl >= 3 and link > 0.6 * n):
            continue
        if tag in ("td", "th") and parent.get(ROW_MARK):
            continue
        if tag not in _FLAT_BLOCKS and tag not in ("td", "th"):
            continue
        if cbox and n < 200 and rules.COMMENT_BOX_TEXT_RE.search("".join(el.itertext())):
            continue
        el.text = LINE_MARK + (el.text or "")
        _append_end(el, LINE_MARK)
        unwrap.append(el)
    for el in unwrap:
        el.tag = _UNWRAP
    etree.strip_tags(wrap, _UNWRAP)
    return etree.tostring(wrap, method="html", encoding="unicode")


def fragment_lines(nodes: list[etree._Element], *, in_place: bool = False) -> list[Line]:
    """Lines of the main-content nodes: lxml skeleton, BeautifulSoup boilerplate stripping.
    ``in_place``: see :func:`skeleton`."""
    if not nodes:
        return []
    return soup_lines(_strip(skeleton(nodes, in_place=in_place), comments=False))


# --------------------------------------------------------------------------- BeautifulSoup


def _attr_words(tag: Tag) -> str:
    cls = tag.get("class")
    if isinstance(cls, list):
        cls = " ".join(cls)
    return f"{cls or ''} {tag.get('id') or ''}".lower().strip()


def _text_len(tag: Tag) -> int:
    return len("".join(tag.get_text().split())) - sum(tag.get_text().count(m) for m in _MARKS)


def _is_gone(tag: Tag) -> bool:
    return bool(tag.__dict__.get("_decomposed")) or not tag.__dict__


def _subtree_stats(soup: BeautifulSoup) -> dict[int, list[int]]:
    """Per tag: [text chars, link text chars, number of links], in one bottom-up pass."""
    stats: dict[int, list[int]] = {}
    nodes = list(soup.descendants)
    for node in reversed(nodes):
        parent = node.parent
        if isinstance(node, Tag):
            st = stats.setdefault(id(node), [0, 0, 0])
            if node.name == "a":
                st[1] = st[0]
                st[2] += 1
            if parent is not None:
                pst = stats.setdefault(id(parent), [0, 0, 0])
                pst[0] += st[0]
                pst[1] += st[1]
                pst[2] += st[2]
        elif isinstance(node, NavigableString) and not isinstance(node, Comment):
            if parent is not None:
                n, link, nl = _text_stats(str(node))
                pst = stats.setdefault(id(parent), [0, 0, 0])
                pst[0] += n
                pst[1] += link
                pst[2] += nl
    return stats


_STRIP_TAGS = frozenset({"script", "style", "noscript", "nav", "aside", "footer", "textarea",
                         "select", "button", "input", "iframe"})
_LIST_TAGS = frozenset({"div", "ul", "ol", "table", "dl", "span", "td", "tr", "tbody", "section",
                        "p", "li"})


_CELL_GAP_RE = re.compile(r"\s*(?:\ue003\s*)+")


def soup_lines(soup: BeautifulSoup) -> list[Line]:
    """Lines of a soup: block elements and <br> break lines; link text is counted.

    A data-table row (``ROW_MARK``, or marks from :func:`skeleton`) is one line whose cells are
    separated by a single space.
    """
    parts: list[str] = []
    block_tags = rules.BLOCK_TAGS
    stack: list = [soup]
    while stack:
        node = stack.pop()
        if isinstance(node, str):
            if isinstance(node, NavigableString):
                if not isinstance(node, Comment):
                    parts.append(str(node))
            else:
                parts.append(node)  # a closing mark pushed below
            continue
        name = node.name
        if name == "br" or name == "hr":
            parts.append(LINE_MARK)
            continue
        if name == "a":
            parts.append(LINK_OPEN)
            stack.append(LINK_CLOSE)
        elif name in ("td", "th") and node.parent is not None and node.parent.get(ROW_MARK):
            stack.append(CELL_MARK)
        elif name in block_tags:
            parts.append(LINE_MARK)
            stack.append(LINE_MARK)
        else:
            stack.append("")
        stack.extend(reversed(node.contents))
    out: list[Line] = []
    for raw in "".join(parts).split(LINE_MARK):
        if not raw or raw.isspace():
            continue
        link = 0
        if LINK_OPEN in raw:
            for part in raw.split(LINK_OPEN)[1:]:
                link += _nonspace(part.split(LINK_CLOSE, 1)[0])
            raw = raw.replace(LINK_OPEN, "").replace(LINK_CLOSE, "")
        elif LINK_CLOSE in raw:
            raw = raw.replace(LINK_CLOSE, "")
        if CELL_MARK in raw:
            raw = _CELL_GAP_RE.sub(" ", raw)
        t = collapse_ws_keep_gaps(raw)
        if t:
            out.append(Line(t, link))
    return out


def _strip(fragment: str, *, comments: bool = True) -> BeautifulSoup:
    """``comments=False``: the fragment has none (a :func:`skeleton`)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        soup = BeautifulSoup(fragment, "lxml")
    if comments:
        for c in soup.find_all(string=lambda s: isinstance(s, Comment)):
            c.extract()
    stats = _subtree_stats(soup)
    total = stats.get(id(soup), [1])[0] or 1
    cbox = rules.COMMENT_BOX_TEXT_RE.search(soup.get_text()) is not None
    for tag in list(soup.find_all(True)):
        if _is_gone(tag):
            continue
        name = tag.name
        if name in ("html", "body", "br", "a", "img"):
            continue
        n, link_n, n_links = stats.get(id(tag), (0, 0, 0))
        if name in _STRIP_TAGS:
            tag.decompose()
            continue
        if name == "form":
            if _is_login_or_comment(tag) and n < 0.3 * total:
                tag.decompose()
            else:
                tag.unwrap()
            continue
        words = _attr_words(tag)
        if rules.is_boilerplate_attr(words):
            if n < 0.5 * total or link_n > 0.5 * n:
                tag.decompose()
                continue
        if n == 0 or name not in _LIST_TAGS:
            continue
        # Headline lists: mostly links, several of them, little prose between.
        if n_links >= 3 and link_n > 0.6 * n and n < 0.5 * total:
            tag.decompose()
            continue
        if cbox and n < 200 and n < 0.3 * total and rules.COMMENT_BOX_TEXT_RE.search(
                tag.get_text()):
            tag.decompose()
            continue
    return soup


def _is_login_or_comment(form: Tag) -> bool:
    if form.get(LOGIN_MARK) or form.find("textarea") is not None:
        return True
    if form.find("input", attrs={"type": re.compile("password", re.I)}) is not None:
        return True
    return _text_len(form) < 300 and bool(rules.COMMENT_BOX_TEXT_RE.search(form.get_text()))
