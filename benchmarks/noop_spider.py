"""The no-op ceiling: a plain Scrapy spider that walks list -> article pages and does nothing.

    .venv/bin/python benchmarks/noop_spider.py PROFILE.toml... [-s NAME=VALUE]... [--log-file F]

It reads the same site profiles as ``newsarchive crawl`` (``start_urls``, ``article_url``,
``list_url``), follows every ``<a href>`` of a list page that matches them (Scrapy's
dupefilter drops repeats), and ignores article responses. It runs with the project's
Scrapy settings (``crawler.settings``) and the same ``-s`` overrides, one crawler per
profile in one ``CrawlerProcess``, as ``newsarchive crawl`` does; only the item pipelines
are off (it yields no items). So the difference to a full crawl is extraction, storage
and the portal spider's own bookkeeping.
"""

from __future__ import annotations

import argparse
import re
import sys
import tomllib
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import scrapy
from scrapy.http import Request, Response


class NoopSpider(scrapy.Spider):
    name = "noop"

    def __init__(self, profile: str = "", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        data = tomllib.loads(Path(profile).read_text(encoding="utf-8"))
        self.start_urls = list(data["start_urls"])
        self.article_re = re.compile(data["article_url"])
        self.list_re = re.compile(data["list_url"]) if data.get("list_url") else None

    async def start(self) -> AsyncIterator[Request]:
        # Through the dupefilter (unlike Scrapy's default start requests), so a list
        # page's link back to page 1 is not fetched a second time: the portal spider
        # does not fetch it twice either.
        for url in self.start_urls:
            yield Request(url, callback=self.parse)

    def parse(self, response: Response) -> Iterator[Request]:
        for href in response.xpath("//a/@href").getall():
            url = response.urljoin(href.strip())
            if self.article_re.search(url):
                yield Request(url, callback=self.parse_article)
            elif self.list_re is not None and self.list_re.search(url):
                yield Request(url, callback=self.parse)

    def parse_article(self, response: Response) -> None:
        return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("profiles", nargs="+", type=Path)
    parser.add_argument("-s", "--set", dest="overrides", action="append", default=[])
    parser.add_argument("--log-file", help="Scrapy's log at INFO (with the stats dump)")
    args = parser.parse_args(argv)

    from scrapy.crawler import CrawlerProcess
    from scrapy.settings import Settings

    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    settings.set("ITEM_PIPELINES", {}, priority="cmdline")
    settings.set("LOG_LEVEL", "INFO" if args.log_file else "ERROR", priority="cmdline")
    if args.log_file:
        settings.set("LOG_FILE", args.log_file, priority="cmdline")
    for pair in args.overrides:
        name, _, value = pair.partition("=")
        settings.set(name.strip(), value, priority="cmdline")
    process = CrawlerProcess(settings)
    for profile in args.profiles:
        process.crawl(NoopSpider, profile=str(profile))
    process.start()
    return 0


if __name__ == "__main__":
    sys.exit(main())
