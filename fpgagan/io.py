"""Atomic file writes and provenance records shared by every stage that writes an artefact."""

from __future__ import annotations

import contextlib
import json
import os
import platform
import stat
import subprocess
import tempfile
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path
from typing import Any

from fpgagan.errors import FpgaganError, InputError
from fpgagan.limits import MAX_NAME_CHARS

_TRACKED_PACKAGES = ("torch", "brevitas", "qonnx", "hls4ml", "onnx", "onnxruntime", "numpy")


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` only if the block succeeds.

    A failure (or Ctrl-C) inside the block removes the temporary file, so nothing that looks
    complete is ever left half-written.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.fchmod(fd, 0o666 & ~current_umask())  # mkstemp's 0600 would outlive the rename
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.replace(tmp_path, target)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def current_umask() -> int:
    """The process's umask (``os.umask`` can only read it by setting it, so it is set back)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask


def check_output_file(path: str | os.PathLike[str], what: str = "output file") -> None:
    """Refuse ``path`` as a file to write before any work: a folder, or a place we cannot write.

    Folders missing above it are fine (they are created); the nearest existing one must be a
    folder we may write in.
    """
    p = Path(path)
    if p.is_dir():
        raise InputError(f"{p}: {what} is a folder; give a file name")
    if p.name in ("", ".", ".."):
        raise InputError(f"{p}: {what} has no file name")
    check_name_length(p, what)
    parent = p.absolute().parent
    while not parent.exists() and not parent.is_symlink():
        parent = parent.parent
    if not parent.is_dir():
        raise InputError(f"{p}: {what} cannot be written, {parent} is not a folder")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise InputError(f"{p}: {what} cannot be written, no permission in {parent}")


def check_regular_file(
    path: str | os.PathLike[str], what: str, max_bytes: int, error: type[FpgaganError] = InputError
) -> int:
    """Refuse ``path`` unless it is a regular file of at most ``max_bytes``; its size.

    Checked with ``stat`` (which never blocks), so a FIFO, a device (``/dev/zero``), a folder or a
    socket is refused before anything opens it.
    """
    p = Path(path)
    try:
        st = p.stat()
    except FileNotFoundError:
        raise error(f"{p}: {what} not found") from None
    except OSError as exc:
        raise error(f"{p}: cannot read the {what} ({exc.strerror})") from None
    if stat.S_ISDIR(st.st_mode):
        raise error(f"{p}: {what} not found (a folder is there)")
    if not stat.S_ISREG(st.st_mode):
        raise error(f"{p}: {what} is not a regular file (a device, pipe or socket)")
    if st.st_size > max_bytes:
        raise error(
            f"{p}: {what} is {st.st_size:,} bytes, more than the limit of {max_bytes:,} "
            "(fpgagan.limits)"
        )
    return st.st_size


def read_limited(
    path: str | os.PathLike[str], what: str, max_bytes: int, error: type[FpgaganError] = InputError
) -> bytes:
    """The bytes of ``path`` if it is a regular file of at most ``max_bytes`` (see
    :func:`check_regular_file`); opened without blocking and read no further than the limit, so
    a file swapped or grown after the check is refused too."""
    check_regular_file(path, what, max_bytes, error)
    p = Path(path)
    try:
        fd = os.open(p, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
        with os.fdopen(fd, "rb") as fh:
            if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
                raise error(f"{p}: {what} is not a regular file")
            data = fh.read(max_bytes + 1)
    except OSError as exc:
        raise error(f"{p}: cannot read the {what} ({exc.strerror})") from None
    if len(data) > max_bytes:
        raise error(f"{p}: {what} is more than the limit of {max_bytes:,} bytes (fpgagan.limits)")
    return data


def check_name_length(path: str | os.PathLike[str], what: str) -> None:
    """Refuse a file or folder name fpgagan could not put its temporary siblings beside."""
    name = Path(path).name
    if len(name.encode(errors="surrogateescape")) > MAX_NAME_CHARS:
        raise InputError(
            f"{path}: {what} name is longer than {MAX_NAME_CHARS} bytes (fpgagan writes "
            "temporary files beside it); give a shorter name"
        )


def same_path(a: str | os.PathLike[str], b: str | os.PathLike[str]) -> bool:
    """Whether ``a`` and ``b`` name the same file (after links, or as one inode)."""
    pa, pb = Path(a), Path(b)
    try:
        if pa.resolve() == pb.resolve():
            return True
        return pa.exists() and pb.exists() and os.path.samefile(pa, pb)
    except (OSError, RuntimeError):
        return False


def check_not_input(output: str | os.PathLike[str], what: str, inputs: dict[str, object]) -> None:
    """Refuse ``output`` when it is one of the ``inputs`` (option name -> path, or None) or lies
    inside one (an input folder): writing it would destroy what the run reads."""
    out = Path(output)
    for option, path in inputs.items():
        if path is None:
            continue
        src = Path(str(path))
        inside = False
        with contextlib.suppress(OSError, RuntimeError):
            inside = src.resolve() in out.resolve().parents
        if same_path(out, src) or inside:
            raise InputError(f"{output}: {what} would overwrite {option} {path}; give another path")


def write_text_atomic(path: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` to ``path`` atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(text)


def _jsonable(obj: Any) -> Any:
    """numpy scalars/arrays and paths, as JSON sees them."""
    if hasattr(obj, "tolist"):
        return obj.tolist()
    if isinstance(obj, os.PathLike):
        return os.fspath(obj)
    raise TypeError(f"Object of type {type(obj).__name__} is not JSON serializable")


def write_json_atomic(path: str | os.PathLike[str], obj: Any) -> None:
    """Write ``obj`` as indented JSON to ``path`` atomically."""
    write_text_atomic(path, json.dumps(obj, indent=2, sort_keys=False, default=_jsonable) + "\n")


def git_commit(cwd: str | os.PathLike[str] | None = None) -> str | None:
    """Return the current git commit of the source tree (``+dirty`` if modified), or None."""
    where = Path(cwd) if cwd is not None else Path(__file__).resolve().parent
    try:
        sha = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=where, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            # --no-optional-locks: reading the status must not take .git/index.lock from a user
            ["git", "--no-optional-locks", "status", "--porcelain", "--untracked-files=no"],
            cwd=where,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None
    return sha + ("+dirty" if dirty else "")


def provenance() -> dict[str, Any]:
    """Versions of the tool chain and the git commit, recorded in every artefact we write."""
    versions: dict[str, str | None] = {}
    for pkg in ("fpgagan", *_TRACKED_PACKAGES):
        try:
            versions[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            versions[pkg] = None
    return {"versions": versions, "git_commit": git_commit(), "python": platform.python_version()}
