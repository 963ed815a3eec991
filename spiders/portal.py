"""The one spider: a site profile drives it through list pages to article pages.

``scrapy crawl portal -a site=NAME_OR_PROFILE.toml`` runs it directly; ``newsarchive crawl``
runs one per site in one process. It never writes the archive: it reads the set of
archived URLs once at start, yields :class:`~crawler.items.Article` items for the
pipelines, and reports failed pages through the :data:`page_failed` signal.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import Any

import scrapy
from lxml import etree
from scrapy import signals
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request, Response
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.sitemap import Sitemap
from twisted.python.failure import Failure

from crawler import multipage
from crawler.archive import Archive, utcnow
from crawler.errors import ArchiveError
from crawler.extract.decoding import not_html_reason
from crawler.items import Article, RawPage
from crawler.middlewares import describe_failure
from crawler.multipage import extract_and_examine
from crawler.options import check_cmdline_settings
from crawler.profiles import Profile, load_profile
from crawler.signals import STAT, aliases_found, page_failed
from crawler.stopping import Stopped
from crawler.urls import article_identity, canonical_url
from crawler.worker import POOL

_HTML_TYPES = (b"text/html", b"application/xhtml", b"text/plain", b"application/xml")


@dataclass
class PageGroup:
    """A multi-page article being fetched: page 1's article and the pages so far.

    It travels in the continuation requests' ``meta["group"]`` (so it is picklable: a
    ``--redis`` frontier stores it with the request, and any worker may go on with it).
    """

    article: Article
    first: str  #: page 1's URL as fetched: continuation URLs are shaped after it
    links: dict[int, str] = field(default_factory=dict)  #: page number -> URL, found so far
    bodies: dict[int, str] = field(default_factory=dict)  #: page number -> extracted body
    pages: list[RawPage] = field(default_factory=list)  #: responses of pages 2, 3, ...
    tried: set[int] = field(default_factory=set)
    missing: list[int] = field(default_factory=list)


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


class PortalSpider(scrapy.Spider):
    """Crawl one portal described by a site profile.

    Arguments (``-a`` with ``scrapy crawl``): ``site`` (bundled profile name or path to a
    ``.toml``), ``full`` (follow every list page even when nothing on it is new),
    ``refresh`` (re-fetch archived articles too) and ``since`` (with ``refresh``: only
    articles published on or after this date).
    """

    name = "portal"

    def __init__(
        self,
        site: str | None = None,
        profile: Profile | None = None,
        full: bool | str = False,
        refresh: bool | str = False,
        since: str | None = None,
        **kwargs: Any,
    ) -> None:
        if profile is None:
            if not site:
                raise ValueError("the portal spider needs a site: -a site=NAME_OR_PROFILE.toml")
            profile = load_profile(site)
        super().__init__(**kwargs)
        self.profile = profile
        self.site = profile.name
        self.allowed_domains = list(profile.allowed_domains)
        self.full = _truthy(full)
        self.refresh = _truthy(refresh)
        self.since = since or None
        self.known: set[str] = set()
        self.errors: list[tuple[str, str]] = []
        self._scheduled_lists: set[str] = set()
        self._pending_lists: dict[int, list[str]] = {}
        self._scheduled_articles: set[str] = set()
        self._skipped_known: set[str] = set()
        #: canonical article URL -> the other forms it was linked as (tracking parameters)
        self._link_variants: dict[str, set[str]] = {}

    @classmethod
    def update_settings(cls, settings: Any) -> None:
        """Check ``scrapy crawl -s NAME=VALUE`` values before the crawl starts: a bad one
        ends the command with a usage error (exit 2) naming it."""
        super().update_settings(settings)
        check_cmdline_settings(settings)

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> PortalSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        for key, value in spider.profile.settings.items():
            crawler.settings.set(key, value, priority="spider")
        crawler.signals.connect(spider._on_item_dropped, signal=signals.item_dropped)
        crawler.signals.connect(spider._close_pool, signal=signals.spider_closed)
        crawler.signals.connect(spider._on_request_dropped, signal=signals.request_dropped)
        return spider

    # -- start ---------------------------------------------------------------------------
    async def start(self) -> AsyncIterator[Any]:
        db_path = self.settings.get("ARCHIVE_DB")
        refresh_urls: list[str] = []
        try:
            with Archive(db_path, readonly=True) as archive:
                self.known = archive.known_urls()
                # a killed or interrupted last run left list pages unwalked: walk them all
                current = self.settings.getint("NEWSARCHIVE_CRAWL_ID") or None
                self.full = self.full or archive.last_run_cut_short(self.site, current)
                if self.refresh:
                    refresh_urls = archive.urls_to_refresh(self.site, self.since)
        except ArchiveError:
            self.known = set()  # no archive yet: everything is new
        for chain, url in enumerate(self.profile.start_urls):
            request = self._list_request(url, chain, force=True)
            if request is not None:
                yield request
        for url in self.profile.sitemap_urls:
            yield Request(url, callback=self.parse_sitemap, errback=self.on_error,
                          meta={"kind": "sitemap"})  # fmt: skip
        for url in self.profile.feed_urls:
            yield Request(url, callback=self.parse_feed, errback=self.on_error,
                          meta={"kind": "feed"})  # fmt: skip
        for url in refresh_urls:
            self._scheduled_articles.add(url)
            yield self._article_request(url, dont_filter=True)

    # -- requests ------------------------------------------------------------------------
    def _list_request(self, url: str, chain: int, force: bool = False) -> Request | None:
        """A request for a list page; ``chain`` is the start URL whose pagination it is."""
        if url in self._scheduled_lists:
            return None
        if not force and len(self._scheduled_lists) >= self.profile.max_list_pages:
            return None
        self._scheduled_lists.add(url)
        return Request(url, callback=self.parse_list, errback=self.on_error,
                       meta={"kind": "list", "chain": chain})  # fmt: skip

    def _article_request(self, url: str, dont_filter: bool = False) -> Request:
        return Request(url, callback=self.parse_article, errback=self.on_error,
                       meta={"kind": "article", "canonical": url},
                       dont_filter=dont_filter)  # fmt: skip

    def _consider_article(self, url: str, linked_as: str | None = None) -> Request | None:
        """A request for an article URL, or None when it is archived or already scheduled.

        ``linked_as`` is the URL as the link gave it (absolute); when it is not the
        canonical form (tracking parameters), it is kept as an alias of the article.
        """
        if linked_as:
            linked_as = linked_as.split("#", 1)[0]
            if linked_as != url and url not in self.known:
                self._link_variants.setdefault(url, set()).add(linked_as)
        if url in self._scheduled_articles:
            return None
        if url in self.known:
            if url not in self._skipped_known:
                self._skipped_known.add(url)
                self.crawler.stats.inc_value(STAT + "already_archived")
            return None
        self._scheduled_articles.add(url)
        request = self._article_request(url)
        if url in self._link_variants:  # travels with the request (another worker may fetch it)
            request.meta["linked_as"] = sorted(self._link_variants[url])
        return request

    # -- callbacks -----------------------------------------------------------------------
    def parse_list(self, response: Response) -> Iterator[Request]:
        self.crawler.stats.inc_value(STAT + "list_pages")
        if not self._check_html(response):
            return
        new_articles: list[Request] = []
        brings_new = False  # an article link not yet archived (maybe scheduled already)
        more_lists: list[str] = []
        for href in response.xpath("//a/@href").getall():
            href = href.strip()
            if not href or href.startswith(("javascript:", "mailto:", "#")):
                continue
            linked_as = response.urljoin(href)
            url = canonical_url(linked_as)
            if not url.startswith(("http://", "https://")):
                continue
            if self.profile.is_article(url):
                brings_new = brings_new or url not in self.known
                request = self._consider_article(url, linked_as)
                if request is not None:
                    new_articles.append(request)
            elif self.profile.is_list(url):
                more_lists.append(url)
        yield from new_articles
        # Pagination: list pages join their chain's queue in page order. A --full run
        # fetches them all; an incremental run walks them one at a time and stops at
        # the first list page that brings no unarchived article.
        chain = response.meta.get("chain", 0)
        pending = self._pending_lists.setdefault(chain, [])
        for url in more_lists:
            if url not in self._scheduled_lists and url not in pending:
                pending.append(url)
        while pending and (self.full or brings_new):
            request = self._list_request(pending.pop(0), chain)
            if request is not None:
                yield request
                if not self.full:
                    break

    def parse_sitemap(self, response: Response) -> Iterator[Request]:
        try:
            sitemap = Sitemap(response.body)
        except Exception as exc:  # lxml raises several kinds on garbage
            self.record_error(response.url, f"unreadable sitemap: {exc}")
            return
        last_run = self.settings.get("NEWSARCHIVE_LAST_RUN")
        for entry in sitemap:
            loc = (entry.get("loc") or "").strip()
            if not loc:
                continue
            if sitemap.type == "sitemapindex":
                lastmod = entry.get("lastmod")
                if last_run and lastmod and not self.full and lastmod[:19] < last_run[:19]:
                    continue  # unchanged since the last run
                yield Request(response.urljoin(loc), callback=self.parse_sitemap,
                              errback=self.on_error, meta={"kind": "sitemap"})  # fmt: skip
            else:
                url = canonical_url(response.urljoin(loc))
                if self.profile.is_article(url):
                    request = self._consider_article(url, response.urljoin(loc))
                    if request is not None:
                        yield request

    def parse_feed(self, response: Response) -> Iterator[Request]:
        try:
            parser = etree.XMLParser(recover=True, resolve_entities=False, no_network=True)
            root = etree.fromstring(response.body, parser=parser)
        except (etree.XMLSyntaxError, ValueError) as exc:
            self.record_error(response.url, f"unreadable feed: {exc}")
            return
        if root is None:
            self.record_error(response.url, "unreadable feed: no XML")
            return
        links: list[str] = []
        for el in root.iter():
            tag = etree.QName(el).localname if isinstance(el.tag, str) else ""
            if tag == "link":
                href = el.get("href") or (el.text or "")
                if el.get("rel") not in (None, "alternate"):
                    continue
                links.append(href.strip())
            elif tag == "guid" and el.get("isPermaLink", "true") == "true":
                links.append((el.text or "").strip())
        for href in links:
            if not href:
                continue
            url = canonical_url(response.urljoin(href))
            if self.profile.is_article(url):
                request = self._consider_article(url, response.urljoin(href))
                if request is not None:
                    yield request

    async def parse_article(self, response: Response) -> AsyncIterator[Any]:
        self.crawler.stats.inc_value(STAT + "articles_fetched")
        if not self._check_html(response):
            return
        here = canonical_url(response.url)
        try:
            article, codec, compressed, found = await self._extract(response, here)
        except BrokenProcessPool as exc:  # a worker died (say, lxml crashed on this page)
            self.record_error(response.url, f"extraction crashed: {exc}")
            return
        requested = response.meta.get("canonical") or canonical_url(response.url)
        if found.continues is not None:  # page N of another article: fetch that instead
            request = self._consider_article(found.continues)
            if request is not None:
                yield request
            return
        article.url = article_identity(requested, response.url, found.declared, self.profile)
        article.site = self.site
        article.fetched_at = utcnow()
        article.aliases = self._aliases(response, requested, article.url)
        article.page = self._raw_page(response, article.url, compressed, codec,
                                      fetched_at=article.fetched_at)  # fmt: skip
        links = self._continuation_links(found)
        if not links:
            yield article
            return
        # A multi-page article: fetch its other pages one by one, then yield it once.
        article.fingerprint = article.fts_buffers = None  # computed for the whole body later
        group = PageGroup(article=article, first=here, links=links,
                          bodies={1: article.body or ""})  # fmt: skip
        yield self._next_page(group)

    # -- one article, one row ---------------------------------------------------------------
    def _aliases(self, response: Response, requested: str, url: str) -> tuple[str, ...]:
        """Every other URL that led to the article ``url``: the one requested, each hop
        of its redirects, the page's own address, the tracking-parameter forms of links."""
        variants = {*response.meta.get("linked_as", ()), *self._link_variants.pop(requested, ())}
        found = [requested, *map(canonical_url, response.meta.get("redirect_urls") or []),
                 canonical_url(response.url), *sorted(variants)]
        return tuple(u for u in dict.fromkeys(found) if u != url)  # fmt: skip

    def _raw_page(self, response: Response, url: str, compressed: bytes | None,
                  codec: str | None, page_no: int = 1,
                  fetched_at: str | None = None) -> RawPage:  # fmt: skip
        return RawPage(
            url=url,
            site=self.site,
            final_url=response.url,
            status=response.status,
            headers={
                k.decode("latin-1"): b", ".join(v).decode("latin-1")
                for k, v in response.headers.items()
            },
            body=response.body,
            fetched_at=fetched_at or utcnow(),
            compressed=compressed,
            compression=codec,
            page_no=page_no,
        )

    def _on_request_dropped(self, request: Request, spider: scrapy.Spider) -> None:
        """A redirect to an article page this crawl already asked for was dropped by the
        duplicate filter: its URLs are still aliases of that page."""
        if spider is not self or request.meta.get("kind") != "article":
            return
        hops = request.meta.get("redirect_urls")
        if not hops:
            return
        target = canonical_url(request.url)
        if not self.profile.is_article(target):
            return
        aliases = [request.meta.get("canonical"), *map(canonical_url, hops)]
        aliases = [a for a in dict.fromkeys(aliases) if a and a != target]
        if aliases:
            self.crawler.signals.send_catch_log(aliases_found, url=target, aliases=aliases,
                                                spider=self)  # fmt: skip

    # -- multi-page articles --------------------------------------------------------------
    def _continuation_links(self, found: multipage.PageLinks) -> dict[int, str]:
        """``{page number: URL}`` of the other pages of the article a page links to
        (never a list page of the profile)."""
        return {n: u for n, u in (found.links or {}).items() if not self.profile.is_list(u)}

    def _next_page(self, group: PageGroup) -> Request | Article:
        """The request for the group's next page, or the whole article when done."""
        pending = sorted(n for n in group.links if n not in group.tried)
        if not pending or len(group.tried) + 1 >= multipage.MAX_PAGES:
            return self._whole_article(group)
        n = pending[0]
        group.tried.add(n)
        return Request(group.links[n], callback=self.parse_continuation,
                       errback=self.on_continuation_error, priority=1, dont_filter=True,
                       meta={"kind": "continuation", "group": group, "page_no": n})  # fmt: skip

    def _whole_article(self, group: PageGroup) -> Article:
        article = group.article
        bodies = (multipage.strip_page_nav(group.bodies[n]) for n in sorted(group.bodies))
        article.body = "\n".join(b for b in bodies if b)
        article.pages_missing = len(group.missing)
        article.extra_pages = group.pages
        pages = [canonical_url(group.links[n]) for n in sorted(group.tried)]
        article.aliases = tuple(
            u for u in dict.fromkeys((*article.aliases, group.first, *pages)) if u != article.url
        )
        return article

    async def parse_continuation(self, response: Response) -> AsyncIterator[Any]:
        """Page 2, 3, ... of a multi-page article: its body joins page 1's."""
        group: PageGroup = response.meta["group"]
        n: int = response.meta["page_no"]
        self.crawler.stats.inc_value(STAT + "continuation_pages")
        if not self._check_html(response):
            group.missing.append(n)
            yield self._next_page(group)
            return
        try:
            page, codec, compressed, found = await self._extract(response, group.first, False)
        except BrokenProcessPool as exc:
            self.record_error(response.url, f"extraction crashed: {exc}")
            group.missing.append(n)
            yield self._next_page(group)
            return
        group.bodies[n] = page.body or ""
        assert group.article.url is not None
        group.pages.append(self._raw_page(response, group.article.url, compressed, codec, n))
        for m, url in self._continuation_links(found).items():
            group.links.setdefault(m, url)
        yield self._next_page(group)

    def on_continuation_error(self, failure: Failure) -> Iterator[Any]:
        """A continuation page failed: recorded like any page, and the article is stored
        from the pages that arrived (``pages_missing``); the next run completes it."""
        self.on_error(failure)
        meta = failure.request.meta  # type: ignore[attr-defined]
        group: PageGroup = meta["group"]
        group.missing.append(meta["page_no"])
        yield self._next_page(group)

    async def _extract(
        self, response: Response, first: str, page_one: bool = True
    ) -> tuple[Article, str, bytes, multipage.PageLinks]:
        """Extract (and compress the page, and find its canonical URL and its article's
        other pages: :func:`crawler.multipage.examine`) in the worker pool, or here
        without one."""
        args = (response.body, response.url, _header_charset(response), self.profile.fields,
                first, self.profile.article_pages, page_one)  # fmt: skip
        processes = self.settings.getint("NEWSARCHIVE_EXTRACT_PROCESSES")
        if processes <= 0:
            return extract_and_examine(*args)
        pool = POOL.get(self, processes)
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(pool, extract_and_examine, *args)
        except BrokenProcessPool:
            POOL.discard(pool)
            raise

    def _close_pool(self, spider: scrapy.Spider) -> None:
        if spider is self:
            POOL.release(self)

    def _check_html(self, response: Response) -> bool:
        body = response.body
        if not body.strip():
            self.record_error(response.url, "empty response (HTTP 200 with no content)")
            return False
        ctype = (response.headers.get(b"Content-Type") or b"").split(b";")[0].strip().lower()
        if ctype and not ctype.startswith(_HTML_TYPES):
            self.record_error(response.url, f"not an HTML page ({ctype.decode('latin-1')})")
            return False
        reason = not_html_reason(body)  # the same check as `newsarchive extract`
        if reason:
            self.record_error(response.url, reason)
            return False
        return True

    # -- errors ----------------------------------------------------------------------------
    def on_error(self, failure: Failure) -> None:
        if failure.check(Stopped):  # not sent because the crawl is stopping: no error
            return
        request = failure.request  # type: ignore[attr-defined]
        if failure.check(HttpError):
            response = failure.value.response
            reason = f"HTTP {response.status}"
            if response.status in (301, 302, 303, 307, 308):
                location = response.headers.get(b"Location", b"").decode("latin-1")
                reason += f" redirect to {location or '?'} not followed"
        elif failure.check(IgnoreRequest):
            text = str(failure.value)
            if "robots.txt" in text.lower():
                self.crawler.stats.inc_value(STAT + "robots_forbidden")
                return
            reason = f"request ignored: {text}"
        else:
            value = failure.value
            reason = f"{type(value).__name__}: {value}".strip()
        reason = describe_failure(failure, reason, self.settings)
        # after redirects, the page that failed is the one first asked for
        self.record_error((request.meta.get("redirect_urls") or [request.url])[0], reason)

    def record_error(self, url: str, reason: str) -> None:
        self.errors.append((url, reason))
        self.crawler.stats.inc_value(STAT + "errors")
        self.crawler.signals.send_catch_log(page_failed, url=url, reason=reason, spider=self)

    def _on_item_dropped(self, item: Any, response: Response, exception: Exception,
                         spider: scrapy.Spider) -> None:  # fmt: skip
        if spider is self:
            url = getattr(item, "url", None) or response.url
            self.record_error(url, f"not archived: {exception}")


def _header_charset(response: Response) -> str | None:
    ctype = (response.headers.get(b"Content-Type") or b"").decode("latin-1")
    for part in ctype.split(";")[1:]:
        key, _, value = part.partition("=")
        if key.strip().lower() == "charset" and value.strip():
            return value.strip().strip("\"'")
    return None
