"""FoldBatchNorm: exact where the quantizers allow it (execution before == after), otherwise left
for the converter, which refuses it naming the node, the reason and the fix."""

from __future__ import annotations

import numpy as np
import pytest

from fpgagan.errors import UnsupportedModelError
from fpgagan.export import execute_batch
from fpgagan.export.transforms import FoldBatchNorm
from fpgagan.export.transforms.fold_batch_norm import fold_obstacle
from fpgagan.hls.convert import hardware_graph
from tests.export.model_builders import with_batch_norm
from tests.graphs import quantized_input


def _ops(model) -> list[str]:
    return [n.op_type for n in model.graph.node]


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"a": (2.0, 1.0, 0.125)}, {"shift_steps": (0, 0, 0), "bias": False}],
)
def test_foldable_batch_norm_folds_exactly(kwargs):
    model = with_batch_norm(**kwargs)
    x = quantized_input(16, 2, 4, 5, seed=3)
    before = execute_batch(model, x)
    folded = model.transform(FoldBatchNorm())
    assert "BatchNormalization" not in _ops(folded)
    assert np.array_equal(execute_batch(folded, x), before)
    hardware_graph(model)  # the converter takes it (per-channel scales end on one grid)


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [
        ({"a": (1.0, 0.3, 1.0)}, "is not a positive power of two"),
        ({"a": (1.0, -0.5, 1.0)}, "is not a positive power of two"),
        ({"shift_steps": (0.5, 0, 0)}, "is not on the bias grid"),
        ({"bias": False}, "has no bias to take its shift"),
    ],
)
def test_batch_norm_that_cannot_fold_exactly_is_refused(kwargs, reason):
    model = with_batch_norm(**kwargs)
    bn = next(n for n in model.graph.node if n.op_type == "BatchNormalization")
    assert reason in fold_obstacle(model, bn)
    assert "BatchNormalization" in _ops(model.transform(FoldBatchNorm()))
    with pytest.raises(UnsupportedModelError, match=reason) as exc:
        hardware_graph(model)
    assert "fold batch-norm into the weights before quantization" in str(exc.value)
    assert "(source node 'bn')" in str(exc.value)
