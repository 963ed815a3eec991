"""`newsarchive extract` as a user runs it: JSON Lines, --explain, stdin, non-HTML input.

Each test runs the real command in a subprocess and reads what it prints.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import sqlite3
import subprocess
from pathlib import Path

import pytest

from crawler.extract.decoding import not_html_reason
from crawler.extract.evidence import person_names
from tests.conftest import NEWSARCHIVE, ROOT, run_cli

SEED = ROOT / "tests" / "cases" / "seed_hangzhou" / "page.html"
FIELDS = ("title", "published_at", "source", "author", "editor", "body")


def _records(stdout: str) -> list[dict]:
    return [json.loads(line) for line in stdout.splitlines() if line.strip()]


@pytest.fixture()
def junk(tmp_path: Path) -> dict[str, Path]:
    """Inputs that are not HTML pages: random bytes, a PNG, a gzip file, an SQLite file."""
    files = {
        "random": tmp_path / "random.bin",
        "png": tmp_path / "image.png",
        "gzip": tmp_path / "page.html.gz",
        "sqlite": tmp_path / "archive.db",
    }
    files["random"].write_bytes(os.urandom(20000))
    files["png"].write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + os.urandom(3000))
    files["gzip"].write_bytes(gzip.compress(SEED.read_bytes()))
    conn = sqlite3.connect(files["sqlite"])
    conn.execute("create table articles(title text)")
    conn.execute("insert into articles values ('加快打造知识产权强国建设先行省')")
    conn.commit()
    conn.close()
    return files


def test_seed_page_extracts_with_exit_0() -> None:
    result = run_cli("extract", str(SEED))
    assert result.returncode == 0, result.stderr
    (rec,) = _records(result.stdout)
    assert rec["file"] == str(SEED)
    assert rec["source"] == "中国消费者报•中国消费网"
    assert rec["author"] == "郑铁峰" and rec["editor"] == "陈俊男"
    assert "error" not in rec


def test_non_html_inputs_are_errors_not_garbled_bodies(junk: dict[str, Path]) -> None:
    result = run_cli("extract", str(SEED), *(str(p) for p in junk.values()))
    assert result.returncode == 1  # partial: some inputs failed
    recs = _records(result.stdout)
    assert [r["file"] for r in recs] == [str(SEED), *(str(p) for p in junk.values())]
    assert recs[0]["body"] and "error" not in recs[0]
    for rec in recs[1:]:
        assert rec["error"] and rec["body"] is None and rec["title"] is None, rec
    errors = {name: rec["error"] for name, rec in zip(junk, recs[1:], strict=True)}
    assert "PNG image" in errors["png"]
    assert "gzip data" in errors["gzip"]
    assert "SQLite database" in errors["sqlite"]
    assert "not an HTML page" in errors["random"]
    assert "4 of 5 inputs could not be extracted" in result.stderr
    assert "Traceback" not in result.stderr


def test_unreadable_input_is_an_error_record(tmp_path: Path) -> None:
    result = run_cli("extract", str(tmp_path / "missing.html"), str(tmp_path))
    assert result.returncode == 1
    recs = _records(result.stdout)
    assert len(recs) == 2 and all(r["error"].startswith("cannot read") for r in recs)


def test_dash_reads_stdin() -> None:
    proc = subprocess.run([*NEWSARCHIVE, "extract", "-"], input=SEED.read_bytes(),
                          capture_output=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 0, proc.stderr
    (rec,) = _records(proc.stdout.decode("utf-8"))
    assert rec["file"] == "-" and rec["title"].startswith("加快打造知识产权强国建设先行省")


def test_binary_on_stdin_is_an_error() -> None:
    proc = subprocess.run([*NEWSARCHIVE, "extract", "-"], input=b"\x1f\x8b\x08\x00" + b"\0" * 64,
                          capture_output=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 1
    (rec,) = _records(proc.stdout.decode("utf-8"))
    assert "gzip data" in rec["error"]


def test_unknown_encoding_is_a_usage_error() -> None:
    result = run_cli("extract", "--encoding", "nosuch", str(SEED))
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "nosuch" in lines[0] and "unknown charset" in lines[0]


def test_known_encoding_is_accepted(tmp_path: Path) -> None:
    page = tmp_path / "gbk.html"  # the seed page (GBK) without its charset declaration
    page.write_bytes(re.sub(rb"charset=[\w-]+", b"", SEED.read_bytes()))
    result = run_cli("extract", "--encoding", "gbk", str(page))
    assert result.returncode == 0, result.stderr
    assert _records(result.stdout)[0]["editor"] == "陈俊男"


def test_explain_shows_every_field_with_its_evidence() -> None:
    result = run_cli("extract", "--explain", str(SEED))
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for field in FIELDS:
        assert f"  {field}" in out
    assert "<- source.labelled_text: 来源:中国消费者报•中国消费网" in out
    assert "<- editor.labelled_text:" in out and "编辑:陈俊男" in out
    assert "<- author." in out and "<- published_at." in out and "<- title." in out
    assert "no evidence" not in out


def test_explain_says_when_a_field_has_no_evidence(tmp_path: Path) -> None:
    page = tmp_path / "bare.html"
    page.write_text("<html><head><title>一则通知</title></head><body><h1>一则通知</h1>"
                    "<p>本周六上午九点至十一点，小区停水检修，请居民提前做好储水准备，谢谢配合。</p>"
                    "</body></html>", encoding="utf-8")
    result = run_cli("extract", "--explain", str(page))
    assert result.returncode == 0
    assert "<- no evidence on the page" in result.stdout


# --------------------------------------------------------------------------- library


def test_crawler_and_extract_share_the_binary_check() -> None:
    html = SEED.read_bytes()
    assert not_html_reason(html) is None
    assert not_html_reason("<html><body>繁體中文頁面</body></html>".encode("big5")) is None
    assert not_html_reason(b"\xff\xfe" + "<html>页面</html>".encode("utf-16-le")) is None
    assert not_html_reason(b"%PDF-1.4 ...") == "not an HTML page (PDF)"
    assert "NUL bytes" in (not_html_reason(b"<html>" + b"\0" * 200 + b"</html>") or "")


@pytest.mark.parametrize(("value", "names"), [
    ("王芳_NF1234", ["王芳"]),
    ("杜智 PX209", ["杜智"]),
    ("记者 张三、李四", ["张三", "李四"]),
    ("梦晨 发自 凹非寺", ["梦晨"]),
    ("吴敏 摄", []),
    ("图/视觉中国", []),
    ("某某日报", []),
    ("网易", []),
    ("Joel", ["Joel"]),
])
def test_names_clean_up(value: str, names: list[str]) -> None:
    assert person_names(value) == names


def test_every_evidence_rule_is_documented() -> None:
    from crawler.extract import evidence, rules

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for chain in rules.FIELD_RULES.values():
        for rule in chain:
            assert rule in evidence.RULES, rule
            assert f"`{rule}`" in readme, f"README lacks {rule}"
