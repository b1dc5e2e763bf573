"""An RGB 2x super-resolution model through the board flow is fed the held-out photographs
(crops at its output size, their bicubic-downsampled twins as inputs) and is bit-exact."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from fpgagan.config import Precision
from fpgagan.data.photos import make_lr, photo_crops
from fpgagan.data.tasks import bicubic_upsample
from fpgagan.errors import ExportError
from fpgagan.export import save_qonnx, to_qonnx
from fpgagan.models.espcn import Espcn, EspcnSpec
from fpgagan.report.image_metrics import psnr
from fpgagan.workflows.hls_flow import run_hls_flow
from fpgagan.workflows.hls_image_task import image_source, task_pairs

pytest.importorskip("skimage")
SPEC = EspcnSpec(widths=(6, 6), kernels=((3, 1), (1, 3), (3, 3)), in_height=8, in_width=12)
N = 6  # one more than the held-out photographs: the sixth is another crop of the first


def test_rgb_sr2x_models_are_fed_photographs_unless_told_otherwise():
    assert image_source("auto", "sr2x", (3, 16, 16)) == "photos"
    assert image_source("auto", "sr2x", (1, 28, 28)) == "fashion-mnist"
    assert image_source("auto", "inpaint", (3, 16, 16)) == "fashion-mnist"
    assert image_source("fashion-mnist", "sr2x", (3, 16, 16)) == "fashion-mnist"
    with pytest.raises(ExportError, match="RGB 2x super-resolution"):
        task_pairs("inpaint", 2, None, (3, 16, 16), images="photos")


@pytest.mark.csim
def test_photographs_through_the_board_flow_are_bit_exact(tmp_path):
    torch.manual_seed(0)
    model = Espcn(SPEC, Precision(weight_bits=4, act_bits=8, input_range=1.0)).init_nearest()
    model.train()
    for _ in range(3):
        model(torch.rand(2, 3, 8, 12) * 2 - 1)
    path = tmp_path / "espcn.onnx"
    save_qonnx(to_qonnx(model.eval()), path)
    report = run_hls_flow("pynq-z2", tmp_path / "out", model=str(path), n=N)
    assert report.bit_exact.mismatching_elements == 0
    assert report.bit_exact_independent.mismatching_elements == 0
    assert report.bit_exact.elements == N * 3 * 16 * 24
    t = report.image_task
    assert t is not None and t.task == "sr2x" and t.n_images == N
    targets = torch.stack([c for _, c in photo_crops(N, 16, 24)])
    expected = psnr(bicubic_upsample(make_lr(targets)).numpy(), targets.numpy())
    by = {s.source: s.psnr_db for s in t.scores}
    assert by["baseline: bicubic"] == pytest.approx(expected, abs=1e-9)
    y = np.load(tmp_path / "out" / "csim_images.npy")
    assert y.shape == (N, 3, 16, 24)
