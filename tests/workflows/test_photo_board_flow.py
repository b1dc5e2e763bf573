"""An RGB 2x super-resolution model through the board flow is fed the held-out photographs
(crops at its output size, their bicubic-downsampled twins as inputs), is bit-exact, and its
report scores every photograph as the literature does and gives frames/s at video sizes."""

from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from fpgagan.boards import get_board
from fpgagan.config import Precision
from fpgagan.data.photos import crop_names, make_lr, photo_crops
from fpgagan.data.tasks import TaskPairs, bicubic_upsample
from fpgagan.errors import ExportError
from fpgagan.export import save_qonnx, to_qonnx
from fpgagan.models.espcn import Espcn, EspcnSpec
from fpgagan.report.hls_report import HlsReport, Skipped
from fpgagan.report.image_metrics import psnr
from fpgagan.report.sr_metrics import sr_score
from fpgagan.workflows import hls_flow, hls_photo_sr
from fpgagan.workflows.hls_flow import HlsFlowConfig, run_hls_flow
from fpgagan.workflows.hls_image_task import image_source, task_pairs
from fpgagan.workflows.hls_photo_sr import FRAMES

pytest.importorskip("skimage")
SPEC = EspcnSpec(
    widths=(6, 6), kernels=((3, 1), (1, 3), (3, 3)), in_height=8, in_width=12, residual="nearest"
)
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
    for conv in model.convs:  # detail on top of the residual's nearest-neighbour image
        torch.nn.init.normal_(conv.weight, 0.0, 0.2)
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
    # the photographs' section: every crop scored from the C simulation's images
    p = report.photo_sr
    assert p is not None and (p.scale, p.height, p.width) == (2, 16, 24)
    assert [s.photo for s in p.photos] == crop_names(N)
    for i, s in enumerate(p.photos):
        assert s.fpga == sr_score(y[i], targets[i].numpy(), 2)
        assert s.float_teacher is None  # no teacher given
    assert (tmp_path / "out" / "sr_crops.png").is_file()
    # frames/s: this plan at 24x16, then plans of the same model at 1280x720 and 1920x1080
    own, hd, full_hd = p.frames
    assert [f.label for f in p.frames] == ["24x16", "1280x720", "1920x1080"]
    assert own.interval_cycles == report.cost.interval_cycles and own.same_layers is None
    assert hd.same_layers is not None and full_hd.frames_per_s < hd.frames_per_s
    assert own.frames_per_s == pytest.approx(own.clock_mhz * 1e6 / own.interval_cycles)
    text = (tmp_path / "out" / "report.md").read_text()
    assert "## Photographs: x2 super-resolution (6 crops of 24x16" in text
    assert "## Frames per second (pynq-z2, 100 MHz)" in text and "| 1920x1080 | 960x540 |" in text
    back = HlsReport.from_json(json.loads((tmp_path / "out" / "report.json").read_text()))
    assert back.photo_sr == p


def test_a_model_that_cannot_be_resized_is_scored_and_its_frame_rates_skipped(
    tmp_path, monkeypatch
):
    def refuse(*args, **kwargs):
        raise ExportError("m.onnx: node Reshape_0 depends on the frame's size")

    monkeypatch.setattr(hls_flow, "flow_frame_rates", refuse)
    targets = torch.stack([c for _, c in photo_crops(2, 16, 24)])
    pairs = TaskPairs(make_lr(targets), targets)
    src = SimpleNamespace(qonnx=None, description="m.onnx")
    st = hls_flow.FlowState(
        get_board("pynq-z2"), HlsFlowConfig(), src, tmp_path, tmp_path, 2, None, "sr2x"
    )
    st.pairs, st.plan, st.step_s = pairs, object(), {"plan": 1.0}
    st.y_fpga = bicubic_upsample(pairs.inputs).numpy()
    hls_flow._score_photos(st)
    p = st.photo_sr
    assert p is not None and p.frames == () and len(p.photos) == 2
    assert p.photos[0].fpga == p.photos[0].bicubic  # the "FPGA" here was bicubic
    assert st.skipped == [Skipped(FRAMES, "m.onnx: node Reshape_0 depends on the frame's size")]
    assert (tmp_path / "sr_crops.png").is_file()


def test_the_crop_picture_shows_the_first_crops_and_the_table_every_one(tmp_path, monkeypatch):
    drawn = {}
    monkeypatch.setattr(hls_photo_sr, "save_grid", lambda path, x, **kw: drawn.update(x=x, **kw))
    targets = torch.stack([c for _, c in photo_crops(12, 16, 24)])
    pairs = TaskPairs(make_lr(targets), targets)
    up = bicubic_upsample(pairs.inputs).numpy()
    p = hls_photo_sr.photo_scores(pairs, up, None, 2, (-1.0, 1.0), tmp_path)
    assert len(p.photos) == 12 and drawn["ncol"] == 3
    assert drawn["x"].shape == (3 * hls_photo_sr.PICTURE_ROWS, 3, 16, 24)
