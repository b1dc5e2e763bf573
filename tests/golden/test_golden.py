"""csim regression: rebuild each golden case and require the committed output, bit for bit.

A change to a kernel, a template or a type rule that moves a single LSB fails here.  If the change
is intended, regenerate with ``make golden`` and explain it in the commit.
"""

from __future__ import annotations

import numpy as np
import pytest

from fpgagan.sim import build_csim
from tests.golden.cases import CASES


@pytest.mark.csim
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_csim_reproduces_the_golden_output(tmp_path, case):
    golden = np.load(case.path)
    model, x = case.make()
    np.testing.assert_array_equal(x, golden["x"])  # the case itself has not drifted
    y = build_csim(model, tmp_path / "prj", case.opts).predict(x)
    mismatches = int(np.count_nonzero(y != golden["y"]))
    assert mismatches == 0, f"{case.name}: {mismatches} output elements moved"
