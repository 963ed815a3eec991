"""Drop what is not an article: no body text, or text that is still undecodable."""

from __future__ import annotations

from scrapy.exceptions import DropItem

from crawler import quality
from crawler.items import Article


class ValidatePipeline:
    """Raise :class:`DropItem` (recorded as the page's error) for items not worth storing."""

    def process_item(self, item: Article) -> Article:
        reason = quality.problem(item)
        if reason:
            raise DropItem(reason)
        return quality.tidy(item)
