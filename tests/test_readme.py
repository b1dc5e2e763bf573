"""The README's command reference is checked against the CLI itself, so neither can drift."""

from __future__ import annotations

import argparse
import re

from fpgagan.cli import build_parser


def _subcommands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def test_every_command_and_option_is_documented(repo):
    readme = (repo / "README.md").read_text()
    reference = readme[readme.index("## Command line") :]
    for name, sub in _subcommands().items():
        line = next(
            (ln for ln in reference.splitlines() if ln.startswith(f"fpgagan {name} ")), None
        )
        assert line is not None, f"README lacks `fpgagan {name}`"
        block = reference[reference.index(line) :].split("\nfpgagan ")[0]
        for action in sub._actions:
            options = [o for o in action.option_strings if o not in ("-h", "--help")]
            if options:
                assert any(re.search(rf"{re.escape(o)}\b", block) for o in options), (
                    f"README: `fpgagan {name}` lacks {options[-1]}"
                )


def test_readme_names_no_command_that_does_not_exist(repo):
    readme = (repo / "README.md").read_text()
    named = set(re.findall(r"^fpgagan ([a-z-]+)", readme, flags=re.M))
    assert named <= set(_subcommands()), named - set(_subcommands())


def test_the_two_commands_come_first(repo):
    readme = (repo / "README.md").read_text()
    first_block = readme.split("```bash", 1)[1].split("```", 1)[0]
    assert "make hls BOARD=pynq-z2" in first_block and "make test" in first_block
