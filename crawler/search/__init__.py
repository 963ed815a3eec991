"""Search: the Chinese FTS5 tokenizer, normalisation, the query language, ranking,
snippets and the sqlite-utils/Datasette plugin hooks (see ARCHITECTURE.md).

It reads and indexes the archive's ``articles`` table through SQLite only: it imports
neither Scrapy nor :mod:`crawler.archive` (import-linter checks it).
"""
