"""newsarchive: crawl Chinese consumer-news portals into a searchable SQLite archive."""

__version__ = "0.1.0"
