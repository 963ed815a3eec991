"""The one definition of an archived article's fields."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from crawler.archive.dedupe import Fingerprint

#: Fields produced by extraction, in the order of the ``extract`` JSON Lines contract.
EXTRACTED_FIELDS: tuple[str, ...] = (
    "title",
    "published_at",
    "source",
    "author",
    "editor",
    "body",
)


#: Attributes of :class:`Article` that are not archive columns.
_NOT_COLUMNS = frozenset({"page", "fingerprint", "fts_buffers", "aliases", "extra_pages"})


@dataclass
class Article:
    """One news article.

    ``published_at`` is ISO 8601: ``2022-09-21T10:11:37+08:00`` when a time is known,
    otherwise the date alone (``2022-09-21``). Several authors or editors are joined
    with "、". ``body`` holds the article's paragraphs separated by "\\n". A field the
    page does not have is ``None``.
    """

    url: str | None = None
    site: str | None = None
    title: str | None = None
    published_at: str | None = None
    source: str | None = None
    author: str | None = None
    editor: str | None = None
    body: str | None = None
    fetched_at: str | None = None
    #: How many continuation pages of a multi-page article failed to arrive (0 or None:
    #: complete); such a row is fetched again by the next run.
    pages_missing: int | None = None
    #: The response the article came from; stored in ``pages``, never a column.
    page: RawPage | None = field(default=None, repr=False, compare=False)
    #: ``crawler.archive.dedupe.fingerprint(body)`` when the extraction worker already computed
    #: it (the duplicate check needs it); never a column.
    fingerprint: Fingerprint | None = field(default=None, repr=False, compare=False)
    #: ``crawler.search.document_buffer`` of the title and of the body when the extraction
    #: worker already computed them (the search index needs them); never a column.
    fts_buffers: tuple[bytes, bytes] | None = field(default=None, repr=False, compare=False)
    #: Other URLs that led to this article (redirects, ``rel=canonical``, tracking-parameter
    #: variants, continuation pages); stored in ``url_aliases``, never a column.
    aliases: tuple[str, ...] = field(default=(), repr=False, compare=False)
    #: The responses of pages 2, 3, ... of a multi-page article; stored in ``pages``.
    extra_pages: list[RawPage] = field(default_factory=list, repr=False, compare=False)

    def to_dict(self) -> dict[str, str | None]:
        """The article's columns (not ``page``, ``fingerprint``, ``fts_buffers``,
        ``aliases`` or ``extra_pages``)."""
        return {name: getattr(self, name) for name in self.field_names()}

    @classmethod
    def field_names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls) if f.name not in _NOT_COLUMNS)


@dataclass
class RawPage:
    """A fetched response exactly as received, kept so it can be re-extracted or exported."""

    url: str  #: the canonical URL that was requested (``articles.url``)
    site: str | None  #: the profile name of the crawl that fetched it
    final_url: str  #: the URL after redirects
    status: int
    headers: dict[str, str]
    body: bytes
    fetched_at: str
    #: ``body`` already compressed (the extraction worker does it), if available ...
    compressed: bytes | None = field(default=None, repr=False)
    #: ... and the codec it used (:mod:`crawler.archive.compression`).
    compression: str | None = None
    #: 1, or the page number of a multi-page article's continuation page (its ``url`` is
    #: the article's, its ``final_url`` where the page was fetched from).
    page_no: int = 1
