"""Web-poet style cases: tests/cases/<name>/page.html + expected.json.

expected.json holds exact values for metadata fields (null = the page has none), and
optionally ``body`` (exact), ``body_contains`` / ``body_not_contains`` lists, ``url`` and
``http_encoding``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crawler.extract import extract

CASES = Path(__file__).parent / "cases"
CASE_DIRS = sorted(p for p in CASES.iterdir() if (p / "page.html").exists())
META_FIELDS = ("title", "published_at", "source", "author", "editor")


def _load(case: Path) -> tuple[bytes, dict]:
    return (case / "page.html").read_bytes(), json.loads(
        (case / "expected.json").read_text(encoding="utf-8")
    )


@pytest.mark.parametrize("case", CASE_DIRS, ids=[p.name for p in CASE_DIRS])
def test_case(case: Path) -> None:
    data, exp = _load(case)
    art = extract(data, exp.get("url"), http_encoding=exp.get("http_encoding"),
                  fields=exp.get("fields"))
    got = {k: getattr(art, k) for k in META_FIELDS if k in exp}
    want = {k: exp[k] for k in META_FIELDS if k in exp}
    assert got == want
    body = art.body or ""
    if "body" in exp:
        assert body == exp["body"]
    for snippet in exp.get("body_contains", []):
        assert snippet in body, f"body lacks {snippet!r}"
    for snippet in exp.get("body_not_contains", []):
        assert snippet not in body, f"body contains {snippet!r}"
    assert art.url == exp.get("url")


def test_every_case_has_expectations() -> None:
    assert CASE_DIRS, "no cases found"
    for case in CASE_DIRS:
        _, exp = _load(case)
        assert set(META_FIELDS) <= set(exp), f"{case.name}: annotate every metadata field"
