"""The ``newsarchive`` command: a thin click layer over the library.

Each command parses its arguments, calls one library function and turns library
errors into a one-line message and a documented exit code (:class:`ExitCode`).
"""

from __future__ import annotations

import functools
import json
import os
import sqlite3
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from crawler.errors import ArchiveError, ExitCode, NewsarchiveError, UsageError

F = TypeVar("F", bound=Callable[..., Any])

DB_HELP = "Archive file. Default: ./archive.db, or $NEWSARCHIVE_DB when set."


class CommandError(click.ClickException):
    """A library error shown as ``Error: message``, exiting with its own code."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def library_errors(func: F) -> F:
    """Turn :class:`NewsarchiveError` into :class:`CommandError` with its exit code."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except NewsarchiveError as exc:
            raise CommandError(str(exc), int(exc.exit_code)) from exc
        except sqlite3.Error as exc:  # the library explains the usual ones; never a traceback
            raise CommandError(f"archive error: {exc}", int(ExitCode.CANNOT_RUN)) from exc

    return wrapper  # type: ignore[return-value]


#: The largest count an option takes (--limit, --window): SQLite's integers are 64-bit.
MAX_COUNT = 1_000_000_000


class DateParam(click.ParamType):
    """``--since``/``--until``: ``YYYY-MM-DD`` or an ISO date-time (:mod:`crawler.dates`)."""

    name = "date"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        from crawler.dates import parse_date

        try:
            return parse_date(value, param.opts[-1] if param else "DATE")
        except UsageError as exc:
            self.fail(str(exc).split(": ", 1)[-1], param, ctx)


DATE = DateParam()


def complete_sites(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[Any]:
    """Shell completion of SITE_OR_PROFILE: the bundled profile names, then files."""
    from click.shell_completion import CompletionItem

    from crawler.profiles import bundled_profiles

    names = [p.stem for p in bundled_profiles() if p.stem.startswith(incomplete)]
    return [CompletionItem(n) for n in names] + [CompletionItem(incomplete, type="file")]


def require_archive(db_path: Path) -> None:
    """Commands that read or update an archive never create one: exit 3 when it is missing."""
    if not db_path.exists():
        raise ArchiveError(f"{db_path}: no archive here (nothing has been crawled yet?)")


def db_option(func: F) -> F:
    return click.option(
        "--db",
        "db_path",
        type=click.Path(dir_okay=True, path_type=Path),
        default="archive.db",
        envvar="NEWSARCHIVE_DB",
        show_envvar=True,
        show_default=True,
        help=DB_HELP,
    )(func)


def redis_options(func: F) -> F:
    """``--redis URL`` and ``--frontier NAME`` of distributed runs."""
    func = click.option(
        "--frontier", metavar="NAME",
        help="Redis key prefix newsarchive:NAME: of the run. Default: the --db file's stem.",
    )(func)  # fmt: skip
    return click.option(
        "--redis", "redis_url", metavar="URL", envvar="NEWSARCHIVE_REDIS", show_envvar=True,
        help="Share the frontier on this Redis (redis://HOST:PORT/DB): a distributed run.",
    )(func)  # fmt: skip


SQLITE_MAGIC = b"SQLite format 3\x00"


def is_sqlite_file(arg: str) -> bool:
    """Whether ``arg`` names an existing SQLite database file (by its header)."""
    try:
        with open(arg, "rb") as f:
            return f.read(16) == SQLITE_MAGIC
    except OSError:
        return False


def archive_argument(command: click.Command, args: list[str]) -> list[str]:
    """``args`` of ``command`` with an archive named as a plain argument, the sqlite-utils
    habit (``newsarchive search archive.db 召回``, ``newsarchive stats archive.db``), turned
    into ``--db archive.db``. Only an existing SQLite file counts, and only where it is
    not an option's value; naming a second, different archive with ``--db`` is an error.
    Commands without ``--db``, and those whose argument is a file they write
    (``export-warc PATH``: there an archive is refused as the output), are left alone."""
    if not any(p.name == "db_path" for p in command.params) or any(
        isinstance(p, click.Argument) and isinstance(p.type, click.Path) for p in command.params
    ):
        return args
    takes_value = {
        opt
        for p in command.params
        if isinstance(p, click.Option) and not p.is_flag and not p.count
        for opt in (*p.opts, *p.secondary_opts)
    }
    found: int | None = None
    for i, arg in enumerate(args):
        if arg == "--":
            break
        if arg.startswith("-") or (i and args[i - 1] in takes_value):
            continue
        if is_sqlite_file(arg):
            found = i
            break
    if found is None:
        return args
    named = args[found]
    rest = args[:found] + args[found + 1 :]
    for i, arg in enumerate(rest):
        other = rest[i + 1] if arg == "--db" and i + 1 < len(rest) else None
        if arg.startswith("--db="):
            other = arg.split("=", 1)[1]
        if other is not None:
            if Path(other).resolve() != Path(named).resolve():
                raise click.UsageError(
                    f"two archives named: {named} and --db {other}; name one", ctx=None
                )
            return rest
    return ["--db", named, *rest]


class NewsarchiveGroup(click.Group):
    """The command group: a reader that closes the pipe early (``| head``) is no error,
    and an archive named as a plain argument is taken as ``--db`` (:func:`archive_argument`).
    """

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        name, command, rest = super().resolve_command(ctx, args)
        if command is not None:
            rest = archive_argument(command, rest)
        return name, command, rest

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except BrokenPipeError:
            # Nothing more can be shown; point stdout at /dev/null so that Python's own
            # flush at exit does not complain, and exit 0 as `yes | head` readers expect.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            raise click.exceptions.Exit(0) from None


@click.group(
    cls=NewsarchiveGroup,
    invoke_without_command=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.version_option(package_name="newsarchive")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """Crawl Chinese consumer-news portals into a searchable SQLite archive.

    \b
    Quick start (offline, on the bundled demo portal):
        newsarchive demo
    Crawl a bundled portal, or your own profile, every hour from cron:
        newsarchive crawl ccn --db ~/news/archive.db

    Exit codes: 0 ok, 1 partial (some pages failed), 2 bad input,
    3 could not run (archive unusable), 4 locked (another crawl is running).
    """
    if ctx.invoked_subcommand is None:
        click.echo(ctx.get_help())


# -- crawl ---------------------------------------------------------------------------------
@cli.command()
@click.argument(
    "sites", nargs=-1, required=True, metavar="SITE_OR_PROFILE...", shell_complete=complete_sites
)
@db_option
@click.option("--full", is_flag=True, help="Follow every list page, even if nothing is new.")
@click.option("--refresh", is_flag=True, help="Re-fetch archived articles; keep changed versions.")
@click.option(
    "--since", type=DATE, metavar="DATE",
    help="With --refresh: only articles published since DATE (YYYY-MM-DD).",
)  # fmt: skip
@click.option(
    "-s", "--set", "overrides", multiple=True, metavar="NAME=VALUE",
    help="Override a Scrapy setting for this run, like `scrapy crawl -s` (repeatable).",
)  # fmt: skip
@click.option("-q", "--quiet", is_flag=True, help="Print nothing when the crawl is ok.")
@click.option("-v", "--verbose", is_flag=True, help="Show Scrapy's log on stderr.")
@click.option("--log-file", type=click.Path(dir_okay=False), help="Write Scrapy's log here.")
@redis_options
@library_errors
def crawl(
    sites: tuple[str, ...],
    db_path: Path,
    full: bool,
    refresh: bool,
    since: str | None,
    overrides: tuple[str, ...],
    quiet: bool,
    verbose: bool,
    log_file: str | None,
    redis_url: str | None = None,
    frontier: str | None = None,
) -> None:
    """Crawl portals and archive their new articles.

    SITE_OR_PROFILE is a bundled profile name (see `newsarchive sites`) or a path
    to a .toml profile. Only article URLs not yet in the archive are fetched, and
    paging stops at the first list page that brings nothing new.

    Prints one summary line: list pages, new articles, already archived, errors.
    Failed pages are listed on stderr and recorded in the crawls/crawl_errors tables.

    \b
    Example:
        newsarchive crawl ccn cqn ./my-portal.toml --db archive.db
        newsarchive crawl ccn -s DOWNLOAD_DELAY=2 --quiet    # from cron
        newsarchive crawl ccn --redis redis://10.0.0.5:6379/0   # a distributed worker

    With --redis it is a worker of a distributed run (see `newsarchive seed`): it
    crawls from the frontier shared on Redis, pushes articles there for
    `newsarchive ingest`, and stops once the frontier has been empty for
    NEWSARCHIVE_IDLE_CLOSE seconds (-s, default 30). --db then only names the frontier.
    """
    from crawler.crawl import parse_setting_overrides, progress_stream, run_crawl
    from crawler.profiles import load_profile

    if since and not refresh:
        raise click.UsageError("--since goes with --refresh (re-fetch what was published since)")
    if log_file:
        _check_log_file(log_file, db_path)
    profiles = [load_profile(s) for s in sites]
    if redis_url:
        if refresh or since:
            raise click.UsageError("--refresh and --since need the archive: not with --redis")
        worker = _distributed().run_worker(
            profiles, redis_url, db_path, frontier=frontier,
            overrides=parse_setting_overrides(overrides), full=full, verbose=verbose,
            log_file=log_file,
        )  # fmt: skip
        if not quiet or worker.status != "ok":
            click.echo(worker.summary())
        sys.exit(int(worker.exit_code))
    report = run_crawl(
        profiles,
        db_path,
        overrides=parse_setting_overrides(overrides),
        full=full,
        refresh=refresh,
        since=since,
        verbose=verbose,
        log_file=log_file,
        progress=None if quiet else progress_stream(),
    )
    _print_report(report, quiet)
    sys.exit(int(report.exit_code))


def _check_log_file(log_file: str, db_path: Path) -> None:
    """--log-file must be writable and never the archive or another SQLite file (exit 2),
    checked before the crawl opens the archive or records a run."""
    from crawler.outputs import check_output

    path = check_output(log_file, what="--log-file", archives=(db_path,))
    try:
        with open(path, "a", encoding="utf-8"):
            pass
    except OSError as exc:
        raise UsageError(f"--log-file {path}: cannot write it ({exc.strerror})") from exc


def _distributed() -> Any:
    """``crawler.distributed``, or exit 3 when the redis extra is not installed."""
    try:
        from crawler import distributed
    except ImportError as exc:
        raise CommandError(
            f"distributed crawls need the redis extra ({exc}): pip install 'newsarchive[redis]'",
            3,
        ) from exc
    return distributed


# -- seed / ingest (distributed runs) -------------------------------------------------------
@cli.command()
@click.argument(
    "sites", nargs=-1, required=True, metavar="SITE_OR_PROFILE...", shell_complete=complete_sites
)
@db_option
@redis_options
@library_errors
def seed(sites: tuple[str, ...], db_path: Path, redis_url: str | None,
         frontier: str | None) -> None:  # fmt: skip
    """Open a distributed run: put the portals' start pages into the Redis frontier.

    Adds a `crawls` row (status running), publishes the archive's article URLs so
    that no worker fetches them again, and queues each profile's list pages,
    sitemaps and feeds. Then start any number of workers (`newsarchive crawl
    --redis`) and one `newsarchive ingest`. Exits 4 if a run is still open.

    \b
    Example:
        newsarchive seed ccn cqn --redis redis://127.0.0.1:6379/0 --db archive.db
        newsarchive crawl ccn cqn --redis redis://127.0.0.1:6379/0    # on each worker
        newsarchive ingest --redis redis://127.0.0.1:6379/0 --db archive.db
    """
    from crawler.profiles import load_profile

    if not redis_url:
        raise click.UsageError("--redis URL is required")
    profiles = [load_profile(s) for s in sites]
    click.echo(_distributed().run_seed(profiles, redis_url, db_path, frontier).summary())


@cli.command()
@db_option
@redis_options
@click.option(
    "--batch", type=click.IntRange(1, 100_000), default=200, show_default=True,
    help="Records written per archive transaction.",
)  # fmt: skip
@click.option("--no-wait", is_flag=True, help="Write what is queued now, then exit.")
@library_errors
def ingest(db_path: Path, redis_url: str | None, frontier: str | None, batch: int,
           no_wait: bool) -> None:  # fmt: skip
    """The single writer of a distributed run: move the workers' articles into the archive.

    Pops records from Redis in batches and writes each batch in one transaction
    (dedupe, versions, raw pages, errors), removing them from Redis only after the
    commit; a record that arrives twice changes nothing, and a killed ingest
    resumes where it stopped. When every worker has stopped and the frontier is
    empty it closes the run's `crawls` row (per-worker counts in `crawl_workers`)
    and exits with the run's code (0 ok, 1 partial). A record it cannot read (a
    newer worker's format, damaged data) is set aside in the Redis list
    newsarchive:NAME:rejected with one line on stderr, and ingest exits 1. Workers
    must not be newer than ingest: upgrade ingest first. Holds the archive lock.

    \b
    Example:
        newsarchive ingest --redis redis://127.0.0.1:6379/0 --db archive.db
        newsarchive ingest --redis redis://127.0.0.1:6379/0 --no-wait   # drain only
    """
    if not redis_url:
        raise click.UsageError("--redis URL is required")
    require_archive(db_path)  # `newsarchive seed` creates it
    report = _distributed().run_ingest(
        redis_url, db_path, frontier=frontier, batch=batch, wait=not no_wait, log=sys.stderr
    )
    click.echo(report.summary())
    sys.exit(int(report.exit_code))


def _print_report(report: Any, quiet: bool) -> None:
    if not quiet or report.status != "ok":
        click.echo(report.summary())
    for warning in report.warnings():
        click.echo(warning, err=True)
    if report.status != "ok":
        for site in report.sites:
            for url, reason in site.error_samples:
                click.echo(f"  {site.site}: {url}: {reason}", err=True)
            if site.errors > len(site.error_samples):
                more = site.errors - len(site.error_samples)
                click.echo(f"  {site.site}: ... and {more} more (table crawl_errors)", err=True)


# -- extract -------------------------------------------------------------------------------
@cli.command()
@click.argument("inputs", nargs=-1, required=True, metavar="FILE_OR_URL...")
@click.option("--url", "page_url", help="The URL a single saved FILE was fetched from.")
@click.option(
    "--encoding", help="Charset to assume, as if sent in the HTTP header (default: detect)."
)
@click.option(
    "--explain", is_flag=True,
    help="Print, per field, the value and its evidence (rule name and matched text) "
    "instead of JSON Lines.",
)
@library_errors
def extract(inputs: tuple[str, ...], page_url: str | None, encoding: str | None,
            explain: bool) -> None:
    """Extract articles from saved pages or URLs, as JSON Lines on stdout.

    One object per input with keys file (the input as given), url, title,
    published_at, source, author, editor and body; null where unknown. FILE may be
    "-" for standard input. An input that cannot be read or is not an HTML page (an
    image, an archive, a database) gives an object with an "error" key, the run goes
    on and exits 1. An unknown --encoding exits 2.

    \b
    Example:
        newsarchive extract page.html --url https://www.ccn.com.cn/Content/2022/09-21/1.html
        newsarchive extract saved/*.html > articles.jsonl
        curl -s https://example.com/a.html | newsarchive extract -
        newsarchive extract --explain page.html
    """
    from crawler.extract_files import extract_inputs, format_explained

    if page_url and len(inputs) > 1:
        raise click.UsageError("--url goes with a single FILE")
    failed = 0
    for record in extract_inputs(inputs, page_url=page_url, encoding=encoding,
                                 explain=explain):
        failed += "error" in record
        if explain:
            click.echo(format_explained(record))
        else:
            click.echo(json.dumps(record, ensure_ascii=False))
    if failed:
        raise CommandError(f"{failed} of {len(inputs)} inputs could not be extracted",
                           int(ExitCode.PARTIAL))


# -- sites ---------------------------------------------------------------------------------
class ProfilesOrCommands(click.Group):
    """A group whose arguments are profiles unless the first one names a subcommand:
    ``sites``, ``sites ccn ./my.toml --json`` (list / validate) and ``sites new URL``."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        first = next((a for a in args if not a.startswith("-")), None)
        if first is not None and first not in self.commands and "--help" not in args:
            ctx.meta["sites_profiles"] = tuple(a for a in args if not a.startswith("-"))
            args = [a for a in args if a.startswith("-")]
        return super().parse_args(ctx, args)


@cli.group(cls=ProfilesOrCommands, invoke_without_command=True,
           subcommand_metavar="[SITE_OR_PROFILE]... | COMMAND [ARGS]...")  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@click.pass_context
@library_errors
def sites(ctx: click.Context, as_json: bool) -> None:
    """List the bundled site profiles, or validate and show the ones given.

    A malformed profile exits with code 2 and names the file, key and problem.
    To add a portal: `sites new` writes a profile from its list page, `sites check`
    tries it without storing anything, then `crawl` it.

    \b
    Example:
        newsarchive sites
        newsarchive sites ./my-portal.toml
        newsarchive sites new https://news.example.cn/xf/index.html -o my-portal.toml
        newsarchive sites check my-portal.toml
    """
    if ctx.invoked_subcommand is not None:
        return
    from crawler.profiles import bundled_profiles, load_profile

    profiles = ctx.meta.get("sites_profiles", ())
    names = profiles or tuple(str(p) for p in bundled_profiles())
    loaded = [load_profile(n) for n in names]
    if as_json:
        out = [
            {"name": p.name, "title": p.title, "path": p.path, "start_urls": list(p.start_urls),
             "article_url": p.article_url.pattern,
             "list_url": p.list_url.pattern if p.list_url else None}  # fmt: skip
            for p in loaded
        ]
        click.echo(json.dumps(out, ensure_ascii=False, indent=2))
        return
    for p in loaded:
        click.echo(f"{p.name:<12} {p.title or ''}  {' '.join(p.start_urls)}")


@sites.command("new")
@click.argument("source", metavar="URL_OR_FILE")
@click.option("--url", "page_url", help="With a saved FILE: the URL it was fetched from.")
@click.option("--name", help="The profile's name (default: from the host, e.g. ccn).")
@click.option("-o", "--output", type=click.Path(path_type=Path),
              help="Profile file to write. Default: NAME.toml here.")  # fmt: skip
@click.option("--force", is_flag=True, help="Overwrite an existing profile file.")
@click.option("--delay", type=click.FloatRange(min=0), default=1.0, show_default=True,
              help="Seconds between two requests to the portal.")  # fmt: skip
@library_errors
def sites_new(source: str, page_url: str | None, name: str | None, output: Path | None,
              force: bool, delay: float) -> None:  # fmt: skip
    """Write a profile for a portal from one of its list pages.

    Fetches the list page (robots.txt obeyed, our User-Agent), groups its links by
    URL shape, takes the group whose anchors read as headlines as article_url,
    confirms it by extracting up to 3 of them, and builds list_url from the
    pagination links (下一页, 末页, page numbers, index_N, ?page=N). The TOML says
    in comments what was inferred from which links. When no group is clear it exits
    1 and shows the candidate groups with examples. A saved page works offline
    with --url (nothing is fetched, nothing confirmed). Never overwrites a file
    without --force, and never an SQLite file. Exit codes: 0 written, 1 no clear
    article group, 2 bad input (the file exists, an SQLite file, a bad --name),
    3 the list page could not be fetched (or robots.txt forbids it).

    \b
    Example:
        newsarchive sites new https://news.example.cn/xf/index.html -o my-portal.toml
        newsarchive sites new saved-list.html --url https://news.example.cn/xf/index.html
    """
    from crawler.sites import generate as sitegen

    try:
        path, inference = sitegen.new_profile(
            source, url=page_url, name=name, output=output, force=force, delay=delay,
            log=lambda msg: click.echo(msg, err=True),
        )  # fmt: skip
    except sitegen.NoArticleGroup as exc:
        click.echo(f"Error: {exc}", err=True)
        if exc.candidates:
            click.echo("candidate link groups (pattern, links, examples):", err=True)
        for group in exc.candidates:
            for line in group.describe():
                click.echo(f"  {line}", err=True)
        sys.exit(int(ExitCode.PARTIAL))
    click.echo(f"wrote {path}")
    click.echo(f"  article_url = {inference.article_url}")
    click.echo(f"  list_url    = {inference.list_url or '(none: no pagination found)'}")
    click.echo(f"next: newsarchive sites check {path}")


@sites.command("check")
@click.argument("profile", metavar="SITE_OR_PROFILE")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@click.option("--delay", type=click.FloatRange(min=0), default=None,
              help="Seconds between requests (default: the profile DOWNLOAD_DELAY, or 1).")  # noqa: E501
@library_errors
def sites_check(profile: str, as_json: bool, delay: float | None) -> None:
    """Try a profile without storing anything: links found, 3 sample articles.

    Fetches the start pages, counts the article links and list pages that match,
    extracts 3 sample articles and shows their fields. Exits 1 with a one-line
    reason when no article link matches or the samples come out empty: the thing
    to run when a portal redesigns its URLs.

    \b
    Example:
        newsarchive sites check ccn
        newsarchive sites check ./my-portal.toml --json
    """
    from crawler.profiles import load_profile
    from crawler.sites import check as sitecheck

    report = sitecheck.check_profile(load_profile(profile), delay=delay)
    if as_json:
        click.echo(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
    else:
        for line in report.lines():
            click.echo(line)
    if report.problem:
        click.echo(f"Error: {report.problem}", err=True)
        sys.exit(int(ExitCode.PARTIAL))


# -- stats ---------------------------------------------------------------------------------
@cli.command()
@db_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@library_errors
def stats(db_path: Path, as_json: bool) -> None:
    """Per site: articles, new in the last run and last 7 days, last good run, errors.

    On a terminal it also draws, per site, a sparkline of the articles archived on
    each of the last 30 days and the share of article pages with an empty field in
    the last run; --json carries the same numbers (per_day, empty_last_run).
    A site whose extraction health moved sharply in its last run (say, published_at
    empty on most new pages when it never was) is flagged with a warning line.

    \b
    Example:
        newsarchive stats --db archive.db
    """
    from crawler.archive import Archive
    from crawler.search import charts

    with Archive(db_path, readonly=True) as archive:
        rows = archive.site_stats()
        charts.add_charts(archive.db, rows)
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    header = ("site", "articles", "new last run", "new 7 days", "last ok run", "errors last run")
    table = [header] + [
        (r["site"], r["articles"], r["new_last_run"], r["new_7_days"], r["last_ok_run"] or "never",
         r["errors_last_run"])  # fmt: skip
        for r in rows
    ]
    widths = [max(len(str(row[i])) for row in table) for i in range(len(header))]
    for row in table:
        click.echo("  ".join(str(v).ljust(w) for v, w in zip(row, widths, strict=True)).rstrip())
    if sys.stdout.isatty():
        for line in charts.chart_lines(rows):
            click.echo(line)
    for r in rows:
        if r.get("health_warning"):
            click.echo(f"warning: {r['site']}: {r['health_warning']}")


# -- reextract / export-warc -----------------------------------------------------------------
@cli.command()
@db_option
@click.option("--site", help="Only pages of this site.")
@click.option(
    "--since", type=DATE, metavar="DATE", help="Only pages fetched on or after DATE (YYYY-MM-DD)."
)
@click.option(
    "-j", "--jobs", type=click.IntRange(1, 256), default=None,
    help="Worker processes (default: every CPU core; at most 256).",
)  # fmt: skip
@library_errors
def reextract(db_path: Path, site: str | None, since: str | None, jobs: int | None) -> None:
    """Re-run the current extractor on the stored pages, without the network.

    Updates the articles whose extraction changed (the previous content goes to
    article_versions), prints how many changed per field, and records the run in the
    reextracts table. Also upgrades an archive written by an older version: rows keyed
    by a URL that redirected or names another rel=canonical move to that URL (the old
    one becomes an alias in url_aliases), and rows of one article are merged (the
    merged-away content goes to article_versions).

    \b
    Example:
        newsarchive reextract --db archive.db
        newsarchive reextract --site ccn --since 2024-01-01 --jobs 2
    """
    from crawler.reextract import reextract as run

    report = run(db_path, site=site, since=since, jobs=jobs)
    click.echo(report.summary())
    _warn_unreadable(report.unreadable)


@cli.command("export-warc")
@click.argument("path", type=click.Path(dir_okay=False, writable=True))
@db_option
@click.option("--site", help="Only pages of this site.")
@click.option(
    "--since", type=DATE, metavar="DATE", help="Only pages fetched on or after DATE (YYYY-MM-DD)."
)
@library_errors
def export_warc(path: str, db_path: Path, site: str | None, since: str | None) -> None:
    """Write the stored responses to PATH as a standard WARC file.

    The latest response of every article URL, with its status, headers and body as
    received. A PATH ending in .gz is gzip-compressed per record (.warc.gz).

    \b
    Example:
        newsarchive export-warc news.warc.gz --db archive.db --site ccn
    """
    from crawler.archive.warc import export_warc as run

    unreadable: list[tuple[str, str]] = []
    count = run(db_path, path, site=site, since=since, unreadable=unreadable)
    click.echo(f"wrote {count} responses to {path}")
    _warn_unreadable(unreadable)


def _warn_unreadable(pages: list[tuple[str, str]]) -> None:
    """One ``warning:`` line per damaged stored page (at most 20), then exit 1 (partial)."""
    for url, reason in pages[:20]:
        click.echo(f"warning: skipped the stored page of {url}: {reason}", err=True)
    if len(pages) > 20:
        click.echo(f"warning: ... and {len(pages) - 20} more damaged pages", err=True)
    if pages:
        raise SystemExit(int(ExitCode.PARTIAL))


# -- demo ----------------------------------------------------------------------------------
@cli.command()
@db_option
@click.option(
    "--port", type=click.IntRange(0, 65535), default=None,
    help="Port for the demo server (default 8765, where the demo-* profiles point; "
    "0: any free port).",
)  # fmt: skip
@click.option("--serve", is_flag=True, help="Only serve the demo portal until Ctrl-C.")
@library_errors
def demo(db_path: Path, port: int | None, serve: bool) -> None:
    """Serve the bundled demo portal on 127.0.0.1, crawl it, and show the archive.

    Runs offline: both demo portals (one UTF-8, one GBK) are served from the
    package by a local server for the length of the crawl. When `demo --serve`
    already serves the port, that server is crawled; a port held by another
    program is an error (exit 3): the port never changes by itself, so a rerun
    archives nothing twice.

    \b
    Example:
        newsarchive demo                 # crawl into ./archive.db and list it
        newsarchive demo --serve         # just serve it on http://127.0.0.1:8765/
        scrapy crawl portal -a site=demo-xfzx   # while --serve runs
    """
    from crawler.demo.run import run_demo, serve_demo

    if serve:
        serve_demo(port)
        return
    report, rows = run_demo(db_path, port, notice=lambda line: click.echo(line, err=True))
    click.echo(report.summary())
    click.echo(f"\n{len(rows)} articles in {db_path}:")
    for row in rows:
        click.echo(f"  {row['site']:<10} {row['published_at'] or '':<26} {row['title']}")
    click.echo(
        f"\nTry: sqlite-utils rows {db_path} articles --limit 1   "
        f"or   newsarchive search 召回 --db {db_path}"
    )
    sys.exit(int(report.exit_code))


# -- search / reindex ------------------------------------------------------------------------
#: The default of ``search --window``: crawler.search.ranking.DEFAULT_WINDOW (not imported here, to
#: keep the command's start-up light; a test keeps the two equal).
SEARCH_WINDOW = 2000


class SearchCommand(click.Command):
    """``search``'s parsing: after the first query word, a ``-word`` that is not one of
    the command's options written out (``-n 5``, ``--limit 5``, ``--limit=5``) is a query
    word, so ``search 专利 -nba`` excludes "nba" instead of reading ``-n ba``."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        takes_value: dict[str, bool] = {}
        for param in self.get_params(ctx):
            if isinstance(param, click.Option):
                for name in (*param.opts, *param.secondary_opts):
                    takes_value[name] = not param.is_flag and not param.count
        options: list[str] = []
        words: list[str] = []
        i = 0
        while i < len(args):
            arg = args[i]
            name = arg.split("=", 1)[0] if arg.startswith("--") else arg
            if arg == "--":
                words += args[i + 1 :]
                break
            if name in takes_value:
                options.append(arg)
                if takes_value[name] and "=" not in arg and i + 1 < len(args):
                    options.append(args[i + 1])
                    i += 1
            elif arg.startswith("-") and len(arg) > 1 and not words:
                options.append(arg)  # before the first word: click's own parsing (-n5)
            else:
                words.append(arg)
            i += 1
        return super().parse_args(ctx, [*options, "--", *words] if words else options)


@cli.command(cls=SearchCommand, context_settings={"ignore_unknown_options": True})
@click.argument("query", nargs=-1, required=True, type=click.UNPROCESSED)
@db_option
@click.option("--site", help="Only articles of this site.")
@click.option(
    "--since", type=DATE, metavar="DATE", help="Only articles published on or after DATE."
)
@click.option(
    "--until", type=DATE, metavar="DATE", help="Only articles published on or before DATE."
)
@click.option(
    "-n", "--limit", type=click.IntRange(1, MAX_COUNT), default=20, show_default=True,
    help="Show at most this many articles.",
)  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array instead of text.")
@click.option(
    "--unique", is_flag=True,
    help="One result per story: syndicated copies collapse, listing their sites.",
)  # fmt: skip
@click.option(
    "--window", type=click.IntRange(0, MAX_COUNT), default=SEARCH_WINDOW, show_default=True,
    metavar="N",
    help="When more than N articles match, rank only the N most recently archived of "
    "them (at least --limit): the same articles match, but only those compete for the "
    "first places. 0 ranks every match (slower for frequent words: up to seconds on a "
    "large archive).",
)  # fmt: skip
@library_errors
def search(
    query: tuple[str, ...],
    db_path: Path,
    site: str | None,
    since: str | None,
    until: str | None,
    limit: int,
    as_json: bool,
    unique: bool,
    window: int,
) -> None:
    """Search the archive's titles and bodies, best matches (bm25) first.

    \b
    QUERY syntax (words may be Chinese, Latin or digits, of any length):
      专利 诈骗          articles with both words (AND)
      "市场监管总局"      a phrase, exactly as written
      召回 OR 退货        either word; OR binds tighter than AND
      专利 -诈骗          with 专利 but without 诈骗
      召回 AND 汽车       AND and NOT are operators too, as in sqlite-utils and
      召回 NOT 汽车       Datasette: the same as 召回 汽车 and 召回 -汽车
    A word matches anywhere inside the text: 专利 finds 专利权. Case, full-width
    forms and traditional characters are folded: 消費 finds 消费, ＩＰＨＯＮＥ finds iPhone.
    A one-character word finds every article containing that character. After the
    first word, -word is a query word unless it is an option written out (-n 5,
    --limit 5): 专利 -nba excludes nba. A query that starts with -word goes after --.

    Prints title, site, date, URL and a snippet with the matches in [brackets]
    (in colour on a terminal, unless NO_COLOR is set). A query it cannot parse exits with code 2.

    Ranking is bm25 (a title hit counts three times a body hit). When a word is so
    frequent that more than --window articles match, only the newest of them are
    ranked, which keeps every search fast; --window 0 ranks them all.

    \b
    Example:
        newsarchive search 召回 汽车 --db archive.db
        newsarchive search '"市场监管总局" 预付卡' --site ccn --since 2024-01-01
        newsarchive search 专利 -诈骗 --limit 5 --json
        newsarchive search 知识产权 --unique     # one row per story, with its sites
    """
    from crawler import search as fts
    from crawler.archive import Archive
    from crawler.errors import ExitCode

    unknown = [w for w in query if w.startswith("--")]
    if unknown:
        raise click.UsageError(f"no such option: {unknown[0]}")
    tty = sys.stdout.isatty() and not as_json and not os.environ.get("NO_COLOR")
    marks = ("\x1b[1;31m", "\x1b[0m") if tty else ("[", "]")
    with Archive(db_path, readonly=True) as archive:
        try:
            results = fts.search(
                archive.db, " ".join(query), site=site, since=since, until=until,
                limit=limit, marks=marks, unique=unique, window=window,
            )  # fmt: skip
        except fts.QueryError as exc:
            raise CommandError(f"bad query: {exc}", int(ExitCode.USAGE)) from exc
        except fts.SearchIndexError as exc:
            raise CommandError(str(exc), int(ExitCode.CANNOT_RUN)) from exc
        no_such_site = not results and site is not None and not archive.has_site(site)
        sites = archive.site_names() if no_such_site else []
    if no_such_site:  # a typo in --site must not read as "the words are nowhere"
        known = ", ".join(sites) or "none yet"
        click.echo(f"note: the archive has no articles of site {site!r} (its sites: {known})",
                   err=True)  # fmt: skip
    if as_json:
        keys = ("url", "site", "title", "published_at", "snippet", "rank")
        keys += ("sites", "copies") if unique else ()
        click.echo(
            json.dumps([{k: r[k] for k in keys} for r in results], ensure_ascii=False, indent=2)
        )
        return
    if not results:
        click.echo("no articles match", err=True)
    for i, r in enumerate(results, 1):
        click.echo(f"{i:>2}. {r['title_highlighted'] or r['title'] or '(no title)'}", color=tty)
        click.echo(f"    {r['site']}  {r['published_at'] or ''}  {r['url']}")
        if unique and r["copies"] > 1:
            click.echo(f"    {r['copies']} copies, on: {', '.join(r['sites'])}")
        if r["snippet"]:
            click.echo(f"    {r['snippet']}", color=tty)


@cli.command()
@db_option
@library_errors
def reindex(db_path: Path) -> None:
    """Rebuild the search index (articles_fts) from the articles table.

    The index follows every write made through newsarchive, sqlite-utils or
    Datasette. A tool without the plugin (the plain sqlite3 shell) cannot write
    titles or bodies at all: the index's triggers fail with "no such tokenizer".
    Run this after restoring an archive from elsewhere, after writing with a tool
    that dropped the triggers, or when told the index was built by another
    tokenizer version. Prints what was wrong and how many articles are indexed.

    \b
    Example:
        newsarchive reindex --db archive.db
    """
    import sqlite3

    import sqlite_utils

    from crawler import search as fts
    from crawler.archive import busy_timeout
    from crawler.errors import ArchiveError

    if not db_path.is_file():
        raise ArchiveError(f"{db_path}: no archive here")
    try:
        db = sqlite_utils.Database(sqlite3.connect(db_path, timeout=busy_timeout()))
        if not db["articles"].exists():
            db.conn.close()
            raise ArchiveError(f"{db_path}: not a newsarchive archive (no articles table)")
        problems = fts.index_problems(db)
        count = fts.reindex(db)
        db.conn.close()
    except (sqlite3.Error, fts.SearchIndexError, fts.TokenizerError) as exc:
        raise ArchiveError(f"{db_path}: {exc}") from exc
    was = "; ".join(problems) if problems else "it was in order"
    click.echo(f"search index rebuilt: {count} articles ({was})")
