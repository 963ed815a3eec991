"""The one definition of an archived article's fields."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

#: Fields produced by extraction, in the order of the ``extract`` JSON Lines contract.
EXTRACTED_FIELDS: tuple[str, ...] = (
    "title",
    "published_at",
    "source",
    "author",
    "editor",
    "body",
)


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

    def to_dict(self) -> dict[str, str | None]:
        return asdict(self)

    @classmethod
    def field_names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))
