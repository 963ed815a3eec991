"""The page's ``<head>`` as metadata sources see it (meta tags, JSON-LD, the ``<title>``),
and :func:`norm`, the comparison form of a text.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from lxml import etree

from . import cleaning, rules

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



