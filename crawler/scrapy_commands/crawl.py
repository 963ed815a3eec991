"""``scrapy crawl``, with the portal spider's arguments checked before Scrapy starts.

Scrapy builds a spider inside its event loop, so an unknown ``-a site=`` ended as an
asyncio "Task exception was never retrieved" with a traceback. This command checks
``site`` (and ``since``) first and prints one ``Error:`` line, exiting with the code of
``newsarchive crawl`` (2: bad input); everything else is Scrapy's own ``crawl``. A second
Ctrl-C, which stops Scrapy at once, still commits the stored articles (as
``newsarchive crawl`` does).
"""

from __future__ import annotations

import argparse
import sys

from scrapy.commands.crawl import Command as ScrapyCrawl

from crawler.errors import NewsarchiveError


class Command(ScrapyCrawl):
    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if args and args[0] == "portal":
            try:
                check_portal_arguments(opts.spargs)
            except NewsarchiveError as exc:
                print(f"Error: {exc}", file=sys.stderr)
                self.exitcode = int(exc.exit_code)
                return
        try:
            super().run(args, opts)
        finally:
            stopped_at_once()


def stopped_at_once() -> None:
    """After the reactor stopped: what a second Ctrl-C left open is closed. The store
    pipelines' batches are committed and their runs closed ``interrupted``, and the
    extraction workers end without finishing their pages. Nothing is open (and nothing
    done) when the spiders closed normally."""
    from crawler.worker import POOL
    from pipelines.store import ARCHIVES

    ARCHIVES.close_all()
    POOL.terminate()


def check_portal_arguments(spargs: dict[str, str]) -> None:
    """Raise :class:`NewsarchiveError` for a missing or unknown ``site`` or a bad ``since``."""
    from crawler.dates import parse_date
    from crawler.errors import UsageError
    from crawler.profiles import load_profile

    site = spargs.get("site")
    if not site:
        raise UsageError("the portal spider needs a site: -a site=NAME_OR_PROFILE.toml")
    load_profile(site)
    if spargs.get("since"):
        parse_date(spargs["since"], "-a since")
