"""FID-FMNIST of the dense and pruned QAT generators beside the float teacher, in one table.

    python benchmarks/quality_table.py [--runs runs]

Reads each recipe's metrics.json (make train-qat CONFIG=configs/<recipe>.yaml writes it).  Target:
75% sparsity at 4 bits within 1.25x the float teacher's FID-FMNIST.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

RECIPES = [
    ("default", "W4A8 dense"),
    ("w4a8-sparse50", "W4A8 50% sparse"),
    ("w4a8-sparse75", "W4A8 75% sparse"),
    ("w4a8-sparse90", "W4A8 90% sparse"),
]
TARGET_75 = 1.25


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--runs", default="runs")
    args = ap.parse_args()
    rows, teacher, floor = [], None, None
    for name, label in RECIPES:
        path = Path(args.runs) / name / "metrics.json"
        if not path.is_file():
            rows.append((label, None, None, None))
            continue
        m = json.loads(path.read_text())
        teacher, floor = m["teacher"], m["floor"]
        rows.append((label, m["qat"]["fid"], m["qat"]["is"], m["qat"]["fid"] / m["teacher"]["fid"]))
    print(
        "FID-FMNIST (fpgagan's own Fashion-MNIST features, not Inception; 10,000 samples vs the test split)"
    )
    print(f"{'model':22} {'FID-FMNIST':>11} {'IS':>6} {'/ teacher':>10}")
    if teacher:
        print(f"{'float teacher':22} {teacher['fid']:11.2f} {teacher['is']:6.2f} {1.0:10.3f}")
    for label, fid, is_, ratio in rows:
        if fid is None:
            print(f"{label:22} {'(not trained)':>11}")
        else:
            print(f"{label:22} {fid:11.2f} {is_:6.2f} {ratio:10.3f}")
    if floor:
        print(f"{'floor (train vs test)':22} {floor['fid']:11.2f} {floor['is']:6.2f}")
    r75 = next(
        (r for label, _, _, r in rows if label.startswith("W4A8 75%") and r is not None), None
    )
    if r75 is not None:
        print(f"75% sparse / teacher: {r75:.3f}x (target <= {TARGET_75}x)")


if __name__ == "__main__":
    main()
