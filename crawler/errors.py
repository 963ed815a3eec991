"""Exit codes and the exceptions that map to them: defined once, documented in README.md."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Process exit codes of the ``newsarchive`` command."""

    OK = 0  #: everything ran and every page was archived or skipped on purpose
    PARTIAL = 1  #: the crawl ran, but some pages failed or a site's extraction looks broken
    USAGE = 2  #: bad input: a malformed profile, an unknown site, a bad query or option
    CANNOT_RUN = 3  #: the archive could not be opened or written, or the crawl could not start
    LOCKED = 4  #: another crawl holds the lock on this archive


class NewsarchiveError(Exception):
    """Base class of the errors the CLI turns into a one-line message and an exit code."""

    exit_code: ExitCode = ExitCode.CANNOT_RUN


class UsageError(NewsarchiveError):
    exit_code = ExitCode.USAGE


class ProfileError(UsageError):
    """A site profile is malformed. The message names the file and the key."""

    def __init__(self, path: str, key: str | None, problem: str) -> None:
        self.path = path
        self.key = key
        self.problem = problem
        where = f"{path}: key '{key}'" if key else path
        super().__init__(f"{where}: {problem}")


class ArchiveError(NewsarchiveError):
    """The archive file cannot be opened, read or written."""

    exit_code = ExitCode.CANNOT_RUN


class LockedError(NewsarchiveError):
    """Another crawl is running on the same archive."""

    exit_code = ExitCode.LOCKED
