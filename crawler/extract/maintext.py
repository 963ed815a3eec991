"""Main text selection: find the article container, then keep only article paragraphs.

Scoring is readability-like and runs on the lxml tree: every block's own (non-link) text
earns points for its length and its Chinese/Western prose punctuation; the points flow up to
the block's ancestors, damped by distance; a container's score is then weighted by its link
density, its tag and its class/id words. The best container and its strong siblings are the
main content; that fragment is stripped of boilerplate by ``cleaning.strip_boilerplate``
(BeautifulSoup) and cut into lines, which are filtered (metadata lines, the headline, share
bars, 相关阅读, comment prompts, copyright) and cut at end-of-article markers.
"""

from __future__ import annotations

import re

from lxml import etree

from . import cleaning, rules

_PUNCT_STRONG = "，。！？；"
_SCORED_BLOCK_TAGS = rules.BLOCK_TAGS - {"br", "hr"}
_STAMP_RE = re.compile(r"(?<!\d)\d{4}[-/.]\d{1,2}[-/.]\d{1,2}\s*\d{1,2}:\d{2}(?!\d)")


def _attr_words(el: etree._Element) -> str:
    return f"{el.get('class') or ''} {el.get('id') or ''}".lower().strip()


def _is_boilerplate(el: etree._Element, tag: str) -> bool:
    if tag in ("nav", "aside", "footer"):
        return True
    if tag == "form" and el.get(cleaning.LOGIN_MARK):
        return True
    words = _attr_words(el)
    if not words:
        return False
    return rules.is_boilerplate_attr(words)


class _Stats:
    __slots__ = ("text", "link", "punct", "score", "total_text", "total_link", "parent", "el",
                 "tag", "excluded", "order", "stamps", "total_stamps")

    def __init__(self, el: etree._Element, tag: str, parent: _Stats | None, excluded: bool,
                 order: int):
        self.el = el
        self.tag = tag
        self.parent = parent
        self.excluded = excluded
        self.order = order
        self.text = 0
        self.link = 0
        self.punct = 0
        self.score = 0.0
        self.total_text = 0
        self.total_link = 0
        self.stamps = 0
        self.total_stamps = 0


def _nonspace_len(s: str) -> int:
    return len("".join(s.split()))


def _punct(s: str) -> int:
    return (s.count("，") + s.count("。") + s.count("！") + s.count("？") + s.count("；")
            + s.count(", ") + s.count(". "))


def score_blocks(root: etree._Element, *, use_exclusions: bool = True) -> list[_Stats]:
    """Compute per-block statistics and readability-style scores. Returns blocks in doc order."""
    blocks: list[_Stats] = []
    info: dict[etree._Element | None, tuple[_Stats, bool]] = {}
    block_tags = _SCORED_BLOCK_TAGS
    order = 0
    for el in root.iter(etree.Element):
        tag = el.tag
        pi = info.get(el.getparent())
        if pi is None:
            pst, plink = None, False
        else:
            pst, plink = pi
        if tag in block_tags:
            excluded = (pst.excluded if pst is not None else False) or (
                use_exclusions and _is_boilerplate(el, tag)
            )
            st = _Stats(el, tag, pst, excluded, order)
            order += 1
            blocks.append(st)
        else:
            st = pst
            if st is None:
                st = _Stats(el, tag, None, False, order)
                order += 1
                blocks.append(st)
        link = plink or tag == "a"
        info[el] = (st, link)
        t = el.text
        if t:
            n = _nonspace_len(t)
            if n:
                st.text += n
                if link:
                    st.link += n
                else:
                    st.punct += _punct(t)
                    if ":" in t:
                        st.stamps += len(_STAMP_RE.findall(t))
        t = el.tail
        if t and pst is not None:
            n = _nonspace_len(t)
            if n:
                pst.text += n
                if plink:
                    pst.link += n
                else:
                    pst.punct += _punct(t)
                    if ":" in t:
                        pst.stamps += len(_STAMP_RE.findall(t))

    # Subtree totals (children before parents in reversed document order).
    for st in reversed(blocks):
        if st.excluded:
            continue
        st.total_text += st.text
        st.total_link += st.link
        st.total_stamps += st.stamps
        if st.parent is not None and not st.parent.excluded:
            st.parent.total_text += st.total_text
            st.parent.total_link += st.total_link
            st.parent.total_stamps += st.total_stamps

    # Paragraph scores flow to the block and its ancestors.
    for st in blocks:
        if st.excluded:
            continue
        own = st.text - st.link
        if own < 8 or (st.text and st.link / st.text > 0.5):
            continue
        if st.punct == 0 and own < 40:
            continue
        if own < 600 and rules.DISCLAIMER_RE.search("".join(st.el.itertext())[:1000]):
            continue
        s = 1.0 + st.punct + min(own / 60.0, 5.0)
        node: _Stats | None = st
        level = 0
        while node is not None and level < 4:
            if level == 0:
                node.score += s
            elif level == 1:
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


def select_nodes(root: etree._Element) -> list[etree._Element]:
    """The main-content container (plus strong siblings), in document order."""
    blocks = score_blocks(root)
    cands = [st for st in blocks if not st.excluded and st.score > 0]
    if not cands or max(st.total_text - st.total_link for st in cands) < 60:
        blocks = score_blocks(root, use_exclusions=False)
        cands = [st for st in blocks if st.score > 0]
    if not cands:
        return []
    scored = [(_final(st), st) for st in cands]
    best_score, best = max(scored, key=lambda x: (x[0], -x[1].order))
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


# --------------------------------------------------------------------------- lines


_META_LINE_RE = re.compile(
    r"^[\s(（【\[]*(?:"
    r"(?:文章来源|信息来源|稿件来源|新闻来源|来源于|来源|稿源|作\s*者|记\s*者|通讯员|责任编辑|责\s*编|"
    r"编\s*审|编\s*辑|摄\s*影|发布时间|发表时间|更新时间|时间|日期|点击|浏览)\s*[:：]"
    r")",
)
#: A bare date closing an official document or letter: 2022年1月27日.
_CLOSING_DATE_RE = re.compile(r"^(?:19|20)\d{2}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日$")
_DATELINE_RE = re.compile(
    r"^\D{0,20}(?:19|20)\d{2}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}\s*日?(?:\s*\d{1,2}[:：]\d{2}"
    r"(?:[:：]\d{2})?)?"
)


def _is_meta_line(text: str) -> bool:
    t = text.strip()
    if len(t) > 120:
        return False
    if _META_LINE_RE.match(t):
        return True
    if _DATELINE_RE.match(t) and len(t) < 80 and _punct(t) <= 1:
        return True
    # 【编辑:刘欢】 / （责任编辑：孙桂芳）
    if len(t) < 40 and re.match(r"^[(（【\[]\s*(?:责任编辑|责编|编辑|编审)\s*[:：]", t):
        return True
    return False


def _norm(s: str) -> str:
    return "".join(ch for ch in s.lower() if ch.isalnum())


def _prose_chars(ln: cleaning.Line) -> int:
    n = _nonspace_len(ln.text)
    if ln.link_chars >= 0.5 * n or _punct(ln.text) == 0:
        return 0
    return n - ln.link_chars


def clean_lines(lines: list[cleaning.Line], title: str | None) -> list[str]:
    """Filter a candidate's lines down to article paragraphs."""
    out: list[str] = []
    ntitle = _norm(title) if title else ""
    seen_text = 0
    seen: set[str] = set()
    for i, ln in enumerate(lines):
        t = cleaning.collapse_ws(ln.text)
        if not t:
            continue
        if rules.END_MARKER_RE.match(t) and len(t) < 60:
            if seen_text >= 60:
                # Stop here unless real prose follows (a 延伸阅读 box in the middle).
                after = sum(_prose_chars(x) for x in lines[i + 1:])
                if after < max(200, 0.5 * seen_text):
                    break
            continue
        if rules.BOILERPLATE_LINE_RE.match(t):
            continue
        if ntitle and len(out) < 6 and len(t) <= 2 * len(ntitle) + 40 and _norm(t) == ntitle:
            # Section names and breadcrumbs above the headline are not the article.
            if all(len(x) < 30 and _punct(x) == 0 for x in out):
                out.clear()
                seen.clear()
                seen_text = 0
            continue
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


def body_from_nodes(nodes: list[etree._Element], title: str | None) -> str | None:
    if not nodes:
        return None
    lines = clean_lines(cleaning.fragment_lines(nodes), title)
    body = "\n".join(lines).strip()
    return body or None


def extract_body(root: etree._Element, title: str | None) -> str | None:
    return body_from_nodes(select_nodes(root), title)
