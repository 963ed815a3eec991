"""Extraction rules as data, each list in priority order.

Everything site-independent that the extractor matches on lives here: charset aliases,
tags to drop, boilerplate class/id and text markers, metadata labels, meta-tag names and
date formats. The code in the sibling modules only interprets these tables.
"""

from __future__ import annotations

import re

# --------------------------------------------------------------------------- decoding

#: Declared charsets read as a superset codec. GB18030 contains GBK contains GB2312.
CHARSET_ALIASES: dict[str, str] = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "cp936": "gb18030",
    "ms936": "gb18030",
    "windows-936": "gb18030",
    "euc-cn": "gb18030",
    "x-euc-cn": "gb18030",
    "hz-gb-2312": "gb18030",
    "gb_2312-80": "gb18030",
    "chinese": "gb18030",
    "csgb2312": "gb18030",
    "iso-ir-58": "gb18030",
    "gb18030": "gb18030",
    "big5": "big5hkscs",
    "big-5": "big5hkscs",
    "cn-big5": "big5hkscs",
    "x-x-big5": "big5hkscs",
    "big5-hkscs": "big5hkscs",
    "utf8": "utf-8",
    "unicode-1-1-utf-8": "utf-8",
    "x-unicode20utf8": "utf-8",
    # Browsers read these labels as windows-1252.
    "iso-8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "us-ascii": "cp1252",
    "ascii": "cp1252",
    "windows-1252": "cp1252",
}

#: Single-byte charsets: they never fail to decode, so a declaration of one is weak evidence.
SINGLE_BYTE_CHARSETS = frozenset({"cp1252", "iso8859-1", "latin-1"})

#: Order in which charsets are tried when nothing declared works.
DETECTION_ORDER: tuple[str, ...] = ("utf-8", "gb18030", "big5hkscs")

#: Bytes sniffed for a <meta charset> / http-equiv / XML declaration.
SNIFF_BYTES = 4096

META_CHARSET_RE = re.compile(
    rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_:.\-]+)"""
    rb"""|<\?xml[^>]+encoding\s*=\s*["']([A-Za-z0-9_:.\-]+)"""
    rb"""|<text[^>]+encoding\s*=\s*["']([A-Za-z0-9_:.\-]+)""",
    re.IGNORECASE,
)

# --------------------------------------------------------------------------- cleaning

#: Elements removed with their content before anything is scored.
DROP_TAGS: tuple[str, ...] = (
    "script", "style", "noscript", "iframe", "object", "embed", "applet", "svg", "canvas",
    "template", "select", "option", "button", "textarea", "input", "map", "audio", "video",
    "head", "title", "meta", "link", "frameset", "frame", "nav", "aside", "footer",
)

#: Elements that start a new line of text. Anything else is inline.
BLOCK_TAGS = frozenset({
    "html", "body", "article", "section", "main", "div", "p", "table", "tbody", "thead",
    "tfoot", "tr", "td", "th", "ul", "ol", "li", "dl", "dt", "dd", "h1", "h2", "h3", "h4",
    "h5", "h6", "blockquote", "pre", "header", "footer", "form", "center", "hr", "br",
    "address", "figure", "figcaption", "caption", "fieldset", "legend", "details", "summary",
    "nav", "aside", "menu", "dir", "noscript", "textarea", "select", "option", "iframe",
})

#: class/id words that mark boilerplate containers (matched on class + " " + id, lower case).
BOILERPLATE_ATTR_RE = re.compile(
    r"(?:^|[\s_\-])(?:"
    r"nav|navi|navbar|menu|topbar|breadcrumbs?|crumbs?|sidebar|side|aside|right(?:side|bar)?|"
    r"left(?:side|bar)|footer|foot|copyright|copy|banner|ads?|advert\w*|sponsor\w*|gg|"
    r"comments?|cmt|reply|replies|discuss\w*|pinglun|login|logon|signin|register|reg|"
    r"share\w*|bdshare|jiathis|fenxiang|social|sns|related|relate|xgyd|xgxw|about|recommend\w*|"
    r"tuijian|hot\w*|rank\w*|paihang|more|tags?|keywords?|print|tools?|toolbar|pager|"
    r"pagination|page-?nav|subscribe|popup|modal|qrcode|erweima|weixin|wechat|"
    r"search|friend-?links?|links?|yqlj|statement|disclaimer|shengming|header|top"
    r")(?=$|[\s_\-\d])",
)

#: class/id words of comment threads: boilerplate even next to a content word
#: ("user-post-box comment-box", "comment-content").
COMMENT_ATTR_RE = re.compile(
    r"(?:^|[\s_\-])(?:comments?|cmt|reply|replies|pinglun|discuss\w*)(?=$|[\s_\-\d])"
)


_BP_ATTR_CACHE: dict[str, bool] = {}


def is_boilerplate_attr(words: str) -> bool:
    """class/id words (lower case) of a boilerplate container."""
    if not words:
        return False
    v = _BP_ATTR_CACHE.get(words)
    if v is None:
        v = bool(BOILERPLATE_ATTR_RE.search(words)) and (
            not CONTENT_ATTR_RE.search(words) or bool(COMMENT_ATTR_RE.search(words)))
        if len(_BP_ATTR_CACHE) > 8192:
            _BP_ATTR_CACHE.clear()
        _BP_ATTR_CACHE[words] = v
    return v


#: class/id words that protect a container from BOILERPLATE_ATTR_RE.
CONTENT_ATTR_RE = re.compile(
    r"article|content|main|body|text|post|entry|story|detail|news|zhengwen|cont|txt|"
    r"artibody|endtext|show",
)

#: class/id words that raise (positive) or lower (negative) a candidate's score.
POSITIVE_ATTR_RE = re.compile(
    r"article|content|artibody|body|text|post|entry|story|zhengwen|detail|main|blog|"
    r"endtext|txt|cont|news",
)
NEGATIVE_ATTR_RE = BOILERPLATE_ATTR_RE

#: Lines (whole, normalised of spaces) that are boilerplate wherever they occur.
BOILERPLATE_LINE_RE = re.compile(
    r"^(?:"
    r"分享到[:：]?.{0,40}|分享[:：].{0,40}|.{0,10}(?:打印本页|打印此文|关闭窗口|【?打印】?|【?关闭】?|"
    r"保存本文|收藏本文|推荐给朋友|发送给朋友|返回顶部|返回首页|回到顶部)(?:\W.{0,40})?|"
    r"[【\[]?\s*字号\s*[:：]?\s*[大中小\s\]】]*.{0,30}|"
    r"我(?:也)?要(?:评论|发言|说两句)|我也来说两句.{0,40}|发表评论.{0,20}|查看评论.{0,20}|"
    r"网友评论.{0,20}|已有\d+人参与.{0,20}|\d+条评论.{0,20}|"
    r"(?:会员)?登录名.{0,20}|用户名[:：].{0,30}|密码[:：]?.{0,20}|\[?注册\]?|匿名发表.{0,20}|"
    r"更多>*|More\s*>*|更多.{0,10}>>|点击排行.{0,10}|热点推荐.{0,10}|"
    r"上一篇.{0,80}|下一篇.{0,80}|上一页|下一页|首页|尾页|第\s*\d+\s*页\s*/\s*共\s*\d+\s*页.{0,40}|"
    r"共\s*\d+\s*页.{0,40}|"
    r"[『「【\[]?\s*(?:相关阅读|相关新闻|相关链接|相关文章|相关报道|相关专题|延伸阅读|"
    r"推荐阅读|热门推荐|热点新闻|猜你喜欢|为您推荐|精彩推荐|今日推荐|图片新闻)\s*[』」】\]]?.{0,10}|"
    r"(?:扫一扫|扫描二维码|长按(?:识别)?二维码|微信扫一扫).{0,40}|"
    r"(?:点击|浏览|阅读)(?:次数|数|量)?[:：]\s*\d*.{0,10}|"
    r".{0,20}(?:Copyright|版权所有|©|\(c\)).{0,120}|"
    r"(?:免责声明|版权声明|声明)[:：].{0,200}|"
    # Reprint notices: 原创版权禁止商业转载 授权>> / 转载申请事宜…请联系我们：… / 未经授权不得转载
    r".{0,20}(?:禁止(?:商业)?转载|严禁转载|不得转载|转载申请|转载请(?:注明|联系)|"
    r"未经(?:书面)?(?:授权|许可)).{0,60}|"
    r"标签[:：].{0,60}|关键词[:：].{0,60}|"
    r"\d+\s*/\s*\d+|\d{1,3}|"
    # Video player controls: Play Video / 0:00 / /2:54 / 播放视频
    r"(?:/\s*)?\d{1,2}:\d{2}(?::\d{2})?|Play\s*Video|播放视频|重新播放|"
    r"(?:Current\s*Time|Duration|Loaded|Remaining\s*Time)\b.{0,20}"
    r")$",
    re.IGNORECASE,
)

#: Lines longer than this are not tried against BOILERPLATE_LINE_RE: its longest
#: alternative is a 免责声明/版权声明/声明 label, a colon and 200 characters (only runs of
#: digits or spaces could make a match longer).
BOILERPLATE_LINE_MAX = 210

#: Disclaimer / copyright paragraphs: never scored as article paragraphs.
DISCLAIMER_RE = re.compile(
    r"版权所有|著作权|Copyright|©|版权声明|免责声明|不代表本(?:站|网)|转载请注明|未经授权|ICP备",
    re.IGNORECASE,
)

#: Lines that end the article: everything after them (inside the main text) is boilerplate.
END_MARKER_RE = re.compile(
    r"^\s*[『「【\[(（]?\s*(?:相关阅读|相关新闻|相关链接|相关文章|相关报道|延伸阅读|推荐阅读|"
    r"热门推荐|猜你喜欢|为您推荐|精彩推荐|我也来说两句|我要评论|网友评论|发表评论|分享到|"
    r"更多精彩|More\s*>>)",
    re.IGNORECASE,
)

#: Markers of the comment/login area, matched on the text of a whole small container.
COMMENT_BOX_TEXT_RE = re.compile(r"我也来说两句|发表评论|网友评论|登录名|用户名|密码|匿名")

# --------------------------------------------------------------------------- metadata

#: Separators between a headline and the site name in <title>.
TITLE_SPLIT_RE = re.compile(r"\s*(?:[_|｜]+|\s[-－—–]+\s|--+|——|-(?=[^-]{2,30}$))\s*")

#: <meta> names/properties holding the publication time, in priority order.
META_DATE_NAMES: tuple[str, ...] = (
    "article:published_time", "og:article:published_time", "og:published_time",
    "og:release_date", "publishdate", "publish_date", "pubdate", "published_time",
    "publication_date", "publishtime", "publish-time", "weibo:article:create_at",
    "sailthru.date", "datepublished", "dc.date.issued", "dc.date", "dcterms.created",
    "ptime", "pubtime", "publish_time", "og:time", "release_date", "releasedate",
    "date", "creationdate", "article.published", "originalpublicationdate", "firstpublishedtime",
    "article:modified_time", "lastmodified", "dateupdate", "dateupdated", "dc.date.modified",
)
META_TITLE_NAMES: tuple[str, ...] = (
    "og:title", "twitter:title", "title", "headline", "articletitle",
)
META_AUTHOR_NAMES: tuple[str, ...] = ("author", "article:author", "dc.creator", "byl")
META_SOURCE_NAMES: tuple[str, ...] = ("source", "contentsource", "article:source", "mediaid")

#: Source values that name no outlet: keep looking for a better one.
GENERIC_SOURCES = frozenset({
    "转载", "转载文章", "网络", "互联网", "网络转载", "本站", "本网", "原创", "综合", "未知",
    "网友投稿", "投稿", "其他", "其它", "不详", "佚名", "网上", "网摘", "整理",
})
#: Year and month without a day (monthly publications): 1998年3月号.
MONTH_DATE_RE = re.compile(r"(?<!\d)((?:19|20)\d{2})\s*年\s*(\d{1,2})\s*月(?!\s*\d)")
#: English month names.
EN_DATE_RE = re.compile(
    r"\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?"
    r"\s+(?:[A-Z][a-z]{2}\s+)?((?:19|20)\d{2})(?:,?\s+(\d{1,2}):(\d{2})(?::(\d{2}))?)?",
)
EN_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")

#: Labels in visible text. Regexes match at the label; the value follows.
SOURCE_LABEL_RE = re.compile(
    r"(?:文章来源|信息来源|稿件来源|新闻来源|内容来源|消息来源|来源于|来源|稿源|出处)\s*[:：]\s*"
)
SOURCE_LABEL_LOOSE_RE = re.compile(r"(?:文章来源|信息来源|稿件来源|来源)\s+(?=\S)")
#: The outlet or status words that may stand before 记者 in a byline (本报记者, 新华社记者,
#: 实习记者): one definition for every byline pattern below.
REPORTER_PREFIX = r"(?:本报|本台|本刊|本网|新华社|央视|特约|见习|实习)?"
AUTHOR_LABEL_RE = re.compile(
    r"(?<![编责])(?:作\s*者|撰\s*文|撰稿人?|执笔人?|文\s*[/／]|文\s*[|｜]|"
    + REPORTER_PREFIX
    + r"记\s*者|通讯员|实习生|评论员)\s*[:：]?\s*"
)
#: A line-initial role word inside an author value ("作者：记者王敬照").
ROLE_PREFIX_RE = re.compile(
    r"^(?:" + REPORTER_PREFIX + r"记\s*者|通讯员|实习生|评论员)\s*[:：]?\s*"
)
#: Text after the names in a byline line: "彭冲 山东冠县报道", "罗科苏盈发自北京".
BYLINE_TAIL_RE = re.compile(
    r"(?:\s*[\u4e00-\u9fff]{0,8}报[道导]|\s*发自.*|\s*[\u4e00-\u9fff]{0,8}电|\s*[/／]\s*(?:文|图|摄).*)$"
)
#: Name tokens ending like this are roles or phrases, not names.
NOT_NAME_SUFFIX_RE = re.compile(r"(?:记者|通讯员|编辑|报道|评论员|实习生|摄影|供图|出品|发布)$")
#: What may precede a colon-less role word in a byline line: nothing, a gap, a bracket, or an
#: outlet name ("光明日报记者", "新华网黑龙江频道 记者").
BYLINE_PREFIX_RE = re.compile(
    r"(?:^|[\s(（【\[|｜/\-—:：·•，,；;。]|(?:报|网|社|台|频道|新闻|客户端|杂志|刊|本|讯))$"
)
#: Before a colon-less role word in a very short line, any outlet-like prefix is fine unless it
#: ends in a word that makes the role part of a phrase (小记者, 告诉记者, 的记者).
BYLINE_BAD_PREFIX_RE = re.compile(r"(?:小|的|向|对|告诉|据|让|给|和|与|跟|被|名|位|个|是|为|当)$")
#: Forum and blog post signatures: "by 眉间尺", "ggjjzhzz 发表于 2005-9-15", "本贴由大卫于…发表".
POSTER_RES: tuple[re.Pattern[str], ...] = (
    re.compile(r"(?:^|\s)by\s+([^\s〓|<>]{2,20})", re.IGNORECASE),
    re.compile(
        r"^([^\s:：\[【(（]{2,20})\s*(?:发表于|發表於|posted\s+(?:on|at))\s*(?:19|20)\d{2}", re.I
    ),
    re.compile(r"本[贴帖]由\s*([^\s于]{2,20})\s*于\s*(?:19|20)\d{2}"),
)

#: Parenthesised names closing a paragraph: （记者 胡晓蓉） / （常书香 马丹阳） / （姚峰 上海报道）.
BYLINE_END_RE = re.compile(
    r"[（(]\s*(?:(?:本报|本台|新华社|特约|见习)?记者|评论员|通讯员|文\s*[/／]|作者[:：]?)?\s*"
    r"([\u4e00-\u9fff·]{2,5}(?:[\s、，,]+[\u4e00-\u9fff·]{2,5}){0,5})"
    r"(?:\s+[\u4e00-\u9fff]{2,8}报道)?\s*[）)]\s*$"
)
EDITOR_LABEL_RE = re.compile(
    r"(?:责任编辑|责\s*编|编\s*审|值班编辑|编\s*辑|主\s*编|审\s*核|校\s*对|终\s*审|初\s*审|复\s*审|"
    r"编\s*导|监\s*制)\s*[:：]?\s*"
)
#: Only these editor-like labels produce the editor field.
EDITOR_FIELD_LABEL_RE = re.compile(r"(?:责任编辑|责\s*编|编\s*审|(?<![主])编\s*辑)\s*[:：]?\s*")

#: Any metadata label: used to cut a value at the next label.
ANY_LABEL_RE = re.compile(
    r"(?:文章来源|信息来源|稿件来源|新闻来源|来源于|来源|稿源|作\s*者|撰\s*文|记\s*者|通讯员|"
    r"实习生|责任编辑|责\s*编|编\s*审|编\s*辑|摄\s*影|图\s*片|发布时间|发表时间|更新时间|时间|"
    r"日期|点击|浏览|阅读|字号|评论|分享|打印|关闭|浏览次数|访问量|热度|出处)\s*[:：]"
    r"|【|\[|(?:\s{2,}|\u3000)"
)

#: A Chinese personal name or short handle.
NAME_RE = re.compile(r"^[\u4e00-\u9fff·•]{2,6}$|^[A-Za-z][A-Za-z0-9_.\- ]{1,30}$")
#: Words that are never names.
NOT_NAMES = frozenset({
    "本报", "本网", "本站", "本刊", "佚名", "未知", "匿名", "网友", "管理员", "admin", "编辑",
    "记者", "作者", "来源", "回复", "size", "font", "color", "null", "none", "undefined",
    "综合", "整理", "报道", "摄影", "供图", "图片", "责任编辑", "责编", "通讯员", "实习生",
    "查看", "评论", "登录", "注册", "更多", "相关", "新闻", "简介", "待续", "未完", "组图",
    "原创", "转载", "全文完", "完", "图", "视频", "评论员", "执笔", "专稿", "独家", "资料图",
    "资料", "图文", "本文", "文章", "点击", "阅读", "原文", "标题", "正文", "全文", "出自",
    "发表", "发布", "收藏", "打印", "关闭", "字号", "大", "中", "小",
    "编者按", "按语", "摘要", "导读", "前言", "引言", "序言", "提要", "目录", "关注", "粉丝",
    "热搜", "热门", "置顶", "精选", "头条", "推荐", "快讯", "播报", "直播", "专题", "要闻",
})
#: A forum or blog handle after an explicit 作者/楼主 label: letters, digits, CJK and a few
#: joining symbols ("放飞&心情", "sky_2005").
HANDLE_RE = re.compile(r"^[\w\u4e00-\u9fff][\w\u4e00-\u9fff&.·\-]{1,19}$")
#: Academic citation credits: 文章引用：赵培. 淘宝网物流配送…[J]. / 引用本文：张三, 李四. …
CITATION_RE = re.compile(
    r"(?:文章引用|引用本文|本文引用格式|引用格式|引文格式|参考引用|Cite\s+this(?:\s+article)?)"
    r"\s*[:：]\s*([^.．。\[\]]{2,60}?)\s*[.．]\s*[^\s].{2,200}?\[[JMCDNRSPZ](?:/OL)?\]",
    re.IGNORECASE,
)
#: Labels whose value is the issuing body of a government document (an organisation).
ISSUER_LABEL_RE = re.compile(r"^\s*(?:发文机关|发文单位)\s*[:：]\s*")
#: A "follow" button next to an author's name on content platforms.
FOLLOW_RE = re.compile(r"^[+＋]?\s*(?:关注|加关注|关注TA|关注他|关注她|Follow)$", re.IGNORECASE)
#: Blog post signatures without a date: "史蒂文的家 發表在 痞客邦 留言(4)".
POSTED_IN_RE = re.compile(r"^([^\s:：\[【(（]{2,20})\s+(?:发表在|發表在|posted\s+in)\s+\S", re.I)
#: Words inside a token that make it UI text, not a name.
NOT_NAME_PART_RE = re.compile(
    r"点击|收藏|本文|此处|查看|评论|回复|阅读|登录|注册|打印|关闭|分享|推荐"
)
#: Endings of outlet names: an author value ending like this is an outlet, not a person.
OUTLET_SUFFIX_RE = re.compile(
    r"(?:网|报|社|台|刊|站|频道|客户端|新闻|日报|晚报|杂志|网站|中心|在线|传媒|集团|公众号|"
    r"财经|科技|新媒体|融媒|官微|资讯|出版社|研究院|协会|委员会|局|厅|部|办)$"
)
#: Content platforms and portals: their brand names an author field, never a person.
PLATFORM_NAMES = frozenset({
    "网易", "新浪", "腾讯", "搜狐", "凤凰", "头条", "今日头条", "百家号", "网易号", "搜狐号",
    "企鹅号", "大风号", "头条号", "一点资讯", "澎湃", "澎湃号", "人民号", "新浪网", "腾讯网",
})

#: Byline inside the first paragraph: 本报讯（记者 李明 通讯员 陈红）/ 报道(记者郑铁峰).
BYLINE_PAREN_RE = re.compile(
    r"[（(]\s*((?:" + REPORTER_PREFIX + r"记者|通讯员|实习生|评论员|"
    r"(?:文|图|摄)?\s*[/／])[^（()）]{1,60})[）)]"
)
BYLINE_ROLE_RE = re.compile(
    r"(?:" + REPORTER_PREFIX + r"记者|通讯员|实习生|文\s*[/／])"
)
#: Roles inside bylines that are not authors (their names are skipped).
BYLINE_SKIP_ROLE_RE = re.compile(r"(?:摄影?|图|编辑|责编|视频|制图|海报|设计)\s*[/／:：]?")

#: Any role inside a byline (author roles and skipped roles), to split it into chunks.
BYLINE_ANY_ROLE_RE = re.compile(
    r"(?:" + REPORTER_PREFIX + r"记者|通讯员|实习生|评论员|"
    r"摄影?|图|编辑|责编|视频|制图|文)\s*[/／:：]?"
)

NAME_SPLIT_RE = re.compile(r"[\s、，,;；/／|｜和及与]+")

# --------------------------------------------------------------------------- dates

#: Labels introducing the publication time in visible text.
DATE_LABEL_RE = re.compile(
    r"(?:发布时间|发表时间|发稿时间|出版时间|发布日期|发表日期|时间|日期|发表于|发布于|"
    r"posted\s+on|published|date)\s*[:：]?",
    re.IGNORECASE,
)
#: Labels of times that are not the publication time.
BAD_DATE_CONTEXT_RE = re.compile(
    r"(?:©|copyright|版权|备案|icp|更新时间|修改时间|最后更新|last\s+modified|回复|"
    r"注册|加入|在线|生日|截止|有效期|"
    # Reference lists: when a cited page was read or archived, not when this one was written.
    r"引用日期|访问日期|检索日期|查阅日期|存档|retrieved|accessed|archived)",
    re.IGNORECASE,
)

#: Date-time formats in visible text, in priority order. Groups: y, mo, d, h, mi, s.
DATE_PATTERNS: tuple[re.Pattern[str], ...] = (
    re.compile(
        r"(?<![\d])((?:19|20)\d{2})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
        r"(?:\s*(?:T|\s|,|&nbsp;)?\s*(?:星期.|周.)?\s*(?:(上午|下午|早上|晚上|凌晨|中午|傍晚|晚间|夜间|夜里|AM|PM|am|pm)\s*)?"
        r"(\d{1,2})\s*[:：时]\s*(\d{1,2})(?:\s*[:：分]\s*(\d{1,2}))?)?(?![\d])"
    ),
)
#: M/D/YYYY h:mm:ss AM/PM (US style, only with an AM/PM marker or a day > 12).
US_DATE_RE = re.compile(
    r"(?<!\d)(\d{1,2})/(\d{1,2})/((?:19|20)\d{2})(?:\s+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([AaPp][Mm])?)?"
)
#: MM-DD HH:MM without a year (year from the URL or the page).
SHORT_DATE_RE = re.compile(
    r"(?<![\d\-/.年])(\d{1,2})\s*[-/月]\s*(\d{1,2})\s*日?\s+(\d{1,2})[:：](\d{2})(?::(\d{2}))?(?![\d])"
)
#: Dates in URLs, in priority order. Named groups y (2 or 4 digits), m, d.
URL_DATE_PATTERNS: tuple[re.Pattern[str], ...] = (
    re.compile(r"(?<!\d)(?P<y>(?:19|20)\d{2})[-/_]?(?P<m>[01]\d)[-/_]?(?P<d>[0-3]\d)(?!\d)"),
    re.compile(r"(?<!\d)(?P<y>(?:19|20)\d{2})[-/_](?P<m>[01]?\d)[-/_](?P<d>[0-3]?\d)(?!\d)"),
    re.compile(r"/(?P<y>(?:19|20)\d{2})[-/_]?(?P<m>[01]\d)/"),
    re.compile(r"/(?P<y>[0-2]\d)(?P<m>[01]\d)(?P<d>[0-3]\d)/"),
    re.compile(r"/(?P<y>[0-2]\d)/(?P<m>[01]\d)(?P<d>[0-3]\d)/"),
)
URL_YEAR_RE = re.compile(r"(?<!\d)((?:19|20)\d{2})(?:[-/_]?[01]\d)")

#: Default time zone of Chinese portals.
DEFAULT_TZ = "+08:00"

# --------------------------------------------------------------------------- main text

#: Punctuation that marks running prose (Chinese and Western).
PROSE_PUNCT = frozenset("，。！？；：、“”…,.;!?")
#: Tags scored as paragraphs.
PARAGRAPH_TAGS = frozenset({"p", "td", "pre", "blockquote", "div", "li", "dd", "section",
                            "article", "font", "span", "center", "body"})
#: Score bonus by tag of a candidate container.
TAG_WEIGHTS: dict[str, float] = {
    "article": 8, "div": 5, "section": 3, "td": 3, "pre": 3, "blockquote": 3,
    "form": -3, "ol": -3, "ul": -3, "dl": -3, "li": -3, "th": -5, "address": -3,
    "h1": -5, "h2": -5, "h3": -5, "h4": -5, "h5": -5, "h6": -5,
}

# --------------------------------------------------------------------------- evidence

#: For each metadata field, the evidence rules (functions of crawler.extract.evidence) in
#: priority order: the first that finds a valid value wins. Each names the template class
#: it serves in README "Extraction on its own".
FIELD_RULES: dict[str, tuple[str, ...]] = {
    "source": (
        "source.header_label",      # 来源：X between the headline and the text
        "source.marked_element",    # <a class="source">X</a>, #source_baidu, .media-name
        "source.slash_byline",      # 孙丽/某某青年报, 文/张三 来源/某某日报
        "source.labelled_text",     # 来源：/稿源：/出处：/本文来源于 X / 本文来自微信公众号“X”
        "source.date_bar",          # 2024-05-20 14:33·新华社: the outlet after the time
        "source.marked_after",      # the same, in the bar after the text
        "source.meta",              # <meta name="mediaid|source">, article:author = an outlet
        "source.script_config",     # inline script: source: '…', "media": "…"
        "source.jsonld",            # JSON-LD author/publisher that is an organisation
        "source.lead_outlet",       # 某某报讯 / 新华社北京9月21日电 opening the text
    ),
    "author": (
        "author.header_byline",     # 作者：/记者 X between the headline and the text
        "author.slash_byline",      # 孙丽/某某青年报, 文/张三 来源/某某日报
        "author.labelled_text",     # 作者：/文/记者： anywhere near the article
        "author.byline_line",       # 本报记者 王燕平 方云凤
        "author.lead_byline",       # 本报讯（记者 张三 通讯员 李四）/ X电（王五、赵六）
        "author.closing_byline",    # （记者 胡晓蓉） closing the text, 作者 X at the end
        "author.marked_element",    # <span class="author">X</span>, <a rel="author">
        "author.name_line",         # names alone on the line under the headline
        "author.meta",              # <meta name="author">, JSON-LD author Person
        "author.signature",         # forum / blog: 发表于, by X, follow button
        "author.blog_title",        # 海姑娘 | blog.example.com: the blogger names the title
        "author.source_label_person",  # 来源：尹娟 on small sites: a person, not an outlet
    ),
    "editor": (
        "editor.labelled_text",     # 责任编辑：王芳_NF1234 / 编辑：赵明 校对：钱红
        "editor.marked_element",    # <div class="editor">王芳</div>
    ),
}

#: class/id words of elements holding one metadata value (matched on "class id", lower case).
MARKED_ATTR_RES: dict[str, re.Pattern[str]] = {
    "source": re.compile(
        r"(?<![a-z])(?:source|src[-_]?name|media[-_]?(?:name|nick\w*|source)|mediaid|"
        r"nickname|laiyuan|copyfrom|origin|from)(?![a-z])"),
    "author": re.compile(r"(?<![a-z])(?:author|byline|writer|zuozhe|reporter)(?![a-z])"),
    "editor": re.compile(r"(?<![a-z])(?:editor|ep-editor|bianji|zebian|zrbj)(?![a-z])"),
}
#: Inline script configs naming the outlet: source: '某某微信公号', "media":"经济日报".
SCRIPT_SOURCE_RE = re.compile(
    r"""["']?\b(?:source|media|mediaName|media_name|sourceName|source_name|articleSource|"""
    r"""article_source|copyfrom|nickname|nick_name)["']?\s*[:=]\s*["']([^"'\\<>\n]{2,30})["']""",
    re.IGNORECASE,
)
#: Inline script variables holding the publication time: var ct = "1659…" (WeChat),
#: "pubtime":"2024-05-18 16:56:39", publish_time: 1659…
SCRIPT_TIME_RE = re.compile(
    r"""\b(?:ct|create_time|publish_time|publishTime|pubtime|pubTime|ptime|newsTime|"""
    r"""publishDate|publish_date)["']?\s*[:=]\s*["']?"""
    r"""(1[3-9]\d{8}(?:\d{3})?|(?:19|20)\d{2}-\d{1,2}-\d{1,2}(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?)"""
    r"""(?![\d])""",
)
#: Largest inline script kept for SCRIPT_SOURCE_RE / SCRIPT_TIME_RE, and how much of each
#: is searched (configs sit at the top of their script).
SCRIPT_MAX_CHARS = 400_000
SCRIPT_SCAN_CHARS = 60_000

#: The outlet opening the text: 某某报讯 / 某某报快讯 / 新华社北京9月21日电 / 中新网3月2日电.
LEAD_OUTLET_RE = re.compile(
    r"^[【\[]?\s*((?:新华社|中新社|中新网|人民网|央视网|新华网|[\u4e00-\u9fff]{2,10}?"
    r"(?:日报|晚报|早报|时报|商报|青年报|报|网|社|电视台|台|客户端|新闻)))"
    r"(?:[\u4e00-\u9fff]{0,8}?\s*(?:\d{1,2}\s*月\s*\d{1,2}\s*日)?\s*(?:电|讯|快讯|消息))"
)
#: 作者/outlet in one line: 孙丽/某某青年报 (a name, a slash, an outlet).
SLASH_BYLINE_RE = re.compile(
    r"^\s*(?:文\s*[/／|｜]\s*)?([\u4e00-\u9fff·]{2,4}(?:[\s、，,][\u4e00-\u9fff·]{2,4}){0,3})"
    r"\s*[/／|｜]\s*(?:来源\s*[/／:：]?\s*)?([\u4e00-\u9fff]{2,16})\s*$"
)
#: 文/张三 来源/某某日报 (role-labelled with slashes, on one line).
SLASH_LABELS_RE = re.compile(
    r"文\s*[/／]\s*([\u4e00-\u9fff·]{2,4}(?:[\s、，,][\u4e00-\u9fff·]{2,4}){0,3})\s+"
    r"来源\s*[/／:：]\s*([\u4e00-\u9fff]{2,16})"
)
#: Staff codes glued to an editor's name: 王芳_NF1234, 杜智 PX209, 李曦_NN2587.
STAFF_CODE_RE = re.compile(r"(?<=[\u4e00-\u9fff])\s*[_\-]?\s*[A-Za-z]{1,4}\d{2,6}\b")
#: Photo and picture credits: 吴敏 摄 / 图/视觉中国 / 摄影：X / 供图. Not authors.
PHOTO_CREDIT_RE = re.compile(
    r"(?:^|\s)(?:图\s*[/／|｜:：]|摄影\s*[/／:：]|图片来源\s*[:：])|摄\s*$|(?<=\S)\s摄(?:影)?(?:\s|$)|供图"
)
#: Not an outlet: where the poster was (IP location: 来自北京, 发布于上海, IP属地：广东).
NOT_OUTLET_PREFIX_RE = re.compile(r"^(?:来自|发布于|发自|IP属地|ip属地|属地)")
#: Headers of reposts: （原标题：…） is not article text.
ORIGINAL_TITLE_RE = re.compile(r"^[（(]\s*原标题\s*[:：].{1,120}[）)]$")
#: Time zones stated next to a time: GMT+8, UTC+08:00, (北京时间).
STATED_TZ_RE = re.compile(
    r"^\s*[（(]?\s*(?:(北京时间)|(?:GMT|UTC)\s*(?:([+-])\s*(\d{1,2})(?::?(\d{2}))?)?)"
)

# --------------------------------------------------------------------------- traditional

#: Traditional forms of the simplified characters in the labels below (来源/來源,
#: 责任编辑/責任編輯, 记者/記者, 发布时间/發佈時間): Hong Kong and Taiwan pages use them.
TRADITIONAL: dict[str, str] = {
    "来": "來", "记": "記", "责": "責", "编": "編", "辑": "輯", "发": "發", "布": "佈",
    "时": "時", "间": "間", "闻": "聞", "处": "處", "报": "報", "讯": "訊", "电": "電",
    "摄": "攝", "图": "圖", "审": "審", "实": "實", "习": "習", "员": "員", "评": "評",
    "论": "論", "执": "執", "笔": "筆", "导": "導", "监": "監", "对": "對", "终": "終",
    "复": "複", "页": "頁", "关": "關", "闭": "閉", "载": "載", "转": "轉", "网": "網",
    "视": "視", "频": "頻", "点": "點", "击": "擊", "浏": "瀏", "览": "覽", "阅": "閱",
    "读": "讀", "号": "號", "见": "見", "约": "約", "杂": "雜", "志": "誌", "综": "綜",
    "热": "熱", "门": "門", "条": "條", "户": "戶", "体": "體", "传": "傳", "团": "團",
    "线": "線", "权": "權", "声": "聲", "明": "明", "简": "簡", "介": "介", "备": "備",
    "属": "屬", "地": "地", "华": "華", "经": "經", "济": "濟", "财": "財", "讲": "講",
    "师": "師", "专": "專", "长": "長", "书": "書", "务": "務", "会": "會", "协": "協",
    "厅": "廳", "办": "辦", "机": "機", "单": "單", "开": "開", "详": "詳", "细": "細",
    "标": "標", "签": "簽", "键": "鍵", "词": "詞", "录": "錄", "注": "註", "册": "冊",
    "码": "碼", "扫": "掃", "维": "維", "续": "續", "态": "態", "众": "眾", "乐": "樂",
    "于": "於", "内": "內", "容": "容", "湾": "灣", "港": "港",
}


def trad(pattern: str) -> str:
    """A regex pattern that also matches the traditional forms of its simplified label
    characters: 来源 becomes [来來]源; inside a character class the form is added."""
    out: list[str] = []
    i, in_class = 0, False
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            out.append(pattern[i: i + 2])
            i += 2
            continue
        t = TRADITIONAL.get(c)
        if in_class:
            if c == "]":
                in_class = False
            out.append(c + (t or ""))
        elif c == "[":
            in_class = True
            out.append(c)
            if pattern[i + 1: i + 2] == "]":  # a "]" first in a class is a literal
                out.append("]")
                i += 1
        else:
            out.append(f"[{c}{t}]" if t else c)
        i += 1
    return "".join(out)


def trad_words(words: frozenset[str]) -> frozenset[str]:
    """``words`` and their traditional forms."""
    return words | {"".join(TRADITIONAL.get(c, c) for c in w) for w in words}


def _with_traditional(rx: re.Pattern[str]) -> re.Pattern[str]:
    return re.compile(trad(rx.pattern), rx.flags)


for _name in (
    "SOURCE_LABEL_RE", "SOURCE_LABEL_LOOSE_RE", "AUTHOR_LABEL_RE", "ROLE_PREFIX_RE",
    "BYLINE_TAIL_RE", "NOT_NAME_SUFFIX_RE", "BYLINE_PREFIX_RE", "BYLINE_BAD_PREFIX_RE",
    "BYLINE_END_RE", "EDITOR_LABEL_RE", "EDITOR_FIELD_LABEL_RE", "ANY_LABEL_RE",
    "BYLINE_PAREN_RE", "BYLINE_ROLE_RE", "BYLINE_SKIP_ROLE_RE", "BYLINE_ANY_ROLE_RE",
    "DATE_LABEL_RE", "BAD_DATE_CONTEXT_RE", "SHORT_DATE_RE", "LEAD_OUTLET_RE",
    "SLASH_BYLINE_RE", "SLASH_LABELS_RE", "OUTLET_SUFFIX_RE", "NOT_OUTLET_PREFIX_RE",
    "ORIGINAL_TITLE_RE", "PHOTO_CREDIT_RE", "STATED_TZ_RE", "ISSUER_LABEL_RE",
    "CITATION_RE", "NOT_NAME_PART_RE", "MONTH_DATE_RE",
):
    globals()[_name] = _with_traditional(globals()[_name])
DATE_PATTERNS = tuple(_with_traditional(rx) for rx in DATE_PATTERNS)
REPORTER_PREFIX = trad(REPORTER_PREFIX)
NOT_NAMES = trad_words(NOT_NAMES)
GENERIC_SOURCES = trad_words(GENERIC_SOURCES)
PLATFORM_NAMES = trad_words(PLATFORM_NAMES)
