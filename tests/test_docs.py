"""docs/: the board pages match boards/*.yaml, the phase-decomposition figure's tap tables are
the transposed convolution that fpgagan's reference and HLS kernel compute, and
docs/architecture.md and its figure describe every package in the order tests/test_layering.py
enforces."""

from __future__ import annotations

import importlib.util
import itertools
import math
import re
from pathlib import Path

import numpy as np
import pytest

from fpgagan.export.ops.conv_transpose import conv_transpose_nhwc
from fpgagan.geometry import multiplications
from tests import test_layering as layering
from tools import make_board_docs


def _phase_figure(repo):
    path = repo / "docs" / "figures" / "make_phase_figure.py"
    spec = importlib.util.spec_from_file_location("make_phase_figure", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_board_pages_are_up_to_date():
    pages = make_board_docs.render_all()
    assert make_board_docs.stale(pages) == [], "run: .venv/bin/python tools/make_board_docs.py"
    assert {p.stem for p in pages} == {b.name for _, b in make_board_docs.boards()} | {"README"}


def test_board_pages_state_every_yaml_figure():
    for path, board in make_board_docs.boards():
        page = make_board_docs.render_board(path, board)
        r = board.resources
        for value in (r.lut, r.ff, r.dsp, r.bram_18k):
            assert f"{value:,}" in page, (board.name, value)
        assert board.part in page and board.source in page and board.backend in page
        assert f"make hls BOARD={board.name}" in page


GEOMETRIES = [(4, 4, 2, 1), (7, 4, 2, 1), (5, 3, 2, 0), (3, 5, 3, 2), (6, 4, 1, 1)]


@pytest.mark.parametrize("n_in, kernel, stride, pad", GEOMETRIES)
def test_figure_tap_tables_are_the_transposed_convolution(repo, n_in, kernel, stride, pad):
    fig = _phase_figure(repo)
    n_out = fig.n_out(n_in, kernel, stride, pad)
    phases = fig.phase_taps(n_in, kernel, stride, pad)
    # (b) is the scatter definition: input i, tap k lands on output i*stride + k - pad
    scatter = {
        (i * stride + k - pad, i): k
        for i, k in itertools.product(range(n_in), range(kernel))
        if 0 <= i * stride + k - pad < n_out
    }
    assert phases == scatter
    # (a) holds the same products with real inputs, the rest multiply zeros
    zero_insertion = fig.zero_insertion_taps(n_in, kernel, stride, pad)
    real = {
        (o, t // stride): k
        for (o, t), k in zero_insertion.items()
        if 0 <= t <= stride * (n_in - 1) and t % stride == 0
    }
    assert real == phases and len(zero_insertion) == n_out * kernel
    # the count is fpgagan's multiplication count, and the 1-D convolution is the reference's
    assert len(phases) == multiplications(
        n_in, 1, 1, 1, kernel, 1, stride, 1, (pad, 0, pad, 0), n_out, 1
    )
    rng = np.random.default_rng(0)
    x = rng.integers(-8, 8, n_in).astype(np.float32)
    w = rng.integers(-8, 8, kernel).astype(np.float32)
    y = np.zeros(n_out)
    for (o, i), k in phases.items():
        y[o] += x[i] * w[k]
    ref = conv_transpose_nhwc(
        x.reshape(1, n_in, 1, 1), w.reshape(1, 1, kernel, 1), None, (stride, 1), (pad, 0, pad, 0)
    )
    np.testing.assert_array_equal(y, ref.reshape(-1))
    assert max(sum(1 for (o, _) in phases if o == oo) for oo in range(n_out)) <= math.ceil(
        kernel / stride
    )


def test_figure_is_written(repo, tmp_path):
    out = _phase_figure(repo).make_figure(tmp_path / "phases.png")
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    committed = repo / "docs" / "figures" / "conv_transpose_phases.png"
    assert committed.stat().st_size < 200_000


# --------------------------------------------------------------------------- docs/architecture.md

_PATH_IN_HEADING = re.compile(r"`(fpgagan/[A-Za-z0-9_/]*?(?:/|\.py))`")


def _architecture_headings(repo) -> list[list[str]]:
    """The ``fpgagan/...`` paths each heading of docs/architecture.md names, in order."""
    text = (repo / "docs" / "architecture.md").read_text()
    return [_PATH_IN_HEADING.findall(line) for line in text.splitlines() if line.startswith("#")]


def _architecture_figure(repo):
    path = repo / "docs" / "figures" / "make_architecture_figure.py"
    spec = importlib.util.spec_from_file_location("make_architecture_figure", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_architecture_describes_every_package_and_module(repo):
    named = {p for paths in _architecture_headings(repo) for p in paths}
    package = repo / "fpgagan"
    expected = {f"fpgagan/{p.name}" for p in package.glob("*.py")} | {
        f"fpgagan/{p.parent.relative_to(package)}/"
        for p in package.rglob("__init__.py")
        if p.parent != package
    }
    assert sorted(expected - named) == [], "add a heading to docs/architecture.md"
    assert sorted(p for p in named if not (repo / p).exists()) == [], "named but not in fpgagan/"


def test_architecture_follows_the_stage_order(repo):
    stage_of_path = {f"fpgagan/{s}/": s for s in layering.STAGES} | {"fpgagan/cli.py": "cli"}
    described = [stage_of_path[p] for paths in _architecture_headings(repo) for p in paths
                 if p in stage_of_path]  # fmt: skip
    assert described == list(layering.STAGES)
    text = (repo / "docs" / "architecture.md").read_text()
    assert " -> ".join(layering.STAGES) in text
    assert tuple(_architecture_figure(repo).STAGES) == layering.STAGES


def test_architecture_figure_is_written_without_overlaps(repo, tmp_path):
    fig = _architecture_figure(repo)
    drawn = fig.draw()
    try:
        assert fig.overlaps(drawn) == []
    finally:
        fig.plt.close(drawn)
    out = fig.make_figure(tmp_path / "architecture.png")
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    committed = repo / "docs" / "figures" / "architecture.png"
    assert 0 < committed.stat().st_size < 250_000
    assert "figures/architecture.png" in (repo / "docs" / "architecture.md").read_text()


# ------------------------------------------- docs/architecture.md: every name it gives exists

_HEADERS = re.compile(r"`(nnet_[A-Za-z0-9_]+\.h)`")
_FILES = re.compile(r"`([A-Za-z0-9_/.]+\.py)`")
_COMMANDS = re.compile(r"`fpgagan ([a-z][a-z0-9-]*)")


def _sections(repo) -> list[tuple[list[str], str]]:
    """(the ``fpgagan/...`` paths a heading names, the text under it) for each heading."""
    text = (repo / "docs" / "architecture.md").read_text()
    parts = re.split(r"^(#+ .*)$", text, flags=re.M)
    return [
        (_PATH_IN_HEADING.findall(heading), body)
        for heading, body in zip(parts[1::2], parts[2::2], strict=True)
    ]


def _resolve(repo, name: str, packages: list[str]):
    """Where a file the doc names is: in the section's package, in fpgagan/, or in the repo."""
    ancestors = [str(Path(p).parents[i]) + "/" for p in packages for i in range(len(Path(p).parts))]
    for base in [*packages, *ancestors, ""]:
        if (repo / base / name).is_file():
            return repo / base / name
    return None


def test_architecture_names_only_files_that_exist(repo):
    missing = []
    for packages, body in _sections(repo):
        folders = [p for p in packages if p.endswith("/")]
        missing += [n for n in _FILES.findall(body) if _resolve(repo, n, folders) is None]
    assert missing == [], "named in docs/architecture.md but not in the repository"


def test_architecture_names_every_module_in_its_package_paragraph(repo):
    """Each package's paragraph names each of its modules (``name.py`` or ``name``)."""
    unnamed = []
    for packages, body in _sections(repo):
        for package in (p for p in packages if p.endswith("/")):
            for path in sorted((repo / package).glob("*.py")):
                if path.stem != "__init__" and not re.search(rf"`[^`]*\b{path.stem}\b", body):
                    unnamed.append(f"{package}{path.name}")
    assert unnamed == [], "add them to their package's paragraph in docs/architecture.md"


def test_architecture_names_every_header_and_only_real_ones(repo):
    text = (repo / "docs" / "architecture.md").read_text()
    named = set(_HEADERS.findall(text))
    shipped = {p.name for p in (repo / "hls_templates" / "nnet_utils").glob("*.h")}
    assert named == shipped


def test_architecture_names_the_cli_commands(repo):
    """Every ``fpgagan <command>`` the doc gives is one, and the cli paragraph lists them all."""
    from fpgagan.cli import build_parser

    [sub] = [a for a in build_parser()._actions if a.dest == "command"]
    commands = set(sub.choices)
    text = (repo / "docs" / "architecture.md").read_text()
    assert set(_COMMANDS.findall(text)) <= commands
    [cli] = [body for packages, body in _sections(repo) if packages == ["fpgagan/cli.py"]]
    listed = re.search(r"The `fpgagan` command \(([^)]*)\)", cli)
    assert listed is not None and set(re.findall(r"`([a-z-]+)`", listed.group(1))) == commands
