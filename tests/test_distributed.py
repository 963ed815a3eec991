"""Distributed runs on a real Redis: two workers, one ingest, SIGKILLs, no loss, no duplicate.

A real ``redis-server`` (Debian's package; the test FAILS when it is missing) runs on
127.0.0.1 at a free port for this module. The portal is generated into a temporary
folder, 240 small articles on 12 list pages, and served by ``python -m crawler.demo``
with its request log, which is how "no URL fetched twice" is checked.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import NEWSARCHIVE, ROOT, PortalServer, query, start_server, stop_server

N_ARTICLES = 240
PER_LIST = 20
SITE = "dist"
#: Loopback crawls, short idle/heartbeat timeouts so the tests finish quickly.
WORKER = [
    "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_DELAY=0", "-s", "RETRY_TIMES=1",
    "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=4", "-s", "NEWSARCHIVE_IDLE_CLOSE=2",
    "-s", "NEWSARCHIVE_WORKER_TIMEOUT=3",
]  # fmt: skip
#: Run a newsarchive command with every ScrapyDeprecationWarning shown (and so logged).
WARN_ALL = (
    "import warnings, scrapy.exceptions as e; "
    "warnings.simplefilter('always', e.ScrapyDeprecationWarning); "
    "from crawler.cli import cli; cli(prog_name='newsarchive')"
)


# -- fixtures ------------------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    exe = shutil.which("redis-server") or "/usr/bin/redis-server"
    if not os.path.exists(exe):
        pytest.fail("redis-server is not installed: apt-get install redis-server")
    port = _free_port()
    work = tmp_path_factory.mktemp("redis")
    proc = subprocess.Popen(
        [exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(work)],  # fmt: skip
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    import redis

    client = redis.Redis(port=port)
    deadline = time.monotonic() + 10
    while True:
        try:
            client.ping()
            break
        except redis.ConnectionError:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                pytest.fail(f"redis-server did not start on port {port}")
            time.sleep(0.05)
    yield f"redis://127.0.0.1:{port}/0"
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture
def rdb(redis_url: str) -> Iterator[object]:
    import redis

    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    yield client
    client.close()


def _article(n: int) -> str:
    day = 1 + n % 28
    return f"""<!DOCTYPE html><html><head><meta charset="utf-8">
<title>分布式测试文章{n:04d}号_消费资讯</title></head><body>
<div class="nav"><a href="/news/index.html">首页</a> <a href="/about.html">关于我们</a></div>
<div class="article"><h1>分布式测试文章{n:04d}号</h1>
<div class="info"><span class="time">2024-03-{day:02d} 10:{n % 60:02d}:00</span></div>
<div class="article-content">
<p>第{n}号文章：市场监管部门发布消费提示，提醒广大消费者注意预付卡消费风险，编号{n}。</p>
<p>消保委表示，消费者办理预付卡前应查看经营者资质，签订书面合同，保存付款凭证{n}。</p>
<p>如遇商家跑路，可通过12315平台投诉，或向人民法院提起诉讼维护自身合法权益。</p>
</div>
<div class="article-meta">来源:示例消费网 作者:记者{n % 7} 编辑:王{n % 5}</div></div>
<div class="related">『相关阅读』<a href="/c/{(n + 1) % N_ARTICLES:04d}.html">下一篇</a></div>
</body></html>
"""


def _list_page(page: int, pages: int) -> str:
    first = (page - 1) * PER_LIST
    links = "\n".join(
        f'<li><a href="/c/{n:04d}.html">分布式测试文章{n:04d}号</a></li>'
        for n in range(first, min(first + PER_LIST, N_ARTICLES))
    )
    bar = " ".join(
        f'<a href="/news/{"index" if p == 1 else f"index_{p}"}.html">{p}</a>'
        for p in range(1, pages + 1)
    )
    head = f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>第{page}页</title></head>'
    return f'{head}<body><ul>{links}</ul><div class="pages">{bar}</div></body></html>'



@pytest.fixture(scope="module")
def portal_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("portal")
    (root / "c").mkdir()
    (root / "news").mkdir()
    for n in range(N_ARTICLES):
        (root / "c" / f"{n:04d}.html").write_text(_article(n), encoding="utf-8")
    pages = -(-N_ARTICLES // PER_LIST)
    for p in range(1, pages + 1):
        name = "index.html" if p == 1 else f"index_{p}.html"
        (root / "news" / name).write_text(_list_page(p, pages), encoding="utf-8")
    (root / "robots.txt").write_text("User-agent: *\nAllow: /\n")
    return root


@pytest.fixture
def server(tmp_path: Path, portal_dir: Path) -> Iterator[PortalServer]:
    srv = start_server(portal_dir, tmp_path / "requests.log")
    yield srv
    stop_server(srv)


@pytest.fixture
def profile(tmp_path: Path, server: PortalServer) -> str:
    path = tmp_path / f"{SITE}.toml"
    path.write_text(
        f'name = "{SITE}"\nstart_urls = ["{server.url}/news/index.html"]\n'
        "article_url = '/c/\\d+\\.html$'\nlist_url = '/news/index(_\\d+)?\\.html$'\n"
        "max_list_pages = 100\n",
        encoding="utf-8",
    )
    return str(path)


# -- helpers -------------------------------------------------------------------------------
def cli(*args: str, warn_all: bool = False, env: dict | None = None) -> subprocess.Popen:
    cmd = [sys.executable, "-c", WARN_ALL] if warn_all else list(NEWSARCHIVE)
    return subprocess.Popen(
        [*cmd, *args], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, **(env or {})},
    )  # fmt: skip


def finish(proc: subprocess.Popen, timeout: float = 90) -> tuple[int, str, str]:
    out, err = proc.communicate(timeout=timeout)
    return proc.returncode, out, err


def seed(profile: str, db: Path, redis_url: str) -> None:
    rc, out, err = finish(cli("seed", profile, "--db", str(db), "--redis", redis_url))
    assert rc == 0, err
    assert "seeded" in out


def worker(profile: str, db: Path, redis_url: str, log: Path, **kw: object) -> subprocess.Popen:
    return cli("crawl", profile, "--db", str(db), "--redis", redis_url, *WORKER,
               "--log-file", str(log), **kw)  # type: ignore[arg-type]  # fmt: skip


def ingest(db: Path, redis_url: str, *extra: str, env: dict | None = None) -> subprocess.Popen:
    return cli("ingest", "--db", str(db), "--redis", redis_url, *extra, env=env)


def fetched(server: PortalServer) -> Counter[str]:
    return Counter(p for p in server.paths() if p != "/robots.txt")


def assert_archive_complete(db: Path) -> None:
    rows = query(db, "select url, title from articles")
    titles = sorted(r["title"] for r in rows)
    assert titles == [f"分布式测试文章{n:04d}号" for n in range(N_ARTICLES)]
    assert len({r["url"] for r in rows}) == N_ARTICLES
    pages = query(db, "select url, count(*) as n from pages group by url having n > 1")
    assert pages == [], "a raw page was stored twice"
    assert query(db, "pragma integrity_check")[0]["integrity_check"] == "ok"


def wait_until(predicate, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


# -- tests -----------------------------------------------------------------------------------
def test_two_workers_one_ingest_archive_everything_once(
    tmp_path: Path, server: PortalServer, profile: str, redis_url: str, rdb: object
) -> None:
    db = tmp_path / "archive.db"
    seed(profile, db, redis_url)
    logs = [tmp_path / "w1.log", tmp_path / "w2.log"]
    workers = [worker(profile, db, redis_url, log, warn_all=True) for log in logs]
    writer = ingest(db, redis_url)
    results = [finish(w) for w in workers]
    rc, out, err = finish(writer)
    for wrc, wout, werr in results:
        assert wrc == 0, werr
        assert "worker" in wout and " ok:" in wout
    assert rc == 0, err
    assert f"{N_ARTICLES} new" in out and "closed: ok" in out

    assert_archive_complete(db)
    counts = fetched(server)
    assert [p for p, n in counts.items() if n > 1] == []  # no URL fetched twice
    assert sum(1 for p in counts if p.startswith("/c/")) == N_ARTICLES
    # both workers did real work
    per_worker = query(db, "select worker, articles_fetched from crawl_workers")
    assert len(per_worker) == 2 and all(r["articles_fetched"] > 0 for r in per_worker)
    assert sum(r["articles_fetched"] for r in per_worker) == N_ARTICLES
    # one run in the run log, closed ok, with the totals
    (run,) = query(db, "select * from crawls")
    assert run["status"] == "ok" and run["new"] == N_ARTICLES and run["list_pages"] == 12
    (site,) = query(db, "select * from crawl_sites")
    assert site["new"] == N_ARTICLES and site["pages"] == N_ARTICLES
    # no deprecation warning from our code (every one is shown, so it would be logged)
    for log in logs:
        text = log.read_text(encoding="utf-8")
        assert "ScrapyDeprecationWarning" not in text, text[-3000:]
        assert "Spider opened" in text

    # Incremental across workers: nothing new on list page 1, so a second run fetches
    # only that page (as a local crawl would), and no article.
    server.clear_log()
    seed(profile, db, redis_url)
    second = [worker(profile, db, redis_url, tmp_path / f"x{i}.log") for i in range(2)]
    writer = ingest(db, redis_url)
    assert all(finish(w)[0] == 0 for w in second)
    rc, out, err = finish(writer)
    assert rc == 0, err
    assert fetched(server) == {"/news/index.html": 1}
    run2 = query(db, "select * from crawls order by id desc limit 1")[0]
    assert run2["new"] == 0 and run2["already_archived"] == PER_LIST and run2["status"] == "ok"


def test_killed_worker_loses_nothing(
    tmp_path: Path, server: PortalServer, profile: str, redis_url: str, rdb: object
) -> None:
    db = tmp_path / "archive.db"
    seed(profile, db, redis_url)
    victim = worker(profile, db, redis_url, tmp_path / "victim.log")
    survivor = worker(profile, db, redis_url, tmp_path / "survivor.log")
    writer = ingest(db, redis_url)
    # SIGKILL one worker mid-crawl, while it has requests in flight.
    wait_until(lambda: sum(1 for p in server.paths() if p.startswith("/c/")) >= 60)
    inflight = [k for k in rdb.keys("newsarchive:archive:dist:inflight:*")]  # type: ignore[attr-defined]
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    assert inflight, "the workers had no request in flight when one was killed"
    rc, _, err = finish(survivor)
    assert rc == 0, err
    rc, out, err = finish(writer)
    assert rc in (0, 1), err  # the run is "partial": a worker died
    assert f"{N_ARTICLES} new" in out, out
    assert_archive_complete(db)
    (run,) = query(db, "select status, new from crawls")
    assert run["new"] == N_ARTICLES
    statuses = sorted(r["status"] for r in query(db, "select status from crawl_workers"))
    assert statuses == ["finished", "running"]  # the killed one never said goodbye


def test_killed_ingest_loses_and_duplicates_nothing(
    tmp_path: Path, server: PortalServer, profile: str, redis_url: str, rdb: object
) -> None:
    db = tmp_path / "archive.db"
    seed(profile, db, redis_url)
    w = worker(profile, db, redis_url, tmp_path / "w.log")
    assert finish(w)[0] == 0  # every article now waits in Redis
    items = "newsarchive:archive:items"
    assert rdb.llen(items) == N_ARTICLES  # type: ignore[attr-defined]

    # 1. Killed right after a commit, before the ack: the batch is in both places.
    rc, _, _ = finish(ingest(db, redis_url, "--batch", "30",
                             env={"NEWSARCHIVE_TEST_KILL_AFTER_COMMIT": "1"}))  # fmt: skip
    assert rc == -signal.SIGKILL
    assert query(db, "select count(*) as n from articles")[0]["n"] == 30
    assert rdb.llen("newsarchive:archive:processing") == 30  # type: ignore[attr-defined]

    # 2. Killed mid-batch: records popped and not yet acknowledged (committed or not).
    # The process is frozen (SIGSTOP) while ``processing`` is read, so the kill lands in
    # exactly the state that was checked: records popped and not yet acknowledged.
    proc = ingest(db, redis_url, "--batch", "20")
    wait_until(lambda: query(db, "select count(*) as n from articles")[0]["n"] > 60)
    deadline = time.monotonic() + 30
    while True:
        proc.send_signal(signal.SIGSTOP)
        if rdb.llen("newsarchive:archive:processing") > 0:  # type: ignore[attr-defined]
            break
        proc.send_signal(signal.SIGCONT)
        assert time.monotonic() < deadline and proc.poll() is None, "never caught mid-batch"
        time.sleep(0.005)
    proc.send_signal(signal.SIGKILL)
    proc.wait()

    # 3. The restart re-processes what was left and finishes the run.
    rc, out, err = finish(ingest(db, redis_url))
    assert rc == 0, err
    assert "re-processed" in out and "closed: ok" in out
    assert_archive_complete(db)
    assert rdb.llen(items) == 0 and rdb.llen("newsarchive:archive:processing") == 0  # type: ignore[attr-defined]
    (run,) = query(db, "select status, new from crawls")
    assert run == {"status": "ok", "new": N_ARTICLES}


def test_worker_without_a_seeded_run_exits_2(tmp_path: Path, redis_url: str, rdb: object,
                                             profile: str) -> None:  # fmt: skip
    rc, _, err = finish(cli("crawl", profile, "--redis", redis_url, "--db",
                            str(tmp_path / "a.db"), "-s", "NEWSARCHIVE_IDLE_CLOSE=0"))  # fmt: skip
    assert rc == 2 and "newsarchive seed" in err


def test_unreachable_redis_exits_3(tmp_path: Path, profile: str) -> None:
    url = f"redis://127.0.0.1:{_free_port()}/0"
    rc, _, err = finish(cli("seed", profile, "--redis", url, "--db", str(tmp_path / "a.db")))
    assert rc == 3 and "cannot use Redis" in err and "Traceback" not in err


def test_a_request_is_marked_seen_only_together_with_being_queued(rdb: object) -> None:
    # One Redis step: a worker killed while scheduling cannot leave a fingerprint "seen"
    # whose request is in no queue (its list page would be re-parsed by another worker,
    # and the article request filtered out for good).
    from crawler.distributed.frontier import _ENQUEUE

    df, queue = "t:dupefilter", "t:requests"
    assert rdb.eval(_ENQUEUE, 2, df, queue, "fp1", 0, b"req-1") == 1  # type: ignore[attr-defined]
    assert rdb.eval(_ENQUEUE, 2, df, queue, "fp1", 0, b"req-1b") == 0  # type: ignore[attr-defined]
    assert rdb.eval(_ENQUEUE, 2, df, queue, "", -1, b"retry") == 1  # type: ignore[attr-defined]
    assert rdb.smembers(df) == {b"fp1"}  # type: ignore[attr-defined]
    assert rdb.zrange(queue, 0, -1) == [b"retry", b"req-1"]  # type: ignore[attr-defined]


# -- the items record (issue 18): prepared data, version-1 records, hand-made records ------
ITEMS = "newsarchive:q:items"
#: Columns that hold the time something was done, not what was archived.
_WHEN = {"started_at", "finished_at", "archived_at", "first_seen", "replaced_at", "last_seen",
         "at", "pid"}  # fmt: skip


@pytest.fixture(scope="module")
def queued_run(tmp_path_factory: pytest.TempPathFactory, portal_dir: Path,
               redis_url: str) -> Iterator[tuple[dict[bytes, bytes], Path]]:  # fmt: skip
    """A seeded run whose worker has finished: every article waits on ``items`` (frontier
    ``q``). Yields a DUMP of every Redis key and the seeded archive, to start each
    ingest from the same state."""
    import redis

    work = tmp_path_factory.mktemp("queued")
    srv = start_server(portal_dir, work / "requests.log")
    try:
        path = work / f"{SITE}.toml"
        path.write_text(
            f'name = "{SITE}"\nstart_urls = ["{srv.url}/news/index.html"]\n'
            "article_url = '/c/\\d+\\.html$'\nlist_url = '/news/index(_\\d+)?\\.html$'\n"
            "max_list_pages = 100\n",
            encoding="utf-8",
        )
        client = redis.Redis.from_url(redis_url)
        client.flushdb()
        db = work / "seeded.db"
        rc, out, err = finish(cli("seed", str(path), "--db", str(db), "--redis", redis_url,
                                  "--frontier", "q"))  # fmt: skip
        assert rc == 0, err
        rc, out, err = finish(cli("crawl", str(path), "--db", str(db), "--redis", redis_url,
                                  "--frontier", "q", *WORKER,
                                  "--log-file", str(work / "w.log")))  # fmt: skip
        assert rc == 0, err
        assert client.llen(ITEMS) == N_ARTICLES
        yield {k: client.dump(k) for k in client.keys("*")}, db
    finally:
        stop_server(srv)


def _restore(rdb: object, dump: dict[bytes, bytes], items: list[bytes] | None = None) -> None:
    """Redis as the worker left it; ``items`` (oldest first) replaces the queued records."""
    rdb.flushdb()  # type: ignore[attr-defined]
    for key, value in dump.items():
        rdb.restore(key, 0, value)  # type: ignore[attr-defined]
    if items is not None:
        rdb.delete(ITEMS)  # type: ignore[attr-defined]
        rdb.lpush(ITEMS, *items)  # type: ignore[attr-defined]


def _queued(rdb: object) -> list[bytes]:
    return list(reversed(rdb.lrange(ITEMS, 0, -1)))  # type: ignore[attr-defined]  # oldest first


def _ingest_copy(seeded: Path, db: Path, redis_url: str) -> str:
    """Ingest the queue into a copy of the seeded archive; returns the summary line."""
    import sqlite3

    src, dst = sqlite3.connect(seeded), sqlite3.connect(db)
    src.backup(dst)
    src.close()
    dst.close()
    rc, out, err = finish(ingest(db, redis_url, "--frontier", "q"))
    assert rc == 0, err
    assert f"{N_ARTICLES} new" in out and "closed: ok" in out, out
    return out


def _frame(raw: bytes) -> tuple[dict, bytes]:
    """A version-2 record's JSON header and its segments' bytes."""
    import json
    import struct

    magic, size = struct.unpack_from("<4sI", raw)
    assert magic == b"NAR2"
    return json.loads(raw[8 : 8 + size]), raw[8 + size :]


def _reframe(head: dict, segments: bytes) -> bytes:
    import json
    import struct

    data = json.dumps(head, ensure_ascii=False).encode()
    return struct.pack("<4sI", b"NAR2", len(data)) + data + segments


def _as_version_1(raw: bytes) -> bytes:
    """The record as a worker before the prepared data wrote it: one JSON object, each
    page's body as ``body_z`` (base64 of zlib), no fingerprint, no token buffers."""
    import base64
    import json
    import zlib

    from crawler.distributed.queue import decode_record

    head, _ = _frame(raw)
    record = decode_record(raw)
    old = {k: v for k, v in head.items()
           if k not in ("segments", "prepared", "page", "extra_pages")}  # fmt: skip
    old["v"] = 1

    def page(p: object) -> dict:
        return {"url": p.url, "site": p.site, "final_url": p.final_url, "status": p.status,  # type: ignore[attr-defined]
                "headers": p.headers, "fetched_at": p.fetched_at, "page_no": p.page_no,  # type: ignore[attr-defined]
                "body_z": base64.b64encode(zlib.compress(p.body, 1)).decode()}  # type: ignore[attr-defined]  # fmt: skip

    if record.get("page") is not None:
        old["page"] = page(record["page"])
    if record.get("article") is not None and record["article"].extra_pages:
        old["extra_pages"] = [page(p) for p in record["article"].extra_pages]
    return json.dumps(old, ensure_ascii=False).encode()


def _archived(db: Path) -> dict[str, list[dict]]:
    """What a user reads in the archive: every row of the archive's tables (stored pages
    as their original bytes), without the times they were written."""
    from crawler.archive import compression

    tables = {
        "articles": "url", "pages": "id", "fingerprints": "url, hash", "shingle_sets": "url",
        "url_aliases": "alias", "crawls": "id", "crawl_sites": "site",
        "crawl_workers": "worker, site", "crawl_errors": "url, reason",
    }  # fmt: skip
    out: dict[str, list[dict]] = {}
    for table, order in tables.items():
        rows = query(db, f"select * from {table} order by {order}")
        for row in rows:
            for col in _WHEN & row.keys():
                del row[col]
            if table == "pages":
                row["body"] = compression.decompress(row["compression"], row["body"])
        out[table] = rows
    return out


def _index_matches_content(db: Path) -> None:
    """FTS5 checks that its index holds exactly the tokens of every article's text."""
    import sqlite3

    from crawler import search as fts

    conn = sqlite3.connect(db)
    fts.register(conn)
    conn.execute("insert into articles_fts(articles_fts, rank) values ('integrity-check', 1)")
    conn.close()


def _search(db: Path, phrase: str) -> list[str]:
    import sqlite3

    from crawler import search as fts

    conn = sqlite3.connect(db)
    fts.register(conn)
    try:
        return [hit["url"] for hit in fts.search(conn, phrase, limit=None)]
    finally:
        conn.close()


def test_records_carry_prepared_data_and_older_records_give_the_same_archive(
    tmp_path: Path, queued_run: tuple[dict[bytes, bytes], Path], redis_url: str, rdb: object
) -> None:
    from crawler import search as fts
    from crawler.archive import compression, dedupe
    from crawler.distributed.queue import decode_record

    dump, seeded = queued_run
    _restore(rdb, dump)
    records = _queued(rdb)
    # The worker ships what the archive would compute: fingerprint, token buffers, and
    # the page compressed as the pages table stores it.
    for raw in records:
        record = decode_record(raw)
        if record["kind"] != "article":
            continue
        article, page = record["article"], record["page"]
        assert record["prepared"], article.url
        assert article.fingerprint == dedupe.fingerprint(article.body)
        assert article.fts_buffers == (fts.document_buffer(article.title),
                                       fts.document_buffer(article.body))  # fmt: skip
        assert page.compression == compression.CODEC
        assert compression.decompress(page.compression, page.compressed) == page.body

    new = tmp_path / "new.db"
    summary = _ingest_copy(seeded, new, redis_url)
    assert "prepared data" not in summary  # nothing had to be computed here

    # The same queue as a worker before the prepared data wrote it: the same archive.
    _restore(rdb, dump, [_as_version_1(raw) for raw in records])
    old = tmp_path / "old.db"
    summary = _ingest_copy(seeded, old, redis_url)
    assert f"{N_ARTICLES} records without usable prepared data" in summary
    archived = _archived(new)
    assert archived == _archived(old)
    assert len(archived["articles"]) == N_ARTICLES
    assert len(archived["shingle_sets"]) == N_ARTICLES
    assert any(r["duplicate_of"] for r in archived["articles"])  # the check found copies
    for db in (new, old):
        _index_matches_content(db)
        hits = _search(db, "分布式测试文章0042号")
        assert hits and hits[0].endswith("/c/0042.html")


def test_a_record_whose_prepared_data_does_not_fit_is_computed_again(
    tmp_path: Path, queued_run: tuple[dict[bytes, bytes], Path], redis_url: str, rdb: object
) -> None:
    from crawler.archive import dedupe

    dump, seeded = queued_run
    _restore(rdb, dump)
    records = _queued(rdb)
    reference = tmp_path / "reference.db"
    _ingest_copy(seeded, reference, redis_url)

    articles = [i for i, raw in enumerate(records) if _frame(raw)[0]["kind"] == "article"]
    edited, bare, garbled = articles[:3]
    # 1. a body changed after its prepared data was computed (by hand, here)
    head, segments = _frame(records[edited])
    head["article"]["body"] += "\n补充说明：本段为人工追加的蓝鲸校验文字，用于核对索引。"
    records[edited] = _reframe(head, segments)
    edited_url, edited_body = head["article"]["url"], head["article"]["body"]
    # 2. no prepared data at all
    head, segments = _frame(records[bare])
    del head["prepared"]
    records[bare] = _reframe(head, segments)
    # 3. a fingerprint that is no fingerprint (its sketch out of order)
    head, segments = _frame(records[garbled])
    head["prepared"]["sketch"].reverse()
    records[garbled] = _reframe(head, segments)

    _restore(rdb, dump, records)
    db = tmp_path / "archive.db"
    summary = _ingest_copy(seeded, db, redis_url)
    assert "3 records without usable prepared data" in summary
    # the edited body is searchable as stored, and the index holds exactly the texts
    assert _search(db, "蓝鲸校验文字") == [edited_url]
    _index_matches_content(db)
    (row,) = query(db, "select shingles from shingle_sets where url = ?", (edited_url,))
    assert row["shingles"] == dedupe.fingerprint(edited_body).packed
    # everything else is what the records with their prepared data gave
    got, want = _archived(db), _archived(reference)
    for table in ("articles", "pages", "shingle_sets", "fingerprints"):
        others = [[r for r in rows[table] if r["url"] != edited_url] for rows in (got, want)]
        assert others[0] == others[1], table
    assert got["crawls"] == want["crawls"] and got["crawl_sites"] == want["crawl_sites"]


def test_unreadable_records_are_set_aside_and_the_rest_archived(
    tmp_path: Path, queued_run: tuple[dict[bytes, bytes], Path], redis_url: str, rdb: object
) -> None:
    import sqlite3

    dump, seeded = queued_run
    _restore(rdb, dump)
    records = _queued(rdb)
    articles = [i for i, raw in enumerate(records) if _frame(raw)[0]["kind"] == "article"]
    newer, damaged, cut = articles[:3]
    lost = {_frame(records[i])[0]["article"]["url"] for i in (newer, damaged, cut)}
    named = sorted(_frame(records[i])[0]["article"]["url"] for i in (damaged, cut))
    records[cut] = records[cut][: len(records[cut]) - 1000]  # cut short
    # a record of a newer format, and one whose stored page is damaged in transit
    records[newer] = b"NAR3" + records[newer][4:]
    head, segments = _frame(records[damaged])
    page = head["page"]["data"]
    start = sum(head["segments"][:page])
    broken = bytearray(segments)
    broken[start : start + 64] = bytes(64)
    records[damaged] = _reframe(head, bytes(broken))
    _restore(rdb, dump, records)

    db = tmp_path / "archive.db"
    src, dst = sqlite3.connect(seeded), sqlite3.connect(db)
    src.backup(dst)
    src.close()
    dst.close()
    rc, out, err = finish(ingest(db, redis_url, "--frontier", "q"))
    assert rc == 1, err  # partial: not every record is in the archive
    assert f"{N_ARTICLES - 3} new" in out and "2 page errors" in out, out
    assert "3 unreadable records set aside" in out and "closed: partial" in out, out
    lines = [line for line in err.splitlines() if line.startswith("ingest: unreadable record")]
    assert len(lines) == 3, err
    assert "unknown record format b'NAR3'" in lines[0] and "newsarchive:q:rejected" in lines[0]
    assert "page " in lines[1] and "zstd" in lines[1], lines[1]
    assert "its segments say" in lines[2], lines[2]
    assert "Traceback" not in err
    # nothing is lost: they wait in Redis exactly as they came; the rest is archived
    rejected = set(rdb.lrange("newsarchive:q:rejected", 0, -1))  # type: ignore[attr-defined]
    assert rejected == {records[newer], records[damaged], records[cut]}
    assert rdb.llen("newsarchive:q:processing") == 0  # type: ignore[attr-defined]
    urls = {r["url"] for r in query(db, "select url from articles")}
    assert len(urls) == N_ARTICLES - 3 and not urls & lost
    # the run log names the pages whose records could be read that far; the run is partial
    errors = query(db, "select url, reason from crawl_errors order by url")
    assert [e["url"] for e in errors] == named
    assert all("newsarchive:q:rejected" in e["reason"] for e in errors)
    (run,) = query(db, "select status, new, errors from crawls")
    assert run == {"status": "partial", "new": N_ARTICLES - 3, "errors": 2}
