r"""Infer a site profile from a portal's list page: the library behind ``newsarchive sites new``.

1. The list page's links (same registrable domain) are grouped by URL *shape*: every run
   of digits becomes ``\d{n}`` (date parts) or ``\d+``, long hex or mixed letter-digit
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
import tomllib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from crawler.errors import ExitCode, NewsarchiveError, UsageError
from crawler.outputs import check_output
from crawler.sites.fetch import CONFIRM_PAGES, DEFAULT_DELAY, MAX_PAGE_BYTES, Fetcher, FetchError
from crawler.sites.links import (
    HOST_RX,
    Group,
    Link,
    candidate_groups,
    escape,
    group_links,
    is_pager_text,
    page_links,
)
from crawler.urls import canonical_url

_PAGER_URL = re.compile(
    r"(?:index|list|page|default|more|node)[_-]\d+\.\w+$|_\d+\.s?html?$|[?&](?:page|p|pn|pageno|"
    r"pagenum|pageindex|curpage|start)=\d+",
    re.IGNORECASE,
)


class NoArticleGroup(NewsarchiveError):
    """No group of links reads clearly as articles; carries the candidates."""

    exit_code = ExitCode.PARTIAL  # the user picks a group

    def __init__(self, message: str, candidates: list[Group]) -> None:
        super().__init__(message)
        self.candidates = candidates




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


