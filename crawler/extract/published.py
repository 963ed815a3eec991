"""``published_at``: dates in labels, URLs, scripts and meta tags, with the evidence
for each candidate (:func:`find_date_evidence`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

from crawler.extract.page_head import Head, _jsonld_get

from . import rules


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



