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

from bs4 import BeautifulSoup, Comment, Tag
from lxml import etree, html

from . import rules

_XML_DECL_RE = re.compile(r"^\s*<\?xml[^>]*>", re.IGNORECASE)
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_WS_RE = re.compile(r"[ \t\r\n\f\v\u00a0\u3000\u2002\u2003\u2009\u200b\ufeff]+")
_NL_RE = re.compile(r"[ \t\f\v]*[\r\n][ \t\r\n\f\v]*")
_WIDE_RE = re.compile(r"[ \t\f\v\u00a0\u3000\u2002\u2003\u2009]{2,}|\u3000")

_PARSER = html.HTMLParser(remove_comments=True, remove_pis=True, remove_blank_text=False,
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
        root = html.document_fromstring(text, parser=_PARSER)
    except (etree.ParserError, ValueError, TypeError):
        try:
            root = html.fragment_fromstring(text, create_parent="div", parser=_PARSER)
        except Exception:
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


def _text_len(tag: Tag) -> int:
    return len("".join(tag.get_text().split()))


def _link_len(tag: Tag) -> int:
    return sum(len("".join(a.get_text().split())) for a in tag.find_all("a"))


def strip_boilerplate(fragment: str) -> str:
    """Strip boilerplate from an HTML fragment with BeautifulSoup; returns cleaned HTML."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        soup = BeautifulSoup(fragment, "lxml")
    for c in soup.find_all(string=lambda s: isinstance(s, Comment)):
        c.extract()
    total = _text_len(soup) or 1
    for tag in soup.find_all(["script", "style", "noscript", "nav", "aside", "footer",
                              "textarea", "select", "button", "input", "iframe", "form"]):
        if tag.decomposed:
            continue
        if tag.name == "form" and not (_is_login_or_comment(tag) and _text_len(tag) < 0.3 * total):
            tag.unwrap()
            continue
        tag.decompose()

    total = _text_len(soup) or 1
    for tag in soup.find_all(True):
        if tag.decomposed or tag.name in ("html", "body", "p", "br", "a", "img"):
            continue
        words = _attr_words(tag)
        n = None
        if words and rules.BOILERPLATE_ATTR_RE.search(words) and not rules.CONTENT_ATTR_RE.search(
            words
        ):
            n = _text_len(tag)
            if n < 0.5 * total or _link_len(tag) > 0.5 * n:
                tag.decompose()
                continue
        if tag.name in ("div", "ul", "ol", "table", "dl", "span", "td", "tr", "tbody", "section"):
            n = _text_len(tag) if n is None else n
            if n == 0:
                continue
            links = tag.find_all("a")
            link_n = sum(len("".join(a.get_text().split())) for a in links)
            # Headline lists: mostly links, several of them, little prose between.
            if len(links) >= 3 and link_n > 0.6 * n and n < 0.5 * total:
                tag.decompose()
                continue
            if n < 200 and rules.COMMENT_BOX_TEXT_RE.search(tag.get_text()) and n < 0.3 * total:
                tag.decompose()
                continue
    return str(soup)


def _is_login_or_comment(form: Tag) -> bool:
    if form.get(LOGIN_MARK) or form.find("textarea") is not None:
        return True
    if form.find("input", attrs={"type": re.compile("password", re.I)}) is not None:
        return True
    return _text_len(form) < 300 and bool(rules.COMMENT_BOX_TEXT_RE.search(form.get_text()))
