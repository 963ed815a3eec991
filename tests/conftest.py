"""Shared fixtures: a real demo-portal server on a random port, and CLI runners.

Crawls run ``newsarchive`` in a subprocess (Scrapy's reactor runs once per process),
against a server subprocess on 127.0.0.1, and tests read the resulting SQLite file.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from crawler.demo import PORTAL_DIR

ROOT = Path(__file__).resolve().parent.parent
NEWSARCHIVE = [sys.executable, "-m", "crawler"]
#: Loopback crawls need no politeness delays.
FAST = [
    "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_DELAY=0",
    "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=8", "-s", "RETRY_TIMES=1",
]  # fmt: skip


def with_and_without_speedups(code: str, *args: str) -> dict[str, str]:
    """The stdout of ``python -c code args...`` run from the repository root with the C
    extensions (key ``"0"``) and without them (``NEWSARCHIVE_NO_SPEEDUPS=1``, key ``"1"``).
    ``{flag}`` in an argument becomes that key."""
    out = {}
    for flag in ("0", "1"):
        env = {**os.environ, "NEWSARCHIVE_NO_SPEEDUPS": flag, "NEWSARCHIVE_REQUIRE_SPEEDUPS": ""}
        argv = [a.format(flag=flag) for a in args]
        proc = subprocess.run([sys.executable, "-c", code, *argv], env=env, cwd=ROOT,
                              capture_output=True, text=True, check=True)  # fmt: skip
        out[flag] = proc.stdout
    return out


@dataclass
class PortalServer:
    """A running server subprocess: its base URL, served folder and request log."""

    url: str
    root: Path
    log: Path
    process: subprocess.Popen

    def requests(self) -> list[str]:
        """Paths requested so far, in order (``GET /x.html`` lines without status)."""
        if not self.log.exists():
            return []
        return [" ".join(line.split()[:2]) for line in self.log.read_text().splitlines()]

    def paths(self) -> list[str]:
        return [r.split(" ", 1)[1] for r in self.requests()]

    def clear_log(self) -> None:
        self.log.write_text("")


def start_server(root: Path, log: Path, module: str = "crawler.demo") -> PortalServer:
    process = subprocess.Popen(
        [sys.executable, "-m", module, "--port", "0", "--root", str(root), "--log", str(log)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    assert process.stdout is not None
    url = process.stdout.readline().strip()
    assert url.startswith("http://127.0.0.1:"), f"server did not start: {url!r}"
    return PortalServer(url, root, log, process)


def stop_server(server: PortalServer) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.process.kill()


@pytest.fixture
def switch_portal(tmp_path: Path) -> Iterator[PortalServer]:
    """``tests/portalserver.py`` on a random port: redirects, canonical pointers and
    multi-page articles, switched by files the test puts in ``tmp_path/switches``."""
    root = tmp_path / "switches"
    root.mkdir()
    server = start_server(root, tmp_path / "requests.log", module="tests.portalserver")
    yield server
    stop_server(server)


@pytest.fixture
def portal(tmp_path: Path) -> Iterator[PortalServer]:
    """A private copy of the demo portal, served on a random port."""
    root = tmp_path / "portal"
    shutil.copytree(PORTAL_DIR, root)
    server = start_server(root, tmp_path / "requests.log")
    yield server
    stop_server(server)


def write_profile(path: Path, base_url: str, site: str = "demo-xfzx", **extra: object) -> Path:
    """A copy of a bundled demo profile pointing at ``base_url``, with keys replaced."""
    import tomllib

    from crawler.profiles import SITES_DIR

    data = tomllib.loads((SITES_DIR / f"{site}.toml").read_text(encoding="utf-8"))
    data["start_urls"] = [u.replace("http://127.0.0.1:8765", base_url) for u in data["start_urls"]]
    data.update(extra)
    path.write_text(to_toml(data), encoding="utf-8")
    return path


def to_toml(data: dict) -> str:
    """Enough TOML for profiles: strings, numbers, booleans, lists and one level of tables."""
    import json

    def value(v: object) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, str):
            return "'" + v + "'" if "'" not in v and "\n" not in v else json.dumps(v)
        if isinstance(v, list):
            return "[" + ", ".join(value(x) for x in v) + "]"
        return str(v)

    lines = [f"{k} = {value(v)}" for k, v in data.items() if not isinstance(v, dict)]
    for k, v in data.items():
        if isinstance(v, dict):
            lines.append(f"\n[{k}]")
            lines += [f"{kk} = {value(vv)}" for kk, vv in v.items()]
    return "\n".join(lines) + "\n"


def run_cli(*args: str, timeout: float = 120, env: dict | None = None,
            cwd: Path = ROOT) -> subprocess.CompletedProcess:  # fmt: skip
    """Run ``newsarchive ARGS`` in a subprocess and return the completed process."""
    full_env = {**os.environ, **(env or {})}
    full_env.pop("NEWSARCHIVE_DB", None) if env is None or "NEWSARCHIVE_DB" not in env else None
    return subprocess.run(
        [*NEWSARCHIVE, *args], capture_output=True, text=True, timeout=timeout, env=full_env,
        cwd=cwd,
    )  # fmt: skip


def query(db: Path, sql: str, params: tuple = ()) -> list[dict]:
    """Rows of ``sql`` on the archive, as dicts, through a plain sqlite3 connection."""
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute(sql, params)]
    finally:
        conn.close()


def wait_for(predicate, timeout: float = 30.0, interval: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


#: Headless Chromium as the sandbox allows it: no sandbox, no GPU, no network but ours.
CHROMIUM_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage",
)  # fmt: skip


def chromium(url: str, profile: Path, *flags: str) -> str:
    """Run headless Chromium on ``url`` with a fresh ``profile`` folder; its stdout."""
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    assert exe, "chromium is required: apt-get install chromium"
    r = subprocess.run([exe, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *flags, url],
                       capture_output=True, text=True, timeout=120)  # fmt: skip
    assert r.returncode == 0, r.stderr[-2000:]
    return r.stdout


@contextlib.contextmanager
def serve_datasette(db: Path, tmp_path: Path) -> Iterator[str]:
    """``datasette serve DB`` on a free port until the block ends; yields its base URL."""
    try:
        import datasette  # noqa: F401
    except ImportError:  # pragma: no cover
        pytest.fail("datasette is not installed: pip install -e '.[test]'")
    port = free_port()
    log_path = tmp_path / "datasette.log"
    log = log_path.open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "datasette", "serve", str(db), "-h", "127.0.0.1",
         "-p", str(port)],
        stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(base + "/-/versions.json", timeout=5):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"datasette did not start: {log_path.read_text()}")
                time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:  # pragma: no cover
            proc.kill()
            proc.wait()
        log.close()


def crawl_demo_archive(folder: Path) -> Path:
    """``newsarchive demo`` into ``folder/archive.db`` (12 articles), checkpointed so the
    file alone holds every row (tests compare its bytes and copy it)."""
    db = folder / "archive.db"
    result = run_cli("demo", "--db", str(db), "--port", "0", cwd=folder)
    assert result.returncode == 0, result.stderr
    conn = sqlite3.connect(db)
    conn.execute("pragma wal_checkpoint(truncate)")
    conn.close()
    return db
