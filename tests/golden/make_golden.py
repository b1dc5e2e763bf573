"""Regenerate the golden csim outputs: ``make golden``.  Run only after a deliberate change to a
kernel or a type rule, and say why in the commit: these files are what CI holds the C simulation to."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

from fpgagan.export import execute_batch
from fpgagan.sim import build_csim
from tests.golden.cases import CASES


def main() -> None:
    for case in CASES:
        model, x = case.make()
        with tempfile.TemporaryDirectory() as tmp:
            y = build_csim(model, Path(tmp) / "prj", case.opts).predict(x)
        ref = execute_batch(model, x)
        if not np.array_equal(y, ref):
            raise SystemExit(
                f"{case.name}: csim is not bit-exact against qonnx; refusing to write a golden file"
            )
        np.savez_compressed(case.path, x=x, y=y)
        print(f"wrote {case.path} ({len(x)} inputs)")


if __name__ == "__main__":
    main()
