"""Site profiles: valid ones load, each kind of mistake exits 2 naming file and key."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from crawler.cli import cli
from crawler.profiles import bundled_profiles, load_profile

GOOD = """\
name = "mysite"
title = "我的网站"
start_urls = ["https://news.example.cn/list/index.html"]
article_url = '/content/\\d{4}-\\d{2}/\\d{2}/content_\\d+\\.htm$'
list_url = '/list/index_\\d+\\.html$'
max_list_pages = 5
feed_urls = ["https://news.example.cn/rss.xml"]

[fields]
title = "h1.headline"
body = "div#article p"

[settings]
DOWNLOAD_DELAY = 2
"""


def test_bundled_profiles_all_load() -> None:
    paths = bundled_profiles()
    names = {load_profile(str(p)).name for p in paths}
    assert {"ccn", "cqn", "hangzhou", "demo-xfzx", "demo-zlxw"} <= names


def test_good_profile_loads_with_defaults(tmp_path: Path) -> None:
    path = tmp_path / "mysite.toml"
    path.write_text(GOOD, encoding="utf-8")
    profile = load_profile(str(path))
    assert profile.name == "mysite"
    assert profile.allowed_domains == ("news.example.cn",)
    assert profile.is_article("https://news.example.cn/content/2024-03/15/content_1.htm")
    assert not profile.is_article("https://news.example.cn/about.htm")
    assert profile.is_list("https://news.example.cn/list/index_2.html")
    assert profile.fields == {"title": "h1.headline", "body": "div#article p"}
    assert profile.settings == {"DOWNLOAD_DELAY": 2}


def test_bundled_profile_by_name() -> None:
    assert load_profile("ccn").start_urls[0].startswith("https://www.ccn.com.cn/news/")


def _replace(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new)


START = 'start_urls = ["https://news.example.cn/list/index.html"]'
ARTICLE = "article_url = '/content/\\d{4}-\\d{2}/\\d{2}/content_\\d+\\.htm$'"

MISTAKES = {
    "invalid-toml": (lambda t: t + "\nthis is = = not toml\n", None, "invalid TOML"),
    "missing-name": (lambda t: _replace(t, 'name = "mysite"\n', ""), "name", "missing"),
    "missing-start_urls": (lambda t: _replace(t, START + "\n", ""), "start_urls", "missing"),
    "missing-article_url": (lambda t: _replace(t, ARTICLE + "\n", ""), "article_url", "missing"),
    "unknown-key": (lambda t: t.replace("max_list_pages", "max_pages"), "max_pages", "unknown key"),
    "bad-regex": (
        lambda t: _replace(t, ARTICLE, "article_url = '/content/(\\d+'"), "article_url", "bad regex"
    ),
    "unsupported-regex": (
        lambda t: _replace(t, ARTICLE, "article_url = '/content/(?!old)\\d+'"),
        "article_url",
        "lookahead",
    ),
    "wrong-type-int": (
        lambda t: _replace(t, "max_list_pages = 5", 'max_list_pages = "five"'),
        "max_list_pages",
        "must be an integer",
    ),
    "wrong-type-list": (
        lambda t: _replace(t, START, 'start_urls = "https://news.example.cn/"'),
        "start_urls",
        "must be a list",
    ),
    "relative-url": (
        lambda t: _replace(t, START, 'start_urls = ["/list/index.html"]'),
        "start_urls[0]",
        "not an absolute http(s) URL",
    ),
    "unknown-field": (
        lambda t: _replace(t, 'title = "h1.headline"', 'headline = "h1"'),
        "fields.headline",
        "unknown field",
    ),
    "bad-selector": (
        lambda t: _replace(t, 'body = "div#article p"', 'body = "div[[["'),
        "fields.body",
        "bad CSS selector",
    ),
    "unknown-setting": (
        lambda t: _replace(t, "DOWNLOAD_DELAY = 2", "ITEM_PIPELINES = 2"),
        "settings.ITEM_PIPELINES",
        "not a setting",
    ),
    "wrong-setting-type": (
        lambda t: _replace(t, "DOWNLOAD_DELAY = 2", 'DOWNLOAD_DELAY = "slow"'),
        "settings.DOWNLOAD_DELAY",
        "must be a number",
    ),
}


@pytest.mark.parametrize("kind", sorted(MISTAKES))
def test_malformed_profile_exits_2_naming_key(kind: str, tmp_path: Path) -> None:
    mutate, key, problem = MISTAKES[kind]
    path = tmp_path / f"{kind}.toml"
    path.write_text(mutate(GOOD), encoding="utf-8")
    db = tmp_path / "archive.db"
    result = CliRunner().invoke(cli, ["crawl", str(path), "--db", str(db)])
    assert result.exit_code == 2, result.output
    message = result.output.strip()
    assert len(message.splitlines()) == 1, message
    assert str(path) in message
    if key:
        assert f"'{key}'" in message
    assert problem in message
    assert not db.exists(), "nothing may be crawled or created for a bad profile"


def test_unknown_site_name_exits_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["crawl", "no-such-portal", "--db", str(tmp_path / "a.db")])
    assert result.exit_code == 2
    assert "unknown site 'no-such-portal'" in result.output
    assert "ccn" in result.output  # lists the bundled ones


def test_sites_command_validates_given_profile(tmp_path: Path) -> None:
    path = tmp_path / "mysite.toml"
    path.write_text(GOOD, encoding="utf-8")
    result = CliRunner().invoke(cli, ["sites", str(path)])
    assert result.exit_code == 0, result.output
    assert "mysite" in result.output and "我的网站" in result.output
