"""Every Scrapy setting newsarchive uses, and its own, in one place.

``scrapy crawl portal -a site=NAME`` reads this module through ``scrapy.cfg``;
``newsarchive crawl`` loads it too and applies ``--db`` and ``-s NAME=VALUE`` on top.
"""

import os

BOT_NAME = "newsarchive"
SPIDER_MODULES = ["spiders"]
NEWSPIDER_MODULE = "spiders"

# --- newsarchive's own settings -------------------------------------------------------
#: The SQLite archive. ``NEWSARCHIVE_DB`` in the environment overrides the default.
ARCHIVE_DB = os.environ.get("NEWSARCHIVE_DB", "archive.db")
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
TELNETCONSOLE_ENABLED = False

# --- components -------------------------------------------------------------------------
ITEM_PIPELINES = {
    "pipelines.validate.ValidatePipeline": 100,
    "pipelines.store.StorePipeline": 800,
}

# --- housekeeping -----------------------------------------------------------------------
LOG_LEVEL = "INFO"
FEED_EXPORT_ENCODING = "utf-8"
