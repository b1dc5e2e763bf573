"""Run the README's quick-start commands in a fresh clone, so the README cannot rot.

    python3 tools/run_readme_blocks.py                    # every command, in a clean clone of HEAD
    python3 tools/run_readme_blocks.py --skip "make test" # what CI runs after its own `make test`
    python3 tools/run_readme_blocks.py --list             # print the commands, run nothing

The commands are the lines of the ```bash blocks under the README's quick-start headings
(``## Two commands`` unless ``--section`` says otherwise); comments are dropped, a trailing
backslash continues a line.  Each command runs with bash (``-euo pipefail``) in the root of a
``git clone`` of the repository (committed files only, no .venv, no runs/), one after the other;
the first that fails stops the run, naming the command, its README line and its exit code.
Only the standard library is used, so this runs before any virtualenv exists.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
QUICK_START = ("Two commands",)


class ReadmeError(Exception):
    """The README or the options do not give a runnable list of commands."""


@dataclasses.dataclass(frozen=True)
class Command:
    text: str  # the command as bash runs it, comments removed
    section: str
    line: int  # README line where the command starts (1-based)


def _sections(readme: str) -> dict[str, tuple[int, list[str]]]:
    """``## heading`` -> (line number of its first body line, body lines)."""
    out: dict[str, tuple[int, list[str]]] = {}
    name, start, body = None, 0, []
    for number, line in enumerate(readme.splitlines(), start=1):
        if line.startswith("## "):
            if name is not None:
                out[name] = (start, body)
            name, start, body = line[3:].strip(), number + 1, []
        elif name is not None:
            body.append(line)
    if name is not None:
        out[name] = (start, body)
    return out


def _strip_comment(line: str) -> str:
    """The line without its shell comment (a ``#`` that starts a word outside quotes)."""
    quote = None
    for i, ch in enumerate(line):
        if quote:
            quote = None if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch == "#" and (i == 0 or line[i - 1].isspace()):
            return line[:i].rstrip()
    return line.rstrip()


def extract_commands(readme: str, sections: tuple[str, ...] = QUICK_START) -> list[Command]:
    """The commands of the ```bash blocks under ``sections`` (in README order)."""
    found = _sections(readme)
    missing = [s for s in sections if s not in found]
    if missing:
        raise ReadmeError(f"README has no section '## {missing[0]}'")
    commands: list[Command] = []
    for name in sections:
        start, body = found[name]
        fence, bash, pending, pending_line = False, False, "", 0
        for number, raw in enumerate(body, start=start):
            if raw.startswith("```"):
                if fence and pending:
                    raise ReadmeError(f"README line {pending_line}: continued line never ends")
                fence, bash = not fence, (not fence and raw.strip() == "```bash")
                continue
            if not bash:
                continue
            text = _strip_comment(raw).strip()
            if not text and not pending:
                continue
            if not pending:
                pending_line = number
            if text.endswith("\\"):
                pending += text[:-1].strip() + " "
                continue
            commands.append(Command((pending + text).strip(), name, pending_line))
            pending = ""
    if not commands:
        raise ReadmeError(f"no ```bash commands under {', '.join('## ' + s for s in sections)}")
    return commands


def _clean_env() -> dict[str, str]:
    """This environment without the caller's virtualenv (the clone must make its own)."""
    env = dict(os.environ)
    venv = env.pop("VIRTUAL_ENV", None)
    if venv:
        bin_dir = str(Path(venv) / "bin")
        env["PATH"] = os.pathsep.join(
            p for p in env.get("PATH", "").split(os.pathsep) if p != bin_dir
        )
    env.pop("PYTHONHOME", None)
    return env


def clone(repo: Path, dest: Path) -> str:
    """``git clone`` ``repo`` into ``dest``; returns the commit checked out."""
    subprocess.run(["git", "clone", "--quiet", str(repo), str(dest)], check=True)
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=dest, check=True, capture_output=True, text=True
    )
    return head.stdout.strip()


def run_commands(commands: list[Command], workdir: Path, timeout: float | None = None) -> int:
    """Run ``commands`` in ``workdir``; 0 when all exit 0, else the failing command's exit code."""
    env = _clean_env()
    for cmd in commands:
        print(f"$ {cmd.text}    (README line {cmd.line})", flush=True)
        t0 = time.perf_counter()
        try:
            proc = subprocess.run(
                ["bash", "-euo", "pipefail", "-c", cmd.text], cwd=workdir, env=env, timeout=timeout
            )
            code = proc.returncode
        except subprocess.TimeoutExpired:
            code = 124
        elapsed = time.perf_counter() - t0
        if code != 0:
            print(
                f"README command failed: `{cmd.text}` (README line {cmd.line}, section "
                f"'{cmd.section}') exited {code} after {elapsed:.0f} s in {workdir}",
                flush=True,
            )
            return code
        print(f"ok: `{cmd.text}` in {elapsed:.0f} s", flush=True)
    return 0


def _key(command: str) -> str:
    return " ".join(shlex.split(command))


def select(commands: list[Command], skip: list[str]) -> list[Command]:
    """``commands`` less those named in ``skip`` (each must name one of them)."""
    known = {_key(c.text) for c in commands}
    for name in skip:
        if _key(name) not in known:
            raise ReadmeError(
                f"--skip {name!r} is not a README command (commands: "
                + "; ".join(c.text for c in commands)
                + ")"
            )
    skipped = {_key(s) for s in skip}
    return [c for c in commands if _key(c.text) not in skipped]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--repo", type=Path, default=REPO, help="repository to clone (default: this one)"
    )
    ap.add_argument("--readme", default="README.md", help="README path inside the repository")
    ap.add_argument(
        "--section",
        action="append",
        help="README '## ' heading whose bash blocks to run (repeatable; default: Two commands)",
    )
    ap.add_argument("--skip", action="append", default=[], help="a command not to run (repeatable)")
    ap.add_argument("--list", action="store_true", help="print the commands and exit")
    ap.add_argument("--keep", action="store_true", help="keep the clone")
    ap.add_argument("--timeout", type=float, default=None, help="seconds allowed per command")
    args = ap.parse_args(argv)
    sections = tuple(args.section) if args.section else QUICK_START
    try:
        commands = extract_commands((args.repo / args.readme).read_text(), sections)
        todo = select(commands, args.skip)
    except (ReadmeError, OSError, ValueError) as exc:
        print(f"run_readme_blocks: {exc}", file=sys.stderr)
        return 2
    if args.list:
        for c in commands:
            print(c.text)
        return 0
    tmp = Path(tempfile.mkdtemp(prefix="fpgagan-readme-"))
    checkout = tmp / "checkout"
    t0 = time.perf_counter()
    try:
        commit = clone(args.repo, checkout)
        print(f"clean clone of {args.repo} at {commit[:12]} in {checkout}", flush=True)
        code = run_commands(todo, checkout, args.timeout)
    finally:
        if args.keep:
            print(f"kept {checkout}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    if code == 0:
        skipped = len(commands) - len(todo)
        print(
            f"README quick start: {len(todo)} command(s) passed, {skipped} skipped, "
            f"in {time.perf_counter() - t0:.0f} s"
        )
    return code


if __name__ == "__main__":
    sys.exit(main())
