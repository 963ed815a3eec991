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


# -- the Datasette chart: articles per day per site, as server-side SVG ----------------------
#: Series colours (Tableau 10): one per site, in order of appearance.
COLOURS = ("#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
           "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac")  # fmt: skip


def _esc(text: str) -> str:
    from html import escape

    return escape(text, quote=True)


def svg_chart(points: list[tuple[str, str, float]], title: str = "articles per day per site",
              width: int = 900, height: int = 360) -> str:  # fmt: skip
    """A line chart, one ``<polyline class="series">`` per series, as a standalone SVG.

    ``points`` are ``(day 'YYYY-MM-DD', series, value)``; days a series lacks count 0.
    """
    days = sorted({d for d, _, _ in points})
    series: dict[str, dict[str, float]] = {}
    for d, s, v in points:
        series.setdefault(s, {})[d] = series.get(s, {}).get(d, 0) + float(v or 0)
    left, right, top, bottom = 50, 180, 30, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">',
        f'<rect width="{width}" height="{height}" fill="#ffffff"/>',
        f'<text x="{left}" y="18" font-size="14" font-weight="bold">{_esc(title)}</text>',
    ]
    if not days:
        out.append(f'<text x="{left}" y="{top + 20}">no articles with a publication date</text>')
        return "\n".join(out + ["</svg>"])
    try:
        ordinals = [date.fromisoformat(d).toordinal() for d in days]
        x0, x1 = ordinals[0], ordinals[-1]
        full = [date.fromordinal(o).isoformat() for o in range(x0, x1 + 1)]
    except ValueError:  # not ISO days: evenly spaced categories
        x0, x1, full = 0, len(days) - 1, days
    index = {d: i for i, d in enumerate(full)}
    span = max(1, len(full) - 1)
    top_value = max((v for s in series.values() for v in s.values()), default=1) or 1

    def xy(day: str, value: float) -> tuple[float, float]:
        x = left + plot_w * (index[day] / span if len(full) > 1 else 0.5)
        return round(x, 1), round(top + plot_h - plot_h * value / top_value, 1)

    base = top + plot_h
    out.append(f'<line x1="{left}" y1="{base}" x2="{left + plot_w}" y2="{base}" stroke="#999"/>')
    out.append(f'<line x1="{left}" y1="{top}" x2="{left}" y2="{base}" stroke="#999"/>')
    out.append(f'<text x="{left - 6}" y="{top + 4}" text-anchor="end">{top_value:g}</text>')
    out.append(f'<text x="{left - 6}" y="{base}" text-anchor="end">0</text>')
    out.append(f'<text x="{left}" y="{base + 18}">{_esc(full[0])}</text>')
    if len(full) > 1:
        out.append(f'<text x="{left + plot_w}" y="{base + 18}" text-anchor="end">'
                   f"{_esc(full[-1])}</text>")  # fmt: skip
    for i, (name, values) in enumerate(series.items()):
        colour = COLOURS[i % len(COLOURS)]
        coords = [xy(d, values.get(d, 0)) for d in full]
        pts = " ".join(f"{x},{y}" for x, y in coords)
        out.append(f'<g class="site" data-site="{_esc(name)}">')
        out.append(f'<polyline class="series" data-series="{_esc(name)}" fill="none" '
                   f'stroke="{colour}" stroke-width="2" points="{pts}"/>')  # fmt: skip
        for d in full:
            if values.get(d):
                x, y = xy(d, values[d])
                out.append(f'<circle cx="{x}" cy="{y}" r="3" fill="{colour}">'
                           f"<title>{_esc(name)} {d}: {values[d]:g}</title></circle>")  # fmt: skip
        ly = top + 10 + 20 * i
        lx = left + plot_w + 20
        out.append(f'<rect x="{lx}" y="{ly - 9}" width="12" height="12" fill="{colour}"/>')
        out.append(f'<text class="legend" x="{lx + 18}" y="{ly + 1}">{_esc(name)} '
                   f"({sum(values.values()):g})</text>")  # fmt: skip
        out.append("</g>")
    return "\n".join(out + ["</svg>"])
