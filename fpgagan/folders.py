"""Folders fpgagan makes: marked as its own, locked while in use, replaced whole or not at all.

- Every project and output folder fpgagan makes holds :data:`MARKER` (JSON: what made it, when).
  fpgagan deletes or replaces a folder only when the marker is there; a non-empty folder without
  it is refused with one line before any work starts (``--project-dir .`` must never cost a file).
- :func:`folder_lock` takes a lock per folder (``fcntl.flock`` on a file beside it, non-blocking):
  a second run into the same folder is refused instead of breaking the first.
- :func:`staged` builds into a hidden sibling and swaps it into place only when the block
  succeeds; an error, Ctrl-C or SIGTERM removes the sibling and leaves the previous result.
"""

from __future__ import annotations

import contextlib
import datetime
import errno
import fcntl
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from fpgagan.errors import FolderError
from fpgagan.interrupts import signals_deferred
from fpgagan.io import current_umask

log = logging.getLogger(__name__)

MARKER = ".fpgagan-owned"
LOCK_SUFFIX = ".fpgagan-lock"
_LOCK_ATTEMPTS = 5


def is_owned(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is a real folder (not a link) holding fpgagan's marker."""
    p = Path(path)
    marker = p / MARKER
    if p.is_symlink() or not p.is_dir() or marker.is_symlink() or not marker.is_file():
        return False
    try:
        return json.loads(marker.read_text()).get("created_by") == "fpgagan"
    except (OSError, ValueError, AttributeError):
        return False


def write_marker(path: str | os.PathLike[str], what: str) -> None:
    """Mark ``path`` as a folder fpgagan made (``what`` says which kind)."""
    from fpgagan import __version__

    record = {
        "created_by": "fpgagan",
        "version": __version__,
        "what": what,
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }
    (Path(path) / MARKER).write_text(json.dumps(record, indent=2) + "\n")


def check_target(path: str | os.PathLike[str], what: str) -> None:
    """Refuse ``path`` as a folder to (re)create unless it is absent, empty or fpgagan's own."""
    p = Path(path)
    if p.is_symlink():
        raise FolderError(f"{p}: {what} is a symbolic link; give a plain folder")
    if not p.exists():
        return
    if not p.is_dir():
        raise FolderError(f"{p}: {what} exists and is not a folder")
    here = Path.cwd().resolve()
    full = p.resolve()
    if full == here or full in here.parents:
        raise FolderError(f"{p}: {what} would replace the working folder; give a new folder")
    if is_owned(p):
        return
    if any(p.iterdir()):
        raise FolderError(
            f"{p}: {what} holds files fpgagan did not make (no {MARKER}); "
            "give a new or empty folder"
        )


def check_outside(folder: str | os.PathLike[str], what: str, inputs: dict[str, object]) -> None:
    """Refuse input files that lie inside ``folder``, which a run replaces as a whole.

    ``inputs`` maps an option name (``--model``) to its path, or None when not given.
    """
    root = Path(folder).resolve()
    for option, path in inputs.items():
        if path is None:
            continue
        full = Path(str(path)).resolve()
        if full == root or root in full.parents:
            raise FolderError(
                f"{path}: {option} lies inside the {what} {folder}, which fpgagan replaces; "
                "move it out or give another folder"
            )


def remove_owned(path: str | os.PathLike[str]) -> None:
    """Delete ``path`` if fpgagan made it (an empty folder goes too); refuse anything else."""
    p = Path(path)
    if not p.exists() and not p.is_symlink():
        return
    if is_owned(p):
        shutil.rmtree(p)
    elif p.is_dir() and not p.is_symlink() and not any(p.iterdir()):
        p.rmdir()
    else:
        raise FolderError(f"{p}: not removed, fpgagan did not make it (no {MARKER})")


def _lock_path(target: Path) -> Path:
    return target.parent / f".{target.name}{LOCK_SUFFIX}"


@contextlib.contextmanager
def folder_lock(path: str | os.PathLike[str]) -> Iterator[None]:
    """Hold the lock of folder ``path`` for the block; refuse if another run holds it.

    The lock file sits beside the folder (it must survive the folder being swapped) and is
    removed when the lock is released.
    """
    target = Path(path).absolute()
    target.parent.mkdir(parents=True, exist_ok=True)
    lock = _lock_path(target)
    for _ in range(_LOCK_ATTEMPTS):
        fd = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)
            if exc.errno in (errno.EAGAIN, errno.EACCES):
                raise FolderError(
                    f"{path}: in use by another fpgagan run (lock {lock.name}); "
                    "wait for it or give another folder"
                ) from None
            raise
        try:  # the holder before us may have removed the file after we opened it
            same = os.fstat(fd).st_ino == os.stat(lock, follow_symlinks=False).st_ino
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)
    else:  # pragma: no cover - needs five lost races in a row
        raise FolderError(f"{path}: could not take its lock {lock.name}")
    try:
        yield
    finally:
        with signals_deferred():
            with contextlib.suppress(FileNotFoundError):
                lock.unlink()
            os.close(fd)


@contextlib.contextmanager
def staged(path: str | os.PathLike[str], what: str) -> Iterator[Path]:
    """Yield a new marked folder beside ``path``; on success it replaces ``path``.

    ``path`` must be absent, empty or fpgagan's own (:func:`check_target`); it is locked for the
    block.  If the block raises (an error, KeyboardInterrupt, :class:`~fpgagan.interrupts.Terminated`)
    the new folder is removed and ``path`` keeps its previous content.
    """
    target = Path(path).absolute()
    check_target(target, what)
    with folder_lock(target):
        check_target(target, what)  # again: another run may have finished meanwhile
        _remove_leftovers(target)
        partial = Path(tempfile.mkdtemp(prefix=f".{target.name}.partial-", dir=target.parent))
        try:
            os.chmod(partial, 0o777 & ~current_umask())
            write_marker(partial, what)
            yield partial
        except BaseException:
            with signals_deferred():
                shutil.rmtree(partial, ignore_errors=True)
            raise
        with signals_deferred():
            _swap(partial, target)


def _remove_leftovers(target: Path) -> None:
    """Siblings a killed run (SIGKILL, power loss) left behind; ours to remove under the lock."""
    for pattern in (f".{target.name}.partial-*", f".{target.name}.old-*"):
        for stale in target.parent.glob(pattern):
            try:
                remove_owned(stale)
            except (FolderError, OSError):
                log.warning("left %s in place (not removable as fpgagan's own)", stale)


def _swap(new: Path, target: Path) -> None:
    """Rename ``new`` onto ``target``; the previous ``target`` is removed if fpgagan owned it."""
    if not target.exists():
        os.rename(new, target)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
    os.rename(target, old)  # onto the empty folder mkdtemp made
    os.rename(new, target)
    try:
        remove_owned(old)
    except FolderError:  # a user file appeared in the empty folder meanwhile: keep it
        log.warning("kept %s (it gained files fpgagan did not make)", old)
