"""``source``, ``author`` and ``editor``: labelled values (来源, 作者, 编辑), bylines,
signatures and closing names, split into names.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from . import cleaning, rules

_VALUE_END_RE = re.compile(
    r"\s{2}|[|｜【】\[\]<>()（）]|" + rules.ANY_LABEL_RE.pattern
    + r"|(?:19|20)\d{2}\s*[-/.年]\s*\d{1,2}",
)
_STRIP_CHARS = " \t:：,，。;；、|｜·•-—_/／\\'\"“”‘’()（）[]【】<>《》"


def _value_after(text: str, start: int, *, max_len: int = 40) -> str:
    rest = text[start:].lstrip(" :：")
    if rest[:1] in "[【(（《":
        close = {"[": "]", "【": "】", "(": ")", "（": "）", "《": "》"}[rest[0]]
        end = rest.find(close)
        if 0 < end <= max_len + 2:
            return rest[1:end].strip(_STRIP_CHARS)
    m = _VALUE_END_RE.search(rest)
    if m:
        rest = rest[: m.start()]
    return rest.strip(_STRIP_CHARS)[:max_len].strip()


def clean_source(value: str | None) -> str | None:
    if not value:
        return None
    v = cleaning.collapse_ws(value).strip(_STRIP_CHARS)
    if not v or len(v) > 40:
        return None
    if not re.search(r"[\w\u4e00-\u9fff]", v):
        return None
    if re.fullmatch(r"[\d\s:：\-/]+", v) or re.search(r"[=<>\"]|size|font|http", v):
        return None
    return v


def find_source(texts: Iterable[str]) -> str | None:
    for t in texts:
        if len(t) > 200:
            continue
        for m in rules.SOURCE_LABEL_RE.finditer(t):
            v = clean_source(_value_after(t, m.end()))
            if v and " " in v:
                first = v.split(" ")[0]
                if len(first) >= 2 and re.match(r"[\u4e00-\u9fff]", first):
                    v = first
            if v and v not in rules.GENERIC_SOURCES:
                return v
    return None


def split_names(value: str, *, allow_outlets: bool = False) -> list[str]:
    """Names clean-up, defined once: staff codes (王芳_NF1234) stripped, split on 、，, and
    spaces, role words, outlets and UI words dropped."""
    out: list[str] = []
    value = rules.STAFF_CODE_RE.sub("", value)
    for tok in rules.NAME_SPLIT_RE.split(value):
        tok = tok.strip(_STRIP_CHARS)
        if not tok or tok.lower() in rules.NOT_NAMES or tok in rules.PLATFORM_NAMES:
            continue
        if not rules.NAME_RE.match(tok) or rules.NOT_NAME_PART_RE.search(tok):
            continue
        if not allow_outlets and rules.OUTLET_SUFFIX_RE.search(tok):
            continue
        if rules.NOT_NAME_SUFFIX_RE.search(tok) and len(tok) > 2:
            continue
        if tok not in out:
            out.append(tok)
    return out


_NAMES_END_RE = re.compile(
    r"\s{2}|[|｜【】\[\]<>()（）“”\"]|" + rules.ANY_LABEL_RE.pattern
    + r"|[\u4e00-\u9fff]{2,6}[:：]|(?:19|20)\d{2}\s*[-/.年]|\d{1,2}月|[，。,]"
)


def _names_after(text: str, start: int) -> list[str]:
    rest = text[start:].lstrip(" :：")
    rest = rules.ROLE_PREFIX_RE.sub("", rest)
    m = _NAMES_END_RE.search(rest)
    if m:
        rest = rest[: m.start()]
    return split_names(rules.BYLINE_TAIL_RE.sub("", rest[:40]))


def _byline_line_names(text: str, m: re.Match[str]) -> list[str]:
    """A colon-less role word: the rest of the short line must be names only."""
    prefix = text[: m.start()]
    if len(text) > 40:
        return []
    if not rules.BYLINE_PREFIX_RE.search(prefix) and (
        len(text) > 24 or len(prefix) > 12 or rules.BYLINE_BAD_PREFIX_RE.search(prefix)
    ):
        return []
    if not _REPORTER_ROLE_RE.search(m.group(0)):
        return []
    rest = rules.BYLINE_TAIL_RE.sub("", text[m.end():].strip())
    rest = re.split(r"[|｜【】\[\]]|" + rules.ANY_LABEL_RE.pattern.split("|【")[0], rest)[0]
    tokens = [t for t in rules.NAME_SPLIT_RE.split(rest) if t.strip(_STRIP_CHARS)]
    names = split_names(rest)
    if not names or len(names) != len(tokens):
        return []
    if any(not re.fullmatch(r"[\u4e00-\u9fff·]{2,4}", n) for n in names):
        return []
    return names


_REPORTER_ROLE_RE = re.compile(rules.trad(r"记\s*者|通讯员|评论员|实习生"))
_ALIAS_RE = re.compile(r"^\s*[(（]\s*([A-Za-z][A-Za-z .'\-]{1,40}?)\s*[)）]")
_LABEL_ONLY_RE = re.compile(rules.trad(r"^\s*(作\s*者|发文机关|发文单位)\s*[:：]\s*$"))
_HEADLINE_END = ("。", "，", "；", "：", ":", "！", "？", ".", ",", "!", "?")


#: A character every author label (AUTHOR_LABEL_RE, 作者：, 发文机关：) contains.
_AUTHOR_HINT_RE = re.compile(rules.trad(r"[作撰执文记通实评发]"))


def _labelled_author(lines: list[str]) -> str | None:
    """作者：… / 文/… / 记者：… / 发文机关：…, the value on the same line or the next one."""
    hint = _AUTHOR_HINT_RE.search
    for i, t in enumerate(lines):
        if len(t) > 100 or not hint(t):
            continue
        m = _LABEL_ONLY_RE.match(t)
        if m and i + 1 < len(lines):
            nxt = lines[i + 1].strip()
            if m.group(1).startswith("作"):
                names = split_names(nxt) if len(nxt) <= 30 else []
                if names and len(names) == len(rules.NAME_SPLIT_RE.split(nxt)):
                    return "、".join(names)
            elif 2 <= len(nxt) <= 30 and re.fullmatch(r"[\u4e00-\u9fff（）()、]+", nxt):
                return nxt
            continue
        m = rules.ISSUER_LABEL_RE.match(t)
        if m:
            v = _value_after(t, m.end())
            if 2 <= len(v) <= 30 and re.fullmatch(r"[\u4e00-\u9fff（）()、]+", v):
                return v
        for m in rules.AUTHOR_LABEL_RE.finditer(t):
            if not re.search(r"[:：/／|｜]", m.group(0)):
                continue
            if not rules.BYLINE_PREFIX_RE.search(t[: m.start()]) or t[m.end():m.end() + 1] in "“\"":
                continue
            names = _names_after(t, m.end())
            if len(names) == 1:
                # 作者：周思博 (Joel Spolsky): the original-language name belongs to it.
                rest = t[m.end():].lstrip(" :：")
                k = rest.find(names[0])
                a = _ALIAS_RE.match(rest[k + len(names[0]):]) if k >= 0 else None
                if a:
                    return f"{names[0]} ({a.group(1).strip()})"
            if names:
                return "、".join(names)
            if m.group(0).lstrip().startswith("作"):
                # A forum/blog handle after 作者：, e.g. "放飞&心情".
                tok = t[m.end():].strip(" :：").split(" ")[0].strip(_STRIP_CHARS)
                if (rules.HANDLE_RE.match(tok) and tok.lower() not in rules.NOT_NAMES
                        and not rules.NOT_NAME_PART_RE.search(tok)
                        and not rules.OUTLET_SUFFIX_RE.search(tok)
                        and not re.fullmatch(r"[\d.\-]+", tok)):
                    return tok
    return None


def _byline_author(lines: list[str]) -> str | None:
    """A byline line: 本报记者 王燕平 方云凤 / 新京报记者 彭冲 山东冠县报道, with the byline
    lines stacked under it (本报实习生 刘国栋 / 本报记者 王燕平)."""
    for i, t in enumerate(lines):
        names = _line_byline_names(t)
        if not names:
            continue
        for nxt in lines[i + 1: i + 3]:
            more = _line_byline_names(nxt)
            if not more:
                break
            names += [n for n in more if n not in names]
        return "、".join(names)
    return None


def _line_byline_names(t: str) -> list[str]:
    if not _AUTHOR_HINT_RE.search(t):
        return []
    for m in rules.AUTHOR_LABEL_RE.finditer(t):
        if re.search(r"[:：/／|｜]", m.group(0)):
            continue
        names = _byline_line_names(t, m)
        if names:
            return names
    return []


def _follow_author(lines: list[str]) -> str | None:
    """A name next to a "follow" button (content platforms): 魑皇 / 关注."""
    for i, t in enumerate(lines[:-1]):
        t = t.strip()
        if not rules.HANDLE_RE.match(t) or t.lower() in rules.NOT_NAMES:
            continue
        nxt = lines[i + 1].strip()
        if not rules.FOLLOW_RE.match(nxt):
            if not (len(nxt) < 30 and "粉丝" in nxt and i + 2 < len(lines)
                    and rules.FOLLOW_RE.match(lines[i + 2].strip())):
                continue
        if not rules.NOT_NAME_PART_RE.search(t) and not rules.OUTLET_SUFFIX_RE.search(t):
            return t
    return None


def _citation_author(texts: Iterable[str]) -> str | None:
    for t in texts:
        if len(t) > 400:
            continue
        m = rules.CITATION_RE.search(t)
        if m:
            names = split_names(m.group(1))
            if names:
                return "、".join(names)
    return None


def find_author(short_lines: list[str], paragraphs: list[str], *,
                after_title: list[str] | None = None,
                byline_lines: list[str] | None = None,
                header: list[str] | None = None,
                header_bylines: list[str] | None = None,
                title: str | None = None) -> str | None:
    """The author from visible text alone (profile selectors; the extractor itself goes
    through :mod:`crawler.extract.evidence`, which adds marked elements and structured data)."""
    # 0. Between the headline and the body, the nearest byline wins.
    if header:
        v = _labelled_author(header) or _byline_author(header_bylines or [])
        if v:
            return v
    # 1. An explicit label with a colon or slash: 作者：… / 文/… / 记者：…
    v = _labelled_author(short_lines) or _citation_author(short_lines + paragraphs)
    if v:
        return v
    # 2. A byline line: 本报记者 王燕平 方云凤 / 新京报记者 彭冲 山东冠县报道
    v = (_byline_author(byline_lines if byline_lines is not None else short_lines)
         or dateline_bracket_author(after_title or []))
    if v:
        return v
    # 3. A byline in the first paragraphs, or closing the last ones.
    for t in paragraphs[:3]:
        names = byline_names(t[:200])
        if names:
            return "、".join(names)
    return (closing_author(paragraphs, after_title or [], title)
            or name_line_author(after_title or [], byline_lines or [])
            or signature_author(short_lines, byline_lines or []))


def dateline_bracket_author(after_title: list[str]) -> str | None:
    """A bracketed name on the dateline: "2004年7月16日08:19 [ 黄宇 ]"."""
    for t in after_title:
        if len(t) > 120 or not rules.DATE_PATTERNS[0].search(t):
            continue
        for m in re.finditer(r"[\[【]\s*([\u4e00-\u9fff·]{2,4})\s*[\]】]", t):
            if re.search(r"[:：]\s*$", t[: m.start()]):
                continue  # 来源：[ 国际金融报 ] is a labelled value
            names = split_names(m.group(1))
            if names:
                return names[0]
    return None


def closing_author(paragraphs: list[str], after_title: list[str], title: str | None
                   ) -> str | None:
    """A name line under the headline inside the text, or names in brackets closing it."""
    if len(paragraphs) >= 3:
        # 犬儒病(上) / 胡平 / ——当代中国的精神危机: a name line under the headline.
        p0, p1 = paragraphs[0].strip(), paragraphs[1].strip()
        if (len(p0) <= 40 and not re.search(r"[，。；！？,;!?]", p0)
                and not p0.endswith(_HEADLINE_END)
                and re.fullmatch(r"[\u4e00-\u9fff·]{2,3}(?:[ 、]+[\u4e00-\u9fff·]{2,3}){0,3}", p1)
                and p1 not in p0 and (not title or p1 not in title)):
            names = split_names(p1)
            if names and len(names) == len(rules.NAME_SPLIT_RE.split(p1)):
                return "、".join(names)
    for t in reversed(paragraphs[-3:]):
        m = rules.BYLINE_END_RE.search(t[-60:])
        if m:
            names = split_names(m.group(1))
            if names:
                return "、".join(names)
    return None


def name_line_author(after_title: list[str], byline_lines: list[str]) -> str | None:
    """Names alone on a line under the headline, or in brackets on a line of their own."""
    for t in after_title:
        t = t.strip()
        if re.fullmatch(r"[\u4e00-\u9fff]{2,3}(?:[、\s]+[\u4e00-\u9fff]{2,3}){0,4}", t):
            names = split_names(t)
            if names and len(names) == len(rules.NAME_SPLIT_RE.split(t)):
                return "、".join(names)
    for t in byline_lines:
        m = rules.BYLINE_END_RE.fullmatch(t.strip())
        if m:
            names = split_names(m.group(1))
            if names:
                return "、".join(names)
    return None


def signature_author(short_lines: list[str], byline_lines: list[str]) -> str | None:
    """A name next to a follow button, or a forum or blog post signature."""
    v = _follow_author(short_lines)
    if v:
        return v
    for t in byline_lines:
        m = rules.POSTED_IN_RE.match(t)
        if m and len(t) < 80:
            name = m.group(1).strip(_STRIP_CHARS)
            if name.lower() not in rules.NOT_NAMES and not rules.NOT_NAME_PART_RE.search(name):
                return name
        if not re.search(r"(?:19|20)\d{2}\s*[-/.年]", t):
            continue
        for pat in rules.POSTER_RES:
            m = pat.search(t)
            if m:
                name = m.group(1).strip(_STRIP_CHARS)
                if (name and name.lower() not in rules.NOT_NAMES and not re.fullmatch(r"\d+", name)
                        and not rules.NOT_NAME_PART_RE.search(name)):
                    return name
    return None


def byline_names(text: str) -> list[str]:
    """Names from a byline like 本报讯（记者 李明 通讯员 陈红）."""
    for m in rules.BYLINE_PAREN_RE.finditer(text):
        names: list[str] = []
        role = None
        for p in re.split(f"({rules.BYLINE_ANY_ROLE_RE.pattern})", m.group(1)):
            if not p:
                continue
            if rules.BYLINE_ANY_ROLE_RE.fullmatch(p):
                role = p
                continue
            if role is None or rules.BYLINE_SKIP_ROLE_RE.fullmatch(role.strip()):
                continue
            # Stop at place/date text: "记者李明北京2月13日电" is not a name list.
            chunk = re.split(r"\d|报道|电|发自", p)[0]
            for n in split_names(chunk):
                if (len(n) <= 4 or re.match(r"^[A-Za-z]", n)) and n not in names:
                    names.append(n)
        if names:
            return names
    return []


def find_editor(texts: Iterable[str]) -> str | None:
    for t in texts:
        if len(t) > 120:
            continue
        for m in rules.EDITOR_FIELD_LABEL_RE.finditer(t):
            if not re.search(r"[:：]", m.group(0)):
                if len(t) > 40 or not rules.BYLINE_PREFIX_RE.search(t[: m.start()]):
                    continue
            names = _names_after(t, m.end())
            if names:
                # 编辑：倪仕轩 责任编辑：林涛: every editor label of the line.
                for m2 in rules.EDITOR_FIELD_LABEL_RE.finditer(t, m.end()):
                    if re.search(r"[:：]", m2.group(0)):
                        names += [n for n in _names_after(t, m2.end()) if n not in names]
                return "、".join(names)
    return None



