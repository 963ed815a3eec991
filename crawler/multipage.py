"""Articles split over several pages: find the continuation pages and join their bodies.

Chinese portals split long articles as ``X_2.ext`` (or ``X/index_2.ext``, or
``X?page=2``) beside ``X.ext``, linked from a page-navigation block (``上一页 1 2 3
下一页``, ``第2页``, ``共3页``). :func:`continuation_links` finds a page's links to its
article's other pages, numbered; :func:`first_page_of` tells a continuation page by its
URL; :func:`strip_page_nav` drops navigation lines from an extracted body.

Detection needs both a URL of the right shape (or a profile's ``article_pages`` regex)
and navigation evidence: the link's text is its page number or 下一页/尾页, or the page
says 第N页/共N页. A list page's pagination never reaches here (only article pages are
examined), and links to other articles cannot take the shape of this one's pages.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from crawler.urls import canonical_url

#: The most pages one article is followed to (page 1 included).
MAX_PAGES = 50
#: Page numbers above this are not page numbers (an id such as ``t20230618_41587``).
_MAX_NUMBER = 999

_LINK = re.compile(
    r"""<a\s[^>]*?href\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))[^>]*>(.{0,300}?)</a\s*>""",
    re.I | re.S,
)
_TAGS = re.compile(r"<[^>]*>")
_PAGE_MARK = re.compile(r"第\s*\d+\s*页|共\s*\d+\s*页")
_NEXT_WORDS = ("下一页", "下页", "尾页", "末页", "下一頁", "next")
_FIRST_WORDS = ("上一页", "上页", "首页", "第一页", "上一頁", "prev")
_PAGE_PARAMS = ("page", "p", "pn", "pg", "pageno", "page_no", "curpage")
_NUMBERED = re.compile(r"^(.*?)(/index)?_(\d{1,3})(\.[A-Za-z0-9]+)$")

_NAV_TOKEN = r"(?:上一页|下一页|上页|下页|首页|尾页|末页|第\s*\d+\s*页|共\s*\d+\s*页|\d{1,3})"
_NAV_LINE = re.compile(
    rf"^[\s\[\]【】<>«»‹›|.、,，:：-]*(?:{_NAV_TOKEN}[\s\[\]【】<>«»‹›|.、,，:：-]*)+$"
)
_NAV_WORD = re.compile(r"上一页|下一页|上页|下页|首页|尾页|末页|第\s*\d+\s*页|共\s*\d+\s*页")


def page_number(url: str, first: str) -> int | None:
    """``url``'s page number (2, 3, ...) if its shape makes it a page of ``first``.

    >>> page_number("http://x.cn/a/10_2.html", "http://x.cn/a/10.html")
    2
    >>> page_number("http://x.cn/a/10/index_3.html", "http://x.cn/a/10.html")
    3
    >>> page_number("http://x.cn/a/10.html?page=2", "http://x.cn/a/10.html")
    2
    """
    u, f = urlsplit(url), urlsplit(first)
    if (u.scheme, u.netloc) != (f.scheme, f.netloc):
        return None
    if u.path == f.path:
        extra = dict(parse_qsl(u.query, keep_blank_values=True))
        base = dict(parse_qsl(f.query, keep_blank_values=True))
        for name in _PAGE_PARAMS:
            value = extra.pop(name, None)
            if value is not None and name not in base and extra == base and value.isdigit():
                n = int(value)
                return n if 2 <= n <= _MAX_NUMBER else None
        return None
    if u.query != f.query:
        return None
    match = _NUMBERED.match(u.path)
    if not match:
        return None
    stem, index, n, ext = match.group(1), match.group(2), int(match.group(3)), match.group(4)
    if not 2 <= n <= _MAX_NUMBER:
        return None
    if index:  # X/index_N.ext beside X.ext (or X/index.ext)
        return n if f.path in (stem + ext, stem + "/index" + ext, stem + "/") else None
    return n if f.path == stem + ext else None


def first_page_of(url: str) -> str | None:
    """The page-1 URL that ``url`` would continue, judging by its shape alone.

    >>> first_page_of("http://x.cn/a/10_2.html")
    'http://x.cn/a/10.html'
    """
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    kept = [(k, v) for k, v in query if k not in _PAGE_PARAMS]
    if len(kept) < len(query):
        return urlunsplit((*parts[:3], urlencode(kept), ""))
    match = _NUMBERED.match(parts.path)
    if not match or not 2 <= int(match.group(3)) <= _MAX_NUMBER:
        return None
    return urlunsplit((*parts[:2], match.group(1) + match.group(4), parts.query, ""))


def _links(text: str, base: str) -> list[tuple[str, str]]:
    """``(canonical URL, link text)`` of every ``<a href>`` of an HTML text."""
    out = []
    for m in _LINK.finditer(text):
        href = (m.group(1) or m.group(2) or m.group(3) or "").strip()
        if not href or href.startswith(("javascript:", "mailto:", "#")):
            continue
        label = " ".join(_TAGS.sub(" ", m.group(4)).split())
        out.append((canonical_url(urljoin(base, href.replace("&amp;", "&"))), label))
    return out


def continuation_links(
    text: str, page_url: str, first: str, pattern: re.Pattern[str] | None = None
) -> dict[int, str]:
    """Links of a page (HTML ``text`` fetched from ``page_url``) to other pages of the
    article whose page 1 is ``first``: ``{page number: URL}``.

    With ``pattern`` (a profile's ``article_pages``), every linked URL it matches is a
    page; its number is the pattern's first group when it has one, else the order of
    the links.
    """
    found: dict[int, str] = {}
    links = _links(text, page_url)
    if pattern is not None:
        order = 2
        for url, _ in links:
            match = pattern.search(url)
            if not match or url == first or url in found.values():
                continue
            group = match.group(1) if match.re.groups else None
            n = int(group) if group and group.isdigit() else order
            order += 1
            if n >= 2:
                found.setdefault(n, url)
        return found
    marked = _PAGE_MARK.search(text) is not None
    for url, label in links:
        n = page_number(url, first)
        if n is None:
            continue
        low = label.lower()
        if marked or label == str(n) or any(w in low for w in _NEXT_WORDS):
            found.setdefault(n, url)
    return found


def links_back(text: str, page_url: str, first: str) -> bool:
    """Whether a page's navigation links to ``first`` as its page 1 (首页, 上一页, "1")."""
    marked = _PAGE_MARK.search(text) is not None
    for url, label in _links(text, page_url):
        if url == first and (marked or label == "1" or any(w in label.lower()
                                                          for w in _FIRST_WORDS)):  # fmt: skip
            return True
    return False


def strip_page_nav(body: str) -> str:
    """``body`` without lines that are page navigation (``上一页 1 2 3 下一页``, ``共3页``).

    >>> strip_page_nav("第一段。\\n上一页 1 2 3 下一页\\n共3页")
    '第一段。'
    """
    kept = [
        line
        for line in body.split("\n")
        if not (_NAV_LINE.match(line) and _NAV_WORD.search(line))
    ]
    return "\n".join(kept).strip()
