"""Folders fpgagan makes: marked as its own, locked while in use, replaced whole or not at all.

- Every project and output folder fpgagan makes holds :data:`MARKER` (JSON: what made it, when).
  fpgagan deletes or replaces a folder only when the marker is there and checks out (below); a
  non-empty folder without it is refused with one line before any work starts (``--project-dir .``
  must never cost a file).

The marker rule.  A marker records the *kind* of folder (``"C simulation project"``,
``"board flow output"``, ``"sweep output"``, ``"train-qat run"``, ...), a random token and a
*seal*: HMAC-SHA256 of kind and token under a key that only this user's fpgagan holds
(:func:`_marker_key`, a 0600 file in ``$FPGAGAN_STATE_DIR``, else ``$XDG_STATE_HOME/fpgagan``,
else ``~/.local/state/fpgagan``).  A folder is fpgagan's own for a command only when its marker
parses, its kind is the kind that command writes and its seal verifies.  So a marker written by
hand (``{"created_by": "fpgagan"}``), copied from another user or machine, or made by another
command never makes a folder deletable; such a folder is refused like any user folder.
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
import hashlib
import hmac
import json
import logging
import os
import secrets
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from fpgagan.errors import FolderError, InputError
from fpgagan.interrupts import signals_deferred
from fpgagan.io import check_name_length, current_umask

log = logging.getLogger(__name__)

MARKER = ".fpgagan-owned"
LOCK_SUFFIX = ".fpgagan-lock"
_LOCK_ATTEMPTS = 5


STATE_ENV = "FPGAGAN_STATE_DIR"
_KEY_FILE = "marker.key"
_MAX_MARKER_BYTES = 4096


def _state_dir() -> Path:
    if os.environ.get(STATE_ENV):
        return Path(os.environ[STATE_ENV])
    if os.environ.get("XDG_STATE_HOME"):
        return Path(os.environ["XDG_STATE_HOME"]) / "fpgagan"
    return Path.home() / ".local" / "state" / "fpgagan"


def _marker_key() -> bytes:
    """This user's marker key (made on first use: 32 random bytes, a 0600 file, created whole)."""
    folder = _state_dir()
    key_path = folder / _KEY_FILE
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        if not key_path.exists():
            tmp = folder / f".{_KEY_FILE}.{secrets.token_hex(8)}"
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(secrets.token_bytes(32))
            try:
                os.link(tmp, key_path)  # fails if another run made it meanwhile: use theirs
            except FileExistsError:
                pass
            finally:
                tmp.unlink()
        fd = os.open(key_path, os.O_RDONLY | os.O_NOFOLLOW)
        with os.fdopen(fd, "rb") as fh:
            st = os.fstat(fh.fileno())
            key = fh.read(64)
    except OSError as exc:
        raise FolderError(
            f"{key_path}: cannot make or read fpgagan's folder marker key ({exc.strerror}); "
            f"set {STATE_ENV} to a folder of yours"
        ) from None
    if st.st_uid != os.getuid() or st.st_mode & 0o077 or len(key) < 32:
        raise FolderError(
            f"{key_path}: fpgagan's marker key must be a 0600 file of yours of 32 bytes; "
            "remove it to make a new one"
        )
    return key


def _seal(kind: str, token: str) -> str:
    return hmac.new(_marker_key(), f"{kind}\0{token}".encode(), hashlib.sha256).hexdigest()


def marker_kind(path: str | os.PathLike[str]) -> str | None:
    """The kind recorded by a valid marker of ``path`` (a real folder, not a link), else None."""
    p = Path(path)
    marker = p / MARKER
    if p.is_symlink() or not p.is_dir() or marker.is_symlink() or not marker.is_file():
        return None
    try:
        if marker.stat().st_size > _MAX_MARKER_BYTES:
            return None
        record = json.loads(marker.read_text())
        kind, token, seal = record["kind"], record["token"], record["seal"]
    except (OSError, ValueError, TypeError, KeyError, UnicodeDecodeError):
        return None
    if record.get("created_by") != "fpgagan" or not all(
        isinstance(v, str) for v in (kind, token, seal)
    ):
        return None
    return kind if hmac.compare_digest(_seal(kind, token), seal) else None


def is_owned(path: str | os.PathLike[str], kind: str | None = None) -> bool:
    """Whether ``path`` is a real folder holding a valid marker (of ``kind`` when given)."""
    found = marker_kind(path)
    return found is not None and (kind is None or found == kind)


def write_marker(path: str | os.PathLike[str], what: str) -> None:
    """Mark ``path`` as a folder fpgagan made (``what`` says which kind), sealed (module doc)."""
    from fpgagan import __version__

    token = secrets.token_hex(16)
    record = {
        "created_by": "fpgagan",
        "kind": what,
        "what": what,
        "version": __version__,
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "token": token,
        "seal": _seal(what, token),
    }
    (Path(path) / MARKER).write_text(json.dumps(record, indent=2) + "\n")


def check_target(path: str | os.PathLike[str], what: str, kind: str | None = None) -> None:
    """Refuse ``path`` as a folder to (re)create unless it is absent, empty or fpgagan's own of
    ``kind`` (default: ``what``), the kind the command writing it records."""
    p = Path(path)
    kind = what if kind is None else kind
    try:
        check_name_length(p, what)
    except InputError as exc:
        raise FolderError(str(exc)) from None
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
    if is_owned(p, kind):
        return
    if any(p.iterdir()):
        found = marker_kind(p)
        if found is not None:
            why = f"its {MARKER} says {found}, not {kind}"
        elif (p / MARKER).exists() or (p / MARKER).is_symlink():
            why = f"its {MARKER} was not written by this user's fpgagan"
        else:
            why = f"no {MARKER}"
        raise FolderError(
            f"{p}: {what} holds files fpgagan did not make ({why}); give a new or empty folder"
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


def remove_owned(path: str | os.PathLike[str], kind: str | None = None) -> None:
    """Delete ``path`` if fpgagan made it (of ``kind`` when given; an empty folder goes too);
    refuse anything else."""
    p = Path(path)
    if not p.exists() and not p.is_symlink():
        return
    if is_owned(p, kind):
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
        try:
            fd = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
        except OSError as exc:  # a link planted in its place, a folder, no permission
            raise FolderError(
                f"{path}: cannot take its lock {lock.name} ({exc.strerror}); remove "
                f"{lock} if it is not a file fpgagan left, or give another folder"
            ) from None
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
        _remove_leftovers(target, what)
        partial = Path(tempfile.mkdtemp(prefix=f".{target.name}.partial-", dir=target.parent))
        try:
            os.chmod(partial, _mode_for(target))
            write_marker(partial, what)
            yield partial
        except BaseException:
            with signals_deferred():
                shutil.rmtree(partial, ignore_errors=True)
            raise
        with signals_deferred():
            _swap(partial, target, what)


def _mode_for(target: Path) -> int:
    """The permissions of the folder that will replace ``target``: the user's own folder's (an
    empty 0700 folder stays 0700), else what the umask gives a new folder."""
    try:
        return target.stat(follow_symlinks=False).st_mode & 0o7777
    except FileNotFoundError:
        return 0o777 & ~current_umask()


def claim_folder(path: str | os.PathLike[str], what: str) -> Path:
    """Make ``path`` (absent or empty) a marked folder of kind ``what``, or accept it when it
    already is one: for folders a command adds to run after run (``train-qat`` resumes in its
    run folder).  Anything else is refused (:func:`check_target`)."""
    p = Path(path)
    check_target(p, what)
    if is_owned(p, what):
        return p
    p.mkdir(parents=True, exist_ok=True)
    write_marker(p, what)
    return p


def _remove_leftovers(target: Path, kind: str) -> None:
    """Siblings a killed run (SIGKILL, power loss) left behind; ours to remove under the lock."""
    for pattern in (f".{target.name}.partial-*", f".{target.name}.old-*"):
        for stale in target.parent.glob(pattern):
            try:
                remove_owned(stale, kind)
            except (FolderError, OSError):
                log.warning("left %s in place (not removable as fpgagan's own)", stale)


def _swap(new: Path, target: Path, kind: str) -> None:
    """Rename ``new`` onto ``target``; the previous ``target`` is removed if fpgagan owned it."""
    if not target.exists():
        os.rename(new, target)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
    os.rename(target, old)  # onto the empty folder mkdtemp made
    os.rename(new, target)
    try:
        remove_owned(old, kind)
    except FolderError:  # a user file appeared in the empty folder meanwhile: keep it
        log.warning("kept %s (it gained files fpgagan did not make)", old)
