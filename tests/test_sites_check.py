"""``newsarchive sites check``: a dry run of a profile against a real local portal."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import PortalServer, run_cli, stop_server, write_profile
from tests.test_sites_new import start_site


def check(profile: Path, *extra: str, cwd: Path) -> tuple[int, str, str]:
    r = run_cli("sites", "check", str(profile), "--delay", "0", *extra, cwd=cwd)
    return r.returncode, r.stdout, r.stderr


def test_good_profile_shows_three_samples_and_stores_nothing(
    tmp_path: Path, portal: PortalServer
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    profile = write_profile(tmp_path / "p.toml", portal.url)
    code, out, err = check(profile, cwd=work)
    assert code == 0, out + err
    assert "7 match article_url" in out and "further list pages: 2" in out
    assert "3 sample articles:" in out
    for field in ("title", "published_at", "source", "author", "editor", "body"):
        assert any(line.strip().startswith(field) for line in out.splitlines()), field
    assert "直播间买到“假羽绒服”" in out and "2024-03-18T08:30:00+08:00" in out
    assert list(work.iterdir()) == []  # nothing written: no archive, no profile
    # the start page, then three articles; no list page beyond the start page is fetched
    assert [p for p in portal.paths() if p != "/robots.txt"][0] == "/xfzx/news/index.html"
    assert sum("/content/" in p for p in portal.paths()) == 3

    code, out, err = check(profile, "--json", cwd=work)
    report = json.loads(out)
    assert code == 0 and report["ok"] and report["article_links"] == 7
    assert [bool(s["title"] and s["body"]) for s in report["samples"]] == [True] * 3


def test_stale_article_url_exits_1_with_one_line_reason(
    tmp_path: Path, portal: PortalServer
) -> None:
    profile = write_profile(tmp_path / "p.toml", portal.url, article_url=r"/xfzx/a/\d+\.shtml$")
    code, out, err = check(profile, cwd=tmp_path)
    assert code == 1
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: no link on the start pages matches")
    assert "article links: 0" in out
    assert not any("/content/" in p for p in portal.paths())


def test_samples_that_come_out_empty_exit_1(tmp_path: Path) -> None:
    server = start_site("date", tmp_path)
    try:
        profile = write_profile(
            tmp_path / "p.toml", server.url, start_urls=[server.url + "/news/"],
            article_url=r"/video/\d{4}/\d{2}/\d{2}/v_\d+\.htm$", list_url=r"/news/list_\d+",
        )  # fmt: skip
        code, out, err = check(profile, cwd=tmp_path)
    finally:
        stop_server(server)
    assert code == 1, out + err
    assert err.strip().splitlines() == [err.strip()]
    assert "sample articles came out empty" in err
    assert "1 sample articles:" in out


def test_unreachable_start_page_exits_1(tmp_path: Path, portal: PortalServer) -> None:
    profile = write_profile(tmp_path / "p.toml", portal.url,
                            start_urls=[portal.url + "/xfzx/news/missing.html"])  # fmt: skip
    code, out, err = check(profile, cwd=tmp_path)
    assert code == 1 and "no start page could be fetched" in err and "HTTP 404" in err


def test_samples_that_cannot_be_fetched_exit_1(tmp_path: Path, portal: PortalServer) -> None:
    for path in (portal.root / "xfzx" / "content").rglob("*.html"):
        path.unlink()
    profile = write_profile(tmp_path / "p.toml", portal.url)
    code, out, err = check(profile, cwd=tmp_path)
    assert code == 1 and "none of the 3 sample articles could be fetched" in err
    assert "HTTP 404" in err and len(err.strip().splitlines()) == 1
