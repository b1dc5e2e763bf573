from __future__ import annotations

import shutil

import pytest
import torch

from fpgagan.config import Precision
from fpgagan.export import to_qonnx
from fpgagan.hls.convert import HlsOptions
from fpgagan.models import build_generator
from fpgagan.sim import build_csim
from fpgagan.sim.instructions import count_instructions

# inferences after the first cost about the same (the driver varies the input, not the work): only
# input-dependent branches in ap_fixed rounding/saturation differ, well under 1% of the count
PER_IMAGE_REL_SPREAD = 0.01


@pytest.mark.csim
@pytest.mark.skipif(shutil.which("valgrind") is None, reason="valgrind not installed")
def test_per_image_count_excludes_the_first_calls_weight_loading(tmp_path):
    gen = build_generator("dcgan-tiny", Precision())
    gen.train()
    gen(torch.randn(32, 8))
    csim = build_csim(to_qonnx(gen.eval()), tmp_path / "p", HlsOptions(io_type="io_parallel"))
    two = count_instructions(csim.project_dir, 8, 784, n=2)
    three = count_instructions(csim.project_dir, 8, 784, n=3)
    assert two.per_image > 0 and two.weight_loading > 0
    # the per-image figure does not depend on how many inferences are counted
    assert three.per_image == pytest.approx(two.per_image, rel=PER_IMAGE_REL_SPREAD)
