"""Two generated news portals in URL styles the demo portal does not use, for ``sites new``.

``python -m tests.siteserver --style date|query|empty --port 0 [--log FILE]`` prints its
base URL on the first stdout line and logs ``METHOD PATH STATUS USER-AGENT`` for every
request (the query string included), like ``python -m crawler.demo``.

* ``date``: list pages ``/news/`` then ``/news/list_2.shtml`` ..., articles under date
  paths ``/news/2024/03/18/c_10234.htm``; also channel pages, a special-topic page and
  a video page whose links read like headlines.
* ``video``: ``date`` with 12 video links on every list page, whose anchors read as
  headlines but whose pages have no article text: more of them than of articles.
* ``query``: list pages ``/list.php`` then ``/list.php?page=2`` ..., articles
  ``/show.php?id=N``; also ``/comment.php?id=N`` links (评论) and ``/page.php?id=N``
  (关于我们 ...).
* ``empty``: a home page with navigation links only, no article link.

:func:`portal` gives the pages of a style and :func:`articles` its article paths,
which the tests compare with what a crawl archived.
"""

from __future__ import annotations

import argparse
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

SENTENCES = [
    "市场监管部门近日对辖区内的商场超市开展了专项检查，重点检查食品标签和进货查验记录。",
    "执法人员在检查中发现部分商户存在过期食品未及时下架的问题，已责令立即整改。",
    "消费者协会提醒广大消费者，购买商品时要注意查看生产日期和保质期，并保存好购物凭证。",
    "据介绍，今年以来全市共受理消费投诉一万余件，为消费者挽回经济损失三百多万元。",
    "专家表示，预付式消费纠纷多发，消费者办卡前应当了解经营者的资质和信誉情况。",
    "下一步，有关部门将继续加大监管力度，对违法违规行为依法从严查处，维护公平竞争的市场秩序。",
    "记者在走访中了解到，不少商家已经主动公开了价格和服务标准，接受社会监督。",
    "此次抽检共涉及电动自行车、儿童玩具、家用电器等十二类产品，合格率为百分之九十三。",
]
TOPICS = [
    "春季食品安全专项检查全面启动",
    "电动自行车质量抽检结果公布",
    "预付卡消费纠纷调解典型案例发布",
    "儿童玩具质量安全消费提示",
    "家电以旧换新活动惠及万户家庭",
    "直播带货虚假宣传被立案查处",
    "老年人保健品消费陷阱揭秘",
    "网购退货运费险理赔问题调查",
    "燃气具质量安全专项整治开展",
    "农贸市场计量器具集中检定",
    "外卖平台食品安全责任约谈",
    "二手车交易合同示范文本推行",
    "美容美发行业价格公示检查",
    "学生文具质量抽查不合格名单",
    "共享充电宝收费标准调查",
]
NAV = [("首页", "/"), ("新闻", "{list}"), ("财经", "/finance/"), ("汽车", "/auto/"),
       ("房产", "/house/"), ("关于我们", "{about}"), ("联系我们", "{contact}")]  # fmt: skip
PER_PAGE = 5


def _article_html(title: str, date: str, n: int, site: str) -> str:
    paras = "".join(
        f"<p>{SENTENCES[(n + k) % len(SENTENCES)]}{SENTENCES[(n * 3 + k) % len(SENTENCES)]}</p>"
        for k in range(4)
    )
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{title}_{site}</title></head>"
        f"<body><div class='nav'><a href='/'>首页</a> <a href='/about.html'>关于我们</a></div>"
        f"<div class='article'><h1>{title}</h1><div class='info'>{date} 10:{n % 60:02d}"
        f" 来源：{site} 记者 王{'明华强军'[n % 4]}</div><div class='content'>{paras}</div>"
        f"<div class='editor'>责任编辑：李{'静敏'[n % 2]}</div></div>"
        f"<div class='footer'>Copyright © 2024 {site} 版权所有</div></body></html>"
    )


def _page(title: str, nav: str, main: str, side: str = "") -> str:
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{title}</title></head><body>"
        f"<div class='nav'>{nav}</div><div class='main'>{main}</div>"
        f"<div class='side'>{side}</div><div class='footer'><a href='/about.html'>关于我们</a>"
        f" | <a href='/sitemap.html'>网站地图</a> Copyright © 2024</div></body></html>"
    )


def _pager(urls: list[str], current: int) -> str:
    parts = [f"共{len(urls)}页"]
    for i, u in enumerate(urls, 1):
        parts.append(f"<span>{i}</span>" if i == current else f"<a href='{u}'>{i}</a>")
    if current < len(urls):
        parts.append(f"<a href='{urls[current]}'>下一页</a>")
    parts.append(f"<a href='{urls[-1]}'>末页</a>")
    return "<div class='pages'>" + " ".join(parts) + "</div>"


def _video(k: int) -> str:
    return f"/video/2024/03/{10 + k:02d}/v_{500 + k}.htm"


def portal(style: str) -> dict[str, tuple[int, str, str]]:
    """``path -> (status, content type, body)`` of every page of a style."""
    pages: dict[str, tuple[int, str, str]] = {}
    html = "text/html; charset=utf-8"

    def add(path: str, body: str) -> None:
        pages[path] = (200, html, body)

    if style == "empty":
        nav = " ".join(f"<a href='/{c}/'>{t}</a>" for t, c in [
            ("新闻", "news"), ("财经", "finance"), ("汽车", "auto"), ("房产", "house"),
            ("旅游", "travel"), ("教育", "edu")])  # fmt: skip
        main = ("<p>欢迎访问</p><a href='/about.html'>关于我们</a>"
                "<a href='/contact.html'>联系我们</a><a href='/login.html'>登录</a>")  # fmt: skip
        add("/", _page("示例门户", nav, main))
        pages["/robots.txt"] = (200, "text/plain", "User-agent: *\nDisallow:\n")
        return pages

    dated = style in ("date", "video")
    site = "示例日报网" if dated else "示例消费网"
    if dated:
        list_urls = ["/news/"] + [f"/news/list_{i}.shtml" for i in range(2, 4)]
        about, contact = "/about.html", "/contact.html"
    else:
        list_urls = ["/list.php"] + [f"/list.php?page={i}" for i in range(2, 5)]
        about, contact = "/page.php?id=1", "/page.php?id=2"
    arts = []
    for n, topic in enumerate(TOPICS):
        day = 18 - n
        date = f"2024-03-{day:02d}"
        path = (
            f"/news/2024/03/{day:02d}/c_{10230 + n * 7}.htm" if dated
            else f"/show.php?id={101 + n * 3}"
        )  # fmt: skip
        arts.append((path, topic, date, n))
        add(path, _article_html(topic, date, n, site))
    nav = " ".join(
        f"<a href='{u.format(list=list_urls[0], about=about, contact=contact)}'>{t}</a>"
        for t, u in NAV
    )
    hot = "".join(f"<li><a href='{p}' title='{t}'>{t[:8]}...</a></li>" for p, t, _, _ in arts[:4])
    for i, url in enumerate(list_urls, 1):
        chunk = arts[(i - 1) * PER_PAGE : i * PER_PAGE]
        items = []
        for p, t, d, n in chunk:
            extra = (
                f" <a href='/comment.php?id={101 + n * 3}'>评论({n})</a>" if style == "query"
                else ""
            )  # fmt: skip
            items.append(f"<li><span>{d}</span><a href='{p}'>{t}</a>{extra}</li>")
        if style == "video":  # more headline-like video links than articles: pages without text
            items += [f"<li><a href='{_video(k)}'>视频：{t}</a></li>"
                      for k, t in enumerate(TOPICS[:12])]  # fmt: skip
        if dated:
            items.append("<li><a href='/zt/2024/315.html'>3·15国际消费者权益日专题报道</a></li>")
            items.append("<li><a href='/video/2024/03/18/v_88.htm'>视频：记者暗访直播间</a></li>")
        main = f"<ul class='list'>{''.join(items)}</ul>" + _pager(list_urls, i)
        add(url, _page(f"新闻_{site}", nav, main, f"<h3>热门</h3><ul>{hot}</ul>"))
    for path, title in [(about, "关于我们"), (contact, "联系我们")]:
        add(path, _page(f"{title}_{site}", nav, f"<p>{title}</p>"))
    add("/about.html", _page(f"关于我们_{site}", nav, "<p>关于我们</p>"))
    add("/sitemap.html", _page(f"网站地图_{site}", nav, "<p>网站地图</p>"))
    for k in range(12 if style == "video" else 0):
        add(_video(k), _page("视频", nav, "<video></video>"))
    if dated:
        add("/zt/2024/315.html", _page("专题", nav, "<p>专题</p>"))
        add("/video/2024/03/18/v_88.htm", _page("视频", nav, "<video src='x.mp4'></video>"))
    pages["/robots.txt"] = (200, "text/plain", "User-agent: *\nDisallow: /admin/\n")
    return pages


def articles(style: str) -> list[str]:
    """Paths (with query) of the articles of a style."""
    return [p for p in portal(style) if p.startswith(("/news/2024/", "/show.php"))]


def list_pages(style: str) -> list[str]:
    return [p for p in portal(style) if p.startswith(("/news/list", "/list.php")) or p == "/news/"]


class Handler(BaseHTTPRequestHandler):
    pages: dict[str, tuple[int, str, str]] = {}
    log_path: Path | None = None
    lock = threading.Lock()

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        from urllib.parse import parse_qsl, urlencode, urlsplit

        parts = urlsplit(self.path)
        key = parts.path + (f"?{urlencode(parse_qsl(parts.query))}" if parts.query else "")
        status, ctype, body = self.pages.get(key, (404, "text/html", "<h1>404</h1>"))
        data = body.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        if self.log_path is not None:
            with self.lock, open(self.log_path, "a", encoding="utf-8") as fh:
                fh.write(f"GET {self.path} {status} {self.headers.get('User-Agent', '-')}\n")

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.siteserver", description=__doc__)
    parser.add_argument("--style", choices=("date", "video", "query", "empty"), required=True)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--log", default=None)
    parser.add_argument("--root", default=None, help="ignored (the conftest server API)")
    args = parser.parse_args(argv)
    handler = type("H", (Handler,), {"pages": portal(args.style),
                                     "log_path": Path(args.log) if args.log else None})  # fmt: skip
    server = ThreadingHTTPServer(("127.0.0.1", args.port), handler)
    server.daemon_threads = True
    print(f"http://127.0.0.1:{server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
