"""Site profiles: TOML files that tell the portal spider where to go and what to keep.

A profile is either the name of a bundled profile (``spiders/sites/NAME.toml``) or a
path to any ``.toml`` file. :func:`load_profile` validates it completely and raises
:class:`~crawler.errors.ProfileError` naming the file, the key and the problem.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from crawler.errors import ProfileError, UsageError
from crawler.options import check_setting

SITES_DIR = Path(__file__).resolve().parent.parent / "spiders" / "sites"

FIELD_KEYS = ("title", "published_at", "source", "author", "editor", "body")

#: Scrapy settings a profile may override in its ``[settings]`` table. Their values are
#: checked against each setting's type like ``-s`` values (:mod:`crawler.options`).
OVERRIDABLE_SETTINGS: tuple[str, ...] = (
    "DOWNLOAD_DELAY", "CONCURRENT_REQUESTS_PER_DOMAIN", "AUTOTHROTTLE_ENABLED",
    "AUTOTHROTTLE_TARGET_CONCURRENCY", "AUTOTHROTTLE_MAX_DELAY", "ROBOTSTXT_OBEY",
    "USER_AGENT", "RETRY_TIMES", "DOWNLOAD_TIMEOUT", "DOWNLOAD_MAXSIZE",
)  # fmt: skip

#: What RE2, the linear-time engine profile regexes run on, lacks, by its error message.
_RE2_UNSUPPORTED = (
    ("invalid escape sequence: \\1", "backreferences (\\1) are not supported"),
    ("invalid perl operator: (?=", "lookahead (?=...) is not supported"),
    ("invalid perl operator: (?!", "negative lookahead (?!...) is not supported"),
    ("invalid perl operator: (?<", "lookbehind (?<=...) and (?<!...) are not supported"),
    ("invalid perl operator: (?P", "named backreferences (?P=name) are not supported"),
    ("invalid perl operator: (?>", "atomic groups (?>...) are not supported"),
    ("bad repetition operator: ++", "possessive quantifiers (++, *+) are not supported"),
    ("bad repetition operator: *+", "possessive quantifiers (++, *+) are not supported"),
    ("bad repetition operator: ?+", "possessive quantifiers (++, *+) are not supported"),
)


def compile_regex(pattern: str) -> Any:
    """``pattern`` compiled by RE2, which matches in linear time: no pattern can make a
    long URL hang the crawl. Raises ValueError with the reason when RE2 or Python's ``re``
    cannot compile it (RE2 has no backreferences and no lookarounds)."""
    import re2

    options = re2.Options()
    options.log_errors = False  # the reason goes into our one-line error instead
    try:
        return re2.compile(pattern, options)
    except re2.error as exc:
        raw = exc.args[0] if exc.args else exc
        message = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
    try:
        re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"bad regex {pattern!r}: {exc}") from None
    shown = re.sub(r"(: \\)\d+", r"\g<1>1", message)  # \2, \3 ... read as \1
    for start, reason in _RE2_UNSUPPORTED:
        if shown.startswith(start):
            message = reason
            break
    raise ValueError(
        f"regex {pattern!r} cannot run on RE2, the linear-time engine profile regexes "
        f"use: {message}"
    )


@dataclass(frozen=True)
class Profile:
    """A validated site profile."""

    name: str
    path: str
    start_urls: tuple[str, ...]
    article_url: Any  # an RE2 pattern (compile_regex): .search(), .pattern
    title: str | None = None
    allowed_domains: tuple[str, ...] = ()
    list_url: Any = None
    max_list_pages: int = 50
    sitemap_urls: tuple[str, ...] = ()
    feed_urls: tuple[str, ...] = ()
    fields: dict[str, str] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)
    #: Continuation pages of multi-page articles: None detects them by URL shape and page
    #: navigation, a regex names them, False turns following them off.
    article_pages: re.Pattern[str] | bool | None = None

    def is_article(self, url: str) -> bool:
        return self.article_url.search(url) is not None

    def is_list(self, url: str) -> bool:
        return self.list_url is not None and self.list_url.search(url) is not None

    def rebased(self, old_prefix: str, new_prefix: str) -> Profile:
        """The same profile with every URL starting with ``old_prefix`` moved to ``new_prefix``."""

        def move(urls: tuple[str, ...]) -> tuple[str, ...]:
            return tuple(
                new_prefix + u[len(old_prefix) :] if u.startswith(old_prefix) else u for u in urls
            )

        start_urls = move(self.start_urls)
        return replace(
            self,
            start_urls=start_urls,
            sitemap_urls=move(self.sitemap_urls),
            feed_urls=move(self.feed_urls),
            allowed_domains=tuple(sorted({_host(u) for u in start_urls})),
        )


def _host(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def bundled_profiles() -> list[Path]:
    """Paths of the profiles bundled in ``spiders/sites/``, sorted by name."""
    return sorted(SITES_DIR.glob("*.toml"))


def resolve_profile_path(site_or_path: str) -> Path:
    """Turn a bundled profile name or a path to a ``.toml`` file into a path."""
    candidate = Path(site_or_path)
    if site_or_path.endswith(".toml") or candidate.is_file():
        if not candidate.is_file():
            raise UsageError(f"{site_or_path}: no such profile file")
        return candidate
    bundled = SITES_DIR / f"{site_or_path}.toml"
    if bundled.is_file():
        return bundled
    names = ", ".join(p.stem for p in bundled_profiles()) or "none"
    raise UsageError(
        f"unknown site '{site_or_path}': not a bundled profile ({names}) and not a .toml file"
    )


def load_profile(site_or_path: str) -> Profile:
    """Load and validate a profile by bundled name or path."""
    path = resolve_profile_path(site_or_path)
    try:
        raw = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ProfileError(str(path), None, f"not UTF-8 text ({exc.reason})") from exc
    except OSError as exc:
        raise ProfileError(str(path), None, f"cannot read: {exc.strerror}") from exc
    try:
        data = tomllib.loads(raw)
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(str(path), None, f"invalid TOML: {exc}") from exc
    return parse_profile(data, str(path))


def parse_profile(data: dict[str, Any], path: str = "<profile>") -> Profile:
    """Validate a decoded TOML table into a :class:`Profile`."""
    v = _Validator(path)
    known = {
        "name", "title", "start_urls", "allowed_domains", "article_url", "list_url",
        "max_list_pages", "sitemap_urls", "feed_urls", "fields", "settings", "article_pages",
    }  # fmt: skip
    for key in data:
        if key not in known:
            raise ProfileError(path, key, f"unknown key (known keys: {', '.join(sorted(known))})")
    name = v.string(data, "name", required=True)
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", name):
        raise ProfileError(path, "name", "must be letters, digits, '-', '_' or '.'")
    start_urls = v.urls(data, "start_urls", required=True)
    if not start_urls:
        raise ProfileError(path, "start_urls", "must list at least one URL")
    allowed = v.string_list(data, "allowed_domains")
    if not allowed:
        allowed = tuple(sorted({_host(u) for u in start_urls}))
    max_pages = data.get("max_list_pages", 50)
    if not isinstance(max_pages, int) or isinstance(max_pages, bool):
        raise ProfileError(path, "max_list_pages", f"must be an integer, not {_tname(max_pages)}")
    if max_pages < 1:
        raise ProfileError(path, "max_list_pages", "must be at least 1")
    return Profile(
        name=name,
        path=path,
        title=v.string(data, "title"),
        start_urls=start_urls,
        allowed_domains=allowed,
        article_url=v.regex(data, "article_url", required=True),
        list_url=v.regex(data, "list_url"),
        max_list_pages=max_pages,
        sitemap_urls=v.urls(data, "sitemap_urls"),
        feed_urls=v.urls(data, "feed_urls"),
        fields=v.fields(data),
        settings=v.settings(data),
        article_pages=v.regex_or_false(data, "article_pages"),
    )


def _tname(value: Any) -> str:
    return {str: "a string", int: "an integer", float: "a number", bool: "a boolean",
            list: "a list", dict: "a table"}.get(type(value), type(value).__name__)  # fmt: skip


class _Validator:
    def __init__(self, path: str) -> None:
        self.path = path

    def fail(self, key: str, problem: str) -> ProfileError:
        return ProfileError(self.path, key, problem)

    def string(self, data: dict[str, Any], key: str, required: bool = False) -> Any:
        if key not in data:
            if required:
                raise self.fail(key, "missing (required)")
            return None
        value = data[key]
        if not isinstance(value, str):
            raise self.fail(key, f"must be a string, not {_tname(value)}")
        if required and not value.strip():
            raise self.fail(key, "must not be empty")
        return value

    def string_list(self, data: dict[str, Any], key: str, required: bool = False) -> tuple:
        if key not in data:
            if required:
                raise self.fail(key, "missing (required)")
            return ()
        value = data[key]
        if not isinstance(value, list):
            raise self.fail(key, f"must be a list of strings, not {_tname(value)}")
        for i, item in enumerate(value):
            if not isinstance(item, str):
                raise self.fail(f"{key}[{i}]", f"must be a string, not {_tname(item)}")
        return tuple(value)

    def urls(self, data: dict[str, Any], key: str, required: bool = False) -> tuple:
        urls = self.string_list(data, key, required)
        for i, url in enumerate(urls):
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise self.fail(f"{key}[{i}]", f"not an absolute http(s) URL: {url!r}")
        return urls

    def regex(self, data: dict[str, Any], key: str, required: bool = False) -> Any:
        pattern = self.string(data, key, required)
        if pattern is None:
            return None
        if not pattern:
            raise self.fail(key, "must not be empty")
        try:
            compiled = compile_regex(pattern)
        except ValueError as exc:
            raise self.fail(key, str(exc)) from None
        return compiled

    def regex_or_false(self, data: dict[str, Any], key: str) -> Any:
        """A regex, or ``false`` (a feature turned off); absent: None."""
        if data.get(key) is False:
            return False
        if isinstance(data.get(key), bool):
            raise self.fail(key, "must be a regex or false")
        return self.regex(data, key)

    def fields(self, data: dict[str, Any]) -> dict[str, str]:
        table = data.get("fields", {})
        if not isinstance(table, dict):
            raise self.fail("fields", f"must be a table, not {_tname(table)}")
        out: dict[str, str] = {}
        for name, selector in table.items():
            key = f"fields.{name}"
            if name not in FIELD_KEYS:
                raise self.fail(key, f"unknown field (known fields: {', '.join(FIELD_KEYS)})")
            if not isinstance(selector, str) or not selector.strip():
                raise self.fail(key, "must be a non-empty CSS selector string")
            try:
                import soupsieve

                soupsieve.compile(selector)
            except Exception as exc:  # soupsieve raises SelectorSyntaxError and others
                first = str(exc).splitlines()[0]
                raise self.fail(key, f"bad CSS selector {selector!r}: {first}") from exc
            out[name] = selector
        return out

    def settings(self, data: dict[str, Any]) -> dict[str, Any]:
        table = data.get("settings", {})
        if not isinstance(table, dict):
            raise self.fail("settings", f"must be a table, not {_tname(table)}")
        out: dict[str, Any] = {}
        for name, value in table.items():
            key = f"settings.{name}"
            if name not in OVERRIDABLE_SETTINGS:
                allowed = ", ".join(sorted(OVERRIDABLE_SETTINGS))
                raise self.fail(key, f"not a setting a profile may override ({allowed})")
            try:
                value = check_setting(name, value)
            except ValueError as exc:
                raise self.fail(key, str(exc)) from None
            out[name] = value
        return out
