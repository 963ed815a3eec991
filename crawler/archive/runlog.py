"""The run log: ``crawls``, ``crawl_sites`` and ``crawl_errors``, per-site health and
stats (a mixin of :class:`crawler.archive.Archive`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from crawler.archive.schema import HEALTH_FIELDS, utcnow


def site_status(counts: dict[str, Any], finish_reason: str | None) -> str:
    """``ok``, ``partial``, ``failed`` or ``interrupted`` for one site's run."""
    if finish_reason == "shutdown":
        return "interrupted"
    if finish_reason not in (None, "finished"):
        return "failed"
    if counts.get("errors"):
        if counts.get("list_pages") or counts.get("new") or counts.get("already_archived"):
            return "partial"
        return "failed"
    return "ok"


class RunLog:
    """Runs and their per-site counts, errors, health and stats."""

    def urls_to_refresh(self, site: str, since: str | None = None) -> list[str]:
        """Archived URLs of ``site`` (published on or after ``since``, if given)."""
        sql = "select url from articles where site = ?"
        params: list[Any] = [site]
        if since:
            sql += " and published_at >= ?"
            params.append(since)
        return [r[0] for r in self.db.execute(sql + " order by url", params)]

    # -- run log ------------------------------------------------------------------------------
    def start_crawl(self, sites: Iterable[str], pid: int | None = None) -> int:
        with self._write():
            table = self.db["crawls"]
            table.insert(
                {"started_at": utcnow(), "status": "running", "sites": json.dumps(list(sites),
                 ensure_ascii=False), "list_pages": 0, "new": 0, "updated": 0,
                 "already_archived": 0, "errors": 0, "pid": pid}  # fmt: skip
            )
            return int(table.last_pk)

    def record_error(self, crawl_id: int | None, site: str, url: str, reason: str) -> None:
        with self._write():
            self.db["crawl_errors"].insert(
                {"crawl_id": crawl_id, "site": site, "url": url, "reason": reason, "at": utcnow()}
            )

    def finish_crawl(self, crawl_id: int, status: str, per_site: dict[str, dict[str, Any]]) -> None:
        """Close a run: its status, the per-site counts and extraction health."""
        keys = ("list_pages", "new", "updated", "already_archived", "errors")
        health_keys = ("pages", *(f"empty_{f}" for f in HEALTH_FIELDS), "median_body_chars",
                       "health_warning")  # fmt: skip
        totals = {k: sum(int(s.get(k, 0)) for s in per_site.values()) for k in keys}
        with self._write():
            for site, counts in per_site.items():
                self.db["crawl_sites"].upsert(
                    {"crawl_id": crawl_id, "site": site, "status": counts.get("status", status),
                     **{k: int(counts.get(k, 0)) for k in keys},
                     **{k: counts.get(k) for k in health_keys if k in counts}},  # fmt: skip
                    pk=("crawl_id", "site"),
                )
            self.db["crawls"].update(
                crawl_id, {"finished_at": utcnow(), "status": status, **totals}
            )

    def health_history(self, site: str, limit: int = 10) -> list[dict[str, Any]]:
        """Extraction health of the site's most recent finished runs, newest first."""
        return list(
            self.db.query(
                "select s.* from crawl_sites s join crawls c on c.id = s.crawl_id"
                " where s.site = ? and c.finished_at is not null and s.pages is not null"
                " order by s.crawl_id desc limit ?",
                [site, limit],
            )
        )

    def health_warning(self, site: str, current: dict[str, Any]) -> str | None:
        """A warning when this run's extraction health departs from the site's history."""
        from crawler.archive import health

        return health.check(current, self.health_history(site, health.HISTORY_RUNS))

    def mark_stale_crawls(self) -> int:
        """Runs left 'running' by a killed process become 'interrupted'. Returns how many."""
        with self._write() as conn:
            cur = conn.execute(
                "update crawls set status = 'interrupted' where status = 'running'"
            )
            return cur.rowcount

    def last_run_cut_short(self, site: str, before: int | None = None) -> bool:
        """Whether the last run that crawled ``site`` (before run ``before``) was killed,
        interrupted or failed: its list pages were not all walked, so the next run must
        page through them all instead of stopping at the first one with nothing new."""
        if not self.db["crawls"].exists():
            return False
        rows = self.db.execute(
            "select c.status from crawls c, json_each(c.sites) s where s.value = ?"
            " and c.id < ? and c.status != 'running' order by c.id desc limit 1",
            [site, before if before is not None else 1 << 62],
        ).fetchall()
        return bool(rows) and rows[0][0] in ("interrupted", "failed")

    # -- stats -------------------------------------------------------------------------------
    def site_stats(self) -> list[dict[str, Any]]:
        """Per site: totals, new in the last run and last 7 days, last good run, last errors."""
        week_ago = (datetime.now(UTC) - timedelta(days=7)).strftime("%Y-%m-%dT%H:%M:%SZ")
        out = []
        for row in self.db.query(
            "select site, count(*) as articles, max(archived_at) as newest,"
            " sum(archived_at >= ?) as new_7d from articles group by site order by site",
            [week_ago],
        ):
            site = row["site"]
            last = self._last_site_run(site)
            good = self._last_site_run(site, status="ok")
            out.append(
                {
                    "site": site,
                    "articles": row["articles"],
                    "new_last_run": last["new"] if last else 0,
                    "new_7_days": row["new_7d"] or 0,
                    "last_run": last["finished_at"] if last else None,
                    "last_run_status": last["status"] if last else None,
                    "last_ok_run": good["finished_at"] if good else None,
                    "errors_last_run": last["errors"] if last else 0,
                    "health_warning": last.get("health_warning") if last else None,
                }
            )
        return out

    def _last_site_run(self, site: str, status: str | None = None) -> dict[str, Any] | None:
        if not self.db["crawl_sites"].exists():
            return None
        sql = (
            "select s.*, c.finished_at from crawl_sites s join crawls c on c.id = s.crawl_id"
            " where s.site = ?"
        )
        params: list[Any] = [site]
        if status:
            sql += " and s.status = ?"
            params.append(status)
        rows = list(self.db.query(sql + " order by c.id desc limit 1", params))
        return rows[0] if rows else None



