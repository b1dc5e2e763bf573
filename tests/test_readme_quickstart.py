"""The README's quick start: tools/run_readme_blocks.py finds exactly the documented commands,
each is a Makefile target, and the runner runs them in a clean clone and reports failures.

Running the real commands (``make hls`` takes minutes) is CI's job:
``python3 tools/run_readme_blocks.py --skip "make test"``.
"""

from __future__ import annotations

import shlex
import shutil
import subprocess

import pytest

from tools.run_readme_blocks import ReadmeError, extract_commands, main, select

DOCUMENTED = ["make hls BOARD=pynq-z2", "make test"]

needs_make = pytest.mark.skipif(shutil.which("make") is None, reason="make not installed")
needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git not installed")


def test_the_quick_start_commands_are_the_documented_ones(repo):
    commands = extract_commands((repo / "README.md").read_text())
    assert [c.text for c in commands] == DOCUMENTED
    assert all(c.section == "Two commands" for c in commands)
    lines = (repo / "README.md").read_text().splitlines()
    for c in commands:
        assert lines[c.line - 1].startswith(c.text)


@needs_make
@pytest.mark.parametrize("command", DOCUMENTED)
def test_every_quick_start_command_is_a_makefile_target(repo, command):
    words = shlex.split(command)
    assert words[0] == "make"
    dry = subprocess.run(
        ["make", "-n", *words[1:]], cwd=repo, capture_output=True, text=True, timeout=60
    )
    assert dry.returncode == 0, dry.stderr
    assert "No rule to make target" not in dry.stderr
    if words[1] == "hls":  # the variable reaches the command line
        assert "-m fpgagan hls --board pynq-z2" in dry.stdout


SAMPLE = """# demo

## Two commands

```bash
echo one   # a comment
echo 'a # inside quotes' \\
    two

test -f README.md
```

```
not run: a plain block
```

## Elsewhere

```bash
echo not quick start
```
"""


def test_extraction_drops_comments_joins_continuations_and_skips_plain_blocks():
    commands = extract_commands(SAMPLE)
    assert [c.text for c in commands] == [
        "echo one",
        "echo 'a # inside quotes' two",
        "test -f README.md",
    ]
    assert [c.line for c in commands] == [6, 7, 10]
    assert [c.text for c in extract_commands(SAMPLE, ("Elsewhere",))] == ["echo not quick start"]


def test_extraction_and_skip_errors():
    with pytest.raises(ReadmeError, match="no section '## Missing'"):
        extract_commands(SAMPLE, ("Missing",))
    with pytest.raises(ReadmeError, match="no ```bash commands"):
        extract_commands("## Two commands\n\ntext only\n")
    commands = extract_commands(SAMPLE)
    assert [c.text for c in select(commands, ["echo  one"])] == [c.text for c in commands[1:]]
    with pytest.raises(ReadmeError, match="is not a README command"):
        select(commands, ["make tset"])


def _git_repo(path, readme: str):
    path.mkdir()
    (path / "README.md").write_text(readme)
    (path / "untracked.txt").write_text("not committed\n")
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-c", "commit.gpgsign=false"]
    subprocess.run([*git, "init", "-q"], cwd=path, check=True)
    subprocess.run([*git, "add", "README.md"], cwd=path, check=True)
    subprocess.run([*git, "commit", "-qm", "readme"], cwd=path, check=True)
    return path


@needs_git
def test_runner_runs_in_a_clean_clone_and_names_the_failing_command(tmp_path, capsys):
    ok = _git_repo(
        tmp_path / "ok",
        "## Two commands\n\n```bash\ntest -f README.md\ntest ! -e untracked.txt\n```\n",
    )
    assert main(["--repo", str(ok)]) == 0
    assert "2 command(s) passed, 0 skipped" in capsys.readouterr().out

    bad = _git_repo(
        tmp_path / "bad",
        "## Two commands\n\n```bash\ntrue\nexit 3   # fails\nmake test\n```\n",
    )
    assert main(["--repo", str(bad), "--skip", "make test"]) == 3
    out = capsys.readouterr().out
    assert "README command failed: `exit 3` (README line 5" in out and "exited 3" in out
    assert main(["--repo", str(bad), "--skip", "make tset"]) == 2
