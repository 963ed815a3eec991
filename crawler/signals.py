"""Signals and stat keys shared by the spider and the pipelines."""

#: Sent with ``url``, ``reason`` and ``spider`` whenever a page could not be archived.
page_failed = object()

#: Prefix of newsarchive's own keys in the Scrapy stats.
STAT = "newsarchive/"
