"""Small pictures of an archive: per-site sparklines for ``newsarchive stats``.

Numbers come from the archive (``articles.archived_at``, ``crawl_sites.empty_*``); the
pictures are plain Unicode block characters, printed only on a terminal.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlite_utils import Database

BLOCKS = "▁▂▃▄▅▆▇█"
DAYS = 30
HEALTH_FIELDS = ("title", "body", "published_at", "source", "author")


def sparkline(values: list[int]) -> str:
    """One block per value: ``▁`` for zero, ``█`` for the largest, linear in between."""
    top = max(values, default=0)
    if top <= 0:
        return BLOCKS[0] * len(values)
    return "".join(
        BLOCKS[0] if v <= 0 else BLOCKS[1 + round((v / top) * (len(BLOCKS) - 2))] for v in values
    )


def per_day(db: Database, days: int = DAYS, today: date | None = None) -> dict[str, list[dict]]:
    """Per site, articles archived on each of the last ``days`` days (UTC), oldest first."""
    today = today or datetime.now(UTC).date()
    first = today - timedelta(days=days - 1)
    span = [(first + timedelta(days=i)).isoformat() for i in range(days)]
    counts: dict[str, dict[str, int]] = {}
    if db["articles"].exists():
        for row in db.query(
            "select site, substr(archived_at, 1, 10) as day, count(*) as n from articles"
            " where archived_at >= ? group by site, day",
            [first.isoformat()],
        ):
            counts.setdefault(row["site"], {})[row["day"]] = row["n"]
    return {
        site: [{"day": d, "articles": by_day.get(d, 0)} for d in span]
        for site, by_day in counts.items()
    }


def empty_last_run(db: Database, site: str) -> dict[str, float] | None:
    """Share (0..1) of the site's article pages with each field empty in its last run."""
    if not db["crawl_sites"].exists():
        return None
    columns = set(db["crawl_sites"].columns_dict)
    fields = [f for f in HEALTH_FIELDS if f"empty_{f}" in columns]
    if not fields:
        return None
    rows = list(
        db.query(
            "select " + ", ".join(f"empty_{f}" for f in fields) + " from crawl_sites"
            " where site = ? and pages is not null and pages > 0 order by crawl_id desc limit 1",
            [site],
        )
    )
    if not rows:
        return None
    return {f: rows[0][f"empty_{f}"] for f in fields if rows[0][f"empty_{f}"] is not None}


def add_charts(db: Database, rows: list[dict[str, Any]], today: date | None = None) -> None:
    """Add ``per_day`` (last 30 days) and ``empty_last_run`` to each ``site_stats`` row."""
    days = per_day(db, today=today)
    blank = per_day_blank(today)
    for row in rows:
        row["per_day"] = days.get(row["site"], blank)
        row["empty_last_run"] = empty_last_run(db, row["site"])


def per_day_blank(today: date | None = None) -> list[dict]:
    today = today or datetime.now(UTC).date()
    first = today - timedelta(days=DAYS - 1)
    return [{"day": (first + timedelta(days=i)).isoformat(), "articles": 0} for i in range(DAYS)]


def chart_lines(rows: list[dict[str, Any]]) -> list[str]:
    """The terminal picture: a sparkline per site, then its empty-field shares."""
    if not rows:
        return []
    width = max(len(r["site"]) for r in rows)
    first, last = rows[0]["per_day"][0]["day"], rows[0]["per_day"][-1]["day"]
    out = [f"articles archived per day, {first} .. {last} (UTC):"]
    for r in rows:
        counts = [d["articles"] for d in r["per_day"]]
        empty = r.get("empty_last_run")
        shares = (
            "empty in last run: " + ", ".join(f"{k} {v:.0%}" for k, v in empty.items())
            if empty
            else "no run with article pages yet"
        )
        out.append(
            f"  {r['site']:<{width}}  {sparkline(counts)}  {sum(counts):>5} "
            f"(max {max(counts)}/day)  {shares}"
        )
    return out
