"""How long planning takes on every board, and what FIFO sizing from the steady state
(:func:`fpgagan.hw.fifo.steady_state`, what make_plan uses) gives against sizing by simulating
every element, on the plan's layers: seconds both ways, the depths, the bits they store, and the
interval the element simulation finds at the steady state's depths.

    python benchmarks/bench_plan_speed.py [--model M.onnx] [--boards a,b] [--no-bisect]

Sizing by simulation is what make_plan did before issue #22: per stream in order, the others at
their depth so far (one image to begin with), a bisection over powers of two for the shallowest
depth whose simulated interval is that of image-deep FIFOs.  It takes minutes on large frames
(--no-bisect leaves it out).
"""

from __future__ import annotations

import argparse
import math
import tempfile
import time
from pathlib import Path

from fpgagan.boards import get_board, known_boards
from fpgagan.export import load_qonnx
from fpgagan.hw import fifo as F
from fpgagan.workflows import board_plan
from fpgagan.workflows.hls_flow import HlsFlowConfig, default_model_dir


def sized_by_simulation(procs, edges) -> tuple[int, ...]:
    """Per stream, the shallowest power of two (or one image) keeping the image-deep interval."""
    full = [max(2, procs[src].writes) for src, _ in edges]
    target = F.simulate(procs, full, edges=edges).interval
    depths = list(full)
    for i in range(len(depths)):
        options = sorted({2**k for k in range(1, math.ceil(math.log2(full[i])) + 1)} | {full[i]})
        lo, hi = 0, len(options) - 1
        while lo < hi:
            mid = (lo + hi) // 2
            trial = [*depths[:i], options[mid], *depths[i + 1 :]]
            if F.simulate(procs, trial, edges=edges).interval <= target:
                hi = mid
            else:
                lo = mid + 1
        depths[i] = options[lo]
    return tuple(depths)


def row(model, name: str, bisect: bool) -> dict:
    made: dict[str, float] = {}
    make_plan = board_plan.make_plan

    def timed(*args, **kwargs):  # make_plan alone, without the probe conversion before it
        t0 = time.perf_counter()
        plan = make_plan(*args, **kwargs)
        made["s"] = time.perf_counter() - t0
        return plan

    board_plan.make_plan = timed
    try:
        t0 = time.perf_counter()
        with tempfile.TemporaryDirectory() as tmp:
            plan = board_plan.plan_board(model, get_board(name), HlsFlowConfig(), Path(tmp))
        board_s = time.perf_counter() - t0
    finally:
        board_plan.make_plan = make_plan
    procs, edges = plan.flow.processes(list(plan.shapes)), plan.flow.edges
    t0 = time.perf_counter()
    state = F.steady_state(procs, edges, plan.flow.widths)
    steady_s = time.perf_counter() - t0
    out = {
        "board": name,
        "plan_board_s": board_s,
        "make_plan_s": made["s"],
        "steady_s": steady_s,
        "depths": state.depths,
        "bits": sum(d * w for d, w in zip(state.depths, plan.flow.widths, strict=True)),
        "interval": plan.interval_cycles,
        "simulated": F.simulate(procs, list(state.depths), edges=edges).interval,
    }
    if bisect:
        t0 = time.perf_counter()
        old = sized_by_simulation(procs, edges)
        out.update(
            bisect_s=time.perf_counter() - t0,
            bisect_depths=old,
            bisect_bits=sum(d * w for d, w in zip(old, plan.flow.widths, strict=True)),
        )
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", type=Path, default=default_model_dir() / "generator.onnx")
    ap.add_argument("--boards", default=",".join(known_boards()))
    ap.add_argument("--no-bisect", action="store_true", help="leave out sizing by simulation")
    args = ap.parse_args()
    model = load_qonnx(args.model)
    print(f"model: {args.model}")
    print(
        "| board | plan_board s | make_plan s | steady state s | by simulation s | depths "
        "(steady state) | depths (by simulation) | bits (steady / simulation) | interval | "
        "simulated at the steady state's depths |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name in args.boards.split(","):
        r = row(model, name, not args.no_bisect)
        by_sim = f"{r['bisect_s']:.1f}" if "bisect_s" in r else "-"
        bits_sim = f"{r['bisect_bits']:,}" if "bisect_bits" in r else "-"
        print(
            f"| {r['board']} | {r['plan_board_s']:.1f} | {r['make_plan_s']:.1f} | "
            f"{r['steady_s']:.3f} | {by_sim} | {list(r['depths'])} | "
            f"{list(r.get('bisect_depths', ())) or '-'} | "
            f"{r['bits']:,} / {bits_sim} | {r['interval']:,} | "
            f"{r['simulated']:,} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
