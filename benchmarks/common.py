"""Shared pieces of the benchmarks: the mirror's server, measured child processes, machine info.

* :func:`serve` serves a folder on 127.0.0.1: Debian's nginx with its own config (installed
  with apt-get when missing and allowed), else Python's ``http.server`` through
  ``python -m crawler.demo`` (smoke runs). Both write one access-log line per request,
  which is how the memory benchmark knows how many pages a crawl has fetched.
* :func:`run_measured` runs a command in a child process and returns its wall time, its
  CPU time and peak RSS (``os.wait4`` rusage of that child alone), and samples of its
  current RSS (``/proc/PID/status``) against the server's request count.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "out"
PYTHON = ROOT / ".venv" / "bin" / "python"
NEWSARCHIVE = ROOT / ".venv" / "bin" / "newsarchive"

#: The settings of every benchmarked crawl (full and no-op): loopback, no politeness.
CRAWL_SETTINGS = {
    "AUTOTHROTTLE_ENABLED": "False",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "16",
    "DOWNLOAD_DELAY": "0",
    "ROBOTSTXT_OBEY": "False",
}


def python() -> str:
    return str(PYTHON) if PYTHON.exists() else sys.executable


def newsarchive_cmd() -> list[str]:
    return [str(NEWSARCHIVE)] if NEWSARCHIVE.exists() else [sys.executable, "-m", "crawler"]


def setting_args(settings: dict[str, str]) -> list[str]:
    out: list[str] = []
    for k, v in settings.items():
        out += ["-s", f"{k}={v}"]
    return out


# -- machine -------------------------------------------------------------------------------
def cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo, else what ``platform`` says, else "?"."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"


def machine() -> dict[str, str]:
    cpu = cpu_model()
    mem = "?"
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f"{kb / 1024 / 1024:.1f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                                text=True, cwd=ROOT).stdout.strip() or "?"  # fmt: skip
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, cwd=ROOT).stdout.strip()  # fmt: skip
        if dirty:
            commit += " + uncommitted changes"
    except OSError:
        commit = "?"
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": str(os.cpu_count()),
        "cpu": cpu,
        "memory": mem,
        "python": platform.python_version(),
        "kernel": platform.release(),
        "loadavg_at_start": load,
        "commit": commit,
    }


# -- server --------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    kind: str  # "nginx" or "http.server"
    url: str
    access_log: Path
    process: subprocess.Popen

    def requests(self) -> int:
        """Requests served so far (lines in the access log)."""
        try:
            with open(self.access_log, "rb") as fh:
                return sum(chunk.count(b"\n") for chunk in iter(lambda: fh.read(1 << 20), b""))
        except OSError:
            return 0


def find_nginx(install: bool) -> str | None:
    exe = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if exe or not install or not shutil.which("apt-get"):
        return exe
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for pkgs in (["nginx-light"], ["nginx"]):
        cmd = ["apt-get", "install", "-y", "-q", *pkgs]
        if subprocess.run(cmd, env=env, capture_output=True).returncode != 0:
            subprocess.run(["apt-get", "update", "-q"], env=env, capture_output=True)
            subprocess.run(cmd, env=env, capture_output=True)
        exe = shutil.which("nginx") or (
            "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None
        )
        if exe:
            return exe
    return None


NGINX_CONF = """\
worker_processes 1;
daemon off;
master_process on;
pid {work}/nginx.pid;
error_log {work}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    types {{ text/html html htm; text/plain txt; application/json json; }}
    default_type application/octet-stream;
    client_body_temp_path {work}/tmp;
    proxy_temp_path {work}/tmp;
    fastcgi_temp_path {work}/tmp;
    uwsgi_temp_path {work}/tmp;
    scgi_temp_path {work}/tmp;
    access_log {work}/access.log;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 100000;
    open_file_cache max=50000 inactive=60s;
    server {{
        listen 127.0.0.1:{port};
        root {root};
        location / {{ }}
    }}
}}
"""


@contextmanager
def serve(root: Path, work: Path, prefer: str = "nginx", install: bool = True) -> Iterator[Server]:
    """Serve ``root`` on 127.0.0.1 for the block; ``work`` holds config and logs."""
    work = work.resolve()
    work.mkdir(parents=True, exist_ok=True)
    log = work / "access.log"
    log.unlink(missing_ok=True)
    exe = find_nginx(install) if prefer == "nginx" else None
    if exe:
        port = free_port()
        (work / "tmp").mkdir(exist_ok=True)
        conf = work / "nginx.conf"
        conf.write_text(NGINX_CONF.format(work=work, port=port, root=root.resolve()))
        proc = subprocess.Popen([exe, "-c", str(conf), "-p", str(work)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # fmt: skip
        url = f"http://127.0.0.1:{port}"
        _wait_port(port, proc)
        server = Server("nginx " + _nginx_version(exe), url, log, proc)
    else:
        proc = subprocess.Popen(
            [python(), "-m", "crawler.demo", "--port", "0", "--root", str(root), "--log", str(log)],
            stdout=subprocess.PIPE, text=True, cwd=ROOT,
        )  # fmt: skip
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        if not url.startswith("http://"):
            proc.kill()
            raise RuntimeError(f"http.server did not start: {url!r}")
        server = Server("python http.server (crawler.demo)", url, log, proc)
    try:
        yield server
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _nginx_version(exe: str) -> str:
    out = subprocess.run([exe, "-v"], capture_output=True, text=True).stderr.strip()
    return out.rsplit("/", 1)[-1] if "/" in out else out


def _wait_port(port: int, proc: subprocess.Popen, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            err = proc.stderr.read().decode() if proc.stderr else ""
            raise RuntimeError(f"nginx exited with {proc.returncode}: {err}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port}")


# -- measured child processes ----------------------------------------------------------------
@dataclass
class Run:
    cmd: list[str]
    returncode: int
    wall_s: float
    cpu_s: float  # user + system of the child (and of children it waited for)
    user_s: float
    sys_s: float
    peak_rss_mb: float  # ru_maxrss: the largest single process of the tree
    samples: list[tuple[float, int, float]] = field(default_factory=list)  # (t, requests, rss MB)
    peak_tree_rss_mb: float = 0.0  # the largest sampled sum over the process and its children
    processes: int = 1  # the most processes seen in the tree at once
    #: CPU of the descendants (extraction workers), from their last /proc sample: exact
    #: for workers that sit idle before they exit, as a crawl's pool does.
    children_cpu_s: float = 0.0
    stdout: str = ""
    stderr: str = ""


def _rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError):
        return None
    return None


def _descendants(pid: int) -> list[int]:
    out: list[int] = []
    todo = [pid]
    while todo:
        p = todo.pop()
        try:
            for task in Path(f"/proc/{p}/task").iterdir():
                kids = (task / "children").read_text().split()
                todo += [int(k) for k in kids]
                out += [int(k) for k in kids]
        except OSError:
            continue
    return out


_CLK_TCK = os.sysconf("SC_CLK_TCK")


def _cpu_s(pid: int) -> float | None:
    """utime + stime of ``pid`` so far (seconds), or None if it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / _CLK_TCK


def tree_rss_mb(pid: int) -> float | None:
    """VmRSS of ``pid`` plus all its descendants (extraction worker processes), in MB."""
    own = _rss_mb(pid)
    if own is None:
        return None
    return own + sum(_rss_mb(k) or 0.0 for k in _descendants(pid))


def run_measured(cmd: list[str], *, server: Server | None = None, interval: float = 0.25,
                 env: dict[str, str] | None = None, timeout: float = 3600) -> Run:  # fmt: skip
    """Run ``cmd`` and measure it, sampling the process tree's RSS every ``interval`` s
    (with the server's request count when ``server`` is given)."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, cwd=ROOT,
                                env={**os.environ, **(env or {})})  # fmt: skip
        samples: list[tuple[float, int, float]] = []
        kids_cpu: dict[int, float] = {}
        peak_tree = 0.0
        nproc = 1
        deadline = start + timeout
        last = 0.0
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                proc.kill()
            now = time.perf_counter()
            if now - last >= interval:
                last = now
                rss = tree_rss_mb(proc.pid)
                for kid in _descendants(proc.pid):
                    c = _cpu_s(kid)
                    if c is not None:
                        kids_cpu[kid] = c
                if rss is not None:
                    peak_tree = max(peak_tree, rss)
                    nproc = max(nproc, 1 + len(_descendants(proc.pid)))
                    if server is not None:
                        samples.append((now - start, server.requests(), rss))
            time.sleep(0.02)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    return Run(
        cmd=cmd,
        returncode=proc.returncode,
        wall_s=wall,
        cpu_s=usage.ru_utime + usage.ru_stime,
        user_s=usage.ru_utime,
        sys_s=usage.ru_stime,
        peak_rss_mb=usage.ru_maxrss / 1024,
        samples=samples,
        peak_tree_rss_mb=max(peak_tree, usage.ru_maxrss / 1024),
        processes=nproc,
        children_cpu_s=sum(kids_cpu.values()),
        stdout=stdout,
        stderr=stderr,
    )


def scrapy_stats(log_file: Path) -> dict[str, float]:
    """``elapsed_time_seconds`` and counts from Scrapy's "Dumping Scrapy stats" blocks.

    A process with several crawlers logs one block per crawler: counts are summed,
    the elapsed time is the longest.
    """
    out: dict[str, float] = {}
    if not log_file.exists():
        return out
    keys = ("elapsed_time_seconds", "response_received_count", "item_scraped_count",
            "downloader/response_bytes")  # fmt: skip
    for line in log_file.read_text(errors="replace").splitlines():
        line = line.strip()
        for key in keys:
            prefix = f"'{key}': "
            if line.startswith(prefix):
                try:
                    value = float(line[len(prefix):].rstrip(","))
                except ValueError:
                    continue
                if key == "elapsed_time_seconds":
                    out[key] = max(out.get(key, 0.0), value)
                else:
                    out[key] = out.get(key, 0.0) + value
    return out


def publish(md: str, report: Path | None, json_path: Path, data: object) -> None:
    """Print a benchmark's Markdown report, write it to ``report`` if given, and write
    its raw results as JSON to ``json_path``."""
    print(md)
    if report:
        report.parent.mkdir(parents=True, exist_ok=True)
        report.write_text(md, encoding="utf-8")
    write_json(json_path, data)


def write_json(path: Path, data: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False, default=str))


def md_table(header: list[str], rows: list[list[object]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)
