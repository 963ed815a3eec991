"""Checks on the files a command writes (``export-warc PATH``, ``--log-file``).

No command may write over the archive: an output path that is the archive itself (also
through a link), one of its ``-wal``/``-shm``/``-journal`` files, or any existing SQLite
database (``SQLite format 3\\0`` header) is refused with a
:class:`~crawler.errors.UsageError` (exit 2) before anything is opened for writing.
"""

from __future__ import annotations

import os
from pathlib import Path

from crawler.errors import UsageError

SQLITE_MAGIC = b"SQLite format 3\x00"
_SIDE_FILES = ("-wal", "-shm", "-journal")


def is_sqlite_file(path: str | Path) -> bool:
    """Whether ``path`` is an existing file that starts with SQLite's header."""
    try:
        with open(path, "rb") as fh:
            return fh.read(len(SQLITE_MAGIC)) == SQLITE_MAGIC
    except OSError:
        return False


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def check_output(
    path: str | Path, *, what: str = "output", archives: tuple[str | Path, ...] = ()
) -> Path:
    """``path`` as a Path once it is safe to write to; raises UsageError otherwise.

    ``what`` names the output in the message (``"WARC file"``, ``"--log-file"``) and
    ``archives`` are the archive paths the command uses.
    """
    out = Path(path)
    if str(path) == "":
        raise UsageError(f"{what}: an empty path")
    if out.is_dir():
        raise UsageError(f"{what} {out}: is a directory; give a file name")
    for archive in archives:
        a = Path(archive)
        if _same_file(out, a) or out.resolve() == a.resolve():
            raise UsageError(
                f"{what} {out}: is the archive itself; refusing to write over it"
                " (the output path comes first, the archive goes after --db)"
            )
    for suffix in _SIDE_FILES:
        if out.name.endswith(suffix) and is_sqlite_file(out.with_name(out.name[: -len(suffix)])):
            raise UsageError(
                f"{what} {out}: belongs to the SQLite database "
                f"{out.name[: -len(suffix)]}; refusing to write over it"
            )
    if is_sqlite_file(out):
        raise UsageError(
            f"{what} {out}: is an existing SQLite database; refusing to write over it"
        )
    if not out.parent.is_dir():
        raise UsageError(f"{what} {out}: folder {out.parent} does not exist")
    return out
