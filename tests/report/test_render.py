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
    HlsReport,
    ImageTaskScores,
    Skipped,
    TaskScore,
)
from fpgagan.report.render import render_markdown

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


CASES: dict[str, tuple[str, Callable[[HlsReport], HlsReport]]] = {
    "latent_pynq-z2": (LATENT, lambda r: r),
    "qonnx_zcu104": (QONNX, lambda r: r),
    "image_task_synthesised": (LATENT, _image_task_synthesised),
    "image_task_no_figures": (QONNX, _no_figures),
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


def test_a_report_of_another_version_is_refused():
    data = json.loads((DATA / LATENT).read_text())
    data["version"] = REPORT_VERSION - 1
    with pytest.raises(ConfigError, match="run the flow again"):
        HlsReport.from_json(data)


if __name__ == "__main__" and sys.argv[1:] == ["--update"]:
    for name in CASES:
        (DATA / f"report_{name}.md").write_text(render_markdown(_report(name)))
