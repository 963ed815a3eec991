"""``datasette archive.db`` gets the archive's canned queries and a chart of articles per
day per site from the installed plugin (crawler/search/plugins.py), checked in real headless
Chromium on a real crawled archive. The screenshot of the chart page is saved as a test
artifact: ``tests/artifacts/datasette-chart.png`` (the path is printed).
"""

from __future__ import annotations

import re
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from crawler.search.charts import COLOURS
from tests.conftest import (
    FAST,
    ROOT,
    PortalServer,
    chromium,
    query,
    run_cli,
    serve_datasette,
    write_profile,
)
from tests.test_search_tools import chromium_dom

ARTIFACTS = ROOT / "tests" / "artifacts"
MISSING = "/xfzx/content/2024/01-09/20240109005.html"
COPY = "/xfzx/content/2024/03-19/20240319008.html"


@pytest.fixture
def archive(tmp_path: Path, portal: PortalServer) -> Path:
    """Both demo sites crawled for real, with one page gone (an error) and one
    republished story (a syndicated copy)."""
    (portal.root / MISSING.lstrip("/")).unlink()
    original = portal.root / "xfzx/content/2024/03-15/20240315001.html"
    (portal.root / COPY.lstrip("/")).parent.mkdir(parents=True)
    text = original.read_text(encoding="utf-8").replace("2024-03-15", "2024-03-19")
    (portal.root / COPY.lstrip("/")).write_text(text, encoding="utf-8")
    index = portal.root / "xfzx/news/index.html"
    page = index.read_text(encoding="utf-8")
    index.write_text(page.replace('<ul class="news-list">', f'<ul class="news-list"><li>'
                                  f'<a href="{COPY}">转载：消费者权益日主题活动启动</a></li>'),
                     encoding="utf-8")  # fmt: skip
    db = tmp_path / "archive.db"
    profiles = [str(write_profile(tmp_path / f"{s}.toml", portal.url, s))
                for s in ("demo-xfzx", "demo-zlxw")]  # fmt: skip
    r = run_cli("crawl", *profiles, "--db", str(db), *FAST)
    assert r.returncode == 1, r.stdout + r.stderr  # partial: the missing page
    assert query(db, "select count(*) as n from articles where duplicate_of is not null")[0]["n"]
    return db


@pytest.fixture
def datasette(archive: Path, tmp_path: Path) -> Iterator[str]:
    with serve_datasette(archive, tmp_path) as base:
        yield base


def chromium_screenshot(url: str, profile: Path, out: Path, size: str = "1100,900") -> None:
    chromium(url, profile, "--hide-scrollbars", f"--window-size={size}", f"--screenshot={out}")
    assert out.is_file(), f"no screenshot at {out}"


def png_pixels(path: Path) -> tuple[int, int, list[bytes]]:
    """(width, height, rows of RGB(A) bytes) of an 8-bit, non-interlaced PNG."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, header = 8, b"", None
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    assert header is not None
    width, height, depth, colour, _, _, interlace = header
    assert depth == 8 and interlace == 0 and colour in (2, 6)
    bpp = 3 if colour == 2 else 4
    raw, stride = zlib.decompress(idat), width * bpp
    rows, prev = [], bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            if kind == 1:
                line[i] = (line[i] + a) & 255
            elif kind == 2:
                line[i] = (line[i] + b) & 255
            elif kind == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line) if bpp == 3 else bytes(v for j, v in enumerate(line) if j % 4 != 3))
        prev = line
    return width, height, rows


def test_canned_queries_load_in_chromium(datasette: str, tmp_path: Path) -> None:
    dom = chromium_dom(datasette + "/archive", tmp_path / "c0")
    for name in ("latest_articles", "articles_per_day", "field_coverage", "last_run_errors",
                 "syndicated"):  # fmt: skip
        assert f'href="/archive/{name}"' in dom, name
    expect = {
        "latest_articles": ["直播间买到“假羽绒服” 消费者维权获三倍赔偿", "demo-zlxw"],
        "field_coverage": ["title_pct", "demo-xfzx", "100.0"],
        "last_run_errors": [MISSING, "HTTP 404"],
        "syndicated": [COPY, "first_on"],
        "articles_per_day": ["2024-03-19", "demo-zlxw", "newsarchive-chart"],
    }
    for i, (name, needles) in enumerate(expect.items()):
        dom = chromium_dom(f"{datasette}/archive/{name}", tmp_path / f"c{i + 1}")
        assert "message-error" not in dom, dom[-2000:]
        for needle in needles:
            assert needle in dom, (name, needle)


def test_chart_has_one_series_per_site_and_renders(datasette: str, tmp_path: Path) -> None:
    svg = chromium_dom(datasette + "/archive/articles_per_day.svg", tmp_path / "s1")
    series = re.findall(r'<polyline class="series" data-series="([^"]+)"', svg)
    assert sorted(series) == ["demo-xfzx", "demo-zlxw"]
    assert "demo-xfzx (7)" in svg and "demo-zlxw (5)" in svg

    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "datasette-chart.png"
    shot.unlink(missing_ok=True)
    chromium_screenshot(datasette + "/archive/articles_per_day", tmp_path / "s2", shot)
    print(f"\nscreenshot of the chart: {shot}")
    width, height, rows = png_pixels(shot)
    assert (width, height) == (1100, 900)
    # each site's line is drawn in its own colour inside the plot area (left of the legend)
    for colour in COLOURS[:2]:
        rgb = bytes.fromhex(colour[1:])
        hits = sum(
            1
            for row in rows[100:500]
            for x in range(40, 740)
            if all(abs(row[3 * x + k] - rgb[k]) <= 24 for k in range(3))
        )
        assert hits >= 100, (colour, hits)
