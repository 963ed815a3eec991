"""Parsing, pruning and boilerplate stripping.

The whole page is parsed once with lxml (fast) and pruned of scripts, styles and comments.
Once the main-content candidate is known, only that fragment goes through BeautifulSoup
(lxml builder), which strips the boilerplate inside it: share bars, 相关阅读 lists, comment
boxes and login forms, "More>>" headline lists, copyright and navigation blocks.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass

from bs4 import BeautifulSoup, Comment, NavigableString, Tag
from lxml import etree

from . import rules

_XML_DECL_RE = re.compile(r"^\s*<\?xml[^>]*>", re.IGNORECASE)
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_WS_RE = re.compile(r"[ \t\r\n\f\v\u00a0\u3000\u2002\u2003\u2009\u200b\ufeff]+")
_NL_RE = re.compile(r"[ \t\f\v]*[\r\n][ \t\r\n\f\v]*")
_WIDE_RE = re.compile(r"[ \t\f\v\u00a0\u3000\u2002\u2003\u2009]{2,}|\u3000")

_PARSER = etree.HTMLParser(remove_comments=True, remove_pis=True, remove_blank_text=False,
                          default_doctype=False, collect_ids=False)


#: Attribute set by prune() on forms that hold a password field or a comment textarea.
LOGIN_MARK = "data-na-login"


def parse(text: str) -> etree._Element | None:
    """Parse a decoded page into an lxml.html tree, or None if there is nothing to parse."""
    text = _XML_DECL_RE.sub("", text, count=1)
    text = _CONTROL_RE.sub("", text)
    if not text.strip():
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


def collapse_ws_keep_gaps(text: str) -> str:
    """Collapse whitespace, keeping wide gaps (field separators) as two spaces."""
    text = _WIDE_RE.sub("\x00", _NL_RE.sub(" ", text))
    return _WS_RE.sub(" ", text).replace("\x00", "  ").replace("   ", "  ").strip()


# --------------------------------------------------------------------------- lines


@dataclass
class Line:
    """One visual line of text: a block's own text, with how much of it is link text."""

    text: str
    link_chars: int
    owner: etree._Element | None = None

    @property
    def link_ratio(self) -> float:
        n = len(self.text.replace(" ", ""))
        return self.link_chars / n if n else 0.0


def lines_of(root: etree._Element, *, keep_owner: bool = False) -> list[Line]:
    """Linearise a tree into lines: block elements and <br> start new lines."""
    out: list[Line] = []
    buf: list[str] = []
    link_chars = 0
    link_depth = 0
    owners: list[etree._Element] = []

    def flush() -> None:
        nonlocal buf, link_chars
        if buf:
            t = collapse_ws_keep_gaps("".join(buf))
            if t:
                out.append(Line(t, link_chars, owners[-1] if (keep_owner and owners) else None))
        buf = []
        link_chars = 0

    for event, el in etree.iterwalk(root, events=("start", "end")):
        tag = el.tag
        if not isinstance(tag, str):
            if event == "end" and el.tail:
                buf.append(el.tail)
                if link_depth:
                    link_chars += len(el.tail.strip())
            continue
        if event == "start":
            if tag in rules.BLOCK_TAGS:
                flush()
                owners.append(el)
            if tag == "a":
                link_depth += 1
            if el.text:
                buf.append(el.text)
                if link_depth:
                    link_chars += len(el.text.strip())
        else:
            if tag == "a":
                link_depth = max(0, link_depth - 1)
            if tag in rules.BLOCK_TAGS:
                flush()
                if owners:
                    owners.pop()
            elif tag in ("td", "th"):
                buf.append(" ")
            if el.tail and el is not root:
                buf.append(el.tail)
                if link_depth:
                    link_chars += len(el.tail.strip())
    flush()
    return out


# --------------------------------------------------------------------------- BeautifulSoup


def _attr_words(tag: Tag) -> str:
    cls = tag.get("class")
    if isinstance(cls, list):
        cls = " ".join(cls)
    return f"{cls or ''} {tag.get('id') or ''}".lower().strip()


def _nonspace(s: str) -> int:
    return len(s) - s.count(" ") - s.count("\n") - s.count("\t") - s.count("\r") - s.count(
        "\xa0") - s.count("\u3000")


def _text_len(tag: Tag) -> int:
    return len("".join(tag.get_text().split()))


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
                stats.setdefault(id(parent), [0, 0, 0])[0] += _nonspace(str(node))
    return stats


_STRIP_TAGS = frozenset({"script", "style", "noscript", "nav", "aside", "footer", "textarea",
                         "select", "button", "input", "iframe"})
_LIST_TAGS = frozenset({"div", "ul", "ol", "table", "dl", "span", "td", "tr", "tbody", "section",
                        "p", "li"})


def strip_boilerplate(fragment: str) -> str:
    """Strip boilerplate from an HTML fragment with BeautifulSoup; returns cleaned HTML."""
    return str(_strip(fragment))


def strip_boilerplate_lines(fragment: str) -> list[Line]:
    """Strip boilerplate with BeautifulSoup and linearise the result into lines."""
    return soup_lines(_strip(fragment))


_LINE_MARK = "\x01"
_LINK_OPEN = "\x02"
_LINK_CLOSE = "\x03"


def soup_lines(soup: BeautifulSoup) -> list[Line]:
    """Lines of a soup: block elements and <br> break lines; link text is counted."""
    for tag in soup.find_all(True):
        name = tag.name
        if name == "br" or name == "hr":
            tag.append(_LINE_MARK)
        elif name in rules.BLOCK_TAGS:
            tag.insert(0, _LINE_MARK)
            tag.append(_LINE_MARK)
        elif name == "a":
            tag.insert(0, _LINK_OPEN)
            tag.append(_LINK_CLOSE)
        elif name in ("td", "th"):
            tag.append(" ")
    out: list[Line] = []
    for raw in soup.get_text().split(_LINE_MARK):
        if _LINK_OPEN in raw:
            link = 0
            for part in raw.split(_LINK_OPEN)[1:]:
                link += _nonspace(part.split(_LINK_CLOSE, 1)[0])
            raw = raw.replace(_LINK_OPEN, "").replace(_LINK_CLOSE, "")
        else:
            link = 0
            raw = raw.replace(_LINK_CLOSE, "")
        t = collapse_ws_keep_gaps(raw)
        if t:
            out.append(Line(t, link))
    return out


def _strip(fragment: str) -> BeautifulSoup:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        soup = BeautifulSoup(fragment, "lxml")
    for c in soup.find_all(string=lambda s: isinstance(s, Comment)):
        c.extract()
    stats = _subtree_stats(soup)
    total = stats.get(id(soup), [1])[0] or 1
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
        if words and rules.BOILERPLATE_ATTR_RE.search(words) and not rules.CONTENT_ATTR_RE.search(
            words
        ):
            if n < 0.5 * total or link_n > 0.5 * n:
                tag.decompose()
                continue
        if n == 0 or name not in _LIST_TAGS:
            continue
        # Headline lists: mostly links, several of them, little prose between.
        if n_links >= 3 and link_n > 0.6 * n and n < 0.5 * total:
            tag.decompose()
            continue
        if n < 200 and n < 0.3 * total and rules.COMMENT_BOX_TEXT_RE.search(tag.get_text()):
            tag.decompose()
            continue
    return soup


def _is_login_or_comment(form: Tag) -> bool:
    if form.get(LOGIN_MARK) or form.find("textarea") is not None:
        return True
    if form.find("input", attrs={"type": re.compile("password", re.I)}) is not None:
        return True
    return _text_len(form) < 300 and bool(rules.COMMENT_BOX_TEXT_RE.search(form.get_text()))
