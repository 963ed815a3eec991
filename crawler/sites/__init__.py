"""Site profiles from the outside: ``newsarchive sites new`` drafts a profile from a live
portal (:mod:`crawler.sites.generate`), ``newsarchive sites check`` tries one against it
(:mod:`crawler.sites.check`). They use extraction and profiles, never the archive.
"""
