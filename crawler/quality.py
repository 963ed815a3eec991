"""What makes an extracted article worth storing; shared by the crawl and reextract."""

from __future__ import annotations

from crawler.items import Article

#: Share of U+FFFD replacement characters above which a body is taken as garbled.
MAX_REPLACEMENT_SHARE = 0.001


def problem(article: Article) -> str | None:
    """Why ``article`` must not be stored, or None when it is fine."""
    body = (article.body or "").strip()
    if not body:
        return "no article text found on the page"
    bad = body.count("\ufffd")
    if bad and bad / len(body) > MAX_REPLACEMENT_SHARE:
        return f"text could not be decoded ({bad} replacement characters)"
    return None


def tidy(article: Article) -> Article:
    """Blank metadata becomes None; the body loses surrounding white space."""
    for name in ("title", "source", "author", "editor", "published_at"):
        value = getattr(article, name)
        if isinstance(value, str) and not value.strip():
            setattr(article, name, None)
    article.body = (article.body or "").strip()
    return article
