"""C simulation of the shipped default generator: build time and peak memory (targets: < 30 s and
< 3 GB), and csim images/s against onnxruntime running the float twin of the same graph, all
measured in this one run.

    python benchmarks/bench_csim.py [--n 200]
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from fpgagan.export import load_qonnx
from fpgagan.hls.convert import HlsOptions
from fpgagan.models import fold_batch_norm
from fpgagan.models.checkpoint import load_generator
from fpgagan.sim import build_csim
from fpgagan.workflows.hls_flow import default_model_dir

BUILD_TARGET_S = 30.0
MEMORY_TARGET_GB = 3.0


def onnxruntime_images_per_s(n: int) -> float:
    import onnxruntime as ort

    teacher = fold_batch_norm(load_generator(default_model_dir() / "teacher.pt")[0]).eval()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "float.onnx"
        torch.onnx.export(
            teacher,
            (torch.zeros(1, 64),),
            str(path),
            input_names=["z"],
            output_names=["y"],
            dynamic_axes={"z": {0: "n"}, "y": {0: "n"}},
            dynamo=False,
        )
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = 2
        sess = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
        z = np.random.default_rng(0).standard_normal((n, 64)).astype(np.float32)
        sess.run(None, {"z": z})  # warm-up
        t0 = time.perf_counter()
        sess.run(None, {"z": z})
        return n / (time.perf_counter() - t0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n", type=int, default=200)
    args = ap.parse_args()
    model = load_qonnx(default_model_dir() / "generator.onnx")
    z = np.random.default_rng(1).standard_normal((args.n, 64)).astype(np.float32)
    rows = []
    for io_type in ("io_parallel", "io_stream"):
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        with tempfile.TemporaryDirectory() as tmp:
            csim = build_csim(model, Path(tmp) / "prj", HlsOptions(io_type=io_type))
            peak_gb = max(before, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024**2
            t0 = time.perf_counter()
            csim.predict(z)
            ips = args.n / (time.perf_counter() - t0)
        rows.append((io_type, csim.build_s, peak_gb, ips))
    ort_ips = onnxruntime_images_per_s(1000)
    print(
        f"default generator C simulation ({args.n} latents), onnxruntime float twin: {ort_ips:,.0f} images/s (2 threads)"
    )
    print(
        f"{'io type':12} {'build s':>8} {'vs 30 s':>8} {'peak GB':>8} {'vs 3 GB':>8} {'csim img/s':>11} {'csim/ORT':>9}"
    )
    for io_type, build_s, peak_gb, ips in rows:
        print(
            f"{io_type:12} {build_s:8.1f} {build_s / BUILD_TARGET_S:7.2f}x {peak_gb:8.2f} {peak_gb / MEMORY_TARGET_GB:7.2f}x "
            f"{ips:11.1f} {ips / ort_ips:9.5f}"
        )
    print("peak GB: largest resident set of any child process (g++) during the build")
    sys.exit(0)


if __name__ == "__main__":
    main()
