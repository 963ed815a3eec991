"""The duplicate check in SQL: link a new article to the archived story it copies
(``duplicate_of``), with the fingerprints of :mod:`crawler.archive.dedupe` (a mixin of
:class:`crawler.archive.Archive`).
"""

from __future__ import annotations

from crawler.archive import dedupe


class SyndicatedCopies:
    """``duplicate_of``: find and link the archived story an article copies."""

    def _link_duplicate(
        self, url: str, body: str, mine: dedupe.Fingerprint | None = None
    ) -> str | None:
        """Store ``url``'s fingerprint and shingle set; return the earliest archived article
        it copies.

        ``mine`` is ``dedupe.fingerprint(body)`` if the caller has it already (the crawl's
        extraction worker computes it, off the crawl process). The work is bounded
        whatever the archive holds: at most ``CANDIDATES_PER_HASH`` fingerprint rows per
        sketch hash, then at most ``MAX_CANDIDATES`` candidates (one query), each confirmed
        on its stored shingle set (one row) unless it could not change the result (its
        root is no earlier than the one found). Only a candidate archived by a version without
        ``shingle_sets`` (no row there) is confirmed on its body's text, as before.
        :attr:`dedupe_work` counts the rows read and the sets unpacked.
        """
        conn = self.db.conn
        work = self.dedupe_work
        conn.execute("delete from fingerprints where url = ?", [url])
        conn.execute("delete from shingle_sets where url = ?", [url])
        if mine is None:
            mine = dedupe.fingerprint(body)
        if mine is None:
            return None
        hashes = list(mine.sketch)
        conn.executemany(
            "insert into fingerprints (hash, url) values (?, ?)", [(h, url) for h in hashes]
        )
        conn.execute(
            "insert into shingle_sets (url, sketch, shingles) values (?, ?, ?)",
            [url, dedupe.pack(hashes), mine.packed],
        )
        # Each sketch hash is looked up on its own, newest rows first and at most
        # CANDIDATES_PER_HASH of them: a very common 4-gram cannot make every insert
        # read more rows as the archive grows, and a real copy shares about half its
        # sketch, so its rarer hashes still find it. SQLite counts the shared hashes;
        # the first row returned is the number of fingerprint rows the lookups read
        # (SQLite 3.35+ materialises a CTE used twice; older ones compute it twice).
        per_hash = (
            "select url from fingerprints where hash = ?"
            f" order by rowid desc limit {int(dedupe.CANDIDATES_PER_HASH)}"
        )
        hits = " union all ".join([f"select * from ({per_hash})"] * len(hashes))
        found = conn.execute(
            f"with hits as ({hits})"
            " select null, count(*) from hits union all"
            " select * from (select url, count(*) as n from hits where url != ? group by url"
            f" having n >= ? order by n desc, url limit {int(dedupe.MAX_CANDIDATES)})",
            [*hashes, url, dedupe.MIN_SHARED],
        ).fetchall()  # fmt: skip
        work["rows"] += found[0][1] + len(found) - 1
        candidates = [r[0] for r in found[1:]]
        if not candidates:
            return None
        # One query for every candidate: its date, its root's date, its stored sketch.
        rows = {r[0]: r[1:] for r in conn.execute(
            "select a.url, a.archived_at, a.duplicate_of, r.url is not null, r.archived_at,"
            " s.sketch, s.url is not null from articles a"
            " left join articles r on r.url = a.duplicate_of"
            " left join shingle_sets s on s.url = a.url"
            f" where a.url in ({', '.join('?' * len(candidates))})",
            candidates,
        )}  # fmt: skip
        work["rows"] += len(rows) + sum(1 for r in rows.values() if r[2])
        mine_set: set[int] | None = None
        best: tuple[str, str] | None = None  # (archived_at, root url)
        for other in candidates:
            row = rows.get(other)
            if row is None:
                continue
            archived_at, root, has_root, root_archived_at, their_sketch, stored = row
            root = root or other
            if root == url:
                continue  # a copy of this very article (its body changed): no self-link
            archived = (root_archived_at if has_root else archived_at) if root != other \
                else archived_at  # fmt: skip
            if best is not None and not (archived or "") < best[0]:
                continue  # confirmed or not, it could not replace the earliest root found
            if stored:
                theirs = dedupe.unpack_sketch(their_sketch)
            else:  # archived before shingle sets were stored: its fingerprint rows
                theirs = [r[0] for r in conn.execute(
                    "select hash from fingerprints where url = ?", [other])]  # fmt: skip
                work["rows"] += len(theirs)
            if dedupe.estimate(hashes, theirs) < dedupe.ESTIMATE_FLOOR:
                continue  # cheap rejection before the full sets
            if mine_set is None:
                mine_set = mine.shingles()
                work["unpacked"] += 1
            if stored:
                (packed,) = conn.execute(
                    "select shingles from shingle_sets where url = ?", [other]
                ).fetchone()
                work["rows"] += 1
                work["unpacked"] += 1
                same = dedupe.same_story_packed(mine_set, packed)
            else:
                (text,) = conn.execute(
                    "select body from articles where url = ?", [other]
                ).fetchone()
                work["rows"] += 1
                work["reshingled"] += 1
                same = dedupe.same_story(mine_set, dedupe.shingles(text or ""))
            if same:
                best = (archived or "", root)
        return best[1] if best else None

