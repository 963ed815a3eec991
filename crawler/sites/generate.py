"""Infer a site profile from a portal's list page: the library behind ``newsarchive sites new``.

1. The list page's links (same registrable domain) are grouped by URL *shape*: every run
   of digits becomes ``\\d{n}`` (date parts) or ``\\d+``, long hex or mixed letter-digit
   IDs and hyphenated slugs become a character class, query values likewise (a query is
   ignored when the path itself varies); the rest stays literal. Shapes that differ in
   one word only (a sibling channel, another host of the domain) are merged.
2. Each group is scored by how much its anchor texts read like headlines: long enough,
   mostly Chinese (or several words), not a navigation word (首页, 更多, 下一页 ...).
3. The best groups are confirmed by fetching up to 3 of their pages and checking that
   :func:`crawler.extract.extract` finds an article there (skipped offline).
4. Pagination links (下一页, 末页, page numbers, ``index_N``, ``list_N``, ``?page=N``) give
   ``list_url``, which also matches the list page itself.

The patterns are plain, RE2-compatible regexes (no backreferences, no lookarounds),
anchored on the whole URL, and are validated by :func:`crawler.profiles.parse_profile`
before anything is written.
"""

from __future__ import annotations

import re
import time
import tomllib
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urljoin, urlsplit

from crawler.errors import ExitCode, NewsarchiveError, UsageError
from crawler.outputs import check_output
from crawler.urls import canonical_url

FETCH_TIMEOUT = 30
MAX_PAGE_BYTES = 20 * 1024 * 1024
#: Pages fetched to confirm an article group.
CONFIRM_PAGES = 3
#: Seconds between two requests to the portal (politeness); ``--delay`` changes it.
DEFAULT_DELAY = 1.0

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
_PAGER_URL = re.compile(
    r"(?:index|list|page|default|more|node)[_-]\d+\.\w+$|_\d+\.s?html?$|[?&](?:page|p|pn|pageno|"
    r"pagenum|pageindex|curpage|start)=\d+",
    re.IGNORECASE,
)
_TRS_PAGER = re.compile(
    r"createPageHTML\(\s*(\d+)\s*,\s*(\d+)\s*,\s*[\"']([\w-]+)[\"']\s*,"
    r"\s*[\"'](\w+)[\"']"
)
#: The start of every generated pattern: the scheme and any host (see allowed_domains).
HOST_RX = "^https?://[^/]+"
# Regex metacharacters: escaped by hand so the output stays plain for RE2 and readers.
_META = set(r".^$*+?()[]{}|\\")


class FetchError(NewsarchiveError):
    """The list page could not be fetched (network, HTTP status, robots.txt)."""


class NoArticleGroup(NewsarchiveError):
    """No group of links reads clearly as articles; carries the candidates."""

    exit_code = ExitCode.PARTIAL  # the user picks a group

    def __init__(self, message: str, candidates: list[Group]) -> None:
        super().__init__(message)
        self.candidates = candidates


def escape(text: str) -> str:
    """``text`` as a regex matching itself, escaping only regex metacharacters."""
    return "".join("\\" + c if c in _META else c for c in text)


# -- fetching ------------------------------------------------------------------------------
class Fetcher:
    """Polite GETs: our User-Agent, robots.txt obeyed, ``delay`` seconds between requests."""

    def __init__(self, delay: float = DEFAULT_DELAY, user_agent: str | None = None,
                 obey_robots: bool = True) -> None:  # fmt: skip
        from crawler.settings import USER_AGENT

        self.delay = delay
        self.obey_robots = obey_robots
        self.user_agent = user_agent or USER_AGENT
        self._robots: dict[str, Any] = {}
        self._last = 0.0
        self.fetched: list[str] = []

    def _get(self, url: str) -> tuple[int, bytes, str | None, str]:
        wait = self._last + self.delay - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        request = urllib.request.Request(url, headers={"User-Agent": self.user_agent})
        try:
            try:
                with urllib.request.urlopen(request, timeout=FETCH_TIMEOUT) as response:
                    data = response.read(MAX_PAGE_BYTES)
                    charset = response.headers.get_content_charset()
                    return response.status, data, charset, response.geturl()
            except urllib.error.HTTPError as exc:
                return exc.code, b"", None, url
        finally:
            self._last = time.monotonic()
            self.fetched.append(url)

    def allowed(self, url: str) -> bool:
        """Whether robots.txt of ``url``'s host lets our User-Agent fetch it."""
        from protego import Protego

        if not self.obey_robots:
            return True
        parts = urlsplit(url)
        root = f"{parts.scheme}://{parts.netloc}"
        if root not in self._robots:
            try:
                status, data, _, _ = self._get(root + "/robots.txt")
            except (OSError, ValueError):
                status, data = 404, b""
            if status in (401, 403):
                text = "User-agent: *\nDisallow: /\n"
            elif 200 <= status < 300:
                text = data.decode("utf-8", "replace")
            else:
                text = ""
            self._robots[root] = Protego.parse(text)
        return bool(self._robots[root].can_fetch(url, self.user_agent))

    def fetch(self, url: str) -> tuple[bytes, str | None, str]:
        """(body, header charset, final URL); :class:`FetchError` with a one-line reason."""
        if not self.allowed(url):
            raise FetchError(f"{url}: robots.txt does not allow {self.user_agent} to fetch it")
        try:
            status, data, charset, final = self._get(url)
        except (OSError, ValueError) as exc:
            reason = getattr(exc, "reason", None) or exc
            raise FetchError(f"{url}: cannot fetch: {reason}") from exc
        if status != 200:
            raise FetchError(f"{url}: HTTP {status}")
        if not data.strip():
            raise FetchError(f"{url}: empty response")
        return data, charset, final


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


# -- pagination ------------------------------------------------------------------------------
def is_pager_text(text: str) -> bool:
    """Anchor texts of pagination: 下一页, 末页, a page number, 第3页."""
    text = text.strip()
    return (
        text.lower() in PAGER_WORDS
        or bool(re.fullmatch(r"\[?\d{1,4}\]?", text))
        or bool(re.fullmatch(r"第\d{1,4}页", text))
    )


def is_pager_link(link: Link) -> bool:
    return is_pager_text(link.text) or bool(_PAGER_URL.search(link.url))


def _generalise(text: str) -> str:
    return "".join(r"\d+" if t.isdigit() else escape(t) for t in re.findall(r"\d+|\D", text))


def _digit_at(a: str, b: str, i: int, from_end: int = 0) -> bool:
    """Whether ``a[i]`` or the matching character of ``b`` is a digit (counted from the
    end when ``from_end`` is given: ``b[len(b) - from_end]``)."""
    j = len(b) - from_end if from_end else i
    return a[i : i + 1].isdigit() or (0 <= j and b[j : j + 1].isdigit())


def _tail_numbers(url: str) -> list[str]:
    """The digit runs of a URL's last path segment and query (where page numbers live)."""
    parts = urlsplit(url)
    return re.findall(r"\d+", parts.path.rsplit("/", 1)[-1] + "?" + parts.query)


def list_pattern(
    page_url: str, pager_urls: list[str], page_digits: int = 0
) -> tuple[str | None, list[str]]:
    """A regex for the list page and its pagination, and the pagination URLs it rests on.

    Each pagination URL is compared with the list page's: what they share stays
    literal and the rest (page numbers generalised) becomes an optional group, as in
    ``index(_\\d+)?\\.html$`` or ``list\\.php(\\?page=\\d+)?$``. With ``page_digits``
    (articles share the pages' shape) page numbers are at most that many digits.
    """
    page = canonical_url(page_url)
    parts = urlsplit(page)
    head = f"{parts.scheme}://{parts.netloc}"
    variants: Counter[tuple[str, str, str]] = Counter()
    used: dict[tuple[str, str, str], list[str]] = {}
    for url in pager_urls:
        if not url.startswith(head + "/") or url == page:
            continue
        a, b = page[len(head) :], url[len(head) :]
        pre = 0
        while pre < min(len(a), len(b)) and a[pre] == b[pre]:
            pre += 1
        # never cut through a number: node_22|15 vs node_22|3 (a shared 2215 stays whole)
        while pre and a[pre - 1].isdigit() and _digit_at(a, b, pre):
            pre -= 1
        suf = 0
        while suf < min(len(a), len(b)) - pre and a[len(a) - 1 - suf] == b[len(b) - 1 - suf]:
            suf += 1
        while suf and a[len(a) - suf].isdigit() and _digit_at(a, b, len(a) - suf - 1, suf + 1):
            suf -= 1
        mid_a, mid_b = a[pre : len(a) - suf], b[pre : len(b) - suf]
        if not re.search(r"\d", mid_b) or len(mid_b) > 40:
            continue  # pagination differs by a page number; anything else is another page
        index_word = re.fullmatch(r"[A-Za-z]+", mid_a) and re.fullmatch(r"\d+", mid_b)
        if mid_a and _generalise(mid_a) != _generalise(mid_b) and not index_word:
            continue  # not the same place with another page number: another page
        key = (a[:pre], _generalise(mid_a), _generalise(mid_b), a[len(a) - suf :])
        key3 = (key[0], key[1] + "\0" + key[2], key[3])
        variants[key3] += 1
        if url not in used.setdefault(key3, []):
            used[key3].append(url)
    if not variants:
        return None, []
    (prefix, mids, suffix), _ = variants.most_common(1)[0]
    mid_a, mid_b = mids.split("\0")
    host_rx = HOST_RX
    if page_digits:
        mid_a, mid_b = (m.replace(r"\d+", rf"\d{{1,{page_digits}}}") for m in (mid_a, mid_b))
    # page 1 is the page without the part (index.html), has the same shape (list_1.html)
    # or is a word where the others have the number (index.html, 2.html)
    if not mid_a:
        middle = f"({mid_b})?"
    elif mid_a == mid_b:
        middle = mid_b
    else:
        middle = f"({mid_a}|{mid_b})"
    pattern = f"{host_rx}{escape(prefix)}{middle}{escape(suffix)}$"
    return pattern, used[(prefix, mids, suffix)]


# -- the whole inference ---------------------------------------------------------------------
@dataclass
class Inference:
    """What ``sites new`` found: the profile's keys and where each came from."""

    name: str
    title: str
    start_url: str
    article_url: str
    list_url: str | None
    allowed_domains: list[str]
    article_group: Group
    other_groups: list[Group]
    pager_urls: list[str]
    confirmed: bool  # False offline
    notes: list[str] = field(default_factory=list)

    def profile_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "name": self.name,
            "title": self.title,
            "start_urls": [self.start_url],
            "allowed_domains": self.allowed_domains,
            "article_url": self.article_url,
        }
        if self.list_url:
            data["list_url"] = self.list_url
        return data

    def toml(self) -> str:
        """The profile as TOML, with comments saying what was inferred from which links."""
        g = self.article_group
        lines = [
            f"# Generated by `newsarchive sites new` from {self.start_url}",
            "# Check it with `newsarchive sites check FILE.toml`, then crawl it.",
            f"name = {_toml_str(self.name)}",
            f"title = {_toml_str(self.title)}  # the list page's <title>",
            f"start_urls = [{_toml_str(self.start_url)}]",
            f"allowed_domains = [{', '.join(_toml_str(d) for d in self.allowed_domains)}]",
            "",
            f"# article_url: the {len(g.urls)} links of this shape read as headlines"
            f" (headline score {g.score:.1f}), e.g.",
        ]
        for u in g.urls[:3]:
            lines.append(f"#   {u}  {_printable(g.texts[u][:40])}")
        if self.confirmed:
            lines.append(
                f"# confirmed: an article was extracted from {g.confirmed} of {g.checked} "
                "fetched pages"
            )
        else:
            lines.append("# not confirmed by fetching (offline): run `newsarchive sites check`")
        others = [o for o in self.other_groups if o is not g][:3]
        if others:
            lines.append("# other link shapes on the page, not taken:")
            for o in others:
                lines.append(f"#   {o.pattern}  ({len(o.urls)} links, e.g. {o.urls[0]})")
        lines.append(f"article_url = {_toml_regex(self.article_url)}")
        lines.append("")
        if self.list_url:
            lines.append("# list_url: the list page and its pagination links, e.g.")
            for u in self.pager_urls[:3]:
                lines.append(f"#   {u}")
            lines.append(f"list_url = {_toml_regex(self.list_url)}")
        else:
            lines.append("# list_url: no pagination links found on the list page; only it is read")
        for note in self.notes:
            lines.append(f"# note: {note}")
        return "\n".join(lines) + "\n"


def _printable(text: str) -> str:
    """``text`` without control characters, which a TOML comment cannot hold."""
    return "".join(c for c in text if c.isprintable())


def _toml_str(value: str) -> str:
    import json

    return json.dumps(value, ensure_ascii=False)


def _toml_regex(pattern: str) -> str:
    return f"'{pattern}'" if "'" not in pattern and "\n" not in pattern else _toml_str(pattern)


def default_name(url: str) -> str:
    """A profile name from the host: ``www.ccn.com.cn`` -> ``ccn``."""
    host = urlsplit(url).hostname or "site"
    labels = [x for x in host.split(".") if x not in ("www", "com", "cn", "net", "org", "gov")]
    if re.fullmatch(r"[\d.]+", host) or host == "localhost":
        first = urlsplit(url).path.strip("/").split("/")[0]
        labels = ["site", *host.split("."), *([first] if first and "." not in first else [])]
    name = "-".join(labels) or "site"
    name = re.sub(r"[^A-Za-z0-9_.-]", "-", name).strip("-._")
    return name or "site"


def infer(
    data: bytes,
    url: str,
    *,
    charset: str | None = None,
    name: str | None = None,
    fetcher: Fetcher | None = None,
    log: Callable[[str], None] | None = None,
) -> Inference:
    """Infer a profile from a list page's bytes; confirm with ``fetcher`` when given.

    Raises :class:`NoArticleGroup` (with the candidates) when no group is clear.
    """
    from crawler.extract import extract

    say = log or (lambda _msg: None)
    page_url = canonical_url(url)
    links, title = page_links(data, url, charset)
    groups = group_links(links, url)
    candidates = candidate_groups(groups)
    shown = candidates or [g for g in groups if len(g.urls) >= 2][:5] or groups[:5]
    if not groups:
        raise NoArticleGroup(
            f"{url}: no links to the same domain on the page (is the list built by "
            "JavaScript? try the URL the script loads, or a saved page with --url)",
            [],
        )
    if not candidates:
        raise NoArticleGroup(
            f"{url}: no group of links reads as article headlines "
            f"({len(links)} links in {len(groups)} URL shapes)",
            shown,
        )
    best = candidates[0]
    chosen: Group | None = None
    if fetcher is None:
        runner_up = candidates[1].score if len(candidates) > 1 else 0.0
        if best.score >= 2 and best.score >= 1.5 * runner_up:
            chosen = best
    else:
        for g in candidates[:3]:
            g.checked = g.confirmed = 0
            for u in g.urls[:CONFIRM_PAGES]:
                try:
                    body, cs, final = fetcher.fetch(u)
                except FetchError as exc:
                    say(f"  confirm: {exc}")
                    g.checked += 1
                    continue
                g.checked += 1
                art = extract(body, final, http_encoding=cs)
                ok = bool(art.title) and len(art.body or "") >= 40
                g.confirmed += ok
                say(f"  confirm: {u}: {'article' if ok else 'no article'}")
            if g.checked and g.confirmed * 2 > g.checked:
                chosen = g
                break
    if chosen is None:
        why = (
            "none of the candidate groups gave an article when fetched"
            if fetcher is not None
            else "no group stands out clearly (offline, nothing fetched to confirm)"
        )
        raise NoArticleGroup(f"{url}: {why}", candidates[:5])
    article_rx = chosen.pattern
    article_re = re.compile(article_rx)
    # page numbers in the articles' shape (/news/2.html beside /news/10234.html): IDs are
    # told apart by their length
    collide = [ln.url for ln in links if is_pager_text(ln.text) and article_re.search(ln.url)]
    page_digits = 0
    if collide:
        page_digits = max(len(d) for u in collide for d in _tail_numbers(u))
        shortest_id = min((len(d) for u in chosen.urls for d in _tail_numbers(u)[-1:]), default=0)
        chosen.min_id = max(page_digits + 1, shortest_id - 1)
        page_digits = chosen.min_id - 1
        article_rx = chosen.pattern
        article_re = re.compile(article_rx)
    pagers = [ln.url for ln in links if is_pager_link(ln) and not article_re.search(ln.url)]
    list_rx, pager_used = list_pattern(page_url, pagers, page_digits)
    notes = []
    if list_rx and any(re.search(list_rx, u) for u in chosen.urls):
        notes.append(
            f"the pagination pattern also matched article links; list_url dropped ({list_rx})"
        )
        list_rx, pager_used = None, []
    hosts = sorted(
        {urlsplit(page_url).hostname or ""} | {urlsplit(u).hostname or "" for u in chosen.urls}
    )
    return Inference(
        name=name or default_name(page_url),
        title=title or (urlsplit(page_url).hostname or ""),
        start_url=page_url,
        article_url=article_rx,
        list_url=list_rx,
        allowed_domains=hosts,
        article_group=chosen,
        other_groups=groups,
        pager_urls=pager_used,
        confirmed=fetcher is not None,
        notes=notes,
    )


def check_output_path(path: Path, force: bool) -> None:
    """Refuse to write onto an SQLite file (ever) or an existing file (without ``force``).

    The shared output check (:func:`crawler.outputs.check_output`) refuses directories,
    SQLite files and missing folders; a profile file is also never replaced silently.
    """
    check_output(path, what="profile file")
    if path.exists() and not force:
        raise UsageError(f"{path}: already exists; use --force to overwrite it")


def new_profile(
    source: str,
    *,
    url: str | None = None,
    name: str | None = None,
    output: str | Path | None = None,
    force: bool = False,
    delay: float = DEFAULT_DELAY,
    log: Callable[[str], None] | None = None,
) -> tuple[Path, Inference]:
    """``sites new``: read a list page (URL, or a saved FILE with ``url``), write a profile.

    Returns the path written and the inference. Raises :class:`UsageError` (bad input,
    exit 2), :class:`FetchError` (exit 3) or :class:`NoArticleGroup` (exit 1).
    """
    from crawler.profiles import parse_profile

    say = log or (lambda _msg: None)
    if name is not None and not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", name):
        raise UsageError(f"--name {name!r}: must be letters, digits, '-', '_' or '.'")
    fetcher: Fetcher | None = None
    if source.startswith(("http://", "https://")):
        if url and url != source:
            raise UsageError("--url goes with a saved FILE, not with a URL")
        fetcher = Fetcher(delay=delay)
        say(f"fetching {source}")
        data, charset, final = fetcher.fetch(source)
        page_url = url or final
    else:
        if not url:
            raise UsageError(
                f"{source}: a saved list page needs --url URL (where it was fetched from)"
            )
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise UsageError(f"--url {url!r}: not an absolute http(s) URL")
        try:
            data = Path(source).read_bytes()[:MAX_PAGE_BYTES]
        except OSError as exc:
            raise UsageError(f"{source}: cannot read: {exc.strerror or exc}") from exc
        charset, page_url = None, url
    out_path = Path(output) if output else Path(f"{name or default_name(page_url)}.toml")
    check_output_path(out_path, force)  # before any further fetch
    inference = infer(data, page_url, charset=charset, name=name, fetcher=fetcher, log=say)
    text = inference.toml()
    parse_profile(tomllib.loads(text), str(out_path))  # the loader must accept what we write
    check_output_path(out_path, force)
    tmp = out_path.with_name(out_path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(out_path)
    return out_path, inference
