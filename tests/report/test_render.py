"""report.md from a stored report.json, byte for byte.

``data/report_*.json`` are the board flow's reports of the test fixtures' tiny DCGAN
(``tests/workflows/test_hls_flow.py``: a checkpoint with its float teacher on pynq-z2, and its
QONNX file alone on zcu104); the variants add what those runs do not have (an image task with
and without a patch, a synthesis report with and without figures, no quality section, nan and
inf figures).  ``data/*.md`` are what the renderer wrote for them before it was split into
sections.  After an intended change to report.md, rewrite them with
``.venv/bin/python -m tests.report.test_render --update`` and read the diff.
"""

from __future__ import annotations

import dataclasses
import json
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from fpgagan.errors import ConfigError
from fpgagan.report.hls_report import (
    REPORT_VERSION,
    FrameRate,
    HlsReport,
    ImageTaskScores,
    PhotoSr,
    Skipped,
    SrPhoto,
    TaskScore,
)
from fpgagan.report.render import render_markdown
from fpgagan.report.sr_metrics import SrScore

DATA = Path(__file__).parent / "data"
LATENT = "report_latent_pynq-z2.json"
QONNX = "report_qonnx_zcu104.json"


def _image_task(r: HlsReport, patch: bool) -> ImageTaskScores:
    scores = (
        TaskScore("float teacher", 24.631, 0.86959, 9.681 if patch else None),
        TaskScore("FPGA (C simulation)", 25.2, 0.8907, 9.57 if patch else None),
        TaskScore("baseline: bicubic", 34.15, 0.98721, None),
    )
    return ImageTaskScores("inpaint" if patch else "sr2x", 1234, "test", "bicubic", scores)


def _image_task_synthesised(r: HlsReport) -> HlsReport:
    synth = {"CSynthesisReport": {"DSP": 3, "LUT": 12345, "FF": 2345, "BRAM_18K": 4,
                                  "BestLatency": 3400, "IntervalMax": 3337}}  # fmt: skip
    return dataclasses.replace(
        r,
        quality=None,
        image_task=_image_task(r, patch=True),
        synthesis={"ran": True, "report": synth},
        heat_map_scale=float("nan"),
    )


def _no_figures(r: HlsReport) -> HlsReport:
    return dataclasses.replace(
        r,
        image_task=_image_task(r, patch=False),
        synthesis={"ran": True, "report": {"Unrelated": 1}},
        wall_s=float("inf"),
    )


def _frame(out_h: int, out_w: int, interval: int, same: bool | None) -> FrameRate:
    usage = {"lut": 0.71, "ff": 0.3, "dsp": 0.2, "bram_18k": 0.25}
    return FrameRate("zcu102", out_h, out_w, out_h // 2, out_w // 2, 200.0, interval,
                     200e6 / interval, True, "lut", usage, 12_000 + 4 * out_w, 4 * out_w, 9,
                     1.25, 24 * out_w, same)  # fmt: skip


def _photo_sr(r: HlsReport, teacher: bool) -> HlsReport:
    names = ("astronaut", "chelsea", "a | *name*")
    photos = tuple(
        SrPhoto(name, SrScore(30.0 + i, 0.9, 29.5), SrScore(31.25 + i, 0.925, 30.5),
                SrScore(31.5 + i, 0.93, 30.75) if teacher else None)
        for i, name in enumerate(names)
    )  # fmt: skip
    frames = (
        (_frame(96, 128, 15_362, None), _frame(720, 1280, 1_152_002, True),
         _frame(1080, 1920, 2_592_002, False))
        if teacher else ()
    )  # fmt: skip
    section = PhotoSr(2, 96, 128, photos, "sr_crops.png", frames)
    return dataclasses.replace(r, image_task=_image_task(r, patch=False), photo_sr=section)


CASES: dict[str, tuple[str, Callable[[HlsReport], HlsReport]]] = {
    "latent_pynq-z2": (LATENT, lambda r: r),
    "qonnx_zcu104": (QONNX, lambda r: r),
    "image_task_synthesised": (LATENT, _image_task_synthesised),
    "image_task_no_figures": (QONNX, _no_figures),
    "photo_sr_zcu104": (QONNX, lambda r: _photo_sr(r, teacher=True)),
    "photo_sr_no_teacher": (QONNX, lambda r: _photo_sr(r, teacher=False)),
}


def _report(case: str) -> HlsReport:
    source, variant = CASES[case]
    return variant(HlsReport.from_json(json.loads((DATA / source).read_text())))


@pytest.mark.parametrize("case", sorted(CASES))
def test_report_md_is_unchanged(case):
    expected = (DATA / f"report_{case}.md").read_text()
    assert render_markdown(_report(case)) == expected


def test_every_section_is_covered():
    """The cases reach every optional section of report.md."""
    texts = [render_markdown(_report(case)) for case in CASES]
    for heading in (
        "## Image quality",
        "## Per-layer error",
        "against ground truth",
        "PSNR in the patch",
        "cost model estimate (accelerator)",
        "no resource figures fpgagan could read",
        "Not run:",
        "No float teacher given",
        "## Not scored",
        "white = nan",
        " in inf s ",
        "## Photographs: x2 super-resolution (3 crops of 128x96",
        "| **mean** | 31.00 | 32.25 | 0.9250 | 30.50 | 32.50 |",
        "| **mean** | 31.00 | 32.25 | 0.9250 | 30.50 |\n",
        "![bicubic | FPGA | ground truth](sr_crops.png)",
        "## Frames per second (zcu102, 200 MHz)",
        "| 1280x720 | 640x360 | 1,152,002 | 173.6 | yes | lut |",
        "| 128x96 (this plan) |",
    ):
        assert any(heading in t for t in texts), heading


def test_what_was_not_scored_reads_back_and_is_escaped():
    """``skipped`` survives report.json, and a reason is Markdown text on one line."""
    r = dataclasses.replace(
        _report("qonnx_zcu104"),
        skipped=(Skipped("FID-FMNIST", "the model makes 3x8x8 | *not* 1x28x28\n# here"),),
    )
    assert HlsReport.from_json(json.loads(json.dumps(r.to_json()))) == r
    (line,) = [ln for ln in render_markdown(r).splitlines() if ln.startswith("- FID-FMNIST:")]
    assert line == "- FID-FMNIST: the model makes 3x8x8 \\| \\*not\\* 1x28x28\\\\n# here"


def test_the_photo_section_reads_back_and_its_means_are_the_photos():
    r = _report("photo_sr_zcu104")
    assert HlsReport.from_json(json.loads(json.dumps(r.to_json()))) == r
    p = r.photo_sr
    assert p is not None
    assert dataclasses.astuple(p.mean_fpga) == pytest.approx((32.25, 0.925, 30.5), abs=1e-12)
    assert p.mean_float is not None and p.mean_float.y_psnr == 32.5
    assert _report("photo_sr_no_teacher").photo_sr.mean_float is None
    text = render_markdown(r)
    assert "a \\| \\*name\\*" in text  # a photograph's name is Markdown text
    rows = [ln for ln in text.splitlines() if ln.startswith("| 1920x1080 |")]
    assert len(rows) == 1 and "| no |" in rows[0]  # other layers than this plan's


def test_a_report_of_another_version_is_refused():
    data = json.loads((DATA / LATENT).read_text())
    data["version"] = REPORT_VERSION - 1
    with pytest.raises(ConfigError, match="run the flow again"):
        HlsReport.from_json(data)


if __name__ == "__main__" and sys.argv[1:] == ["--update"]:
    for name in CASES:
        (DATA / f"report_{name}.md").write_text(render_markdown(_report(name)))
