"""Metadata: title, published_at, source, author, editor.

Each field has a fallback chain. Visible labels are searched in the lines around the
headline and right after the article body first, so dates and names in related-headline
lists, sidebars and footers are not picked up.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from lxml import etree

from . import cleaning, rules

# --------------------------------------------------------------------------- helpers


def norm(s: str | None) -> str:
    """Letters and digits only, lower case (for comparing titles and lines)."""
    if not s:
        return ""
    return "".join(ch for ch in s.lower() if ch.isalnum())


@dataclass
class Head:
    """What the document head (and JSON-LD) says."""

    title: str | None = None
    meta: dict[str, str] = field(default_factory=dict)
    jsonld: list[dict] = field(default_factory=list)
    url: str | None = None


def read_head(root: etree._Element) -> Head:
    head = Head()
    t = root.find(".//title")
    if t is not None:
        head.title = cleaning.collapse_ws(t.text_content()) or None
    for m in root.iter("meta"):
        key = (m.get("property") or m.get("name") or m.get("itemprop") or m.get("http-equiv")
               or "").strip().lower()
        val = m.get("content")
        if key and val and key not in head.meta:
            head.meta[key] = val.strip()
    for s in root.iter("script"):
        if (s.get("type") or "").lower().strip() != "application/ld+json":
            continue
        txt = (s.text or "").strip()
        if not txt or len(txt) > 200000:
            continue
        try:
            data = json.loads(txt, strict=False)
        except ValueError:
            continue
        head.jsonld.extend(_jsonld_objects(data))
    for ln in root.iter("link"):
        if (ln.get("rel") or "").lower() == "canonical" and ln.get("href"):
            head.url = ln.get("href")
            break
    if head.url is None:
        head.url = head.meta.get("og:url")
    return head


def _jsonld_objects(data: object, depth: int = 0) -> Iterable[dict]:
    if depth > 4:
        return
    if isinstance(data, list):
        for d in data:
            yield from _jsonld_objects(d, depth + 1)
    elif isinstance(data, dict):
        yield data
        graph = data.get("@graph")
        if graph is not None:
            yield from _jsonld_objects(graph, depth + 1)


def _jsonld_get(head: Head, key: str) -> object | None:
    for obj in head.jsonld:
        v = obj.get(key)
        if v:
            return v
    return None


# --------------------------------------------------------------------------- title


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
    if len(norm(first)) >= 4 or len(parts) == 1:
        return first
    return max(parts, key=lambda p: len(norm(p))).strip()


def find_title(lines: list[cleaning.Line], head: Head) -> tuple[str | None, int | None]:
    """The headline and its line index in ``lines``."""
    refs = [norm(t) for t in title_candidates_from_head(head)]
    refs = [r for r in refs if r]
    first_seg = norm(strip_site_suffix(head.title)) if head.title else ""
    best: tuple[int, int, int] | None = None  # (len, bonus, -idx)
    for i, ln in enumerate(lines):
        t = ln.text
        if len(t) > 120:
            continue
        n = norm(t)
        if len(n) < 4:
            continue
        owner = ln.owner
        tag = owner.tag if owner is not None else ""
        bonus = 0
        if tag == "h1":
            bonus = 3
        elif tag in ("h2", "h3"):
            bonus = 2
        elif owner is not None and "title" in (
            f"{owner.get('class') or ''} {owner.get('id') or ''}".lower()
        ):
            bonus = 1
        ok = False
        for r in refs:
            if n == r or (n in r and (not first_seg or len(n) >= 0.6 * len(first_seg))):
                ok = True
                break
        if not ok:
            continue
        key = (len(n), bonus, -i)
        if best is None or key > best:
            best = key
    if best is not None:
        idx = -best[2]
        return cleaning.collapse_ws(lines[idx].text), idx
    # No visible match: a single substantial h1, then the head's titles without suffix.
    h1s = [i for i, ln in enumerate(lines) if ln.owner is not None and ln.owner.tag == "h1"
           and len(norm(ln.text)) >= 6 and len(ln.text) <= 120]
    if len(h1s) == 1:
        return cleaning.collapse_ws(lines[h1s[0]].text), h1s[0]
    for t in title_candidates_from_head(head):
        s = strip_site_suffix(cleaning.collapse_ws(t))
        if len(norm(s)) >= 2:
            return s, None
    return None, None


# --------------------------------------------------------------------------- dates


@dataclass
class DateValue:
    y: int
    m: int
    d: int
    h: int | None = None
    mi: int | None = None
    s: int | None = None
    tz: str | None = None

    def valid(self) -> bool:
        if not (1990 <= self.y <= datetime.now().year + 1):
            return False
        try:
            datetime(self.y, self.m, self.d)
        except ValueError:
            return False
        if self.h is not None and not (0 <= self.h <= 23 and 0 <= (self.mi or 0) <= 59
                                       and 0 <= (self.s or 0) <= 59):
            return False
        return True

    def iso(self) -> str:
        date = f"{self.y:04d}-{self.m:02d}-{self.d:02d}"
        if self.h is None:
            return date
        tz = self.tz or rules.DEFAULT_TZ
        return f"{date}T{self.h:02d}:{self.mi or 0:02d}:{self.s or 0:02d}{tz}"


_TZ_RE = re.compile(r"(Z|[+-]\d{2}:?\d{2})\s*$")


def parse_date(text: str, *, year: int | None = None) -> DateValue | None:
    """The first publication-like date/time in ``text``."""
    if not text:
        return None
    for pat in rules.DATE_PATTERNS:
        for m in pat.finditer(text):
            y, mo, d, ampm, h, mi, s = m.groups()
            dv = DateValue(int(y), int(mo), int(d))
            if h is not None:
                hh = int(h)
                if ampm in ("下午", "晚上") and hh < 12:
                    hh += 12
                dv.h, dv.mi, dv.s = hh, int(mi), int(s) if s else 0
                tz = _TZ_RE.search(text[m.end(): m.end() + 8])
                if tz:
                    z = tz.group(1)
                    dv.tz = "+00:00" if z == "Z" else (z if ":" in z else f"{z[:3]}:{z[3:]}")
            if dv.valid():
                return dv
    for m in rules.US_DATE_RE.finditer(text):
        mo, d, y, h, mi, s, ampm = m.groups()
        if not ampm and int(mo) <= 12 and int(d) <= 12:
            continue
        dv = DateValue(int(y), int(mo), int(d))
        if h is not None:
            hh = int(h) % 12 if ampm else int(h)
            if ampm and ampm.lower() == "pm":
                hh += 12
            dv.h, dv.mi, dv.s = hh, int(mi), int(s) if s else 0
        if dv.valid():
            return dv
    if year is not None:
        for m in rules.SHORT_DATE_RE.finditer(text):
            mo, d, h, mi, s = m.groups()
            dv = DateValue(year, int(mo), int(d), int(h), int(mi), int(s) if s else 0)
            if dv.valid():
                return dv
    return None


def parse_compact_date(text: str) -> DateValue | None:
    """YYYYMMDD[HHMM[SS]] as found in some meta tags."""
    m = re.match(r"^\s*((?:19|20)\d{2})(\d{2})(\d{2})(?:(\d{2})(\d{2})(\d{2})?)?\s*$", text or "")
    if not m:
        return None
    y, mo, d, h, mi, s = m.groups()
    dv = DateValue(int(y), int(mo), int(d))
    if h:
        dv.h, dv.mi, dv.s = int(h), int(mi), int(s or 0)
    return dv if dv.valid() else None


def date_from_url(url: str | None) -> DateValue | None:
    if not url:
        return None
    path = re.sub(r"^[a-z]+://[^/]+", "", url, flags=re.I)
    for pat in rules.URL_DATE_PATTERNS:
        for m in pat.finditer(path):
            y = int(m.group("y"))
            if y < 100:
                y += 2000
            d = int(m.groupdict().get("d") or 0) if "d" in pat.groupindex else 0
            if not d:
                continue
            dv = DateValue(y, int(m.group("m")), d)
            if dv.valid():
                return dv
    return None


def year_hint(url: str | None, lines: Iterable[str]) -> int | None:
    if url:
        m = rules.URL_YEAR_RE.search(re.sub(r"^[a-z]+://[^/]+", "", url, flags=re.I))
        if m:
            return int(m.group(1))
    for t in lines:
        if rules.BAD_DATE_CONTEXT_RE.search(t):
            continue
        m = re.search(r"(?<!\d)((?:19|20)\d{2})\s*年", t)
        if m:
            return int(m.group(1))
    return None


def _line_dates(texts: Iterable[str], year: int | None, *, labelled_only: bool = False
                ) -> DateValue | None:
    for t in texts:
        if len(t) > 200 or rules.BAD_DATE_CONTEXT_RE.search(t):
            continue
        if labelled_only and not rules.DATE_LABEL_RE.search(t):
            continue
        dv = parse_date(t, year=year)
        if dv:
            return dv
    return None


def find_date(head: Head, header: list[str], zone: list[str], page: list[str],
              url: str | None) -> str | None:
    year = year_hint(url, header)
    cands: list[DateValue] = []

    def add(dv: DateValue | None) -> None:
        if dv is not None:
            cands.append(dv)

    add(_line_dates(header, year))
    for key in rules.META_DATE_NAMES:
        v = head.meta.get(key)
        if v:
            add(parse_date(v) or parse_compact_date(v))
    v = _jsonld_get(head, "datePublished") or _jsonld_get(head, "dateCreated")
    if isinstance(v, str):
        add(parse_date(v))
    add(_line_dates(zone, year, labelled_only=True))
    add(_line_dates(zone, year))
    add(date_from_url(url))
    add(_line_dates(page, year, labelled_only=True))
    if not cands:
        return None
    best = cands[0]
    if best.h is None:
        for c in cands[1:]:
            if c.h is not None and (c.y, c.m, c.d) == (best.y, best.m, best.d):
                best = c
                break
    return best.iso()


# --------------------------------------------------------------------------- labels

_VALUE_END_RE = re.compile(
    r"\s{2}|[|｜【】\[\]<>()（）]|" + rules.ANY_LABEL_RE.pattern
    + r"|(?:19|20)\d{2}\s*[-/.年]\s*\d{1,2}",
)
_STRIP_CHARS = " \t:：,，。;；、|｜·•-—_/\\'\"“”‘’()（）[]【】<>《》"


def _value_after(text: str, start: int, *, max_len: int = 40) -> str:
    rest = text[start:].lstrip(" :：")
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
    if re.fullmatch(r"[\d\s:：\-/]+", v):
        return None
    return v


def find_source(texts: Iterable[str]) -> str | None:
    for t in texts:
        if len(t) > 200:
            continue
        for m in rules.SOURCE_LABEL_RE.finditer(t):
            v = clean_source(_value_after(t, m.end()))
            if v:
                return v
    return None


def split_names(value: str, *, allow_outlets: bool = False) -> list[str]:
    out: list[str] = []
    for tok in rules.NAME_SPLIT_RE.split(value):
        tok = tok.strip(_STRIP_CHARS)
        if not tok or tok.lower() in rules.NOT_NAMES:
            continue
        if not rules.NAME_RE.match(tok):
            continue
        if not allow_outlets and rules.OUTLET_SUFFIX_RE.search(tok):
            continue
        if tok not in out:
            out.append(tok)
    return out


def _names_after(text: str, start: int) -> list[str]:
    rest = text[start:].lstrip(" :：")
    m = re.search(r"\s{2}|[|｜【】\[\]<>()（）]|" + rules.ANY_LABEL_RE.pattern
                  + r"|(?:19|20)\d{2}\s*[-/.年]|\d{1,2}月|[，。,]", rest)
    if m:
        rest = rest[: m.start()]
    return split_names(rest[:40])


def find_author(short_lines: Iterable[str], paragraphs: Iterable[str]) -> str | None:
    for t in short_lines:
        if len(t) > 100:
            continue
        for m in rules.AUTHOR_LABEL_RE.finditer(t):
            label = m.group(0)
            # "记者" without a colon only in a byline-looking short line.
            if not re.search(r"[:：/／|｜]", label) and len(t) > 60:
                continue
            names = _names_after(t, m.end())
            if names:
                return "、".join(names)
    for t in paragraphs:
        names = byline_names(t[:200])
        if names:
            return "、".join(names)
    return None


def byline_names(text: str) -> list[str]:
    """Names from a byline like 本报讯（记者 李明 通讯员 陈红）."""
    for m in rules.BYLINE_PAREN_RE.finditer(text):
        inner = m.group(1)
        names: list[str] = []
        parts = re.split(f"({rules.BYLINE_ANY_ROLE_RE.pattern})", inner)
        role = None
        for p in parts:
            if not p:
                continue
            if rules.BYLINE_ANY_ROLE_RE.fullmatch(p):
                role = p
                continue
            if role is None or rules.BYLINE_SKIP_ROLE_RE.fullmatch(role.strip()):
                continue
            # Stop at place/date text: "记者李明北京2月13日电" is not a name list.
            chunk = re.split(r"\d|报道|电", p)[0]
            for n in split_names(chunk):
                if n not in names and len(n) <= 4 or re.match(r"^[A-Za-z]", n):
                    if n not in names:
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
                before = t[max(0, m.start() - 1): m.start()]
                if len(t) > 40 or before not in ("", "(", "（", "【", "[", " "):
                    continue
            names = _names_after(t, m.end())
            if names:
                return "、".join(names)
    return None


# --------------------------------------------------------------------------- selectors


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
