"""Where the book keeps its caches on disk, and which cache files it trusts.

Every cache lives under ``$XDG_CACHE_HOME/rare-earths`` (default ``~/.cache/rare-earths``) and
holds plain data: validation records ("these bytes passed"), merged overlays, the offline chart
bundle, published values for run pages. Each is keyed by what it was made from and checked on
read. A record that lets work be skipped is also trusted only when no one but the user running
the book could have written it (:func:`trusted`): the file and every folder from it up to the
cache root belong to this user and are writable by no group or other user. A cache folder shared
with other accounts (a world-writable ``XDG_CACHE_HOME``, a folder another user owns) therefore
cannot plant a record saying that invalid data is valid; such a record is ignored and the work
done again. What remains is the user's own account: whoever can write files as the user can also
change the installed code.

Standard library only: :mod:`rare_earths.data.gate` imports this before pandas.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

#: Write permission for the group or for others: a file or folder with either is not trusted.
_SHARED_WRITE = stat.S_IWGRP | stat.S_IWOTH


def cache_root() -> Path:
    """``$XDG_CACHE_HOME/rare-earths`` (``~/.cache/rare-earths`` when the variable is unset)."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "rare-earths"


def cache_dir(*parts: str) -> Path:
    """A folder of the cache (not created): ``cache_dir("tables")``."""
    return cache_root().joinpath(*parts)


def make_cache_dir(*parts: str) -> Path:
    """:func:`cache_dir`, created with its missing parents, private to the user (mode 0700).

    A folder of the user's own cache left writable by the group (an old umask of 002) is made
    private again, so that its records can be trusted (:func:`trusted`)."""
    folder = cache_dir(*parts)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    for each in _chain(parts):
        st = each.lstat()
        if not stat.S_ISLNK(st.st_mode) and st.st_mode & _SHARED_WRITE and _owned(st):
            os.chmod(each, stat.S_IMODE(st.st_mode) & ~_SHARED_WRITE)
    return folder


def _chain(parts: tuple[str, ...]) -> list[Path]:
    """The cache root and each path below it down to ``cache_dir(*parts)``."""
    return [cache_root().joinpath(*parts[:i]) for i in range(len(parts) + 1)]


def _owned(st: os.stat_result) -> bool:
    return not hasattr(os, "getuid") or st.st_uid == os.getuid()


def _private(st: os.stat_result) -> bool:
    """Not a link, owned by this user, writable by no group or other user."""
    return not stat.S_ISLNK(st.st_mode) and _owned(st) and not st.st_mode & _SHARED_WRITE


def trusted(path: str | os.PathLike) -> bool:
    """True when ``path`` is a regular file or folder (not a link) of the cache that only this
    user could have written: it and each folder up to :func:`cache_root` are owned by the user
    and writable by no group or other user. False for anything else, missing files included."""
    try:
        parts = Path(path).relative_to(cache_root()).parts
    except ValueError:
        return False  # not in the cache
    try:
        return all(_private(each.lstat()) for each in _chain(parts))
    except OSError:
        return False
