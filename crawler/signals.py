"""Signals and stat keys shared by the spider and the pipelines."""

#: Sent with ``url``, ``reason`` and ``spider`` whenever a page could not be archived.
page_failed = object()

#: Sent with ``url``, ``aliases`` and ``spider`` when URLs were found to lead to the
#: article ``url`` without an article item to carry them (a redirect to a page that
#: was already fetched in the same crawl).
aliases_found = object()

#: Prefix of newsarchive's own keys in the Scrapy stats.
STAT = "newsarchive/"
