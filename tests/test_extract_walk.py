"""The page walk in C (crawler.extract._walk) gives exactly what the Python walk gives.

``maintext.walk_py`` is the definition; ``maintext.walk`` runs the C extension when it is
installed (``tests/run.sh`` requires it: ``NEWSARCHIVE_REQUIRE_SPEEDUPS=1``). Both run on
the same parsed tree, so lines' owners and blocks' elements must be the very same
element objects, and every statistic must be equal.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crawler.extract import cleaning, decode_html, maintext
from tests.conftest import with_and_without_speedups

ROOT = Path(__file__).resolve().parent.parent
PAGES = sorted(
    [*ROOT.glob("tests/cases/*/page.html"), *ROOT.glob("crawler/demo/portal/**/*.html")]
)
#: The extraction eval set, when the shared folder is beside the checkout (as in CI).
EVAL_PAGES = sorted((ROOT.parent / "shared" / "eval").glob("*/*.html"))

STAT_FIELDS = ("tag", "bp", "excluded", "order", "text", "link", "punct", "score",
               "total_text", "total_link", "stamps", "total_stamps", "disclaimer")  # fmt: skip

def _tree(data: bytes):  # -> (root, page_root)
    text, _ = decode_html(data)
    root = cleaning.parse(text)
    assert root is not None
    cleaning.prune(root)
    body = root.find("body")
    return root, (body if body is not None else root)


def _assert_same_walk(root, page_root) -> None:  # noqa: ANN001
    assert maintext._walk_c is not None
    c_lines, c_blocks = maintext._walk_c.walk(
        root, page_root, maintext.rules.BLOCK_TAGS, maintext._Stats, cleaning.Line,
        cleaning.collapse_ws_keep_gaps, maintext._is_boilerplate, maintext._STAMP_RE.findall,
    )  # fmt: skip
    p_lines, p_blocks = maintext.walk_py(root, page_root)
    assert [(ln.text, ln.link_chars) for ln in c_lines] == [
        (ln.text, ln.link_chars) for ln in p_lines
    ]
    assert all(a.owner is b.owner for a, b in zip(c_lines, p_lines, strict=True))
    assert len(c_blocks) == len(p_blocks)
    c_index = {id(b): i for i, b in enumerate(c_blocks)}
    p_index = {id(b): i for i, b in enumerate(p_blocks)}
    for c, p in zip(c_blocks, p_blocks, strict=True):
        assert c.el is p.el
        assert {f: getattr(c, f) for f in STAT_FIELDS} == {f: getattr(p, f) for f in STAT_FIELDS}
        assert (c_index[id(c.parent)] if c.parent else None) == (
            p_index[id(p.parent)] if p.parent else None
        )


@pytest.mark.parametrize("path", PAGES + EVAL_PAGES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_c_walk_equals_python_walk_on_real_pages(path: Path) -> None:
    root, page_root = _tree(path.read_bytes())
    _assert_same_walk(root, page_root)
    _assert_same_walk(root, root)  # a page without <body>: the root collects everything


HTML_BITS = ["<div>", "</div>", "<p>", "</p>", "<a href=x>", "</a>", "<br>", "<hr>", "<span>",
             "</span>", "<li class=nav>", "<td id=side>", "<nav>", "</nav>", "<form>",
             "<input type=password>", "</form>", "<!-- c -->", "<b>", "</b>", "<h1>", "</h1>",
             "文字", "，", "。", ", ", ". ", ":", "2024-03-05 10:20", " ", "\n", "\u3000",
             "\u00a0", "x", "&amp;", "&nbsp;", "<img src=y>", "<table><tr><td>",
             "</table>"]  # fmt: skip


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(HTML_BITS), max_size=80).map("".join))
def test_c_walk_equals_python_walk_on_generated_html(body: str) -> None:
    root, page_root = _tree(f"<html><body>{body}</body></html>".encode())
    _assert_same_walk(root, page_root)


def test_python_fallback_gives_the_same_article(tmp_path: Path) -> None:
    # NEWSARCHIVE_NO_SPEEDUPS=1 extracts with the Python walk: same fields, same body.
    page = ROOT / "tests" / "cases" / "blog_index_first_post" / "page.html"
    code = (
        "import json, sys; from crawler.extract import extract, maintext;"
        "a = extract(open(sys.argv[1], 'rb').read(), 'http://x.cn/a.html');"
        "print(json.dumps([maintext._walk_c is None, a.to_dict()], ensure_ascii=False))"
    )
    out = with_and_without_speedups(code, str(page))
    assert '[true, {"url"' in out["1"]
    assert out["0"].split(",", 1)[1] == out["1"].split(",", 1)[1]
