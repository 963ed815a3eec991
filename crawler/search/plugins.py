"""Plugin hooks that put newsarchive's Chinese tokenizer on other tools' connections.

Registered as entry points (``pyproject.toml``):

* group ``sqlite_utils``: sqlite-utils calls ``prepare_connection(conn)`` for every
  ``sqlite_utils.Database`` it opens, so the unchanged ``sqlite-utils search archive.db
  articles 市场监管总局`` finds Chinese words.
* group ``datasette``: Datasette calls ``prepare_connection(conn, database, datasette)``
  for every connection, so the articles table's search box works.

One function serves both: pluggy passes only the arguments an implementation names.

For Datasette it also adds, to every database that has an ``articles`` table, canned
queries (latest articles, articles per day per site, field coverage per site per run,
the last run's errors, syndicated stories) and an ``.svg`` output renderer that draws
``articles_per_day`` as a line chart, one line per site, shown on that query's page:
server-side SVG, no JavaScript.
"""

from __future__ import annotations

import sqlite3
import warnings
from typing import Any

from pluggy import HookimplMarker

from crawler import search as fts

sqlite_utils_hookimpl = HookimplMarker("sqlite_utils")
datasette_hookimpl = HookimplMarker("datasette")


@sqlite_utils_hookimpl
@datasette_hookimpl
def prepare_connection(conn: sqlite3.Connection) -> None:
    """Register the ``newsarchive`` FTS5 tokenizer on ``conn``.

    The hook runs for every database these tools open, not only archives: if the
    tokenizer cannot be installed, warn and leave the tool working (a search of an
    archive then fails with "no such tokenizer: newsarchive").
    """
    try:
        fts.register(conn)
    except fts.TokenizerError as exc:  # pragma: no cover - depends on the Python build
        warnings.warn(f"newsarchive: search tokenizer unavailable: {exc}", stacklevel=2)


# -- Datasette: canned queries and the articles-per-day chart --------------------------------
#: ``articles_per_day``: the 365 days up to the newest publication date (not in the future).
ARTICLES_PER_DAY_SQL = """with days as (
  select substr(published_at, 1, 10) as day, site from articles
  where published_at glob '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]*'
    and substr(published_at, 1, 10) <= date('now')
)
select day, site, count(*) as articles from days
where day > date((select max(day) from days), '-365 days')
group by day, site order by day desc, site"""

#: name -> (tables it needs, title, SQL).
CANNED_QUERIES: dict[str, tuple[tuple[str, ...], str, str]] = {
    "latest_articles": (
        ("articles",),
        "Latest articles",
        "select archived_at, site, published_at, title, source, url from articles"
        " order by archived_at desc limit 100",
    ),
    "articles_per_day": (("articles",), "Articles per day per site", ARTICLES_PER_DAY_SQL),
    "field_coverage": (
        ("crawl_sites", "crawls"),
        "Field coverage per site per run",
        "select c.id as crawl, c.finished_at, s.site, s.pages,"
        " round(100 * (1 - s.empty_title), 1) as title_pct,"
        " round(100 * (1 - s.empty_body), 1) as body_pct,"
        " round(100 * (1 - s.empty_published_at), 1) as published_at_pct,"
        " round(100 * (1 - s.empty_source), 1) as source_pct,"
        " round(100 * (1 - s.empty_author), 1) as author_pct,"
        " s.median_body_chars from crawl_sites s join crawls c on c.id = s.crawl_id"
        " where s.pages > 0 order by c.id desc, s.site limit 500",
    ),
    "last_run_errors": (
        ("crawl_errors", "crawls"),
        "The last run's errors",
        "select site, url, reason, at from crawl_errors"
        " where crawl_id = (select max(id) from crawls) order by site, url",
    ),
    "syndicated": (
        ("articles",),
        "Syndicated stories: copies and where each first appeared",
        "select a.title, a.site, a.published_at, o.site as first_on,"
        " o.published_at as first_published_at, a.url, o.url as first_url"
        " from articles a join articles o on o.url = a.duplicate_of"
        " order by a.archived_at desc limit 500",
    ),
}


@datasette_hookimpl
def canned_queries(datasette: Any, database: str) -> Any:
    """The archive's canned queries, for every database that is a newsarchive archive."""

    async def inner() -> dict[str, dict[str, str]]:
        db = datasette.get_database(database)
        tables = set(await db.table_names())
        if "articles" not in tables:
            return {}
        chart = datasette.urls.path(f"{datasette.urls.database(database)}/articles_per_day.svg")
        out = {}
        for name, (needs, title, sql) in CANNED_QUERIES.items():
            if not set(needs) <= tables:
                continue
            out[name] = {"sql": sql, "title": title}
        if "articles_per_day" in out:
            out["articles_per_day"]["description_html"] = (
                f'<p><img class="newsarchive-chart" src="{chart}" width="900" height="360"'
                ' alt="articles per day per site"></p>'
                "<p>Articles by publication day, the 365 days up to the newest one;"
                " the chart is this query's .svg rendering.</p>"
            )
        return out

    return inner


def _chart_points(columns: list[str], rows: list[Any]) -> list[tuple[str, str, float]]:
    i_day, i_site = columns.index("day"), columns.index("site")
    i_val = next(i for i, c in enumerate(columns) if c not in ("day", "site"))
    return [(str(r[i_day]), str(r[i_site]), float(r[i_val] or 0)) for r in rows]


def _can_render_chart(columns: list[str]) -> bool:
    return "day" in columns and "site" in columns and len(columns) == 3


async def _render_chart(columns: list[str], rows: list[Any], query_name: str | None) -> Any:
    from datasette.utils.asgi import Response

    from crawler.search.charts import svg_chart

    if not _can_render_chart(columns):
        return Response.text("the .svg chart needs the columns day, site and one number", 400)
    title = (CANNED_QUERIES.get(query_name or "", ((), "", ""))[1]) or "per day per site"
    return Response(svg_chart(_chart_points(columns, rows), title=title.lower()),
                    content_type="image/svg+xml; charset=utf-8")  # fmt: skip


@datasette_hookimpl
def register_output_renderer(datasette: Any) -> dict[str, Any]:
    """``.svg``: a line chart, one line per site, of any query with columns day, site, N."""
    return {"extension": "svg", "render": _render_chart, "can_render": _can_render_chart}
