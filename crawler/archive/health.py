"""Extraction health: notice when a portal's template change breaks extraction.

Each run records, per site, the share of fetched article pages whose title, body,
``published_at``, source or author came out empty, and the median body length.
A site is flagged when a share jumps by at least :data:`SHARE_JUMP` over the median
of its own recent runs, or the median body length falls below :data:`LENGTH_DROP`
of its recent median. Runs with fewer than :data:`MIN_PAGES` pages are too small to
judge and are neither flagged nor used as history.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from statistics import median
from typing import Any

from crawler.items import Article

FIELDS = ("title", "body", "published_at", "source", "author")
#: A share of empty values this much above the recent median (0.5 = 50 points) is flagged.
SHARE_JUMP = 0.5
#: A median body length below this fraction of the recent median is flagged.
LENGTH_DROP = 0.3
#: Fewest article pages in a run for it to be judged or used as history.
MIN_PAGES = 3
#: How many earlier runs of the site make its history.
HISTORY_RUNS = 10


@dataclass
class HealthCounter:
    """Counts empty fields over the article pages of one site in one run."""

    pages: int = 0
    empty: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FIELDS, 0))
    body_chars: list[int] = field(default_factory=list)

    def add(self, article: Article) -> None:
        self.pages += 1
        for name in FIELDS:
            value = getattr(article, name)
            if not (isinstance(value, str) and value.strip()):
                self.empty[name] += 1
        self.body_chars.append(len(article.body or ""))

    def summary(self) -> dict[str, Any]:
        """``pages``, ``empty_<field>`` shares (0..1) and ``median_body_chars``."""
        out: dict[str, Any] = {"pages": self.pages}
        for name in FIELDS:
            out[f"empty_{name}"] = round(self.empty[name] / self.pages, 4) if self.pages else None
        out["median_body_chars"] = int(median(self.body_chars)) if self.body_chars else None
        return out


def check(current: dict[str, Any], history: Sequence[dict[str, Any]]) -> str | None:
    """A one-line warning when ``current`` departs sharply from ``history``, else None."""
    if not current or (current.get("pages") or 0) < MIN_PAGES:
        return None
    past = [h for h in history if (h.get("pages") or 0) >= MIN_PAGES]
    if not past:
        return None
    problems = []
    for name in FIELDS:
        key = f"empty_{name}"
        now = current.get(key)
        before = [h[key] for h in past if h.get(key) is not None]
        if now is None or not before:
            continue
        usual = median(before)
        if now - usual >= SHARE_JUMP:
            problems.append(f"{name} empty on {now:.0%} of article pages (usually {usual:.0%})")
    now_len = current.get("median_body_chars")
    lengths = [h["median_body_chars"] for h in past if h.get("median_body_chars")]
    if now_len is not None and lengths:
        usual_len = median(lengths)
        if usual_len and now_len < LENGTH_DROP * usual_len:
            problems.append(f"median body {now_len} chars (usually {usual_len:.0f})")
    if not problems:
        return None
    return "; ".join(problems) + " - has the portal's template changed?"
