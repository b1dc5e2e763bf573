"""The hardware model (:mod:`fpgagan.hw`) needs neither hls4ml nor qonnx: the shipped default's
layer shapes, planned in a child process where importing either fails, give the very plan that
this process computes."""

from __future__ import annotations

import json
import pickle
import subprocess
import sys

from fpgagan.boards import get_board
from fpgagan.hw.plan import make_plan

# the child: every import of hls4ml, qonnx or onnx raises, then the plan is made from the pickled
# shapes and raw weights (unpickling imports the fpgagan.hw modules the values belong to)
CHILD = """
import json, pickle, sys
class Blocked:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("hls4ml", "qonnx", "onnx"):
            raise ImportError("blocked in this test: " + name)
sys.meta_path.insert(0, Blocked())
shapes, raw = pickle.load(open(sys.argv[1], "rb"))
from fpgagan.boards import get_board
from fpgagan.hw.plan import make_plan
plan = make_plan(shapes, raw, get_board("pynq-z2"))
loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("hls4ml", "qonnx", "onnx"))
print(json.dumps({"interval": plan.interval_cycles, "usage": plan.usage, "loaded": loaded,
                  "choices": {k: repr(v) for k, v in plan.choices.items()}}))
"""


def test_the_plan_is_made_where_hls4ml_cannot_be_imported(default_layers, tmp_path):
    shapes, raw = default_layers
    blob = tmp_path / "shapes.pkl"
    blob.write_bytes(pickle.dumps((shapes, raw)))
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(blob)], capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0, out.stderr[-2000:]
    child = json.loads(out.stdout.strip().splitlines()[-1])
    assert child["loaded"] == []
    plan = make_plan(shapes, raw, get_board("pynq-z2"))
    assert child["interval"] == plan.interval_cycles
    assert child["usage"] == plan.usage
    assert child["choices"] == {k: repr(v) for k, v in plan.choices.items()}
