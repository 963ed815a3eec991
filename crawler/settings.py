"""Every Scrapy setting newsarchive uses, and its own, in one place.

``scrapy crawl portal -a site=NAME`` reads this module through ``scrapy.cfg``;
``newsarchive crawl`` loads it too and applies ``--db`` and ``-s NAME=VALUE`` on top.
"""

import os

BOT_NAME = "newsarchive"
SPIDER_MODULES = ["spiders"]
NEWSPIDER_MODULE = "spiders"
#: ``scrapy crawl`` checks the portal spider's -a site= first (crawler/scrapy_commands).
COMMANDS_MODULE = "crawler.scrapy_commands"

# --- newsarchive's own settings -------------------------------------------------------
#: The SQLite archive. ``NEWSARCHIVE_DB`` in the environment overrides the default.
ARCHIVE_DB = os.environ.get("NEWSARCHIVE_DB", "archive.db")
#: Worker processes that extract articles (and compress raw pages) beside the crawling
#: process, shared by all the sites it crawls, so a second core is used; 0 extracts in
#: the crawling process itself.
NEWSARCHIVE_EXTRACT_PROCESSES = 1
#: Articles are committed to the archive in batches: at most this many per transaction
#: (1: a commit per article) ...
NEWSARCHIVE_COMMIT_ITEMS = 50
#: ... and at most this many seconds after the batch's first article. A killed crawl
#: loses only what it had not committed, and the next run fetches those pages again.
NEWSARCHIVE_COMMIT_SECONDS = 1.0
#: Python's cyclic garbage collector in the crawl process (crawler/gc_tuning.py): start-up
#: objects are frozen out of its scans once the engine runs, and young objects are
#: collected every this many net allocations (Python's default, 700: higher saves a little
#: CPU for more memory); 0 leaves the collector alone (no freeze either).
NEWSARCHIVE_GC_THRESHOLD = 700
#: A URL where portal operators can learn about the crawler; it goes into the User-Agent.
NEWSARCHIVE_CONTACT_URL = "https://github.com/newsarchive/newsarchive"

# --- politeness -------------------------------------------------------------------------
USER_AGENT = f"newsarchive/0.1 (+{NEWSARCHIVE_CONTACT_URL})"
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 4
DOWNLOAD_DELAY = 0.25
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 0.5
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0
RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 20 * 1024 * 1024
DOWNLOAD_WARNSIZE = 5 * 1024 * 1024
REDIRECT_MAX_TIMES = 5
COOKIES_ENABLED = False
#: Scrapy starts this many tasks for the output of every callback; our pipelines are
#: synchronous and an article page yields one item, so 1 saves ~25% of crawl CPU
#: (the default of 100 costs ~200 event-loop callbacks per page; benchmarks/RESULTS.md).
CONCURRENT_ITEMS = 1
#: Retries wait: as long as a 503/429 response's Retry-After asks (at most
#: NEWSARCHIVE_RETRY_AFTER_MAX s, else the page fails at once), otherwise
#: NEWSARCHIVE_RETRY_BACKOFF s doubled each try, at most NEWSARCHIVE_RETRY_BACKOFF_MAX s.
NEWSARCHIVE_RETRY_BACKOFF = 1.0
NEWSARCHIVE_RETRY_BACKOFF_MAX = 30.0
NEWSARCHIVE_RETRY_AFTER_MAX = 120.0
#: Failed pages are reported in the summary and crawl_errors; no log noise on stderr.
RETRY_GIVE_UP_LOG_LEVEL = "WARNING"
TELNETCONSOLE_ENABLED = False

# --- components -------------------------------------------------------------------------
#: crawler/middlewares.py: Retry-After and backoff, redirects that fail with a reason.
DOWNLOADER_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawler.middlewares.RetryAfterMiddleware": 550,
    "crawler.middlewares.RedirectGuardMiddleware": 650,
    # crawler/stopping.py: after Ctrl-C or SIGTERM no request starts (last before download)
    "crawler.stopping.StopGuard": 1000,
}
EXTENSIONS = {
    "crawler.middlewares.ByteCounter": 0,
    "crawler.middlewares.RobotsTxtErrors": 0,  # a robots.txt that fails: one line
    "crawler.gc_tuning.GcTuning": 0,
}
ITEM_PIPELINES = {
    "pipelines.validate.ValidatePipeline": 100,
    "pipelines.store.StorePipeline": 800,
}

# --- housekeeping -----------------------------------------------------------------------
LOG_LEVEL = "INFO"
FEED_EXPORT_ENCODING = "utf-8"
