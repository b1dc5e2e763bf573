"""Side artefacts of the board flow: the vendor test benches' data, the per-layer comparison with
the float teacher, and C synthesis where the vendor tool is installed."""

from __future__ import annotations

import shutil
from typing import Any

import numpy as np
import torch

from fpgagan.geometry import TO_NHWC
from fpgagan.hls.engine_layers import EngineLayer
from fpgagan.io import write_text_atomic
from fpgagan.models import fold_batch_norm
from fpgagan.report.hls_report import LayerError
from fpgagan.report.image_metrics import max_abs_error, sqnr_db
from fpgagan.shell.top import has_shell, shell_spec, write_shell_data
from fpgagan.sim import CSim
from fpgagan.workflows.model_source import ModelSource

LAYER_TRACE = "per-layer error"  # the report's name of the per-layer comparison
NO_TEACHER = "no float teacher given (use --teacher)"
# latents (and their C-simulated images) written to hls_project/tb_data for hls4ml's test bench
TB_SAMPLES = 100
TB_INPUT = "tb_input_features.dat"
TB_OUTPUT = "tb_output_predictions.dat"
# the program each hls4ml backend's build() runs (and looks for on PATH) to synthesise: hls4ml
# 1.3's Vitis backend runs ``vitis-run --mode hls --tcl build_prj.tcl`` (Vitis 2023.2 or later);
# its Vivado backend (C simulation only in fpgagan) would run vivado_hls
SYNTHESIS_TOOL = {"Vivado": "vivado_hls", "Vitis": "vitis-run"}


def per_layer_errors(
    csim: CSim, src: ModelSource, z: np.ndarray, image_task: bool = False
) -> tuple[tuple[LayerError, ...], str | None]:
    """Float teacher activations vs the FPGA's, layer by layer, for a latent generator: the
    teacher's ReLU outputs and image against the engine layers' outputs (their ReLU and output
    quantizer are fused into them).  ``z`` are latents in the model's input shape ((N, nz) or
    (N, nz, 1, 1)), reshaped to the teacher's.  Returns the rows and, where no trace is made,
    the reason instead."""
    if src.teacher is None:
        return (), NO_TEACHER
    if image_task:
        return (), "traced for latent generators only (an image-to-image model is scored above)"
    teacher = fold_batch_norm(src.teacher).eval()
    layers = [layer for layer in csim.hls_model.get_layers() if isinstance(layer, EngineLayer)]
    if src.quantized is None and len(teacher.acts) + 1 != len(layers):
        # a model given as QONNX need not share the teacher's structure (a checkpoint's does)
        return (), (
            f"the float teacher's {len(teacher.acts) + 1} activations do not pair with the "
            f"model's {len(layers)} engine layers"
        )
    acts: list[torch.Tensor] = []
    hooks = [
        m.register_forward_hook(lambda _m, _i, o: acts.append(o.detach())) for m in teacher.acts
    ]
    with torch.no_grad():
        out = teacher(torch.from_numpy(z).reshape(len(z), *teacher.input_shape))
    for h in hooks:
        h.remove()
    acts.append(out)
    traces = csim.trace(z)
    layers = [layer for layer in layers if layer.name in traces]
    rows = []
    # one engine layer per teacher activation (the Linear and each transposed convolution with
    # its ReLU fused, the last with the output): unequal lengths would pair the wrong layers
    for act, layer in zip(acts, layers, strict=True):
        ref = act.numpy()
        if ref.ndim == 4:
            ref = ref.transpose(TO_NHWC)
        got = np.asarray(traces[layer.name])
        if got.size != ref.size:
            continue
        got = got.reshape(ref.shape)
        rows.append(
            LayerError(
                layer=layer.name,
                elements=int(ref.size // len(z)),
                rmse=float(np.sqrt(np.mean((ref - got) ** 2))),
                max_abs=max_abs_error(ref, got),
                sqnr_db=sqnr_db(ref, got),
            )
        )
    return tuple(rows), None


def synthesis(hls_model, backend: str) -> dict[str, Any]:
    """C synthesis through hls4ml's ``build()`` when the backend's vendor tool is on PATH."""
    tool = SYNTHESIS_TOOL[backend]
    path = shutil.which(tool)
    if path is None:
        return {"ran": False, "reason": f"{backend} synthesis needs {tool} on PATH"}
    report = hls_model.build(csim=False, synth=True, export=False)
    return {"ran": True, "tool": path, "report": report}


def _dat(rows: np.ndarray) -> str:
    """hls4ml's ``.dat`` format: one sample per line, values separated by spaces.

    Each float32 is written as the shortest decimal of its exact double value, so the test
    bench's ``atof`` and its cast to ``float`` give back the very same number.
    """
    return "".join(" ".join(repr(float(v)) for v in row) + "\n" for row in rows)


def write_test_bench_data(csim: CSim, z: np.ndarray, y: np.ndarray) -> int:
    """Latents and C-simulated images for the project's test benches (vendor csim /
    co-simulation): hls4ml's (floats) and, where the project has fpgagan's AXI4-Stream shell,
    the shell's (raw integers of the input and output types).

    All are written as the C top function sees them: the host moves NCHW <-> NHWC, so the
    images are put back into the device layout. Returns the number of samples written.
    """
    n = min(len(z), TB_SAMPLES)
    x_dev = csim.device_input(z[:n])
    y_dev = y[:n]
    if csim.layout.output_perm is not None:
        y_dev = np.transpose(y_dev, np.argsort(csim.layout.output_perm))
    y_dev = y_dev.reshape(n, -1)
    tb_data = csim.project_dir / "tb_data"
    write_text_atomic(tb_data / TB_INPUT, _dat(x_dev))
    write_text_atomic(tb_data / TB_OUTPUT, _dat(y_dev))
    if has_shell(csim.project_dir):
        write_shell_data(csim.project_dir, shell_spec(csim.hls_model), x_dev, y_dev)
    return n
