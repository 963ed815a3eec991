"""The duplicate check's work per new article is bounded, whatever the archive holds.

A site of template-built notices (抽检 results, court notices) makes every archived
article a candidate copy of every new one. The check must then read the same number of
SQL rows and unpack the same number of stored shingle sets per new article at 100 and
at 5,000 archived near-identical articles, and never re-shingle an archived body.
"""

from __future__ import annotations

import random
from pathlib import Path

from crawler.archive import Archive, dedupe
from crawler.items import Article
from tests.conftest import FAST, PortalServer, query, run_cli, write_profile
from tests.test_archive_pages import STORY, XFZX

#: Two disjoint sets of common hanzi: the archived articles' own words come from the
#: first, the new article's from the second, so that whether one of the new article's
#: 4-grams occurs in the archive never depends on chance (or on the archive's size).
_HANZI = [chr(c) for c in range(0x4E00, 0x4E00 + 4000)]
ARCHIVED_CHARS, NEW_CHARS = _HANZI[:2000], _HANZI[2000:]

#: The shared notice text (~400 characters), as a template-built site repeats it.
_RNG = random.Random(18)
BASE = "".join(_RNG.choice(ARCHIVED_CHARS) + ("。" if i % 23 == 22 else "") for i in range(400))


def _notice(rng: random.Random, chars: list[str]) -> str:
    """The shared text plus 6 characters of its own (a name, a number)."""
    return BASE + "\n" + "".join(rng.choice(chars) for _ in range(6))


def _work_for_one_new_article(tmp_path: Path, archived: int) -> tuple[dict[str, int], dict]:
    rng = random.Random(archived)
    db = tmp_path / f"archive-{archived}.db"
    with Archive(db) as archive:
        for i in range(archived):
            archive.upsert_batched(Article(url=f"http://notices.cn/{i:05d}", site="n",
                                           title=f"通告{i}", body=_notice(rng, ARCHIVED_CHARS)))
            if archive.batch_size() >= 500:
                archive.commit_batch()
        archive.commit_batch()
        before = dict(archive.dedupe_work)
        body = _notice(random.Random("new"), NEW_CHARS)
        assert archive.upsert_article(Article(url="http://copy.cn/1", site="c", title="通告",
                                              body=body)) == "new"  # fmt: skip
        work = {k: archive.dedupe_work[k] - before.get(k, 0) for k in ("rows", "unpacked",
                                                                      "reshingled")}  # fmt: skip
    (row,) = query(db, "select duplicate_of from articles where url = 'http://copy.cn/1'")
    return work, row


def test_rows_read_and_sets_unpacked_do_not_grow_with_the_archive(tmp_path: Path) -> None:
    small, small_row = _work_for_one_new_article(tmp_path, 100)
    large, large_row = _work_for_one_new_article(tmp_path, 5000)
    # The copy is linked to the first notice of its kind in both archives.
    assert small_row == large_row == {"duplicate_of": "http://notices.cn/00000"}
    assert small == large
    # Never an archived body: at most one stored set per candidate, plus its own.
    assert large["reshingled"] == 0
    assert 2 <= large["unpacked"] <= dedupe.MAX_CANDIDATES + 1
    per_hash_rows = dedupe.SKETCH_SIZE * dedupe.CANDIDATES_PER_HASH
    assert 0 < large["rows"] <= per_hash_rows + 4 * dedupe.MAX_CANDIDATES


def test_an_older_archive_falls_back_for_its_old_rows_and_reextract_upgrades_it(
    tmp_path: Path, portal: PortalServer
) -> None:
    profile = write_profile(tmp_path / "xf.toml", portal.url, "demo-xfzx")
    db = tmp_path / "a.db"
    assert run_cli("crawl", str(profile), "--db", str(db), *FAST).returncode == 0
    with Archive(db) as archive, archive.db.conn as conn:
        conn.execute("delete from shingle_sets")  # as written before shingle sets were stored
    links_before = query(db, "select url, duplicate_of from articles order by url")

    # A copy arriving now is still linked: the old row is confirmed on its body's text.
    with Archive(db) as archive:
        copy = Article(url="http://copy.cn/1", site="c", title="t", body="本报讯 " + STORY)
        assert archive.upsert_article(copy) == "new"
        assert archive.dedupe_work["reshingled"] == 1
    (row,) = query(db, "select duplicate_of from articles where url = 'http://copy.cn/1'")
    assert row == {"duplicate_of": portal.url + XFZX[0]}

    # reextract stores the missing sets and leaves every link as it was.
    result = run_cli("reextract", "--db", str(db), "--jobs", "1")
    assert result.returncode == 0, result.stderr
    assert query(db, "select url, duplicate_of from articles where url != 'http://copy.cn/1'"
                 " order by url") == links_before  # fmt: skip
    assert query(db, "select count(*) as n from shingle_sets")[0]["n"] == len(XFZX) + 1
    with Archive(db) as archive:
        again = Article(url="http://copy.cn/2", site="c", title="t", body=STORY + "\n编辑：李四")
        assert archive.upsert_article(again) == "new"
        assert archive.dedupe_work["reshingled"] == 0
        assert archive.dedupe_work["unpacked"] >= 2
    (row,) = query(db, "select duplicate_of from articles where url = 'http://copy.cn/2'")
    assert row == {"duplicate_of": portal.url + XFZX[0]}
