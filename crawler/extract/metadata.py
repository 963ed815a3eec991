"""Metadata: title, published_at, source, author, editor.

Each field has a fallback chain. Visible labels are searched in the lines around the
headline and right after the article body first, so dates and names in related-headline
lists, sidebars and footers are not picked up.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

from lxml import etree

from . import cleaning, rules

# --------------------------------------------------------------------------- helpers


_NON_ALNUM_RE = re.compile(r"[\W_]+")


def norm(s: str | None) -> str:
    """Letters and digits only, lower case (for comparing titles and lines)."""
    if not s:
        return ""
    return _NON_ALNUM_RE.sub("", s.lower())


@dataclass
class Head:
    """What the document head (and JSON-LD) says."""

    title: str | None = None
    meta: dict[str, str] = field(default_factory=dict)
    jsonld: list[dict] = field(default_factory=list)
    url: str | None = None
    #: Inline scripts' text, read by :meth:`script` only when a field needs them.
    scripts: list[str] = field(default_factory=list)
    _script: dict[str, tuple[str, str] | None] = field(default_factory=dict)

    def script(self, key: str) -> tuple[str, str] | None:
        """What inline script configs say: key "source" or "time" -> (value, matched text)."""
        if key not in self._script:
            self._script[key] = None
            for text in self.scripts:
                hit = _read_script(key, text)
                if hit:
                    self._script[key] = hit
                    break
        return self._script[key]


def read_head(root: etree._Element) -> Head:
    head = Head()
    t = root.find(".//title")
    if t is not None:
        head.title = cleaning.collapse_ws("".join(t.itertext())) or None
    for m in root.iter("meta"):
        key = (m.get("property") or m.get("name") or m.get("itemprop") or m.get("http-equiv")
               or "").strip().lower()
        val = m.get("content")
        if key and val and key not in head.meta:
            head.meta[key] = val.strip()
    for s in root.iter("script"):
        stype = (s.get("type") or "").lower().strip()
        if stype != "application/ld+json":
            if s.text and len(s.text) <= rules.SCRIPT_MAX_CHARS and (
                    not stype or "javascript" in stype):
                head.scripts.append(s.text)
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


#: Substrings every SCRIPT_SOURCE_RE key contains, in the case it is written (a quick test
#: before the regex).
_SCRIPT_SOURCE_KEYS = ("source", "Source", "SOURCE", "media", "Media", "nickname", "nick_name",
                       "copyfrom")


def _read_script(key: str, text: str) -> tuple[str, str] | None:
    """The outlet ("source") or publication time ("time") an inline script config names."""
    text = text[: rules.SCRIPT_SCAN_CHARS]
    if key == "source":
        # The regex only where a key's stem occurs (str.find runs in C): first match wins.
        best: tuple[int, str, str] | None = None
        for stem in _SCRIPT_SOURCE_KEYS:
            i = text.find(stem)
            while i >= 0 and (best is None or i < best[0]):
                lo = max(0, i - 12)
                for m in rules.SCRIPT_SOURCE_RE.finditer(text, lo, i + len(stem) + 48):
                    v = m.group(1).strip()
                    if re.search(r"[\u4e00-\u9fff]", v) and not re.search(r"[/=%{}]|http", v):
                        if best is None or m.start() < best[0]:
                            best = (m.start(), v, m.group(0))
                        break
                i = text.find(stem, i + len(stem))
        return (best[1], best[2]) if best else None
    # A date with a time (or a timestamp) over a date alone: var publish_time = "2019-05-13"
    # and var ct = "1557710590" on the same WeChat page.
    first = None
    for i, m in enumerate(rules.SCRIPT_TIME_RE.finditer(text)):
        v = m.group(1)
        if v.isdigit() or ":" in v:
            return v, m.group(0)
        if first is None:
            first = (v, m.group(0))
        if i >= 20:
            break
    return first


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
            datetime(self.y, self.m, self.d or 1)
        except ValueError:
            return False
        if self.h is not None and not (0 <= self.h <= 23 and 0 <= (self.mi or 0) <= 59
                                       and 0 <= (self.s or 0) <= 59):
            return False
        return True

    def iso(self) -> str:
        if not self.d:
            return f"{self.y:04d}-{self.m:02d}"
        date = f"{self.y:04d}-{self.m:02d}-{self.d:02d}"
        if self.h is None:
            return date
        tz = self.tz or rules.DEFAULT_TZ
        return f"{date}T{self.h:02d}:{self.mi or 0:02d}:{self.s or 0:02d}{tz}"


_TZ_RE = re.compile(r"^(?:\.\d{1,6})?\s*(Z|[+-]\d{2}:?\d{2})")
_PM_WORDS = frozenset({"下午", "晚上", "傍晚", "晚间", "夜间", "夜里", "PM", "pm"})


def _twelve_hour(hh: int, ampm: str | None) -> int:
    """下午2:05 is 14:05; 中午1:00 is 13:00; 凌晨12:30 is 00:30."""
    if ampm in _PM_WORDS and hh < 12:
        return hh + 12
    if ampm == "中午" and hh < 11:
        return hh + 12
    if ampm in ("凌晨", "上午", "早上", "AM", "am") and hh == 12:
        return 0
    return hh


def _stated_zone(after: str) -> str | None:
    """The zone the page states right after a time: +08:00, Z, GMT+8, UTC, (北京时间)."""
    tz = _TZ_RE.match(after)
    if tz:
        z = tz.group(1)
        return "+00:00" if z == "Z" else (z if ":" in z else f"{z[:3]}:{z[3:]}")
    m = rules.STATED_TZ_RE.match(after)
    if not m:
        return None
    if m.group(1):
        return rules.DEFAULT_TZ
    sign, hh, mm = m.group(2), m.group(3), m.group(4)
    if not sign:
        return "+00:00"
    return f"{sign}{int(hh):02d}:{mm or '00'}"


def parse_date(text: str, *, year: int | None = None) -> DateValue | None:
    """The first publication-like date/time in ``text``."""
    if not text:
        return None
    for pat in rules.DATE_PATTERNS:
        for m in pat.finditer(text):
            y, mo, d, ampm, h, mi, s = m.groups()
            dv = DateValue(int(y), int(mo), int(d))
            if h is not None:
                dv.h, dv.mi, dv.s = _twelve_hour(int(h), ampm), int(mi), int(s) if s else 0
                dv.tz = _stated_zone(text[m.end(): m.end() + 16])
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
    for m in rules.EN_DATE_RE.finditer(text):
        mon, d, y, h, mi, sec = m.groups()
        dv = DateValue(int(y), rules.EN_MONTHS.index(mon[:3].lower()) + 1, int(d))
        if h is not None:
            dv.h, dv.mi, dv.s = int(h), int(mi), int(sec) if sec else 0
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


#: What every date format parse_date reads contains: a 4-digit year or an h:mm time.
_DATEISH_RE = re.compile(r"(?:19|20)\d{2}|\d[:：]\d{2}")


def _line_dates(texts: Iterable[str], year: int | None, *, labelled_only: bool = False
                ) -> tuple[DateValue, str] | None:
    for t in texts:
        if len(t) > 200 or not _DATEISH_RE.search(t) or rules.BAD_DATE_CONTEXT_RE.search(t):
            continue
        if labelled_only and not rules.DATE_LABEL_RE.search(t):
            continue
        dv = parse_date(t, year=year)
        if dv:
            return dv, t
    return None


def _line_dates_pair(texts: list[str], year: int | None, max_len: int = 201
                     ) -> tuple[tuple[DateValue, str] | None, tuple[DateValue, str] | None]:
    """In one pass: what ``_line_dates(texts, labelled_only=True)`` and
    ``_line_dates([t for t in texts if len(t) < max_len])`` return."""
    labelled: tuple[DateValue, str] | None = None
    plain: tuple[DateValue, str] | None = None
    for t in texts:
        if len(t) > 200 or not _DATEISH_RE.search(t) or rules.BAD_DATE_CONTEXT_RE.search(t):
            continue
        want_l = labelled is None and rules.DATE_LABEL_RE.search(t) is not None
        want_p = plain is None and len(t) < max_len
        if not (want_l or want_p):
            continue
        dv = parse_date(t, year=year)
        if dv is None:
            continue
        if want_l:
            labelled = (dv, t)
        if want_p:
            plain = (dv, t)
        if labelled is not None and plain is not None:
            break
    return labelled, plain


def script_date(value: str) -> DateValue | None:
    """A script variable's time: a Unix timestamp (seconds or milliseconds, shown in
    Beijing time as the portals show it) or a date-time string."""
    if value.isdigit():
        from datetime import timedelta, timezone

        secs = int(value) / (1000 if len(value) == 13 else 1)
        try:
            t = datetime.fromtimestamp(secs, timezone(timedelta(hours=8)))
        except (OverflowError, OSError, ValueError):
            return None
        dv = DateValue(t.year, t.month, t.day, t.hour, t.minute, t.second)
        return dv if dv.valid() else None
    return parse_date(value)


def find_date(head: Head, header: list[str], zone: list[str],
              page: list[str] | Callable[[], list[str]], url: str | None) -> str | None:
    """``page``: the page's non-link lines, or a function giving them (only called when
    the page has to be searched)."""
    found = find_date_evidence(head, header, zone, page, url)
    return found[0] if found else None


_VISIBLE_DATE_RULES = frozenset({"published_at.headline_bar", "published_at.labelled_text",
                                 "published_at.near_article", "published_at.page_text"})


def find_date_evidence(head: Head, header: list[str], zone: list[str],
                       page: list[str] | Callable[[], list[str]], url: str | None
                       ) -> tuple[str, str, str] | None:
    """(ISO date, rule name, matched text) of the publication time. The time shown next
    to the headline wins over <meta>, JSON-LD, script variables and the URL."""
    year = year_hint(url, header)

    found_time = False  # a candidate with a clock time was found before the scripts

    def candidates() -> Iterator[tuple[str, tuple[DateValue, str] | None]]:
        nonlocal found_time
        c = _line_dates(header, year)
        found_time = c is not None and c[0].h is not None
        yield "published_at.headline_bar", c
        for key in rules.META_DATE_NAMES:
            v = head.meta.get(key)
            if v:
                dv = parse_date(v) or parse_compact_date(v)
                tag = f'<meta name="{key}" content="{v}">'
                found_time = found_time or (dv is not None and dv.h is not None)
                yield "published_at.meta", (dv, tag) if dv else None
        v = _jsonld_get(head, "datePublished") or _jsonld_get(head, "dateCreated")
        if isinstance(v, str):
            dv = parse_date(v)
            found_time = found_time or (dv is not None and dv.h is not None)
            yield "published_at.jsonld", (dv, f'"datePublished": "{v}"') if dv else None
        hit = head.script("time") if not found_time else None  # only when needed
        if hit:
            dv = script_date(hit[0])
            yield "published_at.script_variable", (dv, hit[1]) if dv else None
        labelled, plain = _line_dates_pair(zone, year)
        yield "published_at.labelled_text", labelled
        yield "published_at.near_article", plain
        dv = date_from_url(url)
        yield "published_at.url", (dv, url or "") if dv else None
        page_t = page() if callable(page) else page
        labelled, plain = _line_dates_pair(page_t, year, max_len=60)
        yield "published_at.labelled_text", labelled
        yield "published_at.page_text", plain

    gen = ((rule, c[0], c[1]) for rule, c in candidates() if c is not None)
    first = next(gen, None)
    if first is None:
        for t in zone:
            m = rules.MONTH_DATE_RE.search(t)
            if m and not rules.BAD_DATE_CONTEXT_RE.search(t):
                dv = DateValue(int(m.group(1)), int(m.group(2)), 0)
                if dv.valid():
                    return dv.iso(), "published_at.month", t
        return None
    rule, best, where = first
    if best.h is not None and best.s and (not best.tz or best.tz == rules.DEFAULT_TZ):
        # Complete (time with seconds, local): the other candidates cannot refine it.
        return best.iso(), rule, where
    cands = [c[1] for c in gen]
    if best.h is not None and not best.s:
        # Same minute elsewhere (meta, JSON-LD) with seconds: more precise, same time.
        for c in cands:
            if (c.y, c.m, c.d, c.h, c.mi) == (best.y, best.m, best.d, best.h, best.mi) and c.s:
                best = DateValue(best.y, best.m, best.d, best.h, best.mi, c.s, best.tz)
                break
    stated = rule in _VISIBLE_DATE_RULES  # a zone stated in the page's text is kept
    if best.h is None or (best.tz and best.tz != rules.DEFAULT_TZ and not stated):
        for c in cands:
            if c.h is not None and (c.y, c.m, c.d) == (best.y, best.m, best.d) and not c.tz:
                return c.iso(), rule, where
        # The page shows the time next to the date in a format we could not read alone.
        t = _visible_time_for(best, header + zone)
        if t is not None:
            best = DateValue(best.y, best.m, best.d, t[0], t[1], t[2])
    return best.iso(), rule, where


def _visible_time_for(dv: DateValue, texts: list[str]) -> tuple[int, int, int] | None:
    y = str(dv.y)
    day_re = re.compile(rf"(?<!\d)0?{dv.d}(?!\d)")
    mon_re = re.compile(rf"(?<!\d)0?{dv.m}(?!\d)")
    for t in texts:
        if len(t) > 120 or y not in t or rules.BAD_DATE_CONTEXT_RE.search(t):
            continue
        if not (day_re.search(t) and mon_re.search(t)):
            continue
        m = _CLOCK_RE.search(t)
        if m and int(m.group(2)) < 24 and int(m.group(3)) < 60:
            return (_twelve_hour(int(m.group(2)), m.group(1)), int(m.group(3)),
                    int(m.group(4) or 0))
    return None


#: A clock time, with the 12-hour word before it when there is one (下午 2:05).
_CLOCK_RE = re.compile(
    r"(?:(上午|下午|早上|晚上|凌晨|中午|傍晚|晚间|夜间|夜里)\s*)?(?<!\d)(\d{1,2}):(\d{2})(?::(\d{2}))?(?!\d)"
)


# --------------------------------------------------------------------------- labels

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
