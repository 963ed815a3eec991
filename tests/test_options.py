"""Settings and profile regexes a user types (issue 16, items 3 and 6).

- ``-s NAME=VALUE`` naming a known Scrapy or newsarchive setting is checked against the
  setting's type before anything runs: exit 2, one line naming the setting and the value,
  no archive created, no request sent. A profile's ``[settings]`` table is checked the
  same way.
- Profile regexes run on RE2, in linear time: patterns that backtrack catastrophically
  on Python's ``re`` (``((\\w+))*$``) cannot hang a crawl; what RE2 lacks
  (backreferences, lookarounds) is refused with the reason.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from crawler.options import check_setting, known_types
from tests.conftest import FAST, ROOT, PortalServer, query, run_cli, write_profile

EXPECTED = json.loads((Path(__file__).parent / "demo_expected.json").read_text(encoding="utf-8"))
EXPECTED_XFZX = sum(1 for k, v in EXPECTED.items() if k[0] != "_" and v["site"] == "demo-xfzx")


# -- -s NAME=VALUE ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "pair",
    [
        "DOWNLOAD_DELAY=abc",
        "DOWNLOAD_TIMEOUT=abc",
        "ROBOTSTXT_OBEY=maybe",
        "NEWSARCHIVE_COMMIT_ITEMS=abc",
        "NEWSARCHIVE_EXTRACT_PROCESSES=x",
        "CONCURRENT_REQUESTS=2.5",
        "DOWNLOAD_TIMEOUT=0",
        "DOWNLOAD_DELAY=-1",
        "DOWNLOAD_DELAY=nan",
        "ITEM_PIPELINES=not-json",
        "DOWNLOAD_DELAYY=1",  # typos of known names: "did you mean"
        "download_delay=1",
        "NEWSARCHIVE_COMMIT_ITEM=5",
    ],
)
def test_bad_setting_value_exits_2_before_the_crawl(
    tmp_path: Path, portal: PortalServer, pair: str
) -> None:
    profile = write_profile(tmp_path / "xfzx.toml", portal.url)
    db = tmp_path / "archive.db"
    result = run_cli("crawl", str(profile), "--db", str(db), *FAST, "-s", pair)
    name, _, value = pair.partition("=")
    assert result.returncode == 2, result.stdout + result.stderr[-2000:]
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert f"{name}={value}" in lines[0] and "Traceback" not in result.stderr
    assert result.stdout == ""
    assert not db.exists(), "a rejected crawl created the archive"
    assert portal.requests() == [], "a rejected crawl sent requests"


@pytest.mark.parametrize(
    "name, meant",
    [("DOWNLOAD_DELAYY", "DOWNLOAD_DELAY"), ("download_delay", "DOWNLOAD_DELAY"),
     ("CONCURENT_REQUESTS", "CONCURRENT_REQUESTS"),
     ("NEWSARCHIVE_COMIT_SECONDS", "NEWSARCHIVE_COMMIT_SECONDS")],
)  # fmt: skip
def test_a_misspelt_setting_names_the_one_it_resembles(name: str, meant: str) -> None:
    with pytest.raises(ValueError, match=f"did you mean {meant}\\?"):
        check_setting(name, "1")


def test_an_add_on_setting_unlike_any_known_one_passes(
    tmp_path: Path, portal: PortalServer
) -> None:
    profile = write_profile(tmp_path / "xfzx.toml", portal.url)
    db = tmp_path / "archive.db"
    result = run_cli("crawl", str(profile), "--db", str(db), *FAST, "-s", "MYADDON_API_KEY=x")
    assert result.returncode == 0, result.stderr[-2000:]
    assert query(db, "select count(*) as n from articles")[0]["n"] == EXPECTED_XFZX


def test_good_setting_values_are_used(tmp_path: Path, portal: PortalServer) -> None:
    profile = write_profile(tmp_path / "xfzx.toml", portal.url)
    db = tmp_path / "archive.db"
    result = run_cli(
        "crawl", str(profile), "--db", str(db), *FAST, "-s", "DOWNLOAD_TIMEOUT=2.5",
        "-s", "ROBOTSTXT_OBEY=false", "-s", "NEWSARCHIVE_EXTRACT_PROCESSES=0",
        "-s", "NEWSARCHIVE_COMMIT_ITEMS=2", "-s", "USER_AGENT=test-agent/1",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    assert query(db, "select count(*) as n from articles")[0]["n"] == EXPECTED_XFZX
    assert "GET /robots.txt" not in portal.requests()  # ROBOTSTXT_OBEY=false was applied


@pytest.mark.parametrize(
    "line, problem",
    [
        ("DOWNLOAD_TIMEOUT = 0", "more than 0"),
        ("DOWNLOAD_DELAY = -1", "at least 0"),
        ("CONCURRENT_REQUESTS_PER_DOMAIN = 2.5", "whole number"),
        ('ROBOTSTXT_OBEY = "maybe"', "true or false"),
    ],
)
def test_bad_profile_setting_exits_2_naming_file_and_key(
    tmp_path: Path, portal: PortalServer, line: str, problem: str
) -> None:
    profile = write_profile(tmp_path / "xfzx.toml", portal.url)
    profile.write_text(profile.read_text() + f"\n[settings]\n{line}\n", encoding="utf-8")
    db = tmp_path / "archive.db"
    result = run_cli("crawl", str(profile), "--db", str(db), *FAST)
    assert result.returncode == 2, result.stderr[-2000:]
    (message,) = result.stderr.strip().splitlines()
    key = line.split(" = ")[0]
    assert str(profile) in message and f"settings.{key}" in message and problem in message
    assert not db.exists() and portal.requests() == []


def _readers() -> dict[str, set[str]]:
    """Setting name -> the Settings getters (getint, getfloat, getbool) that read it, in
    Scrapy's source and ours."""
    import scrapy

    sources = [*Path(scrapy.__file__).parent.rglob("*.py")]
    for folder in ("crawler", "pipelines", "spiders"):
        sources += (ROOT / folder).rglob("*.py")
    found: dict[str, set[str]] = {}
    for path in sources:
        text = path.read_text(encoding="utf-8", errors="replace")
        for getter, name in re.findall(r"\b(getint|getfloat|getbool)\(\s*\"([A-Z0-9_]+)\"", text):
            found.setdefault(name, set()).add(getter)
    return found


def test_types_agree_with_how_settings_are_read() -> None:
    """What the check accepts is what the reading code can convert: a getfloat setting
    takes 2.5, a getint one takes 3 and refuses 2.5, a getbool one refuses 'maybe'."""
    readers = _readers()
    assert {"DOWNLOAD_DELAY", "DOWNLOAD_TIMEOUT", "NEWSARCHIVE_COMMIT_ITEMS"} <= set(readers)
    for name, getters in readers.items():
        if name not in known_types():
            continue
        if "getfloat" in getters:
            assert check_setting(name, "2.5") == 2.5, name
        if "getint" in getters and "getfloat" not in getters:
            assert check_setting(name, "3") == 3, name
            with pytest.raises(ValueError):
                check_setting(name, "2.5")
        if "getbool" in getters:
            assert check_setting(name, "true") is True and check_setting(name, "0") is False
            with pytest.raises(ValueError):
                check_setting(name, "maybe")


def test_scrapy_crawl_rejects_a_bad_setting(tmp_path: Path, portal: PortalServer) -> None:
    profile = write_profile(tmp_path / "xfzx.toml", portal.url)
    db = tmp_path / "scrapy.db"
    result = subprocess.run(
        [sys.executable, "-m", "scrapy", "crawl", "portal", "-a", f"site={profile}",
         "-s", f"ARCHIVE_DB={db}", *FAST, "-s", "DOWNLOAD_DELAY=abc"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode != 0
    assert "DOWNLOAD_DELAY=abc" in result.stderr and "Traceback" not in result.stderr
    assert not db.exists() and portal.requests() == []


# -- profile regexes ------------------------------------------------------------------------------
ISSUE_PATTERNS = [r"((\w+))*$", r"((a+))+$", r"((\w)+)+$", r"(?:(?:\w)+)+$", r"((?:ab)+)+$"]


@pytest.mark.parametrize("pattern", ISSUE_PATTERNS)
def test_backtracking_patterns_match_in_linear_time(tmp_path: Path, pattern: str) -> None:
    path = tmp_path / "p.toml"
    path.write_text(f"name = 'x'\nstart_urls = ['http://e.cn/']\narticle_url = '{pattern}'\n")
    assert run_cli("sites", str(path)).returncode == 0
    code = (
        "import sys, time; from crawler.profiles import load_profile\n"
        "p = load_profile(sys.argv[1]); t = time.monotonic()\n"
        "p.is_article('http://e.cn/' + 'a' * 100000 + '!'); p.is_list('/' + 'ab' * 50000 + '!')\n"
        "print(time.monotonic() - t)"
    )
    result = subprocess.run([sys.executable, "-c", code, str(path)], cwd=ROOT,
                            capture_output=True, text=True, timeout=60)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert float(result.stdout) < 1.0


def test_crawl_with_a_backtracking_list_regex_does_not_hang(
    tmp_path: Path, portal: PortalServer
) -> None:
    # a list page links to a long URL that is no article: the list regex is tried on it
    index = portal.root / "xfzx" / "news" / "index.html"
    long_link = '<a href="/xfzx/news/' + "a" * 60 + '!">x</a></body>'
    index.write_text(index.read_text(encoding="utf-8").replace("</body>", long_link),
                     encoding="utf-8")  # fmt: skip
    profile = write_profile(tmp_path / "xfzx.toml", portal.url,
                            list_url=r"/xfzx/news/((\w+))*_\d+\.html$")  # fmt: skip
    db = tmp_path / "archive.db"
    t0 = time.monotonic()
    result = run_cli("crawl", str(profile), "--db", str(db), *FAST, timeout=90)
    assert result.returncode == 0, result.stderr[-2000:]
    assert time.monotonic() - t0 < 60
    assert query(db, "select count(*) as n from articles")[0]["n"] == EXPECTED_XFZX
    assert "GET /xfzx/news/index_3.html" in portal.requests()  # the list regex matched


@pytest.mark.parametrize(
    "pattern, reason",
    [
        (r"/(\d+)/\1\.html$", "backreferences"),
        (r"/(?P<y>\d+)/(?P=y)\.html$", "named backreferences"),
        (r"/news/(?!old)\d+\.html$", "negative lookahead"),
        (r"/news/(?=\d)\d+\.html$", "lookahead"),
        (r"(?<=/news/)\d+\.html$", "lookbehind"),
        (r"/news/\d++\.html$", "possessive"),
    ],
)
def test_unsupported_regex_exits_2_with_the_reason(
    tmp_path: Path, pattern: str, reason: str
) -> None:
    path = tmp_path / "p.toml"
    path.write_text(f"name = 'x'\nstart_urls = ['http://e.cn/']\nlist_url = '{pattern}'\n"
                    "article_url = '/a/'\n")  # fmt: skip
    result = run_cli("sites", str(path))
    assert result.returncode == 2, result.stdout
    (line,) = result.stderr.strip().splitlines()  # one line: RE2's own log is silenced
    assert str(path) in line and "'list_url'" in line and reason in line and "RE2" in line
