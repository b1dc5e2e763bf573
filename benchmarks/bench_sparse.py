"""Dense against sparse schedules on the pruned default generators, measured in one run:

(a) per engine layer at the same lanes (multipliers): steps per output pixel (the sparse schedule
    skips the zeros: fewer cycles per image) and stored bits (the sparse schedule stores the
    non-zeros plus each lane's channel offset and each step's control word);
(b) the cost model's count of both: LUT, FF, BRAM_18K (a sparse lane needs its own input
    multiplexer);
(c) the board plan of each schedule on the board (images/s and usage): which one the plan
    picks when it may choose;
(d) instructions per C-simulated image, counted by valgrind's callgrind (repeatable on a shared
    machine).

    python benchmarks/bench_sparse.py [--board pynq-z2] [--runs runs]

Needs the pruned recipes' QONNX files: make train-qat CONFIG=configs/w4a8_sparse75.yaml (and 90).
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

from fpgagan.boards import get_board
from fpgagan.export import load_qonnx
from fpgagan.hls.convert import HlsOptions, convert, hardware_graph
from fpgagan.hls.engine_layers import engine_layers
from fpgagan.hls.memory import engine_bits
from fpgagan.hw.cost import layer_cost
from fpgagan.sim import build_csim
from fpgagan.sim.instructions import count_instructions
from fpgagan.workflows.hls_flow import HlsFlowConfig, plan_board

REUSE = 64  # steps per pixel of the dense schedule in part (a)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--board", default="pynq-z2")
    ap.add_argument("--runs", default="runs")
    args = ap.parse_args()
    board = get_board(args.board)
    for sparsity in (75, 90):
        path = Path(args.runs) / f"w4a8-sparse{sparsity}" / "generator.onnx"
        if not path.is_file():
            print(f"\n== {sparsity}%: skipped, {path} missing (make train-qat CONFIG="
                  f"configs/w4a8_sparse{sparsity}.yaml)")  # fmt: skip
            continue
        model = load_qonnx(path)
        hw, _ = hardware_graph(model)
        with tempfile.TemporaryDirectory() as tmp:
            built = {
                kind: engine_layers(
                    convert(
                        hw,
                        Path(tmp) / kind,
                        HlsOptions(io_type="io_stream", reuse_factor=REUSE, sparse=kind),
                    )  # fmt: skip
                )
                for kind in ("false", "true")
            }
            print(f"\n== default generator, {sparsity}% unstructured sparsity ==")
            print(f"(a, b) same lanes, dense -> sparse schedule (dense at {REUSE} steps/pixel)")
            print(f"{'layer':34} {'lanes':>6} {'steps':>13} {'stored bits':>21} {'LUT':>17} "
                  f"{'FF':>17} {'BRAM':>9}")  # fmt: skip
            for d, s in zip(built["false"], built["true"], strict=True):
                cd, cs = layer_cost(d.shape()), layer_cost(s.shape())
                bd, bs = sum(engine_bits(d).values()), sum(engine_bits(s).values())
                print(
                    f"{d.name:34} {d.parallelism().lanes:6} {d.get_attr('n_steps'):6,}->"
                    f"{s.get_attr('n_steps'):<6,} {bd:10,}->{bs:<10,} {cd.total.lut:8,.0f}->"
                    f"{cs.total.lut:<8,.0f} {cd.total.ff:8,.0f}->{cs.total.ff:<8,.0f} "
                    f"{cd.total.bram_18k:4.0f}->{cs.total.bram_18k:<4.0f}"
                )
            print(f"(c) board plans on {board.name}:")
            for mode in ("false", "true", "auto"):
                plan = plan_board(model, board, HlsFlowConfig(sparse=mode), Path(tmp))
                kinds = ", ".join(
                    f"{s.name}: {'sparse' if s.sparse else 'dense'}" for s in plan.shapes
                )
                usage = ", ".join(f"{k} {100 * v:.0f}%" for k, v in plan.usage.items())
                print(f"  sparse={mode:5} {plan.images_per_s:8,.0f} images/s, "
                      f"{'fits' if plan.fits else 'does NOT fit'} ({usage}); {kinds}")  # fmt: skip
            if shutil.which("valgrind"):
                counts = {}
                for kind in ("false", "true"):
                    opts = HlsOptions(io_type="io_parallel", reuse_factor=REUSE, sparse=kind)
                    csim = build_csim(model, Path(tmp) / f"c{kind}", opts)
                    counts[kind] = count_instructions(csim.project_dir, 64, 784).per_image
                print(f"(d) csim instructions per image: dense {counts['false']:,.0f}, sparse "
                      f"{counts['true']:,.0f} ({counts['false'] / counts['true']:.2f}x)")  # fmt: skip


if __name__ == "__main__":
    main()
