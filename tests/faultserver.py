"""A fault-injection HTTP server for the crawl tests: every way a portal can break.

``python -m tests.faultserver --port 0 [--log FILE] [--portal N] [--delay S]`` prints its
base URL on the first stdout line (like ``python -m crawler.demo``) and logs every
request as ``METHOD PATH STATUS UNIXTIME`` lines.

``/list.html`` links to one article per entry of :data:`CASES` (``/a/<case>.html``) and
to the good articles ``/a/good-N.html``. With ``--portal N`` it also serves a generated
portal of N small articles, ``/p/list_K.html`` (100 links a page) and ``/p/NNNN.html``,
for the kill tests; ``--delay`` slows each of those article responses.

The expected outcome of each case is in :data:`CASES`: ``"archived"`` (must end in
``articles`` with its correct text) or ``"error"`` (must end in ``crawl_errors`` with
its URL and a reason containing the given words).
"""

from __future__ import annotations

import argparse
import gzip
import io
import socket
import struct
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

MB = 1024 * 1024
#: The "50 MB page": really this many bytes when nothing cuts it.
HUGE_SIZE = 50 * MB
#: Decompressed size of the gzip bomb.
BOMB_SIZE = 64 * MB

#: case -> (expected outcome, words the recorded reason must contain, lowercased)
CASES: dict[str, tuple[str, str]] = {
    # status codes
    "status-404": ("error", "404"),
    "status-410": ("error", "410"),
    "status-500": ("error", "500"),
    "status-503-then-ok": ("archived", ""),
    "status-429": ("error", "429"),
    # broken connections
    "conn-reset": ("error", "connection"),
    "conn-short-body": ("error", "content-length"),
    "conn-hang": ("error", "timed out"),
    # redirects
    "redirect-loop": ("error", "redirect loop"),
    "redirect-offsite": ("error", "another domain"),
    "redirect-file-scheme": ("error", "not http"),
    "redirect-good": ("archived", ""),
    # oversized
    "gzip-bomb": ("error", "download_maxsize"),
    "huge-declared": ("error", "download_maxsize"),
    "huge-streamed": ("error", "download_maxsize"),
    # not an article
    "pdf": ("error", "not an html page"),
    "image-as-html": ("error", "not an html page"),
    "empty": ("error", "empty"),
    "nul-bytes": ("error", "nul"),
    "title-only": ("error", "no article text"),
    "deep-nesting": ("error", "no article text"),  # libxml2 stops at 256 levels
    # charsets
    "charset-header-utf8-body-gbk": ("archived", ""),
    "charset-none": ("archived", ""),
    "charset-bom": ("archived", ""),
    "charset-gb18030": ("archived", ""),
}
GOOD = ("good-1", "good-2", "good-3")
#: A phrase only in each archived article's body, to check the text came through intact.
MARKERS: dict[str, str] = {
    "good-1": "第一篇正常文章的正文，消费者权益保护。",
    "good-2": "第二篇正常文章的正文，商品质量抽检合格率达到百分之九十六。",
    "good-3": "第三篇正常文章的正文，预付式消费投诉持续增加。",
    "status-503-then-ok": "服务器忙了一次，第二次请求成功返回了这篇文章。",
    "redirect-good": "这篇文章搬了家，重定向之后在新地址被找到。",
    "deep-nesting": "一万层嵌套的标签里藏着这一段正文，解析器不能崩溃。",
    "charset-header-utf8-body-gbk": "响应头声称是UTF-8，正文其实是GBK编码的中文。",
    "charset-none": "这页没有任何字符集声明，正文用GBK编码，需要自动识别。",
    "charset-bom": "这页以UTF-8字节顺序标记开头，而meta却写着GBK。",
    "charset-gb18030": "生僻字𠮷和㙟在GB18030里是四字节编码，不能变成乱码。",
}


def article_html(title: str, marker: str, charset: str | None = "utf-8", paras: int = 4) -> str:
    """A plausible Chinese article page (with nav and sidebar boilerplate)."""
    meta = f'<meta charset="{charset}">' if charset else ""
    body = "\n".join(
        f"<p>{marker if i == 0 else ''}据介绍，今年以来全省市场监管部门"
        f"共受理消费者投诉举报{i + 3}万件，为消费者挽回经济损失{i + 1}.2亿元。"
        f"相关部门提醒消费者妥善保存购物凭证（第{i + 1}段）。</p>"
        for i in range(paras)
    )
    return (
        f"<!DOCTYPE html>\n<html><head>{meta}<title>{title}_故障测试网</title></head><body>\n"
        '<div class="nav"><a href="/list.html">首页</a> <a href="/list.html">消费资讯</a></div>\n'
        f'<div class="article"><h1>{title}</h1>\n'
        '<div class="info"><span class="time">2024-03-15 10:11:37</span> 来源:故障测试网</div>\n'
        f'<div class="article-content">\n{body}\n</div>\n'
        '<div class="article-meta">编辑:测试员</div></div>\n'
        '<div class="side"><ul><li><a href="/list.html">热点推荐一</a></li></ul></div>\n'
        "</body></html>\n"
    )


WORDS = (
    "价格", "质量", "投诉", "退款", "电商", "食品", "家电", "汽车", "召回", "抽检", "维权",
    "物业", "教培", "保险", "快递", "药品", "旅游", "餐饮", "装修", "手机", "直播", "网约车",
    "预付卡", "燃气", "充电桩", "二手车", "母婴", "化妆品", "健身房", "外卖", "酒店", "机票",
)  # fmt: skip
TITLES = {name: f"故障测试文章{name}" for name in (*CASES, *GOOD)}
#: redirect-good lands on this article
TITLES["redirect-target"] = TITLES["redirect-good"]
MARKERS["redirect-target"] = MARKERS["redirect-good"]


def _gbk(text: str) -> bytes:
    return text.encode("gbk")


class FaultState:
    """What the server remembers across requests (hit counts for retry cases)."""

    def __init__(self, portal: int, delay: float) -> None:
        self.portal = portal
        self.delay = delay
        self.hits: dict[str, int] = {}
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self._bomb: bytes | None = None

    def hit(self, path: str) -> int:
        with self.lock:
            self.hits[path] = self.hits.get(path, 0) + 1
            return self.hits[path]

    def bomb(self) -> bytes:
        with self.lock:
            if self._bomb is None:
                out = io.BytesIO()
                with gzip.GzipFile(fileobj=out, mode="wb", compresslevel=9) as gz:
                    chunk = b"\0" * MB
                    for _ in range(BOMB_SIZE // MB):
                        gz.write(chunk)
                self._bomb = out.getvalue()
            return self._bomb


class FaultHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"  # one request per connection: cuts and resets stay simple
    server_version = "faultserver/1"
    state: FaultState
    log_path: Path | None = None
    _log_lock = threading.Lock()

    # -- plumbing --------------------------------------------------------------------------
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (stdlib name)
        pass

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        if self.log_path is not None:
            with self._log_lock, open(self.log_path, "a", encoding="utf-8") as fh:
                fh.write(f"{self.command} {self.path} {code} {time.time():.3f}\n")

    def send(self, status: int, body: bytes, ctype: str = "text/html",
             headers: dict[str, str] | None = None) -> None:  # fmt: skip
        self.send_response(status)
        if ctype:
            self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def html(self, text: str, status: int = 200) -> None:
        self.send(status, text.encode("utf-8"), "text/html; charset=utf-8")

    def redirect(self, location: str, status: int = 302) -> None:
        self.send(status, b"", "text/html", {"Location": location})

    # -- routes ----------------------------------------------------------------------------
    def do_GET(self) -> None:  # noqa: N802 (stdlib name)
        path = self.path.split("?", 1)[0]
        try:
            if path == "/robots.txt":
                self.send(200, b"User-agent: *\nAllow: /\n", "text/plain")
            elif path == "/list.html":
                self.list_page()
            elif path.startswith("/a/") and path.endswith(".html"):
                self.case(path[3:-5])
            elif path.startswith("/p/"):
                self.portal(path[3:])
            else:
                self.send(404, b"<h1>404</h1>")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the crawler hung up (size limit, timeout): expected

    def list_page(self) -> None:
        links = "\n".join(
            f'<li><a href="/a/{name}.html">{TITLES[name]}</a></li>' for name in (*GOOD, *CASES)
        )
        self.html(f"<html><head><meta charset='utf-8'><title>故障测试网</title></head><body>"
                  f"<ul>\n{links}\n</ul></body></html>")  # fmt: skip

    def case(self, name: str) -> None:
        title = TITLES.get(name, name)
        marker = MARKERS.get(name, f"{name}的正文。")
        page = article_html(title, marker)
        if name in GOOD or name in ("redirect-target",):
            self.html(page)
        elif name.startswith("status-"):
            self.status_case(name, page)
        elif name.startswith("conn-"):
            self.connection_case(name, page)
        elif name.startswith("redirect"):
            self.redirect_case(name)
        elif name in ("gzip-bomb", "huge-declared", "huge-streamed"):
            self.oversized_case(name)
        elif name.startswith("charset-"):
            self.charset_case(name, title, marker)
        else:
            self.content_case(name, title, marker)

    def status_case(self, name: str, page: str) -> None:
        n = self.state.hit(self.path)
        if name == "status-503-then-ok":
            if n == 1:
                self.send(503, b"<h1>busy</h1>", headers={"Retry-After": "1"})
            else:
                self.html(page)
            return
        code = int(name.split("-")[1])
        headers = {"Retry-After": "1"} if code == 429 else None
        self.send(code, f"<h1>{code}</h1>".encode(), headers=headers)

    def connection_case(self, name: str, page: str) -> None:
        body = page.encode("utf-8") * 20
        if name == "conn-hang":
            self.log_request("-")  # logged now: it never gets to send a status
            self.state.stop.wait(600)  # accept, read the request, never answer
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body[: len(body) // 3])
        self.wfile.flush()
        if name == "conn-reset":
            # SO_LINGER 0: close() sends a TCP RST instead of a FIN
            self.connection.setsockopt(
                socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
            )
        self.close_connection = True
        self.connection.close()

    def redirect_case(self, name: str) -> None:
        if name == "redirect-loop":
            self.redirect("/a/redirect-loop-2.html")
        elif name == "redirect-loop-2":
            self.redirect("/a/redirect-loop.html")
        elif name == "redirect-offsite":
            self.redirect("http://offsite.invalid/a/good-1.html")
        elif name == "redirect-file-scheme":
            self.redirect("file:///etc/passwd")
        elif name == "redirect-good":
            self.redirect("/a/redirect-target.html", 301)
        else:
            self.send(404, b"")

    def oversized_case(self, name: str) -> None:
        if name == "gzip-bomb":
            self.send(200, self.state.bomb(), "text/html", {"Content-Encoding": "gzip"})
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        if name == "huge-declared":
            self.send_header("Content-Length", str(HUGE_SIZE))
        self.end_headers()
        chunk = (b"<p>" + "很长的页面。".encode() * 1000 + b"</p>\n")
        sent = 0
        while sent < HUGE_SIZE:
            piece = chunk[: HUGE_SIZE - sent]
            self.wfile.write(piece)
            sent += len(piece)
        self.close_connection = True

    def charset_case(self, name: str, title: str, marker: str) -> None:
        if name == "charset-header-utf8-body-gbk":
            self.send(200, _gbk(article_html(title, marker, None)), "text/html; charset=utf-8")
        elif name == "charset-none":
            self.send(200, _gbk(article_html(title, marker, None)), "text/html")
        elif name == "charset-bom":
            body = b"\xef\xbb\xbf" + article_html(title, marker, "gbk").encode("utf-8")
            self.send(200, body, "text/html")
        elif name == "charset-gb18030":
            body = article_html(title, marker, "gb2312").encode("gb18030")
            self.send(200, body, "text/html; charset=gb2312")

    def content_case(self, name: str, title: str, marker: str) -> None:
        if name == "pdf":
            body = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
            self.send(200, body, "application/pdf")
        elif name == "image-as-html":
            png = b"\x89PNG\r\n\x1a\n" + b"\0\0\0\rIHDR" + bytes(range(256)) * 4
            self.send(200, png, "text/html")
        elif name == "empty":
            self.send(200, b"", "text/html")
        elif name == "nul-bytes":
            page = article_html(title, marker).encode("utf-8")
            body = b"\0" * 4096 + b"\0".join(page[i : i + 8] for i in range(0, len(page), 8))
            self.send(200, body, "text/html; charset=utf-8")
        elif name == "title-only":
            self.html(f"<html><head><meta charset='utf-8'><title>{title}</title></head>"
                      f"<body><h1>{title}</h1></body></html>")  # fmt: skip
        elif name == "deep-nesting":
            depth = 10_000
            page = article_html(title, marker)
            head, sep, tail = page.partition('<div class="article">')
            page = head + "<div>" * depth + sep + tail.replace(
                "</body>", "</div>" * depth + "</body>"
            )
            self.html(page)
        else:
            self.send(404, b"<h1>404</h1>")

    # -- generated portal for the kill tests ----------------------------------------------
    def portal(self, rest: str) -> None:
        n = self.state.portal
        if rest.startswith("list_"):
            page = int(rest[5:].split(".")[0])
            first = (page - 1) * 100
            links = []
            for i in range(first, min(first + 100, n)):
                # every 7th link carries tracking noise: canonicalisation must dedupe it
                extra = "?utm_source=feed&spm=1" if i % 7 == 0 else ""
                links.append(f'<li><a href="/p/{i:04d}.html{extra}">生成文章{i:04d}</a></li>')
                if i % 10 == 0:
                    links.append(f'<li><a href="/p/{i:04d}.html#top">生成文章{i:04d}</a></li>')
            nxt = f'<a href="/p/list_{page + 1}.html">下一页</a>' if first + 100 < n else ""
            self.html(f"<html><head><meta charset='utf-8'><title>生成门户</title></head><body>"
                      f"<ul>{''.join(links)}</ul>{nxt}</body></html>")  # fmt: skip
            return
        try:
            i = int(rest.split(".")[0])
        except ValueError:
            self.send(404, b"")
            return
        if not 0 <= i < n:
            self.send(404, b"")
            return
        if self.state.delay:
            time.sleep(self.state.delay)
        # distinct text per article, so no two look like syndicated copies
        words = [WORDS[(i * 7 + k * 13) % len(WORDS)] + WORDS[(i // 3 + k * 5) % len(WORDS)]
                 for k in range(24)]  # fmt: skip
        marker = f"这是第{i:04d}篇生成文章的独有内容：{'，'.join(words)}。"
        self.html(article_html(f"生成文章{i:04d}号", marker, paras=2))


def make_server(host: str = "127.0.0.1", port: int = 0, log_path: str | None = None,
                portal: int = 0, delay: float = 0.0) -> ThreadingHTTPServer:  # fmt: skip
    state = FaultState(portal, delay)
    handler = type(
        "Handler",
        (FaultHandler,),
        {"state": state, "log_path": Path(log_path) if log_path else None},
    )
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    server.request_queue_size = 128
    return server


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.faultserver", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--root", default=None, help="ignored (for conftest.start_server)")
    parser.add_argument("--log", default=None, help="append 'METHOD PATH STATUS TIME' lines")
    parser.add_argument("--portal", type=int, default=0, help="serve N generated articles")
    parser.add_argument("--delay", type=float, default=0.0, help="seconds per generated article")
    args = parser.parse_args(argv)
    server = make_server(args.host, args.port, args.log, args.portal, args.delay)
    host, port = server.server_address[:2]
    print(f"http://{host}:{port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.RequestHandlerClass.state.stop.set()  # type: ignore[attr-defined]
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
