"""Sparse vs dense kernels on the pruned default generators, measured in one run:

(a) multiplier instances and weight-memory bits per layer at reuse factor R (targets at 75%
    sparsity: >= 3.5x fewer multipliers), from the converted hls4ml models;
(b) instructions per C-simulated image, counted by valgrind's callgrind (repeatable on a shared
    machine; target at 75%: >= 2.5x fewer).  hls4ml's top function reads its weight files during
    its first call; that one-time cost is printed on its own line, not counted per image.

    python benchmarks/bench_sparse.py [--reuse 1]

Needs the pruned recipes' QONNX files: make train-qat CONFIG=configs/w4a8_sparse75.yaml (and 90).
"""

from __future__ import annotations

import argparse
import math
import tempfile
from pathlib import Path

from hls4ml.model.layers import Conv2D, Dense

from fpgagan.export import load_qonnx
from fpgagan.hls.convert import HlsOptions
from fpgagan.hls.layers import Conv2DTranspose, SparseConv2D, SparseDense
from fpgagan.sim import build_csim
from fpgagan.sim.instructions import count_instructions

MULT_TARGET = 3.5
INSTR_TARGET = 2.5


def _bits(layer, name: str) -> int:
    var = layer.get_weights(name)
    return int(var.data.size) * int(getattr(var.type.precision, "width", 32))


def layer_rows(hls_model, reuse: int) -> dict[str, tuple[int, int]]:
    """Layer -> (multiplier instances, stored weight bits incl. indices)."""
    rows = {}
    for layer in hls_model.get_layers():
        g = layer.get_attr
        if isinstance(layer, Conv2DTranspose):
            key = layer.name
            if g("use_sparse_kernel", False):
                mults = math.ceil(g("max_phase_nnz") / reuse)
                bits = (
                    _bits(layer, "weight")
                    + _bits(layer, "sparse_index")
                    + _bits(layer, "run_start")
                )
            else:
                mults = math.ceil(
                    g("n_chan") * g("n_filt") * g("taps_height") * g("taps_width") / reuse
                )
                bits = _bits(layer, "weight")
        elif isinstance(layer, SparseDense):
            key = layer.name.removeprefix("Sparse")
            mults = math.ceil(g("n_nonzero") / reuse)
            bits = _bits(layer, "weight") + _bits(layer, "sparse_row") + _bits(layer, "sparse_col")
        elif isinstance(layer, SparseConv2D):
            key = layer.name.removeprefix("Sparse")
            mults = math.ceil(g("n_nonzero") / reuse)
            bits = _bits(layer, "weight") + _bits(layer, "sparse_index") + _bits(layer, "run_start")
        elif isinstance(layer, Conv2D):
            key = layer.name
            mults = math.ceil(
                g("n_chan") * g("n_filt") * g("filt_height") * g("filt_width") / reuse
            )
            bits = _bits(layer, "weight")
        elif isinstance(layer, Dense):
            key = layer.name
            mults = math.ceil(g("n_in") * g("n_out") / reuse)
            bits = _bits(layer, "weight")
        else:
            continue
        rows[key] = (mults, bits)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--reuse", type=int, default=1)
    ap.add_argument("--runs", default="runs")
    args = ap.parse_args()
    for sparsity in (75, 90):
        path = Path(args.runs) / f"w4a8-sparse{sparsity}" / "generator.onnx"
        if not path.is_file():
            print(
                f"\n== {sparsity}%: skipped, {path} missing (make train-qat CONFIG=configs/w4a8_sparse{sparsity}.yaml)"
            )
            continue
        model = load_qonnx(path)
        results = {}
        with tempfile.TemporaryDirectory() as tmp:
            for kind in ("dense", "sparse"):
                opts = HlsOptions(
                    io_type="io_parallel",
                    reuse_factor=args.reuse,
                    sparse="true" if kind == "sparse" else "false",
                )
                csim = build_csim(model, Path(tmp) / kind, opts)
                results[kind] = (
                    layer_rows(csim.hls_model, args.reuse),
                    count_instructions(csim.project_dir, 64, 784),
                )
        dense_rows, dense_instr = results["dense"]
        sparse_rows, sparse_instr = results["sparse"]
        print(
            f"\n== default generator, {sparsity}% unstructured sparsity, reuse factor {args.reuse} =="
        )
        print(
            f"{'layer':40} {'mult dense':>11} {'mult sparse':>12} {'ratio':>6} {'bits dense':>11} {'bits sparse':>12} {'ratio':>6}"
        )
        for name, (dm, db) in dense_rows.items():
            sm, sb = sparse_rows[name]
            print(f"{name:40} {dm:11,} {sm:12,} {dm / sm:6.2f} {db:11,} {sb:12,} {db / sb:6.2f}")
        dm = sum(m for m, _ in dense_rows.values())
        sm = sum(m for m, _ in sparse_rows.values())
        db = sum(b for _, b in dense_rows.values())
        sb = sum(b for _, b in sparse_rows.values())
        print(f"{'total':40} {dm:11,} {sm:12,} {dm / sm:6.2f} {db:11,} {sb:12,} {db / sb:6.2f}")
        di, si = dense_instr.per_image, sparse_instr.per_image
        print(
            f"csim instructions per image: dense {di:,.0f}, sparse {si:,.0f}, ratio {di / si:.2f}x"
        )
        dl, sl = dense_instr.weight_loading, sparse_instr.weight_loading
        print(
            f"one-time weight-file loading (first call): dense {dl:,.0f}, sparse {sl:,.0f}, "
            f"ratio {dl / sl:.2f}x"
        )
        if sparsity == 75:
            print(
                f"targets at 75%: multipliers {dm / sm:.2f}x (>= {MULT_TARGET}x), "
                f"instructions per image {di / si:.2f}x (>= {INSTR_TARGET}x)"
            )


if __name__ == "__main__":
    main()
