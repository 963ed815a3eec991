"""extract() and decode_html() never raise and never return mojibake."""

from __future__ import annotations

import codecs

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crawler.extract import decode_html, extract
from crawler.items import Article

HTML_ALPHABET = "<>/=\"' abcdiv p表格，。2022-09-21:来源作者编辑\n&;#"
ARTICLE_ZH = "浙江省召开全省知识产权保护和发展大会，研究部署知识产权工作目标任务。" * 4


def _page(body: str, charset: str = "utf-8") -> str:
    return (
        f'<html><head><meta charset="{charset}"><title>测试标题_某某网</title></head>'
        f"<body><h1>测试标题</h1><div class='content'><p>{body}</p><p>{body}</p></div>"
        "</body></html>"
    )


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=4000))
def test_any_bytes_give_an_article(data: bytes) -> None:
    art = extract(data, "http://example.com/a.html")
    assert isinstance(art, Article)
    text, enc = decode_html(data)
    assert isinstance(text, str) and isinstance(enc, str)


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=st.sampled_from(list(HTML_ALPHABET)), max_size=2000))
def test_html_like_text_gives_an_article(text: str) -> None:
    for enc in ("utf-8", "gb18030"):
        art = extract(text.encode(enc, "replace"), None, http_encoding=enc)
        assert isinstance(art, Article)


def test_empty() -> None:
    assert extract(b"") == Article()
    assert extract(b"", "http://x/") == Article(url="http://x/")
    assert decode_html(b"") == ("", "utf-8")


def test_binary_and_nul_bytes() -> None:
    junk = bytes(range(256)) * 50
    assert isinstance(extract(junk), Article)
    page = _page(ARTICLE_ZH).encode("utf-8")
    art = extract(page.replace(b"<p>", b"<p>\x00\x00", 1))
    assert art.body and "\x00" not in art.body and "知识产权" in art.body


def test_not_bytes_input() -> None:
    assert extract(None) == Article()  # type: ignore[arg-type]
    assert extract("<html>text</html>") == Article()  # type: ignore[arg-type]


def test_deep_nesting() -> None:
    page = ("<div>" * 10000 + ARTICLE_ZH + "</div>" * 10000).encode()
    assert isinstance(extract(page), Article)
    page = ("<div><span>" * 5000 + ARTICLE_ZH).encode()
    assert isinstance(extract(page), Article)


def test_truncated_and_huge() -> None:
    page = _page(ARTICLE_ZH * 2000).encode("utf-8")
    art = extract(page[: len(page) // 2 + 1])  # cut inside a multi-byte character
    assert art.body and "\ufffd" not in art.body[:-2]
    assert isinstance(extract(page), Article)


def test_gb18030_four_byte_chars() -> None:
    text = "𠀀𪚥䶮" + ARTICLE_ZH  # supplementary-plane and extension-A characters
    data = _page(text, "gb2312").encode("gb18030")
    decoded, enc = decode_html(data)
    assert enc == "gb18030" and "𠀀𪚥䶮" in decoded
    assert "𠀀𪚥䶮" in (extract(data).body or "")


def test_utf8_bom_wins_over_meta() -> None:
    data = codecs.BOM_UTF8 + _page(ARTICLE_ZH, "gbk").encode("utf-8")
    text, enc = decode_html(data, "gbk")
    assert enc == "utf-8" and ARTICLE_ZH in text


def test_utf8_header_over_gbk_body_is_recovered() -> None:
    data = _page(ARTICLE_ZH, "gbk").encode("gbk")
    text, enc = decode_html(data, "utf-8")
    assert enc == "gb18030" and ARTICLE_ZH in text and "\ufffd" not in text
    art = extract(data, http_encoding="utf-8")
    assert art.body and ARTICLE_ZH[:20] in art.body and art.title == "测试标题"


def test_gbk_header_over_utf8_body_is_recovered() -> None:
    data = _page(ARTICLE_ZH, "gbk").encode("utf-8")
    text, enc = decode_html(data, "gbk")
    assert enc == "utf-8" and ARTICLE_ZH in text


def test_latin1_header_over_gbk_body() -> None:
    data = _page(ARTICLE_ZH, "iso-8859-1").encode("gbk")
    text, enc = decode_html(data, "iso-8859-1")
    assert enc == "gb18030" and ARTICLE_ZH in text


def test_undeclared_gbk_is_detected() -> None:
    data = _page(ARTICLE_ZH).replace('<meta charset="utf-8">', "").encode("gbk")
    text, enc = decode_html(data)
    assert enc == "gb18030" and ARTICLE_ZH in text


def test_unknown_charset_label() -> None:
    data = _page(ARTICLE_ZH, "x-nonsense").encode("utf-8")
    text, _ = decode_html(data, "bogus-charset")
    assert ARTICLE_ZH in text


def test_bad_selectors_are_ignored() -> None:
    data = _page(ARTICLE_ZH).encode()
    art = extract(data, fields={"title": "h1[", "body": ":::", "author": ""})
    assert art.title == "测试标题" and art.body


@given(st.text(max_size=300))
@settings(max_examples=500)
def test_the_fast_control_character_check_never_misses_one(text: str) -> None:
    from crawler.extract import cleaning

    # The fast check may only skip the regex when the regex would find nothing.
    if cleaning._CONTROL_RE.search(text):
        assert cleaning._may_have_control(text)
