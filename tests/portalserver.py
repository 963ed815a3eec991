"""A test portal for issue 17 (one article, one row): aliases and multi-page articles.

``python -m tests.portalserver --port 0 --root DIR --log FILE`` prints its base URL on the
first line and logs ``METHOD PATH STATUS`` for every request. ``DIR`` holds switches: while
``DIR/broken`` exists, page 3 of article 504 answers 500.

Two sites:

``/alias/list.html`` (and its second list page, ``list_2.html``) links one story
(10007, living at ``/a/2022/0915/10007.html``) through a 301 alias, a 302 alias, a
print page whose ``rel=canonical`` points at it and a tracking-parameter variant; a
story known only through its mobile page's ``og:url`` (10008); two articles whose
``rel=canonical`` must be ignored: the home page (10009) and another domain (10010);
and, on ``list_2.html``, one more article (10011).

``/mp/list.html`` links multi-page articles: 501 (UTF-8, ``501_2.html``, ``501_3.html``),
502 (GBK, ``502/index_2.htm``), 503 (``?page=2``), 504 (its page 3 fails while broken),
a direct link to ``501_2.html`` and a second list page (list pagination, not an article).
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

PARAGRAPHS = {
    "10007": ["浙江省市场监管局今天发布预付卡消费提示，提醒消费者理性办卡。",
              "据统计，今年以来全省受理预付式消费投诉同比上升百分之二十三。"],
    "10008": ["某品牌电动自行车因电池存在起火隐患，企业宣布主动召回两万余辆。",
              "消费者可拨打企业客服热线预约免费更换电池组件。"],
    "10009": ["一家连锁健身房突然闭店，数百名会员的预付费用尚未退还。",
              "当地消保委已介入调查，并建议会员保存好合同和付款凭证。"],
    "10010": ["网购生鲜“缺斤少两”投诉增多，平台承诺先行赔付。",
              "专家建议消费者收货时当面称重并拍照留存证据。"],
    "10011": ["多地出台新规，外卖平台须公示食品安全信息和商家资质。",
              "监管部门表示将对未按规定公示的平台依法处理。"],
}  # fmt: skip
TITLES = {
    "10007": "全省发布预付卡消费提示",
    "10008": "电动自行车电池隐患召回",
    "10009": "健身房闭店会员退费难",
    "10010": "生鲜缺斤少两投诉增多",
    "10011": "外卖平台公示新规出台",
}

#: Multi-page articles: page number -> paragraphs. Every page has its own marker.
MULTI = {
    "501": {n: [f"五零一第{n}页的标记句：这是长篇报道的第{n}部分，讲述消费维权的新进展。",
                f"第{n}部分还写到，市场监管部门在第{n}轮检查中发现了新的问题并督促整改。"]
            for n in (1, 2, 3)},
    "502": {n: [f"五零二第{n}页的标记句：质量抽检报告的第{n}节，涉及儿童用品与电器。",
                f"抽检第{n}节显示，部分批次产品的标识与说明书不符合国家标准要求。"]
            for n in (1, 2, 3)},
    "503": {n: [f"五零三第{n}页的标记句：旅游消费投诉分析的第{n}段，聚焦退改签纠纷。",
                f"分析第{n}段指出，平台规则不透明是引发纠纷的主要原因之一。"]
            for n in (1, 2, 3)},
    "504": {n: [f"五零四第{n}页的标记句：直播带货乱象调查的第{n}篇，记者暗访多个直播间。",
                f"调查第{n}篇发现，夸大宣传和虚假促销的问题仍然比较普遍。"]
            for n in (1, 2, 3)},
}  # fmt: skip
MULTI_TITLES = {
    "501": "消费维权长篇报道",
    "502": "质量抽检报告全文",
    "503": "旅游消费投诉分析",
    "504": "直播带货乱象调查",
}
#: Words that only the page navigation contains (none may reach a body).
NAV_WORDS = ("上一页", "下一页", "首页", "尾页", "共3页")

PAGE = """<!DOCTYPE html>
<html><head><meta charset="{charset}"><title>{title}_测试消费网</title>{head}</head>
<body>
<div class="nav"><a href="/">网站首页</a> | <a href="{list}">消费资讯</a>
 | <a href="/about.html">关于我们</a></div>
<div class="main">
<div class="article">
<h1>{title}</h1>
<div class="info"><span class="time">2022-09-15 10:00:00</span> 来源：测试消费网</div>
<div class="article-content">
{paragraphs}
{pagenav}
</div>
<div class="article-meta">编辑：王小明</div>
</div>
<div class="side"><div class="box-title">热点推荐</div><ul>
<li><a href="/hot/1.html">今日热点新闻一则</a></li>
<li><a href="/hot/2.html">今日热点新闻二则</a></li>
</ul></div>
</div>
<div class="footer">版权所有 测试消费网 备案号：浙ICP备00000000号</div>
</body></html>
"""


def page(title: str, paragraphs: list[str], *, head: str = "", pagenav: str = "",
         charset: str = "utf-8", list_url: str = "/alias/list.html") -> bytes:  # fmt: skip
    body = "\n".join(f"<p>{p}</p>" for p in paragraphs)
    html = PAGE.format(charset=charset, title=title, head=head, paragraphs=body,
                       pagenav=pagenav, list=list_url)  # fmt: skip
    return html.encode(charset)


def pagenav(urls: dict[int, str], current: int) -> str:
    """A portal's page-navigation block: 共3页 首页 上一页 1 2 3 下一页 尾页."""
    last = max(urls)
    parts = [f"共{last}页", f'<a href="{urls[1]}">首页</a>']
    if current > 1:
        parts.append(f'<a href="{urls[current - 1]}">上一页</a>')
    for n in sorted(urls):
        parts.append(f"<span>{n}</span>" if n == current else f'<a href="{urls[n]}">{n}</a>')
    if current < last:
        parts.append(f'<a href="{urls[current + 1]}">下一页</a>')
    parts.append(f'<a href="{urls[last]}">尾页</a>')
    return '<div class="pagenav">' + " ".join(parts) + "</div>"


def multi_urls(key: str) -> dict[int, str]:
    if key == "501":
        return {1: "/mp/2024/0301/501.html", 2: "/mp/2024/0301/501_2.html",
                3: "/mp/2024/0301/501_3.html"}  # fmt: skip
    if key == "502":
        return {1: "/mp/gbk/2024/0302/502.htm", 2: "/mp/gbk/2024/0302/502/index_2.htm",
                3: "/mp/gbk/2024/0302/502/index_3.htm"}  # fmt: skip
    if key == "503":
        return {1: "/mp/2024/0303/503.html", 2: "/mp/2024/0303/503.html?page=2",
                3: "/mp/2024/0303/503.html?page=3"}  # fmt: skip
    return {1: "/mp/2024/0304/504.html", 2: "/mp/2024/0304/504_2.html",
            3: "/mp/2024/0304/504_3.html"}  # fmt: skip


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"
    root: Path
    log_path: Path | None = None
    _log_lock = threading.Lock()

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (stdlib name)
        pass

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        if self.log_path is not None:
            with self._log_lock, open(self.log_path, "a", encoding="utf-8") as fh:
                fh.write(f"{self.command} {self.path} {code} {time.time():.3f}\n")

    def send(self, status: int, body: bytes, headers: dict[str, str] | None = None,
             ctype: str = "text/html") -> None:  # fmt: skip
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802 (stdlib name)
        parts = urlsplit(self.path)
        path, query = parts.path, parts.query
        if path == "/robots.txt":
            return self.send(200, b"User-agent: *\nAllow: /\n", ctype="text/plain")
        if path.startswith("/alias/") or path.startswith("/a/"):
            return self.alias_site(path)
        if path.startswith("/mp/"):
            return self.multi_site(path, query)
        self.send(404, b"<h1>404</h1>")

    def list_page(self, links: list[str], next_page: str | None = None) -> None:
        items = "".join(f'<li><a href="{u}">新闻 {i}</a></li>' for i, u in enumerate(links))
        nav = f'<div class="page"><a href="{next_page}">下一页</a></div>' if next_page else ""
        html = f'<html><head><meta charset="utf-8"></head><body><ul>{items}</ul>{nav}</body></html>'
        self.send(200, html.encode("utf-8"), ctype="text/html; charset=utf-8")

    # -- aliases ---------------------------------------------------------------------------
    def alias_site(self, path: str) -> None:
        final = "/a/2022/0915/10007.html"
        if path == "/alias/list.html":
            links = ["/a/old/10007.html", "/a/tmp/10007.html", "/a/print/10007.html",
                     final + "?utm_source=weibo&spm=1.2.3", "/a/m/10008.html",
                     "/a/2022/0917/10009.html", "/a/2022/0918/10010.html"]  # fmt: skip
            return self.list_page(links, "/alias/list_2.html")
        if path == "/alias/list_2.html":
            return self.list_page(["/a/2022/0919/10011.html"])
        if path == "/a/old/10007.html":
            return self.send(301, b"", {"Location": final})
        if path == "/a/tmp/10007.html":
            return self.send(302, b"", {"Location": "/a/old/10007.html"})  # two hops
        if path in (final, "/a/print/10007.html"):
            head = f'<link rel="canonical" href="{final}">'
            return self.send(200, page(TITLES["10007"], PARAGRAPHS["10007"], head=head))
        if path == "/a/m/10008.html":
            head = '<meta property="og:url" content="/a/2022/0916/10008.html">'
            return self.send(200, page(TITLES["10008"], PARAGRAPHS["10008"], head=head))
        if path == "/a/2022/0917/10009.html":
            head = '<link rel="canonical" href="/">'  # a careless template: the home page
            return self.send(200, page(TITLES["10009"], PARAGRAPHS["10009"], head=head))
        if path == "/a/2022/0919/10011.html":
            return self.send(200, page(TITLES["10011"], PARAGRAPHS["10011"]))
        if path == "/a/2022/0918/10010.html":
            head = '<link rel="canonical" href="http://other.example.cn/a/2022/0918/10010.html">'
            return self.send(200, page(TITLES["10010"], PARAGRAPHS["10010"], head=head))
        self.send(404, b"<h1>404</h1>")

    # -- multi-page articles -------------------------------------------------------------------
    def multi_site(self, path: str, query: str) -> None:
        if path in ("/mp/list.html", "/mp/list_2.html"):
            links = [multi_urls(k)[1] for k in MULTI] if path == "/mp/list.html" else []
            links.append("/mp/2024/0301/501_2.html")  # a continuation page linked directly
            items = "".join(f'<li><a href="{u}">文章 {i}</a></li>' for i, u in enumerate(links))
            nav = ('<div class="page">共2页 <a href="/mp/list.html">1</a> '
                   '<a href="/mp/list_2.html">2</a> <a href="/mp/list_2.html">下一页</a></div>')
            html = (f'<html><head><meta charset="utf-8"></head><body><ul>{items}</ul>{nav}'
                    "</body></html>")
            return self.send(200, html.encode("utf-8"), ctype="text/html; charset=utf-8")
        target = path + ("?" + query if query else "")
        for key in MULTI:
            urls = multi_urls(key)
            for n, url in urls.items():
                if url != target:
                    continue
                if key == "504" and n == 3 and (self.root / "broken").exists():
                    return self.send(500, b"<h1>500 Internal Server Error</h1>")
                charset = "gbk" if key == "502" else "utf-8"
                html = page(MULTI_TITLES[key], MULTI[key][n], pagenav=pagenav(urls, n),
                            charset=charset, list_url="/mp/list.html")  # fmt: skip
                return self.send(200, html)  # charset only in <meta>, as portals do
        self.send(404, b"<h1>404</h1>")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.portalserver", description=__doc__)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--root", required=True, help="folder of switches (DIR/broken)")
    parser.add_argument("--log", default=None)
    args = parser.parse_args(argv)
    Handler.root = Path(args.root)
    Handler.log_path = Path(args.log) if args.log else None
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    print(f"http://127.0.0.1:{server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
