"""Writing a file beside its target safely: a temporary name of our own, then one rename.

A fixed temporary name (``FILE.partial``) can be planted in advance as a symlink by anyone who
can write to the directory, and the export would then write through it. Here each temporary
file is created with ``O_CREAT | O_EXCL | O_NOFOLLOW`` under a random name, so an existing
entry of any kind, a symlink included, is never opened; the finished file then takes the
target's name in one rename (``--force``) or one hard link that fails if the name exists, so
an export never overwrites what it was not told to.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

from ledger.audit.manifest import ExchangeError

_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
_ATTEMPTS = 100


def _random_names(target: Path) -> Iterator[str]:
    while True:
        yield f".{target.name}.{secrets.token_hex(8)}.partial"


def create_beside(target: Path, names: Iterable[str] | None = None) -> tuple[BinaryIO, Path]:
    """A new, empty file in ``target``'s directory, open for writing, and its path.

    ``names`` are the candidate names, tried in turn (random ones unless given); a name that
    exists already, whatever it is, is skipped. The mode is 0666 less the umask, as for any
    file the user creates.
    """
    for _, name in zip(range(_ATTEMPTS), names or _random_names(target), strict=False):
        path = target.with_name(name)
        try:
            fd = os.open(path, _FLAGS, 0o666)
        except FileExistsError:
            continue
        return os.fdopen(fd, "wb"), path
    raise ExchangeError(f"no free temporary name beside {target}")


def existing(*paths: Path) -> list[Path]:
    """Those of ``paths`` that exist as anything at all (a dangling symlink included)."""
    return [path for path in paths if os.path.lexists(path)]


def publish(temporary: Path, target: Path, *, force: bool) -> None:
    """Give ``temporary`` the name ``target``: replacing what is there only when ``force``."""
    if force:
        os.replace(temporary, target)
        return
    try:
        os.link(temporary, target, follow_symlinks=False)
    except FileExistsError:
        raise ExchangeError(f"{target} exists (--force overwrites it)") from None
    except OSError:  # no hard links on this file system: check, then rename
        if existing(target):
            raise ExchangeError(f"{target} exists (--force overwrites it)") from None
        os.replace(temporary, target)
        return
    os.unlink(temporary)


def remove(*paths: Path) -> None:
    for path in paths:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
