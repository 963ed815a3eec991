"""Metadata: the title, and every field's final cleaning (:func:`clean_field`).

The other fields have their own modules: :mod:`.published` (``published_at``) and
:mod:`.bylines` (source, author, editor), over the page head of :mod:`.head`.

Each field has a fallback chain. Visible labels are searched in the lines around the
headline and right after the article body first, so dates and names in related-headline
lists, sidebars and footers are not picked up.
"""

from __future__ import annotations

import re

from lxml import etree

from crawler.extract.bylines import clean_source, find_author, find_editor, find_source, split_names
from crawler.extract.page_head import Head, _jsonld_get, norm
from crawler.extract.published import parse_compact_date, parse_date, year_hint

from . import cleaning, rules


def title_candidates_from_head(head: Head) -> list[str]:
    out = []
    for key in rules.META_TITLE_NAMES:
        v = head.meta.get(key)
        if v:
            out.append(v)
    v = _jsonld_get(head, "headline")
    if isinstance(v, str):
        out.append(v)
    if head.title:
        out.append(head.title)
    return out


def strip_site_suffix(title: str) -> str:
    parts = [p for p in rules.TITLE_SPLIT_RE.split(title) if p and p.strip()]
    if not parts:
        return title.strip()
    first = parts[0].strip()
    if len(norm(first)) >= 2 or len(parts) == 1:
        return first
    return max(parts, key=lambda p: len(norm(p))).strip()


def _tag_bonus(owner: etree._Element | None) -> int:
    if owner is None:
        return 0
    tag = owner.tag
    if tag == "h1":
        return 3
    if tag in ("h2", "h3"):
        return 2
    words = f"{owner.get('class') or ''} {owner.get('id') or ''}".lower()
    if "title" in words or "headline" in words or "biaoti" in words:
        return 1
    if tag in ("b", "strong", "font"):
        return 1
    return 0


def _joined_headline(lines: list[cleaning.Line], idx: int, text: str, segs: list[str]) -> str:
    """A headline broken over two lines (a second line <div> inside the <h1>): both lines
    when together they are the head title's headline, else ``text``."""
    if idx + 1 < len(lines):
        second = cleaning.collapse_ws(lines[idx + 1].text)
        if norm(text + second) in segs:
            return f"{text} {second}"
    return text


#: A line that is only a label (a table cell before its value's cell): 发文字号：
_LABEL_CELL_RE = re.compile(r"^\s*[\u4e00-\u9fff][\u4e00-\u9fff\s]{1,7}[:：]\s*$")


def find_title(lines: list[cleaning.Line], head: Head, body_start: int | None = None
               ) -> tuple[str | None, int | None]:
    """The headline and its line index in ``lines``."""
    refs = [norm(t) for t in title_candidates_from_head(head)]
    refs = [r for r in refs if r]
    segs = [norm(strip_site_suffix(cleaning.collapse_ws(t)))
            for t in title_candidates_from_head(head)]
    segs = [x for x in segs if len(x) >= 2]
    full = norm(head.title)
    min_seg = min((len(sg) for sg in segs), default=0)
    best: tuple[int, int, int, int, int] | None = None  # (quality, pos, bonus, len, -idx)
    # Every match starts like a head title: skip lines whose first letter is in none of them.
    ref_text = "\x00".join(refs)
    for i, ln in enumerate(lines):
        t = ln.text
        if len(t) > 150:
            continue
        c = t[0]
        if c.isalnum() and c.lower() not in ref_text:
            continue
        n = norm(t)
        if len(n) < 2:
            continue
        quality = 0
        bonus = -1
        pos = 1
        if n in segs:
            quality = 4
        elif (len(n) >= 4 and segs and len(n) >= 0.6 * min_seg
              and any(n in r for r in refs)):
            quality = 3
            # Where in the head title: the headline leads it, a site or blog name (a logo
            # line) trails it ("标题 @ 博客名 :: 网站名").
            if any(r.startswith(n) for r in refs):
                pos = 2
            elif all(r.endswith(n) for r in refs if n in r):
                pos = 0
        elif any(len(sg) >= 6 and n.startswith(sg) and len(n) <= 2.5 * len(sg) for sg in segs
                 ) and (bonus := _tag_bonus(ln.owner)) >= 2:
            quality = 2
        elif full and n == full and len(n) >= 4:
            quality = 1
        if not quality:
            continue
        if bonus < 0:
            bonus = _tag_bonus(ln.owner)
        if len(n) < 4 and quality < 4:
            continue
        key = (quality, pos, bonus, len(n), -i)
        if best is None or key > best:
            best = key
    if best is not None:
        idx = -best[4]
        text = cleaning.collapse_ws(lines[idx].text)
        if best[0] == 1:
            text = strip_site_suffix(text)
        elif best[0] < 4:
            text = _joined_headline(lines, idx, text, segs)
        return text, idx
    # No visible match: a single substantial h1, then a headline-like line above the body.
    h1s = [i for i, ln in enumerate(lines) if ln.owner is not None and ln.owner.tag == "h1"
           and len(norm(ln.text)) >= 6 and len(ln.text) <= 120]
    if len(h1s) == 1:
        return _joined_headline(lines, h1s[0], cleaning.collapse_ws(lines[h1s[0]].text),
                                segs), h1s[0]
    if body_start is not None:
        for i in range(min(body_start, len(lines)) - 1, max(-1, body_start - 8), -1):
            ln = lines[i]
            t = ln.text
            n = norm(t)
            if i > 0 and _LABEL_CELL_RE.match(lines[i - 1].text):
                continue  # the value of the label in the cell before (发文字号：)
            if (6 <= len(n) <= 60 and ln.link_ratio < 0.3
                    and not t.rstrip().endswith(("。", "：", ":", "，"))
                    and sum(t.count(p) for p in "，。；") <= 1
                    and "http" not in t and "www." not in t
                    and not rules.DATE_PATTERNS[0].search(t)
                    and not rules.ANY_LABEL_RE.search(t.replace("  ", " "))
                    and not rules.BOILERPLATE_LINE_RE.match(t)):
                return cleaning.collapse_ws(t), i
    for t in title_candidates_from_head(head):
        s = strip_site_suffix(cleaning.collapse_ws(t))
        if len(norm(s)) >= 2:
            return s, None
    return None, None





def clean_field(name: str, text: str, url: str | None) -> str | None:
    """Parse a profile-selected element's text into a field value."""
    text = cleaning.collapse_ws_keep_gaps(text or "")
    if not text:
        return None
    if name == "title":
        return cleaning.collapse_ws(text)
    if name == "published_at":
        year = year_hint(url, [text])
        dv = parse_date(text, year=year) or parse_compact_date(text)
        return dv.iso() if dv else None
    if name == "source":
        return find_source([text]) or clean_source(text)
    if name == "author":
        v = find_author([text], [text])
        if v:
            return v
        names = split_names(text)
        return "、".join(names) if names else None
    if name == "editor":
        v = find_editor([text])
        if v:
            return v
        names = split_names(text, allow_outlets=True)
        return "、".join(names) if names else None
    return cleaning.collapse_ws(text)


