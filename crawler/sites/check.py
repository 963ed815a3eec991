"""Try a profile without storing anything: the library behind ``newsarchive sites check``.

Fetches the profile's start pages (robots.txt obeyed unless the profile's
``[settings]`` say otherwise, its User-Agent or ours, a delay between requests),
counts the links that match ``article_url`` and ``list_url``, and extracts up to 3
sample articles with the profile's ``[fields]``. Nothing is written anywhere.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from typing import Any

from crawler.items import EXTRACTED_FIELDS
from crawler.profiles import Profile
from crawler.sites.fetch import DEFAULT_DELAY, Fetcher, FetchError
from crawler.sites.links import page_links

SAMPLES = 3


@dataclass
class CheckReport:
    """What ``sites check`` saw; ``problem`` is the one-line reason it fails, if any."""

    profile: str
    start_pages: list[dict[str, Any]] = field(default_factory=list)
    article_links: list[str] = field(default_factory=list)
    list_links: list[str] = field(default_factory=list)
    samples: list[dict[str, Any]] = field(default_factory=list)
    problem: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "profile": self.profile,
            "start_pages": self.start_pages,
            "article_links": len(self.article_links),
            "list_links": len(self.list_links),
            "samples": self.samples,
            "ok": self.problem is None,
            "problem": self.problem,
        }

    def lines(self) -> list[str]:
        out = [f"profile {self.profile}"]
        for page in self.start_pages:
            if page.get("error"):
                out.append(f"  start page {page['url']}: {page['error']}")
            else:
                out.append(
                    f"  start page {page['url']}: {page['links']} links, "
                    f"{page['article_links']} match article_url, {page['list_links']} list_url"
                )
        out.append(
            f"article links: {len(self.article_links)}   further list pages: {len(self.list_links)}"
        )
        for url in self.list_links[:3]:
            out.append(f"  list page: {url}")
        if self.samples:
            out.append(f"{len(self.samples)} sample articles:")
            out.extend(_table(self.samples))
        return out


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _cut(text: str, width: int) -> str:
    out, used = "", 0
    for c in text:
        w = _width(c)
        if used + w > width - 1:
            return out + "…"
        out, used = out + c, used + w
    return out


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def _table(samples: list[dict[str, Any]], col: int = 30) -> list[str]:
    """Fields down, samples across; long values cut, CJK counted as two columns."""
    rows = [("", *(f"#{i + 1}" for i in range(len(samples))))]
    rows.append(("url", *(s["url"].split("://", 1)[-1] for s in samples)))
    for name in EXTRACTED_FIELDS:
        values = []
        for s in samples:
            if s.get("error"):
                values.append(s["error"] if name == "title" else "")
                continue
            v = s.get(name)
            if name == "body":
                values.append(f"{len(v)} chars: {v}" if v else "(empty)")
            else:
                values.append(v if v else "(empty)")
        rows.append((name, *values))
    cells = [[_cut(" ".join(str(v).split()), col) for v in row] for row in rows]
    widths = [max(_width(r[i]) for r in cells) for i in range(len(cells[0]))]
    return ["  " + "  ".join(_pad(c, w) for c, w in zip(r, widths, strict=True)).rstrip()
            for r in cells]  # fmt: skip


def check_profile(profile: Profile, delay: float | None = None) -> CheckReport:
    """Fetch the start pages and 3 sample articles of ``profile``; store nothing."""
    from crawler.extract import extract

    if delay is None:
        delay = float(profile.settings.get("DOWNLOAD_DELAY", DEFAULT_DELAY))
    fetcher = Fetcher(delay=delay, user_agent=profile.settings.get("USER_AGENT"),
                      obey_robots=profile.settings.get("ROBOTSTXT_OBEY", True))  # fmt: skip
    report = CheckReport(profile=f"{profile.name} ({profile.path})")
    for url in profile.start_urls:
        try:
            data, charset, final = fetcher.fetch(url)
        except FetchError as exc:
            report.start_pages.append({"url": url, "error": str(exc).removeprefix(f"{url}: ")})
            continue
        links, _ = page_links(data, final, charset)
        urls = list(dict.fromkeys(link.url for link in links))
        articles = [u for u in urls if profile.is_article(u)]
        lists = [u for u in urls if not profile.is_article(u) and profile.is_list(u)]
        report.start_pages.append({"url": url, "links": len(urls), "article_links": len(articles),
                                   "list_links": len(lists)})  # fmt: skip
        report.article_links += [u for u in articles if u not in report.article_links]
        report.list_links += [
            u for u in lists if u not in report.list_links and u not in profile.start_urls
        ]
    for url in report.article_links[:SAMPLES]:
        sample: dict[str, Any] = {"url": url}
        try:
            data, charset, final = fetcher.fetch(url)
        except FetchError as exc:
            sample["error"] = str(exc).removeprefix(f"{url}: ")
            report.samples.append(sample)
            continue
        article = extract(data, final, http_encoding=charset, fields=profile.fields or None)
        sample.update({f: getattr(article, f) for f in EXTRACTED_FIELDS})
        report.samples.append(sample)
    report.problem = _problem(profile, report)
    return report


def _problem(profile: Profile, report: CheckReport) -> str | None:
    failed = [p for p in report.start_pages if p.get("error")]
    if len(failed) == len(report.start_pages):
        first = failed[0]
        return f"no start page could be fetched ({first['url']}: {first['error']})"
    if not report.article_links:
        return (
            f"no link on the start pages matches article_url {profile.article_url.pattern!r}: "
            "the portal may have changed its URLs (try `newsarchive sites new` on its list page)"
        )
    good = [s for s in report.samples if not s.get("error") and s.get("title") and s.get("body")]
    if report.samples and all(s.get("error") for s in report.samples):
        first = report.samples[0]
        return (
            f"none of the {len(report.samples)} sample articles could be fetched "
            f"({first['url']}: {first['error']})"
        )
    if not good:
        return (
            f"the {len(report.samples)} sample articles came out empty (no title and body "
            "extracted): article_url may match pages that are not articles"
        )
    return None
