"""Main text selection: find the article container, then keep only article paragraphs.

Scoring is readability-like and runs on the lxml tree: every block's own (non-link) text
earns points for its length and its Chinese/Western prose punctuation; the points flow up to
the block's ancestors, damped by distance; a container's score is then weighted by its link
density, its tag and its class/id words. The best container and its strong siblings are the
main content; that fragment is stripped of boilerplate by ``cleaning.fragment_lines``
(BeautifulSoup) and cut into lines, which are filtered (metadata lines, the headline, share
bars, 相关阅读, comment prompts, copyright) and cut at end-of-article markers.
"""

from __future__ import annotations

import logging
import re

from lxml import etree

from crawler import speedups

from . import cleaning, rules

log = logging.getLogger(__name__)

_PUNCT_STRONG = "，。！？；"
_SCORED_BLOCK_TAGS = rules.BLOCK_TAGS - {"br", "hr"}
_STAMP_RE = re.compile(r"(?<!\d)\d{4}[-/.]\d{1,2}[-/.]\d{1,2}\s*\d{1,2}:\d{2}(?!\d)")


def _attr_words(el: etree._Element) -> str:
    return f"{el.get('class') or ''} {el.get('id') or ''}".lower().strip()


_BP_CACHE: dict[tuple[str | None, str | None], bool] = {}


def _is_boilerplate(el: etree._Element, tag: str) -> bool:
    if tag in ("nav", "aside", "footer"):
        return True
    if tag == "form" and el.get(cleaning.LOGIN_MARK):
        return True
    cls = el.get("class")
    ident = el.get("id")
    if not cls and not ident:
        return False
    key = (cls, ident)
    v = _BP_CACHE.get(key)
    if v is None:
        if len(_BP_CACHE) > 4096:
            _BP_CACHE.clear()
        v = _BP_CACHE[key] = rules.is_boilerplate_attr(
            f"{cls or ''} {ident or ''}".lower().strip())
    return v


class _Stats:
    __slots__ = ("text", "link", "punct", "score", "total_text", "total_link", "parent", "el",
                 "tag", "excluded", "order", "stamps", "total_stamps", "bp", "disclaimer")

    def __init__(self, el: etree._Element, tag: str, parent: _Stats | None, bp: bool,
                 order: int):
        self.el = el
        self.tag = tag
        self.parent = parent
        self.bp = bp  # its own class/id/tag marks it as boilerplate
        self.excluded = bp
        self.order = order
        self.text = 0
        self.link = 0
        self.punct = 0
        self.score = 0.0
        self.total_text = 0
        self.total_link = 0
        self.stamps = 0
        self.total_stamps = 0
        self.disclaimer: bool | None = None


def _nonspace_len(s: str) -> int:
    return len("".join(s.split()))


def _punct(s: str) -> int:
    return (s.count("，") + s.count("。") + s.count("！") + s.count("？") + s.count("；")
            + s.count(", ") + s.count(". "))


_PUNCT_ANY_RE = re.compile(r"[，。！？；]|[,.] ")


#: ``crawler.extract._walk``, :func:`walk_py` in C (optional; :mod:`crawler.speedups`), or None.
_walk_c = speedups.load(
    "extract._walk", "extraction walks pages in Python (the same results, slower)"
)


def walk(root: etree._Element, page_root: etree._Element | None = None
         ) -> tuple[list[cleaning.Line], list[_Stats]]:
    """One pass over the whole page: its lines (the text under ``page_root``, with a new
    line at every block element and ``<br>``; how much of each is link text; the block
    that holds it) and its blocks' raw statistics (scored by :func:`score`).

    :func:`walk_py` run by the C extension ``crawler.extract._walk`` when it is installed (about
    5× faster; tests/test_extract_walk.py checks both give the same result), else in Python.
    """
    if _walk_c is not None:
        try:
            return _walk_c.walk(root, root if page_root is None else page_root,
                                rules.BLOCK_TAGS, _Stats, cleaning.Line,
                                cleaning.collapse_ws_keep_gaps, _is_boilerplate,
                                _STAMP_RE.findall)  # fmt: skip
        except (TypeError, ValueError, UnicodeError) as exc:
            # Unexpected input for the C walk: the Python walk is the definition.
            log.debug("crawler.extract._walk failed (%s): walking in Python", exc)
    return walk_py(root, page_root)


def walk_py(root: etree._Element, page_root: etree._Element | None = None
            ) -> tuple[list[cleaning.Line], list[_Stats]]:
    """:func:`walk` in Python: the definition of what it returns."""
    blocks: list[_Stats] = []
    lines: list[cleaning.Line] = []
    block_tags = rules.BLOCK_TAGS
    is_bp = _is_boilerplate
    new_line = cleaning.Line
    collapse = cleaning.collapse_ws_keep_gaps
    stamp_findall = _STAMP_RE.findall
    has_punct = _PUNCT_ANY_RE.search
    punct = _punct
    if page_root is None:
        page_root = root
    collecting = page_root is root
    buf: list[str] = []
    link_chars = 0
    owners: list[etree._Element] = []
    stack: list[_Stats | None] = []  # the block stats of each open element
    link_depth = 0  # open <a> elements
    pst: _Stats | None = None
    order = 0
    for event, el in etree.iterwalk(root, events=("start", "end")):
        tag = el.tag
        if event == "start":
            pst = stack[-1] if stack else None
            if tag.__class__ is not str:
                # Entities and the like: no text of their own, not scored; tails are lines.
                stack.append(pst)
                continue
            if el is page_root:
                collecting = True
            if tag in block_tags:
                if tag == "br" or tag == "hr":
                    st = pst
                else:
                    st = _Stats(el, tag, pst, is_bp(el, tag), order)
                    order += 1
                    blocks.append(st)
                if collecting:
                    if buf:
                        raw = "".join(buf)
                        buf.clear()
                        if not raw.isspace():
                            t = collapse(raw)
                            if t:
                                lines.append(new_line(t, link_chars,
                                                      owners[-1] if owners else None))
                        link_chars = 0
                    owners.append(el)
            else:
                if tag == "a":
                    link_depth += 1
                st = pst
            if st is None:
                st = _Stats(el, tag, None, False, order)
                order += 1
                blocks.append(st)
            stack.append(st)
            t = el.text
            if t:
                n = 0 if t.isspace() else len("".join(t.split()))
                if n:
                    st.text += n
                    if link_depth:
                        st.link += n
                    else:
                        if has_punct(t):
                            st.punct += punct(t)
                        if ":" in t:
                            st.stamps += len(stamp_findall(t))
                if collecting:
                    buf.append(t)
                    if link_depth:
                        link_chars += len(t.strip())
            continue
        # end
        stack.pop()
        pst = stack[-1] if stack else None
        t = el.tail
        if tag.__class__ is str:
            if tag in block_tags:
                if collecting:
                    if buf:
                        raw = "".join(buf)
                        buf.clear()
                        if not raw.isspace():
                            t2 = collapse(raw)
                            if t2:
                                lines.append(new_line(t2, link_chars,
                                                      owners[-1] if owners else None))
                        link_chars = 0
                    if owners:
                        owners.pop()
            elif tag == "a" and link_depth:
                link_depth -= 1
            if t and pst is not None and not t.isspace():
                n = len("".join(t.split()))
                if n:
                    pst.text += n
                    if link_depth:
                        pst.link += n
                    else:
                        if has_punct(t):
                            pst.punct += punct(t)
                        if ":" in t:
                            pst.stamps += len(stamp_findall(t))
        if el is page_root:
            collecting = False
            continue
        if t and collecting:
            buf.append(t)
            if link_depth:
                link_chars += len(t.strip())
    if buf:
        raw = "".join(buf)
        if not raw.isspace():
            t = collapse(raw)
            if t:
                lines.append(new_line(t, link_chars, owners[-1] if owners else None))
    return lines, blocks


def score(blocks: list[_Stats], *, use_exclusions: bool = True) -> list[_Stats]:
    """Readability-style scores from the raw statistics of :func:`walk` (in place)."""
    for st in blocks:
        p = st.parent
        st.excluded = (p.excluded if p is not None else False) or (use_exclusions and st.bp)
        st.score = 0.0
        st.total_text = st.total_link = st.total_stamps = 0

    # Subtree totals (children before parents in reversed document order).
    for st in reversed(blocks):
        if st.excluded:
            continue
        st.total_text += st.text
        st.total_link += st.link
        st.total_stamps += st.stamps
        p = st.parent
        if p is not None and not p.excluded:
            p.total_text += st.total_text
            p.total_link += st.total_link
            p.total_stamps += st.total_stamps

    # Paragraph scores flow to the block and its ancestors.
    for st in blocks:
        if st.excluded:
            continue
        own = st.text - st.link
        if own < 8 or (st.text and st.link / st.text > 0.5):
            continue
        if st.punct == 0 and own < 40:
            continue
        if own < 600:
            if st.disclaimer is None:
                st.disclaimer = bool(
                    rules.DISCLAIMER_RE.search("".join(st.el.itertext())[:1000]))
            if st.disclaimer:
                continue
        s = 1.0 + st.punct + min(own / 60.0, 5.0)
        node: _Stats | None = st
        level = 0
        while node is not None and level < 4:
            if level <= 1:
                node.score += s
            else:
                node.score += s / (level * 1.5)
            node = node.parent
            level += 1
    return blocks


def _final(st: _Stats) -> float:
    if st.score <= 0:
        return 0.0
    ld = st.total_link / st.total_text if st.total_text else 0.0
    score = st.score * (1.0 - ld * ld)
    if st.total_stamps >= 4:
        # Many time stamps: a comment list or a forum thread, not an article.
        score /= 1.0 + 0.3 * (st.total_stamps - 2)
    score += rules.TAG_WEIGHTS.get(st.tag, 0)
    words = _attr_words(st.el)
    if words:
        if rules.POSITIVE_ATTR_RE.search(words):
            score += min(25.0, score * 0.5)
        if rules.is_boilerplate_attr(words):
            score -= 25
    return score


def _is_inside(st: _Stats, other: _Stats) -> bool:
    node: _Stats | None = st
    while node is not None:
        if node is other:
            return True
        node = node.parent
    return False


def _first_post(best: _Stats, cands: list[_Stats]) -> _Stats | None:
    """Several posts rendered by one template (a blog's index page, a forum thread): the
    best candidate's tag and class repeat on 3+ separate prose blocks that are not its
    siblings. The page's article is then the first post (the newest entry, the opening
    post), not the longest."""
    cls = best.el.get("class")
    if not cls or best.parent is None:
        return None
    posts = [st for st in cands
             if st.tag == best.tag and st.el.get("class") == cls
             and st.total_text - st.total_link >= 100 and st.total_link < 0.3 * st.total_text]
    posts = [st for st in posts if st is best or (
        st.parent is not best.parent and not _is_inside(st, best) and not _is_inside(best, st))]
    if len(posts) < 3 or posts[0] is best:
        return None
    return posts[0]


def select_nodes(root: etree._Element, blocks: list[_Stats] | None = None
                 ) -> list[etree._Element]:
    """The main-content container (plus strong siblings), in document order. ``blocks``: the
    page's blocks from :func:`walk` (walked here when not given)."""
    if blocks is None:
        blocks = walk(root)[1]
    score(blocks)
    cands = [st for st in blocks if not st.excluded and st.score > 0]
    if not cands or max(st.total_text - st.total_link for st in cands) < 60:
        score(blocks, use_exclusions=False)
        cands = [st for st in blocks if st.score > 0]
    if not cands:
        return []
    scored = [(_final(st), st) for st in cands]
    best_score, best = max(scored, key=lambda x: (x[0], -x[1].order))
    first = _first_post(best, cands)
    if first is not None:
        best_score, best = _final(first), first
    # A container whose paragraphs are all in one child: the child is the better candidate,
    # and a best candidate that is a lone paragraph of a bigger article: climb.
    parent = best.parent
    if parent is not None and best.tag in ("p", "font", "span", "li", "dd"):
        best = parent
    nodes = [best.el]
    if best.parent is not None and best.tag not in ("body", "html"):
        threshold = max(10.0, best_score * 0.2)
        siblings = [st for st in cands if st.parent is best.parent and st is not best]
        for st in siblings:
            if st.el is best.el:
                continue
            own = st.total_text - st.total_link
            ld = st.total_link / st.total_text if st.total_text else 1.0
            sc = _final(st)
            if sc >= threshold or (own > 80 and ld < 0.25 and st.punct >= 2):
                nodes.append(st.el)
        if len(nodes) > 1:
            pos = {st.el: st.order for st in blocks}
            nodes.sort(key=lambda e: pos.get(e, 0))
    return nodes


def headline_column(nodes: list[etree._Element], headline: etree._Element | None,
                    blocks: list[_Stats]) -> list[etree._Element]:
    """A short article (a 快讯 of two or three sentences) beside a sidebar that holds more
    prose: when the selected text is not in the headline's column (the child, holding the
    headline, of the nearest ancestor the two share) but that column holds two or more
    sentences of its own, the column's best block is the article. Otherwise ``nodes``
    unchanged. Runs on :func:`select_nodes`' scores (after the walk)."""
    if not nodes or headline is None:
        return nodes
    best = nodes[0]
    if _contains(best, headline) or _contains(headline, best):
        return nodes
    column = headline
    for anc in headline.iterancestors():
        if anc is best or _contains(anc, best):
            break
        column = anc
    if column is headline or column.tag in ("body", "html"):
        return nodes
    by_el = {st.el: st for st in blocks if not st.excluded and st.score > 0}
    inside = [by_el[e] for e in column.iter() if e in by_el and e is not column]
    prose = [st for st in inside if st.punct >= 1 and st.text - st.link >= 15
             and not _SUMMARY_RE.match("".join(st.el.itertext()).strip())]
    if sum(st.text - st.link for st in prose) < 30 or sum(st.punct for st in prose) < 3:
        return nodes
    top = max(prose, key=lambda st: (_final(st), -st.order))
    if top.tag in ("p", "font", "span", "li", "dd") and top.parent is not None:
        top = top.parent
    if top.el is not column and not _contains(column, top.el):
        return nodes
    words = _attr_words(top.el)
    if not rules.POSITIVE_ATTR_RE.search(words) or _SUMMARY_ATTR_RE.search(words):
        return nodes  # only a block named as the text (a lead or summary stays out)
    return [top.el]


_SUMMARY_ATTR_RE = re.compile(r"summary|desc|intro|lead|abstract|digest|zhaiyao|daodu|subtitle")
#: A summary or lead-in above the text, not the article: 摘要： / 导读： / 核心提示：
_SUMMARY_RE = re.compile(rules.trad(r"^[【\[]?\s*(?:摘要|导读|核心提示|内容提要|提要|编者按|简介)"))


def _contains(outer: etree._Element, inner: etree._Element) -> bool:
    return any(a is outer for a in inner.iterancestors())


# --------------------------------------------------------------------------- lines


_META_LINE_RE = re.compile(rules.trad(
    r"^[\s(（【\[]*(?:"
    r"(?:文章来源|信息来源|稿件来源|新闻来源|来源于|来源|稿源|作\s*者|记\s*者|通讯员|责任编辑|责\s*编|"
    r"编\s*审|编\s*辑|摄\s*影|发布时间|发表时间|更新时间|时间|日期|点击|浏览)\s*[:：]"
    r")",
))
#: A bare date closing an official document or letter: 2022年1月27日.
_CLOSING_DATE_RE = re.compile(r"^(?:19|20)\d{2}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日$")
_DATELINE_RE = re.compile(
    r"^\D{0,20}(?:19|20)\d{2}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}\s*日?(?:\s*\d{1,2}[:：]\d{2}"
    r"(?:[:：]\d{2})?)?"
)


_EDITOR_LINE_RE = re.compile(rules.trad(r"^[(（【\[]\s*(?:责任编辑|责编|编辑|编审)\s*[:：]"))


def _is_meta_line(text: str) -> bool:
    """A metadata line (labels, a dateline). A sentence that starts with a date
    (2009年3月14日展开演唱会。) is article text, not a dateline."""
    t = text.strip()
    if len(t) > 120:
        return False
    if _META_LINE_RE.match(t):
        return True
    if _DATELINE_RE.match(t) and len(t) < 80 and _punct(t) <= 1:
        m = _DATELINE_RE.match(t)
        rest = t[m.end():]
        return not (t.endswith(("。", "！", "？")) and len(rest) >= 6
                    and re.match(r"^[\u4e00-\u9fff]", rest.lstrip(" ，,")))
    # 【编辑:刘欢】 / （责任编辑：孙桂芳）
    if len(t) < 40 and _EDITOR_LINE_RE.match(t):
        return True
    return False


def _norm(s: str) -> str:
    return "".join(ch for ch in s.lower() if ch.isalnum())


def _prose_chars(ln: cleaning.Line) -> int:
    n = _nonspace_len(ln.text)
    if ln.link_chars >= 0.5 * n or _punct(ln.text) == 0:
        return 0
    return n - ln.link_chars


def _title_lines_end(lines: list[cleaning.Line], i: int, ntitle: str) -> int:
    """``i + 1`` when lines ``i`` and ``i + 1`` together are the headline (a headline and its
    second line, as :func:`metadata.find_title` joins them), else -1. A document title set
    over several lines inside an official document is part of that document: kept."""
    joined = _norm(lines[i].text)
    if len(joined) < 4 or i + 1 >= len(lines) or not ntitle.startswith(joined):
        return -1
    return i + 1 if joined + _norm(lines[i + 1].text) == ntitle else -1


def clean_lines(lines: list[cleaning.Line], title: str | None) -> list[str]:
    """Filter a candidate's lines down to article paragraphs."""
    out: list[str] = []
    ntitle = _norm(title) if title else ""
    seen_text = 0
    seen: set[str] = set()
    skip_to = -1
    for i, ln in enumerate(lines):
        if i <= skip_to:
            continue
        t = cleaning.collapse_ws(ln.text)
        if not t:
            continue
        if len(t) < 60 and rules.END_MARKER_RE.match(t):
            if seen_text >= 60:
                # Stop here unless real prose follows (a 延伸阅读 box in the middle).
                after = sum(_prose_chars(x) for x in lines[i + 1:])
                if after < max(200, 0.5 * seen_text):
                    break
            continue
        if len(t) <= rules.BOILERPLATE_LINE_MAX and rules.BOILERPLATE_LINE_RE.match(t):
            continue
        if ntitle and len(out) < 6 and len(t) <= 2 * len(ntitle) + 40 and (
                _norm(t) == ntitle or (skip_to := _title_lines_end(lines, i, ntitle)) > i):
            # Section names and breadcrumbs above the headline are not the article.
            if all(len(x) < 30 and _punct(x) == 0 for x in out):
                out.clear()
                seen.clear()
                seen_text = 0
            continue
        if len(out) < 3 and len(t) <= 130 and rules.ORIGINAL_TITLE_RE.match(t):
            continue  # （原标题：…） heading a repost
        if _is_meta_line(t) and not (seen_text >= 100 and _CLOSING_DATE_RE.match(t)):
            continue
        nt = _nonspace_len(t)
        if ln.link_chars and ln.link_chars >= 0.7 * nt and nt < 80 and _punct(t) < 2:
            continue
        if nt >= 10:
            if t in seen:
                continue
            seen.add(t)
        out.append(t)
        seen_text += nt
    # A document's closing signature (落款): the signer's line and a bare date.
    if out and _CLOSING_DATE_RE.match(out[-1]):
        if len(out) >= 2 and _punct(out[-2]) == 0 and len(out[-2]) <= 30:
            return out
        out.pop()
    # Trailing short non-prose lines (e.g. leftover labels) after the last paragraph.
    while out and len(out[-1]) < 12 and _punct(out[-1]) == 0 and not out[-1].endswith(
        ("。", "！", "？", "”", ".", "!", "?")
    ):
        out.pop()
    return out


def body_from_nodes(nodes: list[etree._Element], title: str | None, *,
                    in_place: bool = False) -> str | None:
    """The article text of the main-content nodes. ``in_place``: the nodes may be taken out
    of the page tree (faster; the tree is not used afterwards)."""
    if not nodes:
        return None
    lines = clean_lines(cleaning.fragment_lines(nodes, in_place=in_place), title)
    body = "\n".join(lines).strip()
    return body or None


def extract_body(root: etree._Element, title: str | None) -> str | None:
    return body_from_nodes(select_nodes(root), title)


#: Labels of an official document's attribute table (政府信息公开 索引 box).
_DOC_ATTR_RE = re.compile(
    r"^(索\s*引\s*号|发文机关|发文单位|成文日期|发文字号|文\s*号|发布日期|主题分类|分\s*类|"
    r"标\s*题|主\s*题\s*词|有\s*效\s*性|公开方式|公开范围|生效日期|废止日期)\s*[:：]\s*"
)
#: Labels only such a table has (at least three of them).
_DOC_ATTR_KEYS = ("索引号", "发文机关", "发文单位", "成文日期", "发文字号")


def document_attributes(lines: list[cleaning.Line], start: int) -> list[str]:
    """The rows (label and value on one line) of an official document's attribute table
    (索引号 / 发文机关 / 成文日期 / 发文字号 …) among the lines just above the article
    (``lines[start]`` is its first line): on government portals it is part of the document."""
    runs: list[list[str]] = []
    rows: list[str] = []
    labels: set[str] = set()
    window = lines[max(0, start - 40): start]
    i = 0
    while i < len(window):
        t = cleaning.collapse_ws(window[i].text)
        m = _DOC_ATTR_RE.match(t)
        if not m:
            if rows:
                runs.append(rows)
            rows, labels = [], set()
            i += 1
            continue
        label = "".join(m.group(1).split())
        if label in labels:  # the same table again (another layout of the page)
            runs.append(rows)
            rows, labels = [], set()
        labels.add(label)
        if m.end() < len(t):
            rows.append(t)
            i += 1
            continue
        nxt = cleaning.collapse_ws(window[i + 1].text) if i + 1 < len(window) else ""
        if nxt and not _DOC_ATTR_RE.match(nxt) and len(nxt) <= 120:
            rows.append(f"{t} {nxt}")
            i += 2
        else:
            rows.append(t)
            i += 1
    if rows:
        runs.append(rows)
    for run in reversed(runs):
        keys = {k for k in _DOC_ATTR_KEYS if any("".join(r.split()).startswith(k) for r in run)}
        if len(keys) >= 3:
            return run
    return []

