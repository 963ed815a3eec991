"""A list page's links: grouped by URL shape (:func:`url_shape`, :func:`shape_regex`),
sibling shapes merged, groups scored by how much their anchor texts read like headlines.
"""


from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urljoin, urlsplit

from crawler.urls import canonical_url

#: Anchor texts that name navigation, not stories.
NAV_WORDS = frozenset(
    """首页 主页 返回首页 网站首页 更多 更多>> more 查看更多 下一页 上一页 下页 上页 首页 末页 尾页
    关于我们 联系我们 网站地图 版权声明 免责声明 设为首页 加入收藏 网站投稿 投稿 登录 注册 搜索
    English 繁体 简体 友情链接 广告服务 隐私政策 法律声明 意见反馈 订阅 专题 视频 图片
    next prev previous home about contact login register""".split()
)
#: Anchor texts of pagination links.
PAGER_WORDS = frozenset(
    "下一页 下页 后页 上一页 上页 前页 末页 尾页 最后一页 首页 第一页 next prev previous last first"
    " > >> < << » « › ‹".split()
)


_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


_TRS_PAGER = re.compile(
    r"createPageHTML\(\s*(\d+)\s*,\s*(\d+)\s*,\s*[\"']([\w-]+)[\"']\s*,"
    r"\s*[\"'](\w+)[\"']"
)
#: The start of every generated pattern: the scheme and any host (see allowed_domains).
HOST_RX = "^https?://[^/]+"
# Regex metacharacters: escaped by hand so the output stays plain for RE2 and readers.
_META = set(r".^$*+?()[]{}|\\")


def escape(text: str) -> str:
    """``text`` as a regex matching itself, escaping only regex metacharacters."""
    return "".join("\\" + c if c in _META else c for c in text)


# -- links and shapes ----------------------------------------------------------------------
@dataclass(frozen=True)
class Link:
    url: str  # canonical
    text: str


def page_links(data: bytes, url: str, charset: str | None = None) -> tuple[list[Link], str]:
    """The ``<a href>`` links of a page (canonical, http(s) only) and its ``<title>``."""
    import lxml.html

    from crawler.extract import decode_html

    text, _ = decode_html(data, charset)
    try:
        root = lxml.html.document_fromstring(text)
    except (ValueError, lxml.etree.ParserError):
        return [], ""
    base = url
    for href in root.xpath("//base/@href"):
        base = urljoin(url, href.strip())
        break
    links = []
    for a in root.iter("a"):
        href = (a.get("href") or "").strip()
        if not href or href.startswith(("javascript:", "mailto:", "tel:", "#")):
            continue
        absolute = canonical_url(urljoin(base, href))
        if not absolute.startswith(("http://", "https://")):
            continue
        anchor = " ".join(a.text_content().split())
        title_attr = " ".join((a.get("title") or "").split())
        if len(title_attr) > len(anchor):  # truncated anchors (市场监管总局通报...) carry a title
            anchor = title_attr
        links.append(Link(absolute, anchor))
    # TRS-style pagination written by script: createPageHTML(pages, current, "index", "html")
    for m in _TRS_PAGER.finditer(text):
        count, name, ext = int(m.group(1)), m.group(3), m.group(4)
        for i in range(1, min(count, 4)):
            links.append(Link(canonical_url(urljoin(base, f"{name}_{i}.{ext}")), "下一页"))
    titles = root.xpath("//title")
    title = " ".join(titles[0].text_content().split()) if titles else ""
    return links, title


def registrable_domain(host: str) -> str:
    """``news.example.com.cn`` -> ``example.com.cn``; an IP address stays itself."""
    labels = host.split(".")
    if re.fullmatch(r"[\d.]+", host) or len(labels) <= 2:
        return host
    second = {"com", "net", "org", "gov", "edu", "ac", "co"}
    n = 3 if labels[-2] in second and len(labels[-1]) == 2 else 2
    return ".".join(labels[-n:])


_RUN = re.compile(r"[0-9A-Za-z]+|[^0-9A-Za-z]")


def _tokens(text: str) -> list[tuple[str, str]]:
    """``(shape token, text)`` pairs of a URL part: digit runs -> ``#d``, long hex -> ``#h``,
    mixed letters and digits (``inausehc2630922``, ``J22CN60P0514R9KQ``) -> ``#a``;
    a short letter prefix or suffix stays literal (the ``t`` of ``t20230801``), as do
    words and punctuation."""
    out: list[tuple[str, str]] = []
    for run in _RUN.findall(text):
        if run.isdigit():
            out.append(("#d", run))
        elif run.isalpha() or not run.isalnum():
            out.append((run, run))
        elif m := re.fullmatch(r"([A-Za-z]{1,3})(\d+)|(\d+)([A-Za-z]{1,2})", run):
            if m.group(1):
                out += [(m.group(1), m.group(1)), ("#d", m.group(2))]
            else:
                out += [("#d", m.group(3)), (m.group(4), m.group(4))]
        elif len(run) >= 12 and re.fullmatch(r"[0-9a-fA-F]+", run):
            out.append(("#h", run))
        else:
            out.append(("#a", run))
    return out


_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+){2,}(?:\.\w+)?")


def _shape_part(text: str) -> tuple[str, ...]:
    """A URL part as shape tokens (see :func:`_tokens`); hyphenated slugs -> ``#s``."""
    if _SLUG.fullmatch(text) and re.search(r"[a-z]{2}", text):
        stem, dot, ext = text.partition(".")
        return ("#s", *((".", ext) if dot else ()))
    return tuple(t for t, _ in _tokens(text))


def url_shape(url: str) -> tuple[Any, ...]:
    """The shape of a canonical URL: host, path segment tokens, query keys and value tokens.

    When the path itself varies (an ID, a date), the query is left out of the shape:
    it then carries tracking or display options, not the article's identity.
    """
    parts = urlsplit(url)
    segments = tuple(_shape_part(s) for s in parts.path.split("/")[1:])
    # the scheme is left out: the patterns accept http and https alike
    if any(t.startswith("#") for seg in segments for t in seg):
        return ("", parts.netloc, segments, ())
    query = tuple((k, _shape_part(v)) for k, v in parse_qsl(parts.query, keep_blank_values=True))
    return ("", parts.netloc, segments, query)


def _token_regex(shape_tok: str, values: list[str], min_id: int = 1) -> str:
    if shape_tok == "#h":
        return "[0-9a-fA-F]+"
    if shape_tok == "#s":
        return "[a-z0-9-]+"
    if shape_tok == "#a":
        return "[0-9A-Za-z]+"
    if shape_tok == "#d":
        return _digits_regex(values, min_id)
    return escape(shape_tok)


def _digits_regex(values: list[str], min_id: int = 1) -> str:
    """``\\d{n}`` for date parts (years, months, days, YYYYMMDD), else ``\\d+``: IDs grow.

    ``min_id`` > 1 (page numbers share the articles' shape, as in ``/news/2.html``):
    IDs that all have at least that many digits become ``\\d{min_id,}``.
    """
    lengths = {len(v) for v in values}
    if len(lengths) == 1:
        n = lengths.pop()
        nums = [int(v) for v in values]
        if n == 4 and all(1990 <= x <= 2099 for x in nums):
            return r"\d{4}"
        if n == 2 and all(1 <= x <= 31 for x in nums):
            return r"\d{2}"
        if n == 4 and all(1 <= x // 100 <= 12 and 1 <= x % 100 <= 31 for x in nums):
            return r"\d{4}"  # MMDD
        if n in (6, 8) and all(v.startswith(("19", "20")) for v in values):
            return rf"\d{{{n}}}"  # YYYYMM, YYYYMMDD
    if min_id > 1 and min(len(v) for v in values) >= min_id:
        return rf"\d{{{min_id},}}"
    return r"\d+"


def _part_regex(shape: tuple[str, ...], texts: list[str], min_id: int = 1) -> str:
    """The regex of one URL part (path segment or query value) across its group's URLs."""
    split = [_split_like(shape, t) for t in texts]
    out = []
    for i, tok in enumerate(shape):
        if tok.startswith("#"):
            out.append(_token_regex(tok, [s[i] for s in split], min_id))
        else:
            out.append(escape(tok))
    return "".join(out)


def _split_like(shape: tuple[str, ...], text: str) -> list[str]:
    if shape and shape[0] == "#s":
        stem, dot, ext = text.partition(".")
        return [stem, *((".", ext) if dot else ())]
    return [t for _, t in _tokens(text)]


def shape_regex(urls: list[str], min_id: int = 1) -> str:
    """One anchored regex matching every URL of a group (and the like of them).

    Parts whose shape is the same in every URL are generalised token by token; a part
    that is a different plain word in different URLs (a sibling channel) becomes an
    alternation of those words. The host is left open (``allowed_domains`` holds it).
    """
    parsed = [urlsplit(u) for u in urls]
    shapes = [url_shape(u) for u in urls]
    # any host: allowed_domains keeps the crawl on the portal, and the profile keeps
    # working when the portal moves between www and bare host, http and https, or ports
    out = [HOST_RX]
    for i, seg in enumerate(shapes[0][2]):
        texts = [p.path.split("/")[1:][i] for p in parsed]
        if all(s[2][i] == seg for s in shapes):
            out.append("/" + _part_regex(seg, texts, min_id))
        else:
            out.append("/" + _alternation(list(dict.fromkeys(texts))))
    query = shapes[0][3]
    if query:
        pairs = [parse_qsl(p.query, keep_blank_values=True) for p in parsed]
        qs = []
        for i, (key, val) in enumerate(query):
            qs.append(escape(key) + "=" + _part_regex(val, [pp[i][1] for pp in pairs], min_id))
        out.append(r"\?" + "&".join(qs))
    elif any(p.query for p in parsed):
        out.append(r"(\?.*)?")  # the query varies (tracking, options): any is fine
    return "".join(out) + "$"


def _alternation(words: list[str]) -> str:
    return escape(words[0]) if len(words) == 1 else "(" + "|".join(map(escape, words)) + ")"


def _siblings(a: tuple[Any, ...], b: tuple[Any, ...]) -> bool:
    """Shapes whose paths differ at most in one plain word (the host may differ too: the
    patterns leave it open)."""
    if a[3] != b[3] or len(a[2]) != len(b[2]):
        return False
    diffs = [i for i, (x, y) in enumerate(zip(a[2], b[2], strict=True)) if x != y]
    plain = all(not t.startswith("#") for i in diffs for t in (*a[2][i], *b[2][i]))
    return len(diffs) <= 1 and plain


def merge_siblings(groups: list[Group]) -> list[Group]:
    """Merge candidate groups whose shapes are siblings (``/xfzx/content/...`` and
    ``/news/content/...``), so one pattern covers both; best first again."""
    merged: list[Group] = []
    for g in groups:
        for m in merged:
            if any(_siblings(g.shape, s) for s in m.shapes):
                m.shapes.append(g.shape)
                for u in g.urls:
                    if u not in m.texts:
                        m.urls.append(u)
                        m.texts[u] = g.texts[u]
                break
        else:
            merged.append(g)
    return sorted(merged, key=lambda g: (-g.score, -len(g.urls)))


# -- headline scoring ------------------------------------------------------------------------
def headline_score(text: str) -> float:
    """0..1: how much an anchor text reads like a news headline."""
    t = text.strip().rstrip(".…")
    if not t or t in NAV_WORDS or t.lower() in NAV_WORDS:
        return 0.0
    if re.fullmatch(r"[\d\s\W]*", t):  # page numbers, dates, arrows
        return 0.0
    cjk = len(_CJK.findall(t))
    if cjk:
        if cjk < 5:  # channel names: 新闻, 消费维权
            return 0.1
        if cjk < 8:
            return 0.5
        return 1.0 if cjk <= 60 else 0.5
    words = len(t.split())
    return 0.8 if 4 <= words <= 25 else 0.1


@dataclass
class Group:
    """Links of one URL shape on the list page."""

    shape: tuple[Any, ...]
    urls: list[str] = field(default_factory=list)  # distinct, in page order
    shapes: list[tuple[Any, ...]] = field(default_factory=list)  # merged siblings
    texts: dict[str, str] = field(default_factory=dict)  # url -> best anchor text
    confirmed: int | None = None  # articles found among the pages fetched to confirm
    checked: int = 0
    min_id: int = 1  # fewest digits of an ID (see _digits_regex)

    @property
    def pattern(self) -> str:
        return shape_regex(self.urls, self.min_id)

    @property
    def headline_share(self) -> float:
        return sum(headline_score(self.texts[u]) for u in self.urls) / len(self.urls)

    @property
    def score(self) -> float:
        """Headline-like links, weighted by how uniformly the group reads as headlines."""
        return sum(headline_score(self.texts[u]) for u in self.urls) * self.headline_share

    @property
    def variable(self) -> bool:
        """Whether the shape has a variable part (an ID, a date): articles' URLs do."""
        _, _, segments, query = self.shape
        parts = [*segments, *(v for _, v in query)]
        return any(tok.startswith("#") for part in parts for tok in part)

    def describe(self, examples: int = 3) -> list[str]:
        lines = [f"{self.pattern}  ({len(self.urls)} links, headline score {self.score:.1f})"]
        for u in self.urls[:examples]:
            lines.append(f"    {u}  {self.texts[u][:40]!r}")
        return lines


def group_links(links: list[Link], page_url: str) -> list[Group]:
    """Same-domain links grouped by shape, best headline score first (the page excluded)."""
    domain = registrable_domain(urlsplit(page_url).hostname or "")
    page = canonical_url(page_url)
    groups: dict[tuple[Any, ...], Group] = {}
    for link in links:
        host = urlsplit(link.url).hostname or ""
        if link.url == page or registrable_domain(host) != domain or is_pager_text(link.text):
            continue
        shape = url_shape(link.url)
        g = groups.setdefault(shape, Group(shape, shapes=[shape]))
        if link.url not in g.texts:
            g.urls.append(link.url)
            g.texts[link.url] = link.text
        elif headline_score(link.text) > headline_score(g.texts[link.url]):
            g.texts[link.url] = link.text
    return sorted(groups.values(), key=lambda g: (-g.score, -len(g.urls)))


def candidate_groups(groups: list[Group]) -> list[Group]:
    """Groups that could be the articles: several distinct links, a variable shape, most
    of them headline-like."""
    found = [g for g in groups if len(g.urls) >= 2 and g.variable and g.headline_share >= 0.5]
    return merge_siblings(found)



def is_pager_text(text: str) -> bool:
    """Anchor texts of pagination: 下一页, 末页, a page number, 第3页."""
    text = text.strip()
    return (
        text.lower() in PAGER_WORDS
        or bool(re.fullmatch(r"\[?\d{1,4}\]?", text))
        or bool(re.fullmatch(r"第\d{1,4}页", text))
    )



