"""Drop what is not an article: no body text, or text that is still undecodable."""

from __future__ import annotations

from scrapy.exceptions import DropItem

from crawler.items import Article

#: Share of U+FFFD replacement characters above which a body is taken as garbled.
MAX_REPLACEMENT_SHARE = 0.001


class ValidatePipeline:
    """Raise :class:`DropItem` (recorded as the page's error) for items not worth storing."""

    def process_item(self, item: Article) -> Article:
        body = (item.body or "").strip()
        if not body:
            raise DropItem("no article text found on the page")
        bad = body.count("\ufffd")
        if bad and bad / len(body) > MAX_REPLACEMENT_SHARE:
            raise DropItem(f"text could not be decoded ({bad} replacement characters)")
        for name in ("title", "source", "author", "editor", "published_at"):
            value = getattr(item, name)
            if isinstance(value, str) and not value.strip():
                setattr(item, name, None)
        item.body = body
        return item
