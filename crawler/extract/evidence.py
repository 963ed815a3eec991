"""Metadata as evidence: each field takes the best evidence it finds, in the priority order
of :data:`rules.FIELD_RULES`.

Evidence sources, from the most to the least specific: labelled text next to the headline,
elements named by class or id, labelled text near the article, structured data (``<meta>``,
JSON-LD, inline script configs) and the lead sentence of the text. Every rule returns an
:class:`Evidence` (the value, the rule's name and the text it matched) or None; values are
validated (a person name is 2-4 Han characters or a Latin name, an outlet is an
organisation) and an outlet found where an author was expected goes to ``source``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from lxml import etree

from . import bylines, cleaning, page_head, rules


@dataclass(slots=True)
class Evidence:
    """A field's value and where it came from."""

    value: str
    rule: str
    text: str

    def to_dict(self) -> dict[str, str]:
        return {"value": self.value, "rule": self.rule, "text": self.text}


@dataclass
class Page:
    """What the rules read: the page's head, its lines around the article, its marked
    elements and its first and last paragraphs."""

    head: page_head.Head
    header: list[str]
    short: list[str]
    bylines: list[str]
    header_bylines: list[str]
    after_title: list[str]
    pars: list[str]
    lead: str
    title: str | None
    #: The last lines of the text and the lines after it.
    tail: list[str] = field(default_factory=list)
    #: A function giving (kind, text, where) of the elements whose class/id names a field,
    #: in page order, near the article (where: "header" above the text, "body" or
    #: "after"); called once, when a rule first needs them.
    find_marked: Callable[[], list[tuple[str, str, str]]] | None = None
    _marked: list[list[tuple[str, str, str]]] = field(default_factory=list)
    _slash_hit: list[tuple[list[str], str, str] | None] = field(default_factory=list)

    @property
    def marked(self) -> list[tuple[str, str, str]]:
        if not self._marked:
            self._marked.append(self.find_marked() if self.find_marked else [])
        return self._marked[0]

    def slash(self) -> tuple[list[str], str, str] | None:
        """(names, outlet, line) of a 孙丽/某某青年报 byline (computed once)."""
        if not self._slash_hit:
            self._slash_hit.append(_slash(self.header + self.short))
        return self._slash_hit[0]


# --------------------------------------------------------------------------- names


def person_names(value: str) -> list[str]:
    """Names clean-up, defined once: staff codes, role words and brackets stripped, split on
    、，, and spaces, each kept only when it is a person's name. A photo credit gives none."""
    if rules.PHOTO_CREDIT_RE.search(value):
        return []  # 吴敏 摄 / 图/视觉中国: who took a picture is not an author
    value = rules.STAFF_CODE_RE.sub("", value)
    value = rules.BYLINE_TAIL_RE.sub("", re.split(r"发自|發自", value)[0].strip())
    value = rules.ROLE_PREFIX_RE.sub("", value.strip(" :：()（）[]【】"))
    return [n for n in bylines.split_names(value) if is_person_name(n)]


def is_person_name(name: str) -> bool:
    """2-4 Han characters (a joined foreign name with · may be longer), or a Latin name."""
    if re.fullmatch(r"[\u4e00-\u9fff]{2,4}", name):
        return not rules.OUTLET_SUFFIX_RE.search(name) or len(name) <= 2
    if re.fullmatch(r"[\u4e00-\u9fff]{1,8}[·•][\u4e00-\u9fff·•]{1,12}", name):
        return True
    return bool(re.fullmatch(r"[A-Za-z][A-Za-z.'\- ]{1,30}", name))


def is_outlet(value: str) -> bool:
    """An organisation's name: ends like one (报, 网, 社, 客户端, …) or is too long for a
    person's name."""
    v = value.strip()
    if not v or len(v) > 30 or not re.search(r"[\u4e00-\u9fff]", v):
        return False
    if re.search(r"\d{2}|[:：，。,!?！？]", v):
        return False
    if rules.OUTLET_SUFFIX_RE.search(v) or re.search(r"[（(《].+[)）》]|-", v):
        return True
    return len(re.sub(r"[^\u4e00-\u9fff]", "", v)) >= 5


def _source_value(value: str | None) -> str | None:
    v = bylines.clean_source(value)
    if not v or v in rules.GENERIC_SOURCES or rules.NOT_NAME_PART_RE.search(v):
        return None
    if rules.NOT_OUTLET_PREFIX_RE.match(v):
        return None
    if re.search(r"(?:19|20)\d{2}|\d{1,2}:\d{2}|[©®@#]", v):
        return None
    return v


# --------------------------------------------------------------------------- source


def _src_header_label(p: Page) -> Evidence | None:
    return _labelled_source(p.header, "source.header_label")


def _labelled_source(texts: list[str], rule: str, tail: tuple[str, ...] | list[str] = ()
                     ) -> Evidence | None:
    for t in texts:
        if "源" not in t and "出处" not in t and "出處" not in t:
            continue  # every SOURCE_LABEL_RE label has one of them
        v = bylines.find_source([t])
        if v and t in tail and _source_person(t):
            continue  # a person's name closing the text: see author.source_label_person
        if v:
            return Evidence(v, rule, t)
    return None


def _src_marked(p: Page) -> Evidence | None:
    return _marked_source(p, ("header", "body"))


def _src_marked_after(p: Page) -> Evidence | None:
    return _marked_source(p, ("after",))


def _marked_source(p: Page, where: tuple[str, ...]) -> Evidence | None:
    for kind, t, pos in p.marked:
        if pos not in where:
            continue
        if kind == "source":
            v = bylines.find_source([t])
            if not v and len(t) <= 30 and not rules.ANY_LABEL_RE.search(t):
                v = _source_value(t.strip(" ·|｜/"))
                if v and is_person_name(v) and not is_outlet(v):
                    v = None  # a person in a "from" element
            if v:
                return Evidence(v, "source.marked_element", t)
        elif (kind == "author" and len(t) <= 30 and is_outlet(t) and not person_names(t)
              and not rules.AUTHOR_LABEL_RE.search(t)):
            # An outlet where an author was expected: it is the source, never the author.
            v = _source_value(rules.AUTHOR_LABEL_RE.sub("", t))
            if v:
                return Evidence(v, "source.marked_element", t)
    return None


#: A meta bar without labels: 2024-05-20 14:33·新华社 / 2016年05月25日10:10 新浪财经.
_DATE_BAR_RE = re.compile(rules.trad(
    r"(?:19|20)\d{2}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}\s*日?\s*(?:\d{1,2}[:：]\d{2}"
    r"(?:[:：]\d{2})?)?\s*[·•|｜/\s]\s*([\u4e00-\u9fff][\u4e00-\u9fffA-Za-z0-9]{1,15})\s*$"
))


#: The outlet right before the time: 新华社 2018-03-01 10:21:00, 原创 新华社 2018-03-01 (toutiao).
_BAR_DATE_RE = re.compile(rules.trad(
    r"(?<![\u4e00-\u9fffA-Za-z0-9])([\u4e00-\u9fff][\u4e00-\u9fffA-Za-z0-9]{1,15})\s*[·•|｜/\s]\s*"
    r"(?:19|20)\d{2}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}\s*日?\s*(?:\d{1,2}[:：]\d{2}"
    r"(?:[:：]\d{2})?)?\s*$"
))


def _src_date_bar(p: Page) -> Evidence | None:
    own = _site_names(p)
    for t in p.header:
        if len(t) > 60:
            continue
        m = _DATE_BAR_RE.search(t) or _BAR_DATE_RE.search(t)
        if m:
            v = _source_value(m.group(1))
            if v in own:
                continue  # the portal's own name in its bar ("2022-09-21 10:11 杭州网")
            if v and (is_outlet(v) or v in rules.PLATFORM_NAMES) and not person_names(v):
                return Evidence(v, "source.date_bar", t)
    return None


_SLASH_HINT_RE = re.compile(r"[/／|｜]")


def _site_names(p: Page) -> set[str]:
    """The site's own names: the parts of <title> after the headline, og:site_name."""
    names = {p.head.meta.get("og:site_name", "").strip()}
    if p.head.title:
        parts = [x.strip() for x in rules.TITLE_SPLIT_RE.split(p.head.title) if x and x.strip()]
        names.update(parts[1:])
    return names - {""}


def _slash(texts: list[str]) -> tuple[list[str], str, str] | None:
    for t in texts:
        if len(t) > 40 or not _SLASH_HINT_RE.search(t):
            continue
        m = rules.SLASH_LABELS_RE.search(t) or rules.SLASH_BYLINE_RE.match(t)
        if not m:
            continue
        names, outlet = person_names(m.group(1)), m.group(2)
        if names and is_outlet(outlet) and outlet not in rules.GENERIC_SOURCES:
            return names, outlet, t
    return None


def _src_slash(p: Page) -> Evidence | None:
    hit = p.slash()
    return Evidence(hit[1], "source.slash_byline", hit[2]) if hit else None


_FROM_RE = re.compile(rules.trad(
    r"(?:^|[（(【\[\s。，,])(?:本文来源于|本文来源|本文来自|文章来自|转载自|稿件来自)\s*[:：]?\s*"
    r"(?:微信公众号|公众号|微信号|网站|网)?\s*[“\"「《]?([^”\"」》，,。\s]{2,24})"
))


_FROM_HINT_RE = re.compile(rules.trad(
    r"本文|来自|转载"
))


def _src_labelled(p: Page) -> Evidence | None:
    e = _labelled_source(p.short, "source.labelled_text", p.tail)
    if e:
        return e
    for t in p.short + p.pars[-3:]:
        if len(t) > 200 or not _FROM_HINT_RE.search(t):
            continue
        m = _FROM_RE.search(t)
        if m:
            v = _source_value(m.group(1))
            if v:
                return Evidence(v, "source.labelled_text", t)
    return None


def _src_meta(p: Page) -> Evidence | None:
    for key in rules.META_SOURCE_NAMES:
        v = _source_value(p.head.meta.get(key))
        if v and not (is_person_name(v) and not is_outlet(v)):
            return Evidence(v, "source.meta", f'<meta name="{key}" content="{v}">')
    for key in rules.META_AUTHOR_NAMES:
        v = p.head.meta.get(key) or ""
        if is_outlet(v) and not person_names(v):
            v2 = _source_value(v)
            if v2:
                return Evidence(v2, "source.meta", f'<meta name="{key}" content="{v}">')
    return None


def _src_script(p: Page) -> Evidence | None:
    hit = p.head.script("source")
    if hit:
        v = _source_value(hit[0])
        if v and (is_outlet(v) or not is_person_name(v)):
            return Evidence(v, "source.script_config", hit[1])
    return None


def _jsonld_names(p: Page, key: str) -> list[tuple[str, str]]:
    out = []
    for obj in p.head.jsonld:
        v = obj.get(key)
        for item in v if isinstance(v, list) else [v]:
            if isinstance(item, dict):
                name = item.get("name")
                if isinstance(name, str):
                    out.append((str(item.get("@type") or ""), name.strip()))
            elif isinstance(item, str):
                out.append(("", item.strip()))
    return out


def _src_jsonld(p: Page) -> Evidence | None:
    """JSON-LD author that is an organisation, else a publisher that is not the site
    itself (a syndicating portal's JSON-LD naming the original outlet)."""
    for typ, name in _jsonld_names(p, "author"):
        if typ != "Person" and is_outlet(name) and not person_names(name):
            v = _source_value(name)
            if v:
                return Evidence(v, "source.jsonld", f'"author": "{name}"')
    own = _site_names(p)
    for _typ, name in _jsonld_names(p, "publisher"):
        v = _source_value(name)
        if v and v not in own and is_outlet(v) and not any(v in o or o in v for o in own):
            return Evidence(v, "source.jsonld", f'"publisher": "{name}"')
    return None


#: Lead words that are not an outlet: 本报讯 (the page's own paper, named elsewhere), 据…消息.
_NOT_LEAD_OUTLET_RE = re.compile(rules.trad(r"^(?:本|据|记者|从|近日|日前|今天|今日|昨天|昨日)"))


def _src_lead(p: Page) -> Evidence | None:
    m = rules.LEAD_OUTLET_RE.match(p.lead)
    if m:
        v = _source_value(m.group(1))
        if v and not _NOT_LEAD_OUTLET_RE.match(v):
            return Evidence(v, "source.lead_outlet", m.group(0))
    return None


# --------------------------------------------------------------------------- author


def _author_in(texts: list[str], fn: Callable[[list[str]], str | None], rule: str
               ) -> Evidence | None:
    v = fn(texts)
    if not v:
        return None
    first = re.split(r"[、 ]", v)[0]
    where = min((t for t in texts if first in t), key=len, default=v)
    return Evidence(v, rule, where)


def _au_header(p: Page) -> Evidence | None:
    if not p.header:
        return None
    return (_author_in(p.header, bylines._labelled_author, "author.header_byline")
            or _author_in(p.header_bylines, bylines._byline_author, "author.header_byline"))


def _au_slash(p: Page) -> Evidence | None:
    hit = p.slash()
    return Evidence("、".join(hit[0]), "author.slash_byline", hit[2]) if hit else None


#: 作者：中国国际经济交流中心研究员徐占忱: a name after the author's title.
_TITLED_NAME_RE = re.compile(rules.trad(
    r"作\s*者\s*[:：][^。；]{0,60}?(?:研究员|教授|副教授|讲师|主任|部长|院长|所长|博士|"
    r"总监|分析师|评论员|专家|主编|总编辑|董事长|总经理|律师|医生|会长|秘书长)\s*"
    r"([\u4e00-\u9fff]{2,3})(?=$|[\s）)，。；])"
))


def _au_labelled(p: Page) -> Evidence | None:
    e = (_author_in(p.short, bylines._labelled_author, "author.labelled_text")
         or _author_in(p.short + p.pars, bylines._citation_author, "author.labelled_text"))
    if e:
        return e
    for t in p.short:
        m = _TITLED_NAME_RE.search(t) if "作" in t else None
        if m and is_person_name(m.group(1)):
            return Evidence(m.group(1), "author.labelled_text", t)
    return None


def _au_byline(p: Page) -> Evidence | None:
    return (_author_in(p.bylines, bylines._byline_author, "author.byline_line")
            or _author_in(p.after_title, bylines.dateline_bracket_author, "author.byline_line"))


#: Names in brackets after a dateline (no role word): 新华社北京5月19日电（刘艺、杨吉）.
_DATELINE_NAMES_RE = re.compile(rules.trad(
    r"(?:电|讯|报道)\s*[（(]\s*([\u4e00-\u9fff·]{2,4}(?:\s*[、，,\s]\s*[\u4e00-\u9fff·]{2,4}){0,5})"
    r"\s*[）)]"
))


def _au_lead(p: Page) -> Evidence | None:
    for t in [*p.pars[:3], p.lead]:
        names = bylines.byline_names(t[:200])
        names = [n for n in names if is_person_name(n)]
        if names:
            return Evidence("、".join(names), "author.lead_byline", t[:80])
        m = _DATELINE_NAMES_RE.search(t[:120])
        if m:
            names = person_names(m.group(1))
            if names:
                return Evidence("、".join(names), "author.lead_byline", m.group(0))
    return None


_END_AUTHOR_RE = re.compile(rules.trad(
    r"^\s*(?:作\s*者|文)\s*[:：/／]?\s+([\u4e00-\u9fff·\s、]{2,30})$"
))


def _au_closing(p: Page) -> Evidence | None:
    v = bylines.closing_author(p.pars, p.after_title, p.title)
    if v:
        return Evidence(v, "author.closing_byline", v)
    for t in p.pars[-3:]:
        m = _END_AUTHOR_RE.match(t)
        if m:
            names = person_names(m.group(1))
            if names:
                return Evidence("、".join(names), "author.closing_byline", t)
    return None


def _au_marked(p: Page) -> Evidence | None:
    for kind, t, pos in p.marked:
        if kind != "author" or len(t) > 30 or pos == "after":
            continue
        m = rules.AUTHOR_LABEL_RE.search(t)
        names = person_names(t[m.end():] if m else t)
        if names and (m or len(names) == len(rules.NAME_SPLIT_RE.split(t.strip()))):
            return Evidence("、".join(names), "author.marked_element", t)
    return None


def _au_name_line(p: Page) -> Evidence | None:
    v = bylines.name_line_author(p.after_title, p.bylines)
    return Evidence(v, "author.name_line", v) if v else None


def _au_meta(p: Page) -> Evidence | None:
    """<meta name="author"> / JSON-LD author, when the page also shows the name above the
    text: Chinese CMSs often fill the author tag with the editor's name."""
    shown = " ".join(p.header + [t for _k, t, pos in p.marked if pos == "header"])
    found = [(v, f'<meta name="{key}" content="{v}">') for key in rules.META_AUTHOR_NAMES
             if (v := p.head.meta.get(key))]
    found += [(name, f'"author": "{name}"') for typ, name in _jsonld_names(p, "author")
              if typ in ("Person", "")]
    for v, where in found:
        if len(v) > 30:
            continue
        names = person_names(v)
        if (names and len(names) == len(rules.NAME_SPLIT_RE.split(v.strip()))
                and all(n in shown for n in names)):
            return Evidence("、".join(names), "author.meta", where)
    return None


def _au_blog_title(p: Page) -> Evidence | None:
    """A blog's pages are titled with the blogger's name before the platform:
    "海姑娘 | blog.example.com", "标题_张三_新浪博客"."""
    if not p.head.title:
        return None
    parts = [x.strip() for x in rules.TITLE_SPLIT_RE.split(p.head.title) if x and x.strip()]
    for i, part in enumerate(parts[1:], 1):
        if re.search(r"博客|blog", part, re.IGNORECASE):
            name = parts[i - 1]
            if name not in (p.title or "") and is_person_name(name) and not is_outlet(name):
                return Evidence(name, "author.blog_title", p.head.title)
            return None
    return None


def _au_source_person(p: Page) -> Evidence | None:
    """来源：尹娟 closing the text — a small site's 来源 field holding the writer's name."""
    for t in p.tail:
        v = _source_person(t)
        if v:
            return Evidence(v, "author.source_label_person", t)
    return None


def _source_person(t: str) -> str | None:
    if "源" not in t or len(t) > 12:
        return None
    m = rules.SOURCE_LABEL_RE.match(t.strip())
    if m:
        v = t.strip()[m.end():].strip()
        if re.fullmatch(r"[\u4e00-\u9fff]{2,3}", v) and is_person_name(v) and not is_outlet(v):
            return v
    return None


def _au_signature(p: Page) -> Evidence | None:
    v = bylines.signature_author(p.short, p.bylines)
    return Evidence(v, "author.signature", v) if v else None


# --------------------------------------------------------------------------- editor


def _ed_labelled(p: Page) -> Evidence | None:
    for t in p.short:
        v = bylines.find_editor([t]) if ("编" in t or "編" in t) else None
        if v:
            return Evidence(v, "editor.labelled_text", t)
    return None


def _ed_marked(p: Page) -> Evidence | None:
    for kind, t, _pos in p.marked:
        if kind != "editor" or len(t) > 40:
            continue
        v = bylines.find_editor([t])
        if not v and len(t) <= 16 and not rules.ANY_LABEL_RE.search(t):
            names = person_names(t)
            v = "、".join(names) if names else None
        if v:
            return Evidence(v, "editor.marked_element", t)
    return None


RULES: dict[str, Callable[[Page], Evidence | None]] = {
    "source.header_label": _src_header_label,
    "source.marked_element": _src_marked,
    "source.marked_after": _src_marked_after,
    "source.date_bar": _src_date_bar,
    "source.slash_byline": _src_slash,
    "source.labelled_text": _src_labelled,
    "source.meta": _src_meta,
    "source.script_config": _src_script,
    "source.jsonld": _src_jsonld,
    "source.lead_outlet": _src_lead,
    "author.header_byline": _au_header,
    "author.slash_byline": _au_slash,
    "author.labelled_text": _au_labelled,
    "author.byline_line": _au_byline,
    "author.lead_byline": _au_lead,
    "author.closing_byline": _au_closing,
    "author.marked_element": _au_marked,
    "author.name_line": _au_name_line,
    "author.meta": _au_meta,
    "author.signature": _au_signature,
    "author.blog_title": _au_blog_title,
    "author.source_label_person": _au_source_person,
    "editor.labelled_text": _ed_labelled,
    "editor.marked_element": _ed_marked,
}


#: Author rules whose value is dropped when it is the editor's name (CMSs put the editor
#: in <meta name="author">; a signature may be the editor's).
_WEAK_AUTHOR_RULES = frozenset({"author.meta", "author.signature", "author.name_line",
                                "author.marked_element"})


def resolve(page: Page) -> dict[str, Evidence | None]:
    """The best evidence of source, author and editor."""
    out: dict[str, Evidence | None] = {}
    for name in ("source", "editor", "author"):
        out[name] = None
        for rule in rules.FIELD_RULES[name]:
            ev = RULES[rule](page)
            if ev is None:
                continue
            src, ed = out.get("source"), out.get("editor")
            if name == "author" and src is not None and ev.value == src.value:
                continue  # an outlet is never an author
            if (name == "author" and ed is not None and rule in _WEAK_AUTHOR_RULES
                    and set(ev.value.split("、")) <= set(ed.value.split("、"))):
                continue
            out[name] = ev
            break
    return {k: out[k] for k in rules.FIELD_RULES}


# --------------------------------------------------------------------------- marked elements


def marked_elements(lines: list[cleaning.Line], lo: int, hi: int, body: tuple[int, int]
                    ) -> list[tuple[str, str, str]]:
    """(kind, text, where) of the short elements whose class/id names a field (source,
    author, editor), in page order, whose line lies in ``lines[lo:hi]``; where is "header",
    "body" or "after" as the line is before, in or after ``lines[body[0]:body[1] + 1]``.

    Only the blocks holding those lines, their parents and their inline descendants are
    looked at, and in the text only its first and last lines."""
    out: list[tuple[str, str, str]] = []
    block_tags = rules.BLOCK_TAGS
    seen: set[etree._Element] = set()
    hi = min(hi, len(lines))
    idxs = [*range(lo, min(hi, body[0] + 4)), *range(max(lo, body[0] + 4, body[1] - 5), hi)]
    for idx in idxs:
        owner = lines[idx].owner
        if owner is None or owner in seen:
            continue
        pos = "header" if idx < body[0] else "body" if idx <= body[1] else "after"
        parent = owner.getparent()
        if parent is not None and parent not in seen:
            seen.add(parent)
            _mark(parent, pos, out)
        stack = [owner]
        while stack:
            el = stack.pop()
            if el in seen:
                continue
            seen.add(el)
            if _mark(el, pos, out) or not len(el):
                continue
            stack.extend(c for c in reversed(el)
                         if isinstance(c.tag, str) and c.tag not in block_tags)
    return out


_MARK_HINT_RE = re.compile(
    r"source|media|author|byline|editor|from|laiyuan|writer|zuozhe|reporter|bianji|zebian|"
    r"zrbj|origin", re.IGNORECASE)


def _mark(el: etree._Element, pos: str, out: list[tuple[str, str, str]]) -> bool:
    attrib = el.attrib
    if not attrib:
        return False
    cls, eid, rel = attrib.get("class"), attrib.get("id"), attrib.get("rel")
    if not (cls or eid or rel):
        return False
    words = f"{cls or ''} {eid or ''} {rel or ''}"
    if not _MARK_HINT_RE.search(words):
        return False
    words = words.lower()
    kind = next((k for k, rx in rules.MARKED_ATTR_RES.items() if rx.search(words)), None)
    if kind is None:
        return False
    text = cleaning.collapse_ws("".join(el.itertext()))
    if not 2 <= len(text) <= 60:
        return False
    out.append((kind, text, pos))
    # A whole bar (date, outlet and author in one element): its parts may be marked too.
    return len(text) <= 20 and not re.search(r"\d", text)
