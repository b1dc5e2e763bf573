"""``make hls BOARD=...``: board-fitted HLS project, C simulation, bit-exact proof, float-vs-FPGA
image report and cost model, for the shipped default generator or any QONNX generator."""

from __future__ import annotations

import dataclasses
import logging
import math
import shutil
import time
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import hls4ml
import numpy as np
import torch
from hls4ml.model.layers import Conv2D, Dense

from fpgagan.boards import Board, get_board
from fpgagan.compress.gan import generate
from fpgagan.config import load_yaml
from fpgagan.data import load_images
from fpgagan.errors import ConfigError, ExportError
from fpgagan.export import load_qonnx, reference_outputs, to_qonnx
from fpgagan.folders import staged
from fpgagan.hls.convert import HlsOptions, convert, hardware_graph
from fpgagan.hls.cost import ASSUMPTIONS, layer_shapes
from fpgagan.hls.memory import stored_bits
from fpgagan.hls.plan import UTILISATION, Plan, make_plan
from fpgagan.io import provenance, write_json_atomic, write_text_atomic
from fpgagan.models import Generator, fold_batch_norm
from fpgagan.models.checkpoint import load_generator
from fpgagan.report.classifier import load_classifier
from fpgagan.report.grids import comparison_grid
from fpgagan.report.image_metrics import max_abs_error, psnr, sqnr_db, ssim
from fpgagan.report.quality import METRIC_NAME, METRIC_NOTE, QualityScorer
from fpgagan.report.render import render_markdown
from fpgagan.sim import CSim, build_csim, compare, output_lsb

log = logging.getLogger(__name__)

LATENT_SEED = 1234
LAYER_TRACE_SAMPLES = 16
# latents (and their C-simulated images) written to hls_project/tb_data for hls4ml's test bench
TB_SAMPLES = 100
TB_INPUT = "tb_input_features.dat"
TB_OUTPUT = "tb_output_predictions.dat"
# the program each hls4ml backend's build() runs (and looks for on PATH) to synthesise
SYNTHESIS_TOOL = {"Vivado": "vivado_hls", "VivadoAccelerator": "vivado_hls", "Vitis": "vitis-run"}
# everything a run writes into its output folder (built aside, swapped in whole at the end)
ARTEFACTS = (
    "hls_project",
    "csim_images.npy",
    "float_vs_fpga.png",
    "report.md",
    "report.json",
    ".plan",
)


@dataclasses.dataclass(frozen=True)
class HlsFlowConfig:
    """Overrides of the planner (``fpgagan hls --config X.yaml``)."""

    io_type: Literal["io_parallel", "io_stream"] = "io_stream"
    strategy: Literal["latency", "resource"] = "resource"
    reuse: dict[str, int] = dataclasses.field(
        default_factory=dict
    )  # hls4ml layer name -> reuse factor
    clock_mhz: float | None = None

    def __post_init__(self) -> None:
        if self.clock_mhz is not None and not (
            math.isfinite(self.clock_mhz) and self.clock_mhz > 0
        ):
            raise ValueError(f"clock_mhz must be finite and positive, got {self.clock_mhz}")
        for name, rf in self.reuse.items():
            if rf < 1:
                raise ValueError(f"reuse factor of {name!r} must be >= 1, got {rf}")


@dataclasses.dataclass
class ModelSource:
    qonnx: Any
    description: str
    quantized: Generator | None = None
    teacher: Generator | None = None


def default_out_dir(board: str) -> Path:
    """``runs/hls-<board name>``, also for a board given as a path to its YAML file."""
    return Path("runs") / f"hls-{get_board(board).name}"


def default_model_dir() -> Path:
    return Path(str(resources.files("fpgagan.assets").joinpath("default")))


def resolve_model(model: str | None, teacher: str | None = None) -> ModelSource:
    """The shipped default, a generator checkpoint (.pt) or a QONNX file (.onnx).

    ``teacher`` (a float checkpoint) is used whenever it is given; otherwise the shipped default
    brings its own, and a checkpoint the teacher its training recorded (:func:`stored_teacher`).
    """
    if model is None:
        d = default_model_dir()
        src = ModelSource(
            load_qonnx(d / "generator.onnx"),
            f"shipped default ({d})",
            load_generator(d / "generator.pt")[0],
            None if teacher is not None else load_generator(d / "teacher.pt")[0],
        )
    else:
        path = Path(model)
        if path.suffix == ".pt":
            gen, record = load_generator(path)
            if teacher is None:
                teacher = stored_teacher(path, record)
            src = ModelSource(to_qonnx(gen), str(path), quantized=gen)
        elif path.suffix == ".onnx":
            src = ModelSource(load_qonnx(path), str(path))
        else:
            raise ExportError(
                f"{path}: expected a QONNX file (.onnx) or a generator checkpoint (.pt)"
            )
    if teacher is not None:
        src.teacher = load_generator(teacher)[0]
    return src


def stored_teacher(checkpoint: Path, record: dict[str, Any]) -> Path | None:
    """The float teacher a checkpoint's training recorded, found from the checkpoint's folder.

    The recorded path is relative to wherever training ran, so it is looked for as recorded when
    absolute, then relative to the checkpoint's folder, then by its file name beside the
    checkpoint (where ``train-qat`` and the shipped default keep it).  None if not found.
    """
    recorded = record.get("extra", {}).get("teacher")
    if not isinstance(recorded, str) or not recorded:
        return None
    stored = Path(recorded)
    here = checkpoint.parent
    candidates = [stored] if stored.is_absolute() else [here / stored]
    candidates.append(here / stored.name)
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    log.warning(
        "%s: its teacher %s was not found beside it; no float comparison (give --teacher)",
        checkpoint,
        recorded,
    )
    return None


def _latent_dim(model) -> int:
    dims = [int(d.dim_value) for d in model.graph.input[0].type.tensor_type.shape.dim]
    if len(dims) != 2:
        raise ExportError(
            f"{model.graph.input[0].name}: expected a generator with a latent vector input, got shape {dims}"
        )
    return dims[1]


def _reuse_fan(layer) -> tuple[int, int]:
    """(n_in, n_out) as hls4ml's reuse-factor check sees them for a Dense or a Conv2D."""
    if isinstance(layer, Conv2D):
        g = layer.get_attr
        return g("n_chan") * g("filt_height") * g("filt_width"), g("n_filt")
    return layer.get_attr("n_in"), layer.get_attr("n_out")


def _plan(hw_model, board: Board, cfg: HlsFlowConfig, workdir: Path) -> Plan:
    probe = convert(hw_model, workdir / "probe", HlsOptions(io_type=cfg.io_type, backend="Vivado"))
    shapes = layer_shapes(probe)
    backend = hls4ml.backends.get_backend("Vivado")
    # hls4ml's own Dense and Conv2D accept only reuse factors that divide their products evenly
    valid = {
        s.name: backend.get_valid_reuse_factors(*_reuse_fan(probe.graph[s.name]))
        for s in shapes
        if isinstance(probe.graph[s.name], Dense | Conv2D)
    }
    return make_plan(shapes, board, valid, fixed=dict(cfg.reuse))


def _per_layer_errors(csim, src: ModelSource, z: np.ndarray) -> list[dict[str, Any]]:
    """Float teacher activations vs the FPGA's, layer by layer (fpgagan generators only)."""
    if src.teacher is None:
        return []
    teacher = fold_batch_norm(src.teacher).eval()
    acts: list[torch.Tensor] = []
    hooks = [
        m.register_forward_hook(lambda _m, _i, o: acts.append(o.detach())) for m in teacher.acts
    ]
    with torch.no_grad():
        out = teacher(torch.from_numpy(z))
    for h in hooks:
        h.remove()
    acts.append(out)
    traces = csim.trace(z)
    layers = [
        layer
        for layer in csim.hls_model.get_layers()
        if layer.name in traces and layer.class_name == "Activation"
    ]
    rows = []
    for act, layer in zip(acts, layers, strict=False):
        ref = act.numpy()
        if ref.ndim == 4:
            ref = ref.transpose(0, 2, 3, 1)
        got = np.asarray(traces[layer.name])
        if got.size != ref.size:
            continue
        got = got.reshape(ref.shape)
        rows.append(
            {
                "layer": layer.name,
                "elements": int(ref.size // len(z)),
                "rmse": float(np.sqrt(np.mean((ref - got) ** 2))),
                "max_abs": max_abs_error(ref, got),
                "sqnr_db": sqnr_db(ref, got),
            }
        )
    return rows


def _synthesis(hls_model, backend: str) -> dict[str, Any]:
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


def _write_test_bench_data(csim: CSim, z: np.ndarray, y: np.ndarray) -> int:
    """Latents and C-simulated images for the project's test bench (vendor csim / co-simulation).

    Both are written as the C top function sees them: the host moves NCHW <-> NHWC, so the
    images are put back into the device layout. Returns the number of samples written.
    """
    n = min(len(z), TB_SAMPLES)
    x_dev = csim.device_input(z[:n])
    y_dev = y[:n]
    if csim.layout.output_perm is not None:
        y_dev = np.transpose(y_dev, np.argsort(csim.layout.output_perm))
    tb_data = csim.project_dir / "tb_data"
    write_text_atomic(tb_data / TB_INPUT, _dat(x_dev))
    write_text_atomic(tb_data / TB_OUTPUT, _dat(y_dev.reshape(n, -1)))
    return n


def run_hls_flow(
    board_name: str,
    out_dir: Path,
    model: str | None = None,
    n: int = 1000,
    cfg: HlsFlowConfig | None = None,
    teacher: str | None = None,
    data_root: str | None = None,
) -> dict[str, Any]:
    """Everything ``make hls`` does; returns the report dict also written to ``out_dir``."""
    t_start = time.perf_counter()
    cfg = cfg or HlsFlowConfig()
    board = get_board(board_name)
    if cfg.clock_mhz:  # the override holds for the plan, the project and the report alike
        board = dataclasses.replace(board, clock_mhz=cfg.clock_mhz)
    _options(board, cfg, {})  # part, clock and board checked before any work
    # built in a hidden sibling, swapped in whole: a failure or an interrupt leaves the previous
    # result (or nothing); a folder fpgagan did not make, or one in use, is refused first
    with staged(out_dir, "board flow output") as work:
        src = resolve_model(model, teacher)
        hw_model, _ = hardware_graph(src.qonnx)
        latent = _latent_dim(src.qonnx)
        test_x, _ = load_images("fashion-mnist", "test", data_root)
        train_x, _ = load_images("fashion-mnist", "train", data_root)
        return _run(board, src, hw_model, latent, test_x, train_x, work, n, cfg, t_start, out_dir)


def _options(board: Board, cfg: HlsFlowConfig, reuse: dict[str, int]) -> HlsOptions:
    """The hls4ml options for ``board`` (HlsOptions refuses a part, clock or board it cannot use)."""
    accelerator = board.backend == "VivadoAccelerator"
    return HlsOptions(
        io_type=cfg.io_type,
        strategy=cfg.strategy,
        backend=board.backend,
        part=board.part,
        clock_period=board.clock_period_ns,
        board=board.name if accelerator else None,
        interface=board.interface if accelerator else None,
        layer_reuse=reuse,
    )


def _run(
    board, src, hw_model, latent, test_x, train_x, out_dir, n, cfg, t_start, final_dir
) -> dict[str, Any]:
    plan = _plan(hw_model, board, cfg, out_dir / ".plan")
    shutil.rmtree(out_dir / ".plan", ignore_errors=True)
    opts = _options(board, cfg, plan.reuse)
    csim = build_csim(src.qonnx, out_dir / "hls_project", opts)

    z = torch.randn(n, latent, generator=torch.Generator().manual_seed(LATENT_SEED)).numpy()
    t0 = time.perf_counter()
    y_fpga = csim.predict(z)
    csim_s = time.perf_counter() - t0
    y_quant = reference_outputs(src.qonnx, z)
    exact = compare(y_fpga, y_quant, output_lsb(src.qonnx))
    np.save(out_dir / "csim_images.npy", y_fpga)
    tb_samples = _write_test_bench_data(csim, z, y_fpga)

    scorer = QualityScorer(load_classifier(), test_x[: max(n, 2)])
    quality = {
        "n_samples": n,
        "floor": scorer.scores(train_x[: max(n, 2)]),
        "fpga_csim": scorer.scores(torch.from_numpy(y_fpga)),
        "quantized_reference": scorer.scores(torch.from_numpy(y_quant)),
    }
    vs_float = None
    if src.teacher is not None:
        y_float = generate(src.teacher, torch.from_numpy(z)).numpy()
        quality["float_teacher"] = scorer.scores(torch.from_numpy(y_float))
        vs_float = {
            "psnr_db": psnr(y_float, y_fpga),
            "ssim": ssim(y_float, y_fpga),
            "max_abs_error": max_abs_error(y_float, y_fpga),
        }
        heat_scale = comparison_grid(out_dir / "float_vs_fpga.png", y_float, y_fpga)
    else:
        heat_scale = comparison_grid(out_dir / "float_vs_fpga.png", y_quant, y_fpga)
    layer_errors = _per_layer_errors(csim, src, z[:LAYER_TRACE_SAMPLES])

    cost = plan.cost
    roofline = cost.dsp_roofline(board.resources.dsp)
    report = {
        "board": dataclasses.asdict(board),
        "model": src.description,
        "n_latents": n,
        "hls": {
            "io_type": opts.io_type,
            "strategy": opts.strategy,
            "backend": opts.backend,
            "reuse": plan.reuse,
            "project": str(Path(final_dir).absolute() / csim.project_dir.name),
            "build_s": csim.build_s,
            "csim_s": csim_s,
            "csim_images_per_s": n / max(csim_s, 1e-9),
            "test_bench_samples": tb_samples,
        },
        "bit_exact": {
            "mismatching_elements": exact.mismatches,
            "elements": exact.n_elements,
            "max_lsb": exact.max_lsb,
            "reference": "qonnx execute_onnx",
        },
        "vs_float": vs_float,
        "heat_map_scale": heat_scale,
        "quality": quality,
        "metric_note": METRIC_NOTE,
        "metric": METRIC_NAME,
        "per_layer_error": layer_errors,
        "cost": {
            "layers": [dataclasses.asdict(layer) | {"bops": layer.bops} for layer in cost.layers],
            "totals": {
                k: cost.total(k)
                for k in ("macs", "bops", "multipliers", "dsp", "lut", "ff", "bram_18k")
            },
            "usage": plan.usage,
            "utilisation_limits": UTILISATION,
            "fits": plan.fits,
            "limiting": plan.limiting,
            "interval_cycles": cost.interval_cycles,
            "latency_cycles": cost.latency_cycles,
            "images_per_s": cost.images_per_s,
            "dsp_roofline_images_per_s": roofline,
            "fraction_of_roofline": cost.images_per_s / roofline if roofline else None,
            "gops": cost.images_per_s * 2 * cost.total("macs") / 1e9,
            "assumptions": ASSUMPTIONS,
        },
        # parameter bits the generated C++ declares (weights, biases, sparse indices), per layer
        "stored_bits": stored_bits(csim.hls_model),
        "synthesis": _synthesis(csim.hls_model, opts.backend),
        "wall_s": time.perf_counter() - t_start,
        "provenance": provenance(),
    }
    write_json_atomic(out_dir / "report.json", report)
    write_text_atomic(out_dir / "report.md", render_markdown(report))
    return report


def load_flow_config(path: str | None) -> HlsFlowConfig:
    if path is None:
        return HlsFlowConfig()
    try:
        return load_yaml(HlsFlowConfig, path)
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the config ({type(exc).__name__})") from None
