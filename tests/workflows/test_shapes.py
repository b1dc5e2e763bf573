"""Every shape family a user brings goes through the board flow (issue #22): a 4-D latent
(N, nz, 1, 1), RGB images, a non-square image, a [0, 1) output, and image-to-image models of
another size and channel count.  Each run is bit-exact against qonnx and against the integer
reference, says what it did not score and why, and draws its grid in the model's own colours
and range.  Shapes the flow cannot score are refused with one line (exit 2).

The models are the PyTorch-examples DCGAN and a small upscaler, built in Brevitas outside
fpgagan's registry (:mod:`fpgagan.models.outside`), at sizes that simulate in seconds.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from fpgagan.cli import main
from fpgagan.export import load_qonnx, save_qonnx
from fpgagan.images import to_uint8
from fpgagan.models import build_generator
from fpgagan.models.checkpoint import save_generator
from fpgagan.models.outside import (
    Dcgan,
    DcganShape,
    Upscaler,
    UpscalerShape,
    export,
    randomise,
)
from fpgagan.report.hls_report import HlsReport
from fpgagan.report.quality import METRIC_NAME
from fpgagan.sim import output_range
from fpgagan.workflows import hls_artefacts, hls_flow
from fpgagan.workflows.model_source import ModelSource, teacher_outputs
from tests.conftest import needs_fmnist
from tests.test_cli import _fails_cleanly

N = 4  # images per run
BOARD = "pynq-z2"
SCALE, PAD = 4, 2  # float_vs_fpga.png: upscaled 4x, 2-pixel borders (fpgagan.report.grids)


def _onnx(tmp_path: Path, name: str, model: torch.nn.Module) -> Path:
    path = tmp_path / f"{name}.onnx"
    save_qonnx(export(randomise(model)), path)
    return path


def _flow(model: Path, out: Path) -> HlsReport:
    return hls_flow.run_hls_flow(BOARD, out, model=str(model), n=N)


def _bit_exact(report: HlsReport, shape: tuple[int, ...]) -> None:
    """0 mismatches in both comparisons, over every element of the model's N images."""
    for ex in (report.bit_exact, report.bit_exact_independent):
        assert ex.mismatching_elements == 0 and ex.elements == N * math.prod(shape), ex


def _skipped(report: HlsReport) -> dict[str, str]:
    return {s.name: s.reason for s in report.skipped}


def _fid_skipped_for(report: HlsReport, out: Path, shape: tuple[int, ...]) -> None:
    """FID-FMNIST was skipped naming the model's image shape, and report.md says so."""
    made = "x".join(map(str, shape))
    assert report.quality is None
    assert made in _skipped(report)[METRIC_NAME]
    assert (
        f"- {METRIC_NAME}: its classifier reads 1x28x28 images, the model makes {made}"
        in (out / "report.md").read_text()
    )


def _grid(out: Path, shape: tuple[int, ...]) -> np.ndarray:
    """float_vs_fpga.png at its drawn size, checked against the image shape: N rows of three
    columns (left, FPGA, |difference|), each an image of the model's height and width."""
    picture = np.asarray(Image.open(out / "float_vs_fpga.png"))
    _, h, w = shape
    tile_w = w * (shape[0] if shape[0] not in (1, 3) else 1)
    assert picture.shape == (
        SCALE * (N * (h + PAD) + PAD),
        SCALE * (2 * (tile_w + 2 * PAD) + w + 2 * PAD),
        3,
    )
    return picture[::SCALE, ::SCALE]


def _images_part(picture: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """The two image columns of a grid (the heat map is colour whatever the images are)."""
    return picture[:, : 2 * (shape[-1] + 2 * PAD)]


@pytest.mark.csim
def test_a_4d_latent_through_the_cli_with_task_latent(tmp_path, capsys):
    model = _onnx(tmp_path, "dcgan4d", Dcgan(DcganShape(nz=8, ngf=4, channels=1, side=8)))
    shape = (1, 8, 8)
    out = tmp_path / "out"
    argv = ["hls", "--board", BOARD, "--model", str(model), "-n", str(N), "--task", "latent"]
    code = main([*argv, "--out", str(out)])
    printed = capsys.readouterr().out
    assert code == 0, printed
    assert f"C simulation vs qonnx on {N} latents: 0 mismatching elements" in printed
    assert f"not scored: {METRIC_NAME} (" in printed
    report = HlsReport.from_json(json.loads((out / "report.json").read_text()))
    _bit_exact(report, shape)
    _fid_skipped_for(report, out, shape)
    assert _skipped(report)[hls_artefacts.LAYER_TRACE] == hls_artefacts.NO_TEACHER
    # the latents were drawn in the model's own shape, and fed to the FPGA as drawn
    z = torch.randn(N, 8, 1, 1, generator=torch.Generator().manual_seed(hls_flow.LATENT_SEED))
    x_dat = np.loadtxt(out / "hls_project" / "tb_data" / hls_artefacts.TB_INPUT, ndmin=2)
    assert np.array_equal(x_dat.astype(np.float32), z.reshape(N, -1).numpy())
    assert np.load(out / "csim_images.npy").shape == (N, *shape)
    images = _images_part(_grid(out, shape), shape)
    assert (images[..., 0] == images[..., 1]).all() and (images[..., 1] == images[..., 2]).all()


@pytest.mark.csim
def test_rgb_images_are_exact_and_drawn_in_colour(tmp_path):
    model = _onnx(tmp_path, "rgb", Dcgan(DcganShape(nz=8, ngf=4, channels=3, side=8)))
    shape = (3, 8, 8)
    out = tmp_path / "out"
    report = _flow(model, out)
    _bit_exact(report, shape)
    _fid_skipped_for(report, out, shape)
    images = _images_part(_grid(out, shape), shape)
    assert Image.open(out / "float_vs_fpga.png").mode == "RGB"
    assert (images[..., 0] != images[..., 1]).any()  # colour, not grey repeated


@pytest.mark.csim
def test_a_flat_latent_viewed_as_4d_inside_the_model(tmp_path):
    """``z.view(-1, nz, 1, 1)`` inside the model: no Repack, no Transpose process, exact."""
    model = _onnx(tmp_path, "flat", Dcgan(DcganShape(nz=8, ngf=4, channels=3, side=8, flat=True)))
    out = tmp_path / "out"
    report = _flow(model, out)
    _bit_exact(report, (3, 8, 8))
    assert report.cost.stages == ()  # only the engine layers: the reshape costs nothing
    assert report.cost.layers[0].kernel == "FgLinear"  # the 1x1 transposed conv, a Dense head


@pytest.mark.csim
def test_a_non_square_image(tmp_path):
    model = _onnx(tmp_path, "tall", Dcgan(DcganShape(nz=8, ngf=4, channels=1, side=8, height=16)))
    shape = (1, 16, 8)
    out = tmp_path / "out"
    report = _flow(model, out)
    _bit_exact(report, shape)
    _fid_skipped_for(report, out, shape)
    assert np.load(out / "csim_images.npy").shape == (N, *shape)
    _grid(out, shape)


@pytest.mark.csim
def test_a_unit_range_output_is_drawn_in_its_own_range(tmp_path):
    model = _onnx(
        tmp_path, "unit", Dcgan(DcganShape(nz=8, ngf=4, channels=1, side=8, signed=False))
    )
    shape = (1, 8, 8)
    out = tmp_path / "out"
    report = _flow(model, out)
    _bit_exact(report, shape)
    lo, hi = output_range(load_qonnx(model))
    assert lo == 0.0 and hi == 1.0
    y = np.load(out / "csim_images.npy")
    assert y.min() >= lo and y.max() < hi
    # the FPGA column of the first row: 0 is black and 1 white, not mid grey and 3/4 grey
    picture = _grid(out, shape)
    x0 = shape[-1] + 2 * PAD + PAD
    drawn = picture[PAD : PAD + shape[1], x0 : x0 + shape[2], 0]
    assert np.array_equal(drawn, to_uint8(y[:1], (lo, hi))[0])
    assert not np.array_equal(drawn, to_uint8(y[:1])[0])


@needs_fmnist
@pytest.mark.csim
@pytest.mark.parametrize(
    ("task", "upscaler"),
    [
        ("sr2x", UpscalerShape(channels=3, side=8, width=4, factor=2)),
        ("inpaint", UpscalerShape(channels=3, side=12, width=4, factor=1)),
    ],
)
def test_image_to_image_of_another_size_and_colour(tmp_path, task, upscaler):
    model = _onnx(tmp_path, task, Upscaler(upscaler))
    side = upscaler.side * upscaler.factor
    shape = (upscaler.channels, side, side)
    out = tmp_path / "out"
    report = _flow(model, out)
    _bit_exact(report, shape)
    t = report.image_task
    assert t is not None and t.task == task and t.n_images == N
    by = {s.source: (s.psnr_db, s.ssim, s.patch_psnr_db) for s in t.scores}
    assert by["quantized (qonnx)"] == by["FPGA (C simulation)"]  # bit-exact outputs score alike
    assert (by["FPGA (C simulation)"][2] is not None) == (task == "inpaint")
    assert report.quality is None and "ground truth" in _skipped(report)[METRIC_NAME]
    grid = Image.open(out / "task_grid.png")
    # rows of input | FPGA | ground truth, each tile the output's size, drawn at 2x
    assert grid.mode == "RGB" and grid.size == (2 * (3 * (side + 2) + 2), 2 * (N * (side + 2) + 2))
    _grid(out, shape)


def test_shapes_the_flow_cannot_score_are_refused_with_one_line(tmp_path, capsys):
    x3 = _onnx(tmp_path, "x3", Upscaler(UpscalerShape(channels=1, side=8, width=2, factor=3)))
    out = tmp_path / "out"
    _fails_cleanly(
        capsys,
        ["hls", "--board", BOARD, "--model", str(x3), "--out", str(out)],
        f"{x3}: cannot tell the task of a model mapping [1, 1, 8, 8] -> [1, 1, 24, 24]: --task",
    )
    latent = _onnx(tmp_path, "latent", Dcgan(DcganShape(nz=8, ngf=4, channels=3, side=8)))
    _fails_cleanly(
        capsys,
        ["hls", "--board", BOARD, "--model", str(latent), "--task", "sr2x", "--out", str(out)],
        "task 'sr2x' does not fit its shapes [1, 8, 1, 1] -> [1, 3, 8, 8]",
    )
    # a float teacher of another shape: refused before any work, naming its file and both shapes
    torch.manual_seed(0)
    teacher = tmp_path / "teacher.pt"
    save_generator(teacher, build_generator("dcgan-tiny").eval(), "dcgan-tiny")
    _fails_cleanly(
        capsys,
        ["hls", "--board", BOARD, "--model", str(latent), "--teacher", str(teacher)]
        + ["--out", str(out)],
        f"{teacher}: the float teacher makes images [1, 28, 28], the model [3, 8, 8]",
    )
    assert not out.exists()


def test_a_teacher_reads_a_4d_latent_as_its_own():
    """The same numbers in the same order: (N, nz, 1, 1) latents give the teacher's images of
    (N, nz) ones."""
    torch.manual_seed(0)
    src = ModelSource(None, "test", teacher=build_generator("dcgan-tiny").eval())
    z = torch.randn(3, 8).numpy()
    assert np.array_equal(teacher_outputs(src, z.reshape(3, 8, 1, 1)), teacher_outputs(src, z))
