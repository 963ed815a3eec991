"""The extraction worker's C helpers give exactly what their Python definitions give.

``crawler.archive._shingles`` (``dedupe.shingles`` / ``dedupe.fingerprint``) and
``crawler.search._tokens`` (``tokens.document_buffer`` after ``fold``) replace Python code
that stays as the fallback and the reference (``dedupe._shingles_py``,
``dedupe._fingerprint_py``, ``tokens._document_buffer_py``; ``str.translate`` for
``dedupe._per_char_nfkc``; ``cleaning._CONTROL_RE`` for ``_walk.has_control``). The
packed shingle set is stored in ``shingle_sets`` and the buffer is what FTS5 indexes:
both must be the same bytes, so the tests compare bytes, on generated text and on real
pages, and a crawl of the demo portal with and without the extensions must leave the
same archive rows.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import re
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from crawler import worker
from crawler.archive import Archive, dedupe
from crawler.extract import cleaning
from crawler.search import tokens
from crawler.worker import extract_page
from tests.conftest import ROOT, run_cli

PAGES = sorted(
    [*ROOT.glob("tests/cases/*/page.html"), *ROOT.glob("crawler/demo/portal/**/*.html")]
)
#: The extraction eval set, when the shared folder is beside the checkout (as in CI).
EVAL_PAGES = sorted((ROOT.parent / "shared" / "eval").glob("*/*.html"))


def test_the_extensions_are_in_use() -> None:
    # tests/run.sh installs with NEWSARCHIVE_REQUIRE_SPEEDUPS=1: a missing extension is
    # an ImportError there, not a silent comparison of the Python code with itself.
    assert dedupe._C is not None
    assert tokens._C is not None


def _same(text: str) -> None:
    table = dedupe._nfkc_table()
    assert dedupe._per_char_nfkc(text) == text.translate(table)
    assert tokens.document_buffer(text) == tokens._document_buffer_py(text)
    assert dedupe.shingles(text) == dedupe._shingles_py(text)
    c, py = dedupe.fingerprint(text), dedupe._fingerprint_py(text)
    assert c == py  # the sketch tuple and the packed bytes, in the same order
    if c is not None:
        assert type(c) is dedupe.Fingerprint and type(c.packed) is bytes


#: No surrogates: text from a decoded page or a database never holds a lone one.
ANY_CHAR = st.characters(blacklist_categories=("Cs",))
CHINESE = st.sampled_from(
    list("消费者权益保护委员会发布比较试验结果召回汽车質檢總局開展專項檢查")
    + list("，。、；：「」《》（）！？…—　 \n\t")
    + list("ＡＢＣ１２３abcXYZ0129_-·%")
    + ["𠮷", "㙟", "\U0002f800", "e\u0301", "ﬁ", "Ⅻ", "\x00", "\x01", "\ufdd0"]
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(ANY_CHAR, max_size=300))
@example("")
@example("a")
@example("ab")
@example("_")
@example("𠮷" * 70)
@example("a" * 59)
@example("a" * 60)
@example("ab " * 40)
def test_same_bytes_on_any_unicode(text: str) -> None:
    _same(text)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(CHINESE, max_size=400).map("".join))
def test_same_bytes_on_chinese_text(text: str) -> None:
    _same(text)


#: Any character, and often those at the edges of _CONTROL_RE's classes.
CONTROL_EDGES = st.sampled_from(
    "\x00\x08\x09\x0b\x1f\x20\t\n\r\ud7ff\ud800\ue003\ue004\ufffd\ufffe\uffff"
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(st.one_of(st.characters(), CONTROL_EDGES), max_size=60))
@example("")
@example("中文" * 50 + "\udfff")
def test_control_scan_matches_the_regex(text: str) -> None:
    # cleaning.parse removes _CONTROL_RE's characters only when the scan finds one: the
    # C scan (crawler/extract/_walk.c) and the Python one must both say what the regex says.
    expected = cleaning._CONTROL_RE.search(text) is not None
    assert cleaning._walk_c is not None
    assert cleaning._walk_c.has_control(text) is expected
    assert cleaning._may_have_control_py(text) is expected
    for kind in ("a", "中", "𠮷"):  # the string's storage: 1, 2 or 4 bytes per character
        assert cleaning._walk_c.has_control(kind + text) is expected


@pytest.mark.parametrize("path", PAGES + EVAL_PAGES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_same_bytes_on_real_pages(path: Path) -> None:
    article, _codec, _data = extract_page(path.read_bytes(), "http://x.cn/a.html", None, None)
    body, title = article.body or "", article.title or ""
    assert article.fingerprint == dedupe._fingerprint_py(body)
    assert article.fts_buffers == (tokens._document_buffer_py(title),
                                   tokens._document_buffer_py(body))  # fmt: skip
    _same(body)


def _archive_rows(db: Path) -> dict[str, list]:
    """The rows the worker's output ends up in, by URL (crawl order may differ)."""
    archive = Archive(db, readonly=True)
    conn = archive.db.conn
    try:
        conn.execute(
            "create virtual table temp.vocab using fts5vocab(main, articles_fts, instance)"
        )
        found = {
            "shingle_sets": conn.execute(
                "select url, sketch, shingles from shingle_sets order by url").fetchall(),
            "index": conn.execute(
                "select a.url, v.term, v.col, v.offset from temp.vocab v"
                " join articles a on a.rowid = v.doc order by 1, 2, 3, 4").fetchall(),
            "articles": conn.execute(
                "select url, title, body, duplicate_of from articles order by url").fetchall(),
        }  # fmt: skip
    finally:
        archive.close()
    # Each demo serves on a port of its own: compare URLs without it.
    return {k: [tuple(_path(v) for v in row) for row in rs] for k, rs in found.items()}


def _path(value: object) -> object:
    return re.sub(r"^http://127\.0\.0\.1:\d+", "", value) if isinstance(value, str) else value


def test_demo_crawl_without_the_extensions_stores_the_same_rows(tmp_path: Path) -> None:
    # What a user would see: the demo crawl's archive (the stored shingle sets, the search
    # index's blocks, the articles and their duplicate links) is the same either way.
    rows = {}
    for flag in ("0", "1"):
        folder = tmp_path / f"speedups-off-{flag}"
        folder.mkdir()
        env = {"NEWSARCHIVE_NO_SPEEDUPS": flag,
               "NEWSARCHIVE_REQUIRE_SPEEDUPS": "1" if flag == "0" else ""}  # fmt: skip
        result = run_cli("demo", "--db", str(folder / "archive.db"), "--port", "0",
                         cwd=folder, env=env)  # fmt: skip
        assert result.returncode == 0, result.stderr
        rows[flag] = _archive_rows(folder / "archive.db")
    assert len(rows["0"]["articles"]) == 12
    assert len(rows["0"]["shingle_sets"]) >= 10
    assert len(rows["0"]["index"]) > 5_000
    assert rows["0"] == rows["1"]


def _gc_state() -> tuple[int, tuple[int, ...], int]:
    return gc.get_freeze_count(), gc.get_threshold(), len(gc.garbage)


def _extracted(path: Path) -> tuple:
    article, codec, data = extract_page(path.read_bytes(), "http://x.cn/a.html", None, None)
    return article.to_dict(), article.fingerprint, article.fts_buffers, codec, data


def test_worker_pool_freezes_what_pages_share_and_extracts_the_same() -> None:
    # The crawl's pool initializer (init_worker) warms the worker up and freezes what every
    # page shares (tune_gc): the pages come back exactly as extracted here, and nothing
    # is left uncollectable.
    pages = PAGES[:30]
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"),
                             initializer=worker.init_worker,
                             initargs=(os.getpid(),)) as pool:  # fmt: skip
        frozen, threshold, _ = pool.submit(_gc_state).result()
        assert frozen > 10_000  # modules, tables and caches: not traversed per collection
        assert threshold == worker.GC_THRESHOLD
        assert list(pool.map(_extracted, pages)) == [_extracted(p) for p in pages]
        assert pool.submit(_gc_state).result()[2] == 0
