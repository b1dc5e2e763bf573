"""Wall time of a default ``train-qat`` run (target: under 20 minutes on the 2-core machine).

    python benchmarks/bench_train.py [--config configs/default.yaml]

Trains from scratch in a temporary folder (the shipped default is not touched) and prints the
wall time, its ratio to the target, and the FID-FMNIST figures of the run.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from fpgagan.config import TrainQatConfig, load_yaml
from fpgagan.workflows.train_qat import summary, train_qat

TARGET_S = 20 * 60


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--config", default="configs/default.yaml")
    args = ap.parse_args()
    cfg = load_yaml(TrainQatConfig, args.config)
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        result = train_qat(cfg, Path(tmp) / cfg.name)
        wall = time.perf_counter() - t0
    print(summary(result.metrics))
    print(
        f"train-qat wall time: {wall:.0f} s = {wall / TARGET_S:.2f}x the 20-minute target "
        f"(teacher epochs run: {len(result.metrics['teacher']['history'])}, QAT epochs: {len(result.metrics['qat']['history'])})"
    )


if __name__ == "__main__":
    main()
