"""URL canonicalisation: one URL per article, whatever tracking junk a link carries."""

from __future__ import annotations

import re
from typing import Protocol
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

#: Query parameters that only track where a click came from; dropped from canonical URLs.
TRACKING_PARAMS = frozenset({"spm", "from", "fbclid", "gclid", "share_token", "scene"})
TRACKING_PREFIXES = ("utm_",)
_DEFAULT_PORTS = {"http": 80, "https": 443}


def canonical_url(url: str) -> str:
    """Canonical form of ``url``: no fragment, no tracking parameters, sorted query.

    >>> canonical_url("HTTP://Example.com:80/a/b.html?utm_source=x&b=2&a=1#top")
    'http://example.com/a/b.html?a=1&b=2'
    """
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    netloc = host
    if parts.username:
        netloc = f"{parts.username}@{host}"
    if port and _DEFAULT_PORTS.get(scheme) != port:
        netloc = f"{netloc}:{port}"
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if k.lower() not in TRACKING_PARAMS and not k.lower().startswith(TRACKING_PREFIXES)
    ]
    query.sort()
    return urlunsplit((scheme, netloc, parts.path or "/", urlencode(query), ""))


# -- an article's identity -----------------------------------------------------------------
#: ``<link rel="canonical" href=...>`` and ``<meta property="og:url" content=...>`` tags.
_TAG = re.compile(rb"<(link|meta)\b([^>]{0,1000})>", re.I)
_ATTR = re.compile(rb"""([a-zA-Z:_-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""")
#: Only the start of a page is searched (where ``<head>`` is).
_HEAD_BYTES = 65536
_HOME = re.compile(r"^/(?:(?:index|default|home)\.[a-z]+)?$", re.I)


class UrlRules(Protocol):
    """What identity needs of a site profile (:class:`crawler.profiles.Profile`)."""

    allowed_domains: tuple[str, ...]
    start_urls: tuple[str, ...]

    def is_article(self, url: str) -> bool: ...

    def is_list(self, url: str) -> bool: ...


def declared_canonical(body: bytes, base_url: str) -> str | None:
    """The URL a page declares as its own: ``rel=canonical``, else ``og:url`` (canonical
    form, resolved against ``base_url``), or None.

    >>> declared_canonical(b'<head><link rel="canonical" href="/a/1.html"></head>',
    ...                    "http://x.cn/m/1.html")
    'http://x.cn/a/1.html'
    """
    head = body[:_HEAD_BYTES]
    end = head.lower().find(b"</head>")
    if end >= 0:
        head = head[:end]
    found: dict[str, str] = {}
    for match in _TAG.finditer(head):
        attrs = {
            m.group(1).lower(): (m.group(2) or m.group(3) or m.group(4) or b"")
            for m in _ATTR.finditer(match.group(2))
        }
        if match.group(1).lower() == b"link":
            rels = attrs.get(b"rel", b"").lower().split()
            if b"canonical" in rels and attrs.get(b"href"):
                found.setdefault("canonical", attrs[b"href"].decode("latin-1"))
        elif attrs.get(b"property", b"").lower() == b"og:url" and attrs.get(b"content"):
            found.setdefault("og", attrs[b"content"].decode("latin-1"))
    href = (found.get("canonical") or found.get("og") or "").strip()
    if not href:
        return None
    url = canonical_url(urljoin(base_url, href))
    return url if url.startswith(("http://", "https://")) else None


def same_site(url: str, other: str, domains: tuple[str, ...] = ()) -> bool:
    """Whether ``url`` is on ``other``'s host or on one of ``domains`` (or their subdomains)."""
    host = (urlsplit(url).hostname or "").lower()
    if host == (urlsplit(other).hostname or "").lower():
        return True
    return any(host == d or host.endswith("." + d) for d in domains)


def _may_be_article(url: str, near: str, rules: UrlRules | None) -> bool:
    if not same_site(url, near, rules.allowed_domains if rules else ()):
        return False
    if _HOME.match(urlsplit(url).path or "/"):
        return False  # a home page: a template's careless canonical
    if rules is None:
        return True
    starts = {canonical_url(u) for u in rules.start_urls}
    return rules.is_article(url) and not rules.is_list(url) and url not in starts


def article_identity(
    requested: str, final_url: str, declared: str | None, rules: UrlRules | None = None
) -> str:
    """The URL an article is archived under: where it was requested (``requested``,
    canonical), moved to the URL it lives at after same-site redirects (``final_url``),
    and then to the URL the page declares (``declared``: :func:`declared_canonical`)
    when that is on the same site, matches the profile's ``article_url`` and is no home,
    start or list page.

    >>> article_identity("http://x.cn/old/1.html", "http://x.cn/a/1.html", None)
    'http://x.cn/a/1.html'
    """
    url = requested
    final = canonical_url(final_url)
    if final != url and _may_be_article(final, url, rules):
        url = final
    if declared and declared != url and _may_be_article(declared, url, rules):
        url = declared
    return url
