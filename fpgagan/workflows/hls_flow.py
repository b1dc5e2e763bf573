"""``make hls BOARD=...``: a board-fitted HLS project, its C simulation, the bit-exact proof, the
float-vs-FPGA image report and the cost model, for the shipped default or any QONNX generator.

The flow is a list of named steps (:data:`STEPS`), each taking and returning the
:class:`FlowState`, writing its artefact and checking it before the next step runs:

1. ``plan``: the model's engine layers (a probe conversion) and the board plan that fits
   (:mod:`fpgagan.hw.plan`) -> ``plan.json``;
2. ``build``: the HLS project with the plan's settings and, for an ``axi_stream`` board,
   fpgagan's AXI4-Stream shell (:mod:`fpgagan.shell.top`), compiled for C simulation; the cost
   model then counts the *built* project, which must be the planned one -> ``hls_project/``;
3. ``verify``: C simulation of ``n`` latents drawn in the model's own input shape ((N, nz) or
   (N, nz, 1, 1)), or, for an image-to-image generator, ``n`` test-split images at its size
   degraded by its task, against qonnx's execution and the integer reference ->
   ``csim_images.npy``, the vendor test benches' data (hls4ml's floats; the shell's raw integers);
4. ``score``: what applies to the model, each skipped score recorded with its reason:
   FID-FMNIST for 1x28x28 images of a latent generator (image tasks: PSNR/SSIM against ground
   truth and the task's baseline, ``task_grid.png``; an RGB 2x model fed photographs also Y-PSNR
   per photograph, ``sr_crops.png`` and frames/s at its frame, 1280x720 and 1920x1080 outputs:
   :mod:`fpgagan.workflows.hls_photo_sr`), PSNR/SSIM against the float teacher,
   per-layer errors -> ``float_vs_fpga.png`` (grey or colour, drawn in the output quantizer's
   range);
5. ``summarise``: the typed report -> ``report.json``, ``report.md``.

Everything is built in a hidden sibling of the output folder and swapped in whole at the end.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

from fpgagan.boards import Board, get_board
from fpgagan.config import load_yaml
from fpgagan.data import load_images
from fpgagan.data.tasks import TaskPairs
from fpgagan.errors import ConfigError, FpgaganError, PragmaError
from fpgagan.export import reference_outputs
from fpgagan.export.integer_reference import integer_reference
from fpgagan.folders import staged
from fpgagan.hls.dataflow_graph import extract
from fpgagan.hls.engine_layers import engine_layers
from fpgagan.hls.memory import coded_bits, stored_bits
from fpgagan.hw.plan import Plan, choice_of, evaluate
from fpgagan.images import UNIT_RANGE, range_of
from fpgagan.io import provenance, write_json_atomic, write_text_atomic
from fpgagan.report.classifier import load_classifier
from fpgagan.report.estimate import cost_estimate
from fpgagan.report.grids import comparison_grid
from fpgagan.report.hls_report import (
    BitExact,
    BoardSummary,
    CsimSummary,
    FloatComparison,
    HlsReport,
    ImageTaskScores,
    LayerError,
    PhotoSr,
    Quality,
    Scores,
    Skipped,
)
from fpgagan.report.image_metrics import max_abs_error, psnr, ssim
from fpgagan.report.quality import METRIC_NAME, METRIC_NOTE, QualityScorer
from fpgagan.report.render import render_markdown
from fpgagan.shell.pragmas import check_project
from fpgagan.sim import Comparison, CSim, build_csim, compare, output_lsb, output_range
from fpgagan.workflows.board_plan import (  # noqa: F401  (re-exported for callers)
    HlsFlowConfig,
    options,
    plan_board,
)
from fpgagan.workflows.hls_artefacts import (
    LAYER_TRACE,
    NO_TEACHER,
    per_layer_errors,
    synthesis,
    write_test_bench_data,
)
from fpgagan.workflows.hls_image_task import (
    LATENT,
    PHOTOS,
    UPSCALE,
    image_source,
    infer_task,
    score_task,
    task_pairs,
)
from fpgagan.workflows.hls_photo_sr import FRAMES, flow_frame_rates, photo_scores
from fpgagan.workflows.model_source import (  # noqa: F401  (re-exported for callers)
    ModelSource,
    check_teacher,
    default_model_dir,
    graph_dims,
    latent_shape,
    resolve_model,
    stored_teacher,
    teacher_outputs,
)

log = logging.getLogger(__name__)

LATENT_SEED = 1234
LAYER_TRACE_SAMPLES = 16
FID_SHAPE = (1, 28, 28)  # the images FID-FMNIST's classifier reads
CLASSIFIER_RANGE = (-1.0, 1.0)  # the range it was trained on
FLOAT_COMPARISON = "float comparison"
# everything a run writes into its output folder (built aside, swapped in whole at the end)
ARTEFACTS = (
    "plan.json",
    "hls_project",
    "csim_images.npy",
    "float_vs_fpga.png",
    "report.md",
    "report.json",
)


@dataclasses.dataclass
class FlowState:
    """What the steps hand on to each other."""

    board: Board
    cfg: HlsFlowConfig
    src: ModelSource
    work: Path  # the staged output folder
    final_dir: Path
    n: int
    data_root: str | None
    task: str = LATENT  # latent, or an image-to-image generator's sr2x or inpaint
    step_s: dict[str, float] = dataclasses.field(default_factory=dict)
    plan: Plan | None = None
    csim: CSim | None = None
    built: Plan | None = None
    z: np.ndarray | None = None
    y_fpga: np.ndarray | None = None
    y_quant: np.ndarray | None = None
    csim_s: float = 0.0
    exact: Comparison | None = None
    exact_independent: Comparison | None = None
    tb_samples: int = 0
    quality: Quality | None = None
    vs_float: FloatComparison | None = None
    heat_scale: float = 0.0
    layer_errors: tuple[LayerError, ...] = ()
    pairs: TaskPairs | None = None
    image_task: ImageTaskScores | None = None
    photo_sr: PhotoSr | None = None  # an RGB super-resolution model fed photographs
    image_shape: tuple[int, ...] = ()  # the model's output (C, H, W)
    value_range: tuple[float, float] = UNIT_RANGE  # [lo, hi) of its output quantizer
    y_float: np.ndarray | None = None  # the float teacher's images, when there is one
    skipped: list[Skipped] = dataclasses.field(default_factory=list)
    report: HlsReport | None = None
    pragmas: int = 0  # HLS pragmas of the project, each checked against the board's tool


def default_out_dir(board: str) -> Path:
    """``runs/hls-<board name>``, also for a board given as a path to its YAML file."""
    return Path("runs") / f"hls-{get_board(board).name}"


# --------------------------------------------------------------------------- steps


def step_plan(st: FlowState) -> FlowState:
    """Engine layers of a probe conversion -> the fastest plan that fits the board."""
    st.plan = plan_board(st.src.qonnx, st.board, st.cfg, st.work)
    write_json_atomic(
        st.work / "plan.json",
        {
            "board": st.board.name,
            "layers": st.plan.layer_config(),
            "fifo_depths": list(st.plan.fifos.depths),
            "interval_cycles": st.plan.interval_cycles,
            "usage": st.plan.usage,
            "fits": st.plan.fits,
            # weights off chip: bytes read from DDR per image, and the bandwidth at the plan's rate
            "ddr_bytes_per_image": st.plan.ddr_bytes,
            "ddr_gb_s": st.plan.ddr_gb_s,
        },
    )
    return st


def step_build(st: FlowState) -> FlowState:
    """The HLS project with the plan's settings, compiled; its layers counted as built."""
    assert st.plan is not None
    st.csim = build_csim(
        st.src.qonnx,
        st.work / "hls_project",
        options(st.board, st.cfg, st.plan.layer_config()),
        shell=st.board if st.board.interface == "axi_stream" else None,
    )
    shapes = [layer.shape() for layer in engine_layers(st.csim.hls_model)]
    flow = extract(st.csim.hls_model)
    if flow.order != st.plan.flow.order or flow.edges != st.plan.flow.edges:
        raise RuntimeError("the built project's processes and streams differ from the plan's")
    st.built = evaluate(shapes, st.board, fifo_depths=list(st.plan.fifos.depths), flow=flow)
    built = {s.name: choice_of(s) for s in shapes}
    if built != st.plan.choices:  # the estimate must describe the project that was generated
        raise RuntimeError(f"built layers {built} differ from the plan {st.plan.choices}")
    try:  # every pragma of the project is one the board's tool documents (fpgagan's own code)
        st.pragmas = len(check_project(st.work / "hls_project", st.board.hls_tool))
    except PragmaError as exc:
        raise RuntimeError(
            f"the generated project is not a {st.board.hls_tool} project: {exc}"
        ) from None
    return st


def step_verify(st: FlowState) -> FlowState:
    """C simulation of ``n`` latents in the model's input shape (or task inputs), compared element
    by element with qonnx's execution and with the integer reference."""
    assert st.csim is not None
    st.image_shape = tuple(graph_dims(st.src.qonnx.graph.output[0])[1:])
    rng = output_range(st.src.qonnx)
    st.value_range = rng or UNIT_RANGE  # [lo, hi) of the output quantizer
    if st.task != LATENT:  # test images, fed in the range the model's images come out in
        source = image_source(st.cfg.images, st.task, st.image_shape)
        st.pairs = task_pairs(
            st.task, st.n, st.data_root, st.image_shape, st.value_range, images=source
        )
        st.z = np.ascontiguousarray(st.pairs.inputs.numpy())
    else:
        gen = torch.Generator().manual_seed(LATENT_SEED)
        st.z = torch.randn(st.n, *latent_shape(st.src.qonnx), generator=gen).numpy()
    t0 = time.perf_counter()
    st.y_fpga = st.csim.predict(st.z)
    st.csim_s = time.perf_counter() - t0
    st.y_quant = reference_outputs(st.src.qonnx, st.z)
    lsb = output_lsb(st.src.qonnx)
    st.exact = compare(st.y_fpga, st.y_quant, lsb)
    # the model as given, before fpgagan's graph rewrites: a rewrite that changed the math would
    # fool the first comparison (both sides run the rewritten graph), not this one
    st.exact_independent = compare(st.y_fpga, integer_reference(st.src.qonnx).run(st.z), lsb)
    np.save(st.work / "csim_images.npy", st.y_fpga)
    st.tb_samples = write_test_bench_data(st.csim, st.z, st.y_fpga)
    saved = np.load(st.work / "csim_images.npy")
    if saved.shape != st.y_quant.shape or not np.isfinite(saved).all():
        raise RuntimeError(f"csim_images.npy holds {saved.shape}, expected {st.y_quant.shape}")
    if rng is None and st.task == LATENT:  # no output quantizer: drawn in the images' own range
        st.value_range = range_of(st.y_quant)
    return st


def _bit_exact(c: Comparison, reference: str) -> BitExact:
    return BitExact(c.mismatches, c.n_elements, c.max_lsb, reference)


def _scores(s: dict[str, float]) -> Scores:
    return Scores(fid=s["fid"], inception_score=s["is"])


def step_score(st: FlowState) -> FlowState:
    """What applies to the model, and what does not with its reason: float-vs-FPGA PSNR/SSIM
    (with a teacher), FID-FMNIST (1x28x28 images of a latent generator) or scores against ground
    truth (image tasks), the comparison grid, per-layer errors."""
    assert st.y_fpga is not None and st.y_quant is not None and st.z is not None
    st.y_float = teacher_outputs(st.src, st.z)
    _score_vs_float(st)
    if st.task == LATENT:
        _score_latent(st)
    else:
        _score_image_task(st)
    left = st.y_quant if st.y_float is None else st.y_float
    st.heat_scale = comparison_grid(
        st.work / "float_vs_fpga.png", left, st.y_fpga, value_range=st.value_range
    )
    st.layer_errors, why = per_layer_errors(
        st.csim, st.src, st.z[:LAYER_TRACE_SAMPLES], image_task=st.task != LATENT
    )
    if why is not None:
        st.skipped.append(Skipped(LAYER_TRACE, why))
    pictures = ["float_vs_fpga.png"] + (["task_grid.png"] if st.task != LATENT else [])
    pictures += [st.photo_sr.picture] if st.photo_sr is not None else []
    for name in pictures:
        if not (st.work / name).is_file():
            raise RuntimeError(f"{name} was not written")
    return st


def _score_vs_float(st: FlowState) -> None:
    """PSNR / SSIM of the FPGA's images against the float teacher's, over the output's range."""
    assert st.y_fpga is not None
    if st.y_float is None:
        st.skipped.append(Skipped(FLOAT_COMPARISON, NO_TEACHER))
        return
    width = st.value_range[1] - st.value_range[0]
    st.vs_float = FloatComparison(
        psnr_db=psnr(st.y_float, st.y_fpga, width),
        ssim=ssim(st.y_float, st.y_fpga, width),
        max_abs_error=max_abs_error(st.y_float, st.y_fpga),
    )


def _score_latent(st: FlowState) -> None:
    """FID-FMNIST where the classifier can read the images; otherwise the reason it cannot."""
    if st.image_shape == FID_SHAPE:
        st.quality = _quality(st)
        return
    shape = "x".join(map(str, st.image_shape))
    st.skipped.append(
        Skipped(METRIC_NAME, f"its classifier reads 1x28x28 images, the model makes {shape}")
    )


def _score_image_task(st: FlowState) -> None:
    """Scores against ground truth and the task grid of an image-to-image model."""
    assert st.pairs is not None and st.y_fpga is not None and st.y_quant is not None
    st.image_task = score_task(
        st.task, st.pairs, st.y_quant, st.y_fpga, st.y_float, st.work, st.value_range
    )
    if image_source(st.cfg.images, st.task, st.image_shape) == PHOTOS:
        _score_photos(st)
    st.skipped.append(
        Skipped(METRIC_NAME, f"{st.task} is scored against ground truth (PSNR, SSIM) instead")
    )


def _score_photos(st: FlowState) -> None:
    """An RGB super-resolution model fed photographs: scores per photograph, the crop picture,
    frames/s at its own frame and at video frame sizes (skipped, with the reason, for a model
    that cannot be resized)."""
    assert st.pairs is not None and st.y_fpga is not None and st.plan is not None
    scale = UPSCALE[st.task]
    section = photo_scores(st.pairs, st.y_fpga, st.y_float, scale, st.value_range, st.work)
    try:
        frames = flow_frame_rates(
            st.src.qonnx, st.board, st.cfg, st.plan, st.step_s["plan"], scale, st.src.description
        )
    except FpgaganError as exc:  # e.g. a node that depends on the frame's size
        st.skipped.append(Skipped(FRAMES, str(exc)))
        frames = ()
    st.photo_sr = dataclasses.replace(section, frames=frames)


def _for_classifier(images: np.ndarray, value_range: tuple[float, float]) -> torch.Tensor:
    """Images in ``value_range`` mapped affinely onto the classifier's [-1, 1]."""
    if tuple(value_range) == CLASSIFIER_RANGE:
        return torch.from_numpy(images)
    lo, hi = value_range
    return torch.from_numpy((images - lo) * (2.0 / (hi - lo)) - 1.0)


def _quality(st: FlowState) -> Quality:
    """FID-FMNIST and the classifier IS of the FPGA's, the quantized model's and the float
    teacher's images, with the floor of real training images."""
    assert st.y_fpga is not None and st.y_quant is not None
    test_x, _ = load_images("fashion-mnist", "test", st.data_root)
    train_x, _ = load_images("fashion-mnist", "train", st.data_root)
    scorer = QualityScorer(load_classifier(), test_x[: max(st.n, 2)])

    def scores(images: np.ndarray) -> Scores:
        return _scores(scorer.scores(_for_classifier(images, st.value_range)))

    return Quality(
        metric=METRIC_NAME,
        metric_note=METRIC_NOTE,
        n_samples=st.n,
        floor=_scores(scorer.scores(train_x[: max(st.n, 2)])),
        fpga_csim=scores(st.y_fpga),
        quantized_reference=scores(st.y_quant),
        float_teacher=None if st.y_float is None else scores(st.y_float),
    )


def step_summarise(st: FlowState) -> FlowState:
    """The typed report, written as report.json and report.md (and read back to check it)."""
    assert st.csim is not None and st.built is not None
    assert st.exact is not None and st.exact_independent is not None and st.plan is not None
    # every score the task has was made, or its reason for not being made was recorded
    if st.task == LATENT:
        assert st.quality is not None or any(s.name == METRIC_NAME for s in st.skipped)
    else:
        assert st.image_task is not None
    b = st.board
    opts = options(b, st.cfg, st.plan.layer_config())
    st.report = HlsReport(
        board=BoardSummary(
            name=b.name,
            part=b.part,
            clock_mhz=b.clock_mhz,
            backend=b.backend,
            lut=b.resources.lut,
            ff=b.resources.ff,
            dsp=b.resources.dsp,
            bram_18k=b.resources.bram_18k,
            uram=b.resources.uram,
            source=b.source,
        ),
        model=st.src.description,
        model_path=st.src.path,
        n_latents=st.n,
        csim=CsimSummary(
            io_type=opts.io_type,
            backend=opts.backend,
            project=str(Path(st.final_dir).absolute() / st.csim.project_dir.name),
            build_s=st.csim.build_s,
            csim_s=st.csim_s,
            images_per_s=st.n / max(st.csim_s, 1e-9),
            test_bench_samples=st.tb_samples,
            layer_config=st.plan.layer_config(),
        ),
        bit_exact=_bit_exact(st.exact, "qonnx execute_onnx of the converter's graph"),
        bit_exact_independent=_bit_exact(
            st.exact_independent, "integer reference of the model as given (before rewrites)"
        ),
        vs_float=st.vs_float,
        heat_map_scale=st.heat_scale,
        quality=st.quality,
        image_task=st.image_task,
        per_layer_error=st.layer_errors,
        cost=cost_estimate(st.built, b),
        # parameter bits the generated C++ declares (weights, biases, sparse schedule), per layer
        stored_bits=stored_bits(st.csim.hls_model),
        # codebook layers: indices Huffman-coded on their histogram + codebook (a storage bound)
        huffman_bits=coded_bits(st.csim.hls_model),
        synthesis=synthesis(st.csim.hls_model, opts.backend),
        wall_s=sum(st.step_s.values()),
        provenance=provenance(),
        step_s=dict(st.step_s),
        skipped=tuple(st.skipped),
        photo_sr=st.photo_sr,
    )
    write_json_atomic(st.work / "report.json", st.report.to_json())
    write_text_atomic(st.work / "report.md", render_markdown(st.report))
    data = json.loads((st.work / "report.json").read_text())
    back = HlsReport.from_json(data).to_json()  # compared as JSON: NaN scores equal themselves
    if json.dumps(back, sort_keys=True) != json.dumps(data, sort_keys=True):
        raise RuntimeError("report.json does not read back as the report")
    return st


STEPS: tuple[tuple[str, Callable[[FlowState], FlowState]], ...] = (
    ("plan", step_plan),
    ("build", step_build),
    ("verify", step_verify),
    ("score", step_score),
    ("summarise", step_summarise),
)


def run_hls_flow(
    board_name: str,
    out_dir: Path,
    model: str | None = None,
    n: int = 1000,
    cfg: HlsFlowConfig | None = None,
    teacher: str | None = None,
    data_root: str | None = None,
    task: str | None = None,
) -> HlsReport:
    """Everything ``make hls`` does; returns the report also written to ``out_dir``."""
    cfg = cfg or HlsFlowConfig()
    board = get_board(board_name)
    if cfg.clock_mhz:  # the override holds for the plan, the project and the report alike
        board = dataclasses.replace(board, clock_mhz=cfg.clock_mhz)
    options(board, cfg)  # part, clock and board checked before any work
    if board.interface == "axi_stream" and cfg.io_type != "io_stream":
        raise ConfigError(
            f"board {board.name}: its AXI4-Stream shell needs io_type io_stream, not {cfg.io_type}"
        )
    # built in a hidden sibling, swapped in whole: a failure or an interrupt leaves the previous
    # result (or nothing); a folder fpgagan did not make, or one in use, is refused first
    with staged(out_dir, "board flow output") as work:
        t0 = time.perf_counter()
        src = resolve_model(model, teacher)
        check_teacher(src)
        found = infer_task(src.qonnx, task or src.task, src.path or src.description)
        st = FlowState(board, cfg, src, work, out_dir, n, data_root, found)
        st.step_s["load"] = time.perf_counter() - t0
        for name, step in STEPS:
            t0 = time.perf_counter()
            log.info("step %s", name)
            st = step(st)
            st.step_s[name] = time.perf_counter() - t0
        assert st.report is not None
        return st.report


def load_flow_config(path: str | None) -> HlsFlowConfig:
    if path is None:
        return HlsFlowConfig()
    try:
        return load_yaml(HlsFlowConfig, path)
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the config ({type(exc).__name__})") from None
