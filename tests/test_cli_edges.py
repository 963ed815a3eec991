"""Issue 16: the edges a user meets in the first week, each run as a real ``newsarchive``
process (cases 1, 4, 8, 9, 10, 11, 12 and 13 of the issue; tests/README.md's table).

Every command here is one a user typed and saw fail: a traceback, a lost archive, a
silent no-op or a second copy of the demo. Each test asserts what the user sees (exit
code, the one ``Error:`` line, the files) and that the archive is unchanged.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT, crawl_demo_archive, free_port, query, run_cli

#: The installed console script, for what depends on the program's name (completion).
SCRIPT = Path(sys.executable).parent / "newsarchive"


@pytest.fixture(scope="module")
def demo_archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo crawled once (12 articles); tests work on copies (:func:`archive`)."""
    return crawl_demo_archive(tmp_path_factory.mktemp("edges"))


@pytest.fixture
def archive(demo_archive: Path, tmp_path: Path) -> Path:
    """A private copy of the demo archive, as ``tmp_path/archive.db``."""
    db = tmp_path / "archive.db"
    shutil.copyfile(demo_archive, db)
    return db


def unmount(path: Path) -> None:
    """Unmount ``path``; lazily if something still holds it, so no mount outlives the test."""
    if subprocess.run(["umount", str(path)]).returncode != 0:
        subprocess.run(["umount", "-l", str(path)], check=True)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def state(db: Path) -> tuple[str, int, int]:
    """``PRAGMA integrity_check``, articles and crawls rows: what must not change."""
    conn = sqlite3.connect(db)
    try:
        return (
            conn.execute("pragma integrity_check").fetchone()[0],
            conn.execute("select count(*) from articles").fetchone()[0],
            conn.execute("select count(*) from crawls").fetchone()[0],
        )
    finally:
        conn.close()


def one_error(result: subprocess.CompletedProcess, code: int, *words: str) -> str:
    """Assert exit ``code``, no traceback and exactly one ``Error:`` line holding ``words``."""
    assert result.returncode == code, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr + result.stdout
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, result.stderr
    for word in words:
        assert word in errors[0], errors[0]
    return errors[0]


# -- 1 + build: no command writes over the archive or any SQLite file --------------------------
def test_export_warc_named_like_the_archive_refuses_and_keeps_it(archive: Path) -> None:
    before = digest(archive)
    # the sqlite-utils habit: database first; --db defaults to ./archive.db
    result = run_cli("export-warc", "archive.db", cwd=archive.parent)
    one_error(result, 2, "archive.db", "is the archive itself")
    assert digest(archive) == before
    assert state(archive) == ("ok", 12, 1)


def test_no_output_lands_on_an_sqlite_file_or_the_archive(archive: Path, tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("create table t (x)").connection.close()
    other_before, before = digest(other), digest(archive)
    link = tmp_path / "link.warc"
    link.symlink_to(archive)
    wal = tmp_path / "archive.db-wal"
    for args, words in [
        (["export-warc", str(other), "--db", str(archive)], ("existing SQLite database",)),
        (["export-warc", str(link), "--db", str(archive)], ("the archive itself",)),
        (["export-warc", str(wal), "--db", str(archive)], ("belongs to the SQLite database",)),
        (["crawl", "demo-xfzx", "--db", str(archive), "--log-file", str(archive)],
         ("--log-file", "the archive itself")),
        (["crawl", "demo-xfzx", "--db", str(archive), "--log-file", str(other)],
         ("--log-file", "existing SQLite database")),
    ]:  # fmt: skip
        one_error(run_cli(*args, cwd=tmp_path), 2, *words)
    assert (digest(other), digest(archive)) == (other_before, before)
    assert not wal.exists()
    assert state(archive) == ("ok", 12, 1)  # no crawls row either


# -- the sqlite-utils habit: the archive named first (or last) is --db ----------------------------
def test_an_archive_named_as_an_argument_is_the_archive(archive: Path, tmp_path: Path) -> None:
    """``newsarchive search archive.db 召回`` used to search for the words "archive.db" and
    "召回" in ./archive.db and say "no articles match" (exit 0)."""
    elsewhere = tmp_path / "sub"
    elsewhere.mkdir()
    want = run_cli("search", "召回", "--db", str(archive), cwd=elsewhere)
    assert want.returncode == 0 and "召回" in want.stdout
    for args in (["search", str(archive), "召回"], ["search", "召回", str(archive)],
                 ["search", "--limit", "20", str(archive), "召回"]):  # fmt: skip
        got = run_cli(*args, cwd=elsewhere)
        assert (got.returncode, got.stdout) == (0, want.stdout), args
    stats = run_cli("stats", str(archive), cwd=elsewhere)
    assert stats.returncode == 0 and "demo-xfzx" in stats.stdout
    assert not (elsewhere / "archive.db").exists()
    assert state(archive) == ("ok", 12, 1)


def test_two_different_archives_named_is_an_error(archive: Path, tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    shutil.copyfile(archive, other)
    result = run_cli("search", str(other), "召回", "--db", str(archive), cwd=tmp_path)
    one_error(result, 2, "two archives named")
    same = run_cli("search", str(archive), "召回", "--db", str(archive), cwd=tmp_path)
    assert same.returncode == 0 and "召回" in same.stdout


def test_a_word_that_is_no_sqlite_file_stays_a_query_word(archive: Path) -> None:
    (archive.parent / "召回").write_text("not a database", encoding="utf-8")
    result = run_cli("search", "召回", cwd=archive.parent)
    assert result.returncode == 0 and "召回" in result.stdout


def test_a_site_the_archive_does_not_have_is_named_as_such(archive: Path) -> None:
    """A typo in --site used to read like "the words are nowhere"."""
    typo = run_cli("search", "召回", "--site", "demo-xfz", "--db", str(archive))
    assert typo.returncode == 0 and typo.stdout == ""
    assert typo.stderr.splitlines() == [
        "note: the archive has no articles of site 'demo-xfz' (its sites: demo-xfzx, demo-zlxw)",
        "no articles match",
    ]
    right = run_cli("search", "不存在的词语", "--site", "demo-xfzx", "--db", str(archive))
    assert right.returncode == 0 and right.stderr.splitlines() == ["no articles match"]


# -- 4: reading or updating commands never create an archive -----------------------------------
@pytest.mark.parametrize(
    "args",
    [
        ["reextract"],
        ["search", "召回"],
        ["stats"],
        ["reindex"],
        ["export-warc", "out.warc"],
        ["ingest", "--redis", "redis://127.0.0.1:1/0", "--no-wait"],
    ],
    ids=lambda a: a[0],
)
def test_a_typo_in_db_creates_nothing(tmp_path: Path, args: list[str]) -> None:
    result = run_cli(*args, "--db", "missing3.db", cwd=tmp_path)
    one_error(result, 3, "missing3.db", "no archive here")
    assert sorted(p.name for p in tmp_path.iterdir()) == []


# -- 8: the demo beside `demo --serve` --------------------------------------------------------
@pytest.fixture
def served_demo() -> Iterator[int]:
    """``newsarchive demo --serve --port P`` running in the background; yields P."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "crawler", "demo", "--serve", "--port", str(port)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert f"http://127.0.0.1:{port}/" in line, line + proc.stderr.read()
    yield port
    proc.terminate()
    proc.wait(timeout=10)


def test_demo_reuses_the_served_portal_and_archives_nothing_twice(
    served_demo: int, tmp_path: Path
) -> None:
    port = served_demo
    db = tmp_path / "archive.db"
    for _ in range(2):
        result = run_cli("demo", "--db", str(db), "--port", str(port), cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        assert f"already served on http://127.0.0.1:{port}/" in result.stderr
        assert "Traceback" not in result.stderr
    urls = [r["url"] for r in query(db, "select url from articles")]
    assert len(urls) == 12 and all(u.startswith(f"http://127.0.0.1:{port}/") for u in urls)
    # a second server on the same port is refused, not moved elsewhere
    second = run_cli("demo", "--serve", "--port", str(port), timeout=30)
    one_error(second, 3, f"port {port}", "demo portal already serves")


def test_demo_on_a_port_held_by_another_program_fails_clearly(tmp_path: Path) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        for args in (["demo", "--db", str(tmp_path / "a.db")], ["demo", "--serve"]):
            result = run_cli(*args, "--port", str(port), cwd=tmp_path, timeout=60)
            one_error(result, 3, f"port {port}", "in use by another program")
    assert not (tmp_path / "a.db").exists()


# -- 9: one line, never a traceback --------------------------------------------------------------
def test_log_file_in_a_missing_folder_is_refused_before_the_run(archive: Path) -> None:
    result = run_cli("crawl", "demo-xfzx", "--db", str(archive),
                     "--log-file", "/nonexistent/dir/crawl.log")  # fmt: skip
    one_error(result, 2, "--log-file", "/nonexistent/dir does not exist")
    assert state(archive) == ("ok", 12, 1)  # no `failed` crawls row


def test_export_warc_into_a_missing_folder(archive: Path) -> None:
    result = run_cli("export-warc", "/nonexistent/x.warc", "--db", str(archive))
    one_error(result, 2, "/nonexistent/x.warc", "does not exist")


@pytest.mark.parametrize(
    "args",
    [
        ["demo", "--port", "99999"],
        ["demo", "--port", "-5"],
        ["demo", "--serve", "--port", "70000"],
        ["search", "召回", "--limit", "100000000000000000000"],
        ["search", "召回", "--window", "100000000000000000000"],
        ["search", "召回", "--limit", "-3"],
    ],
)
def test_numbers_out_of_range_are_usage_errors(archive: Path, args: list[str]) -> None:
    result = run_cli(*args, "--db", str(archive), timeout=60)
    one_error(result, 2, "is not in the range")
    assert state(archive) == ("ok", 12, 1)


def test_scrapy_crawl_unknown_site_is_one_line(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "scrapy", "crawl", "portal", "-a", "site=nosuch",
         "-s", f"ARCHIVE_DB={tmp_path / 'a.db'}"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert "Task exception was never retrieved" not in result.stderr
    one_error(result, 2, "unknown site 'nosuch'")
    assert not (tmp_path / "a.db").exists()


# -- 10: long queries, with and without the C ranking function ---------------------------------
def test_a_query_of_130_phrases_ranks_the_same_with_and_without_the_extension(
    archive: Path,
) -> None:
    words = ["召回", *(f"词{i}" for i in range(129))]
    query_ = " OR ".join(words) + " 汽车"  # 131 phrases: one argument each would be 133
    out = {}
    for flag in ("0", "1"):
        env = {"NEWSARCHIVE_NO_SPEEDUPS": flag,
               "NEWSARCHIVE_REQUIRE_SPEEDUPS": "1" if flag == "0" else ""}  # fmt: skip
        result = run_cli("search", query_, "--db", str(archive), "--json", "--window", "0",
                         env=env)  # fmt: skip
        assert result.returncode == 0, result.stderr[-2000:]
        out[flag] = json.loads(result.stdout)
    assert out["0"], "the query matches the recall article"
    assert [r["url"] for r in out["0"]] == [r["url"] for r in out["1"]]
    for a, b in zip(out["0"], out["1"], strict=True):
        assert a["rank"] == pytest.approx(b["rank"], rel=1e-9)
    # 130 plain words (nothing matches them all) run too
    many = run_cli("search", *(f"词{i}" for i in range(130)), "--db", str(archive))
    assert many.returncode == 0 and "no articles match" in many.stderr, many.stderr[-2000:]


# -- 11: dates, checked by one parser everywhere -------------------------------------------------
@pytest.mark.parametrize(
    "args, option, value",
    [
        (["crawl", "demo-xfzx", "--refresh", "--since", "yesterday"], "--since", "yesterday"),
        (["crawl", "demo-xfzx", "--refresh", "--since", "2024-99-01"], "--since", "2024-99-01"),
        (["reextract", "--since", "yesterday"], "--since", "yesterday"),
        (["export-warc", "out.warc", "--since", "notadate"], "--since", "notadate"),
        (["search", "召回", "--until", "2024-02-30"], "--until", "2024-02-30"),
    ],
)
def test_bad_dates_exit_2_before_anything_runs(
    archive: Path, args: list[str], option: str, value: str
) -> None:
    result = run_cli(*args, "--db", str(archive), cwd=archive.parent)
    one_error(result, 2, option, repr(value), "is not a date")
    assert state(archive) == ("ok", 12, 1)
    assert not (archive.parent / "out.warc").exists()


def test_since_without_refresh_is_an_error(archive: Path) -> None:
    result = run_cli("crawl", "demo-xfzx", "--since", "2024-01-01", "--db", str(archive))
    one_error(result, 2, "--since goes with --refresh")
    assert state(archive) == ("ok", 12, 1)


def test_good_dates_still_select(archive: Path, tmp_path: Path) -> None:
    out = tmp_path / "x.warc"
    result = run_cli("export-warc", str(out), "--since", "2000-01-01T00:00:00Z",
                     "--db", str(archive))  # fmt: skip
    assert result.returncode == 0 and "wrote 12 responses" in result.stdout, result.stderr
    none = run_cli("export-warc", str(out), "--since", "2999-01-01", "--db", str(archive))
    assert none.returncode == 0 and "wrote 0 responses" in none.stdout, none.stderr


# -- 12: a read-only archive is read ------------------------------------------------------------
@pytest.fixture
def read_only_dir(tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    """``(src, ro)``: ``ro`` is a read-only bind mount of ``src`` (even root cannot write
    there, unlike a chmod-ed folder)."""
    src, ro = tmp_path / "src", tmp_path / "ro"
    src.mkdir()
    ro.mkdir()
    subprocess.run(["mount", "--bind", str(src), str(ro)], check=True)
    try:
        subprocess.run(["mount", "-o", "remount,bind,ro", str(ro)], check=True)
        yield src, ro
    finally:
        unmount(ro)


def test_read_only_archive_is_searched_read_and_exported(
    demo_archive: Path, read_only_dir: tuple[Path, Path], tmp_path: Path
) -> None:
    src, ro = read_only_dir
    shutil.copyfile(demo_archive, src / "archive.db")  # a WAL archive, no -wal or -shm
    db = ro / "archive.db"
    with pytest.raises(OSError):
        (ro / "probe").write_text("")  # the place really is read-only
    before = digest(db)
    search = run_cli("search", "召回", "--db", str(db), "--json")
    assert search.returncode == 0, search.stderr
    assert len(json.loads(search.stdout)) >= 1
    stats = run_cli("stats", "--db", str(db), "--json")
    assert stats.returncode == 0, stats.stderr
    assert sum(r["articles"] for r in json.loads(stats.stdout)) == 12
    warc = run_cli("export-warc", str(tmp_path / "x.warc"), "--db", str(db))
    assert warc.returncode == 0 and "wrote 12 responses" in warc.stdout, warc.stderr
    assert digest(db) == before and sorted(p.name for p in ro.iterdir()) == ["archive.db"]


def test_read_only_archive_with_pending_wal_says_what_to_do(
    demo_archive: Path, read_only_dir: tuple[Path, Path]
) -> None:
    src, ro = read_only_dir
    work = src.parent / "work.db"
    shutil.copyfile(demo_archive, work)
    writer = sqlite3.connect(work)
    writer.execute("pragma wal_autocheckpoint = 0")
    writer.execute("create table pending (x)")
    writer.commit()  # committed into work.db-wal, not yet into work.db
    shutil.copyfile(work, src / "archive.db")
    shutil.copyfile(work.with_name("work.db-wal"), src / "archive.db-wal")
    writer.close()
    result = run_cli("stats", "--db", str(ro / "archive.db"))
    one_error(result, 3, "read-only", "archive.db-wal", "checkpoint")


# -- 13: smaller edges ---------------------------------------------------------------------------
def search_json(archive: Path, *args: str) -> list[str]:
    """URLs found by ``search --db ARCHIVE --json ARGS`` (options first: ARGS may hold --)."""
    result = run_cli("search", "--db", str(archive), "--json", *args)
    assert result.returncode == 0, result.stderr
    return [r["url"] for r in json.loads(result.stdout)]


def test_and_not_are_operators(archive: Path) -> None:
    both = search_json(archive, "召回", "汽车")
    assert both and search_json(archive, "召回", "AND", "汽车") == both
    assert search_json(archive, "召回 AND 汽车") == both
    without = search_json(archive, "召回", "-汽车")
    assert search_json(archive, "召回", "NOT", "汽车") == without
    assert set(without).isdisjoint(both)
    assert search_json(archive, "专利", "NOT", "假冒") == search_json(archive, "专利", "-假冒")
    one_error(run_cli("search", "召回", "NOT", "--db", str(archive)), 2, "NOT must stand")


def test_a_minus_word_after_the_first_word_is_a_query_word(archive: Path) -> None:
    plain = search_json(archive, "专利")
    assert plain
    assert search_json(archive, "专利", "-nba") == search_json(archive, "--", "专利", "-nba")
    assert search_json(archive, "专利", "-nba") == plain  # no article mentions nba
    assert search_json(archive, "专利", "-假冒") == [u for u in plain if u not in
                                                    search_json(archive, "专利", "假冒")]
    # options written out still work after the query
    result = run_cli("search", "专利", "-n", "1", "--json", "--db", str(archive))
    assert result.returncode == 0 and len(json.loads(result.stdout)) == 1, result.stderr
    one_error(run_cli("search", "专利", "--nosuch", "--db", str(archive)), 2, "--nosuch")


def test_no_arguments_prints_help_and_exits_0() -> None:
    result = run_cli()
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Usage: newsarchive") and "Commands:" in result.stdout


def _on_a_terminal(args: list[str], env: dict[str, str]) -> str:
    """The output of ``newsarchive ARGS`` with stdout on a pseudo-terminal."""
    import pty

    leader, follower = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "crawler", *args], cwd=ROOT,
                            stdout=follower, stderr=subprocess.PIPE,
                            env={**os.environ, **env})  # fmt: skip
    os.close(follower)
    chunks = []
    while True:
        try:
            data = os.read(leader, 65536)
        except OSError:  # EIO: the process closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    proc.wait(timeout=60)
    os.close(leader)
    return b"".join(chunks).decode("utf-8", "replace")


def test_no_color_is_honoured(archive: Path) -> None:
    args = ["search", "召回", "--db", str(archive)]
    coloured = _on_a_terminal(args, {"NO_COLOR": ""})
    assert "\x1b[1;31m召回\x1b[0m" in coloured
    plain = _on_a_terminal(args, {"NO_COLOR": "1"})
    assert "[召回]" in plain and "\x1b[" not in plain


def test_a_reader_that_stops_early_is_no_error(archive: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "crawler", "search", "召回", "--db", str(archive)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # `| head -0`: the pipe is gone before the first line
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 0, err
    assert err == ""


def test_site_names_complete_in_the_shell() -> None:
    env = {**os.environ, "_NEWSARCHIVE_COMPLETE": "bash_complete",
           "COMP_WORDS": "newsarchive crawl demo-", "COMP_CWORD": "2"}  # fmt: skip
    result = subprocess.run([str(SCRIPT)], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    items = result.stdout.splitlines()
    assert "plain,demo-xfzx" in items and "plain,demo-zlxw" in items
    assert "file,demo-" in items  # and paths to .toml profiles
    assert not any(i.endswith(",ccn") for i in items)


def test_a_read_command_leaves_the_archive_as_it_was(archive: Path, tmp_path: Path) -> None:
    before = (digest(archive), state(archive))
    for args in (["search", "召回"], ["stats"], ["export-warc", str(tmp_path / "o.warc")]):
        result = run_cli(*args, "--db", str(archive))
        assert result.returncode == 0, result.stderr
    assert (digest(archive), state(archive)) == before


def test_export_warc_onto_a_full_disk_leaves_no_half_file(archive: Path, tmp_path: Path) -> None:
    small = tmp_path / "small"
    small.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(small)], check=True)
    try:
        result = run_cli("export-warc", str(small / "x.warc"), "--db", str(archive))
        one_error(result, 3, "writing failed", "removed the incomplete file")
        assert list(small.iterdir()) == []
    finally:
        unmount(small)
    assert state(archive) == ("ok", 12, 1)
