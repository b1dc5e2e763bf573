"""The board flow's report as frozen dataclasses: what ``report.json`` holds, typed.

Every consumer (``report.md``, the CLI summary, the compression table, the notebooks) reads these
fields instead of string keys.  :meth:`HlsReport.to_json` writes plain JSON with
``"version": REPORT_VERSION``; :meth:`HlsReport.from_json` reads it back and refuses another
version (a cached report from an older fpgagan is rebuilt, not misread).
"""

from __future__ import annotations

import dataclasses
import types
import typing
from typing import Any

from fpgagan.errors import ConfigError
from fpgagan.report.sr_metrics import SrScore, mean_score

REPORT_VERSION = 4  # 3: ``skipped`` (what was not scored, and why); 4: ``photo_sr``


@dataclasses.dataclass(frozen=True)
class BoardSummary:
    name: str
    part: str
    clock_mhz: float
    backend: str
    lut: int
    ff: int
    dsp: int
    bram_18k: int
    uram: int
    source: str


@dataclasses.dataclass(frozen=True)
class CsimSummary:
    io_type: str
    backend: str
    project: str
    build_s: float
    csim_s: float
    images_per_s: float
    test_bench_samples: int
    layer_config: dict[str, dict[str, Any]]  # the plan, as hls4ml layer config keys


@dataclasses.dataclass(frozen=True)
class BitExact:
    mismatching_elements: int
    elements: int
    max_lsb: float | None
    reference: str

    @property
    def exact(self) -> bool:
        return self.mismatching_elements == 0


@dataclasses.dataclass(frozen=True)
class FloatComparison:
    psnr_db: float
    ssim: float
    max_abs_error: float


@dataclasses.dataclass(frozen=True)
class Scores:
    fid: float
    inception_score: float


@dataclasses.dataclass(frozen=True)
class Quality:
    metric: str
    metric_note: str
    n_samples: int
    floor: Scores
    fpga_csim: Scores
    quantized_reference: Scores
    float_teacher: Scores | None = None

    def rows(self) -> list[tuple[str, Scores]]:
        named = [
            ("floor (real training images)", self.floor),
            ("FPGA C simulation", self.fpga_csim),
            ("quantized reference (qonnx)", self.quantized_reference),
            ("float teacher", self.float_teacher),
        ]
        return [(k, v) for k, v in named if v is not None]


@dataclasses.dataclass(frozen=True)
class LayerError:
    layer: str
    elements: int
    rmse: float
    max_abs: float
    sqnr_db: float


@dataclasses.dataclass(frozen=True)
class CostItem:
    """``count`` instances of one building block, with where its unit cost comes from."""

    what: str
    count: float
    lut: float
    ff: float
    dsp: float
    bram_18k: float
    source: str


@dataclasses.dataclass(frozen=True)
class LayerEstimate:
    name: str
    kernel: str
    schedule: str  # "dense", "sparse" or "codebook"
    n_par: int
    k_par: int
    n_steps: int
    lanes: int
    dsp_lanes: int
    macs: int
    bops: int
    weight_bits: int
    input_bits: int
    accum_bits: int
    lane_use: float
    cycles_stream_in: int
    cycles_compute: int
    cycles_refill: int
    cycles: int
    lut: float
    ff: float
    dsp: float
    bram_18k: float
    items: tuple[CostItem, ...]
    mults_per_output: int = 0  # multipliers feeding one output: k_par, or a codebook's entries


@dataclasses.dataclass(frozen=True)
class StageEstimate:
    """A process other than an engine layer: data movement, a merge, a stream clone."""

    name: str
    kind: str
    cycles: int
    lut: float
    ff: float
    dsp: float
    bram_18k: float
    items: tuple[CostItem, ...]


@dataclasses.dataclass(frozen=True)
class Totals:
    macs: int
    bops: int
    lanes: int
    lut: float
    ff: float
    dsp: float
    bram_18k: float


@dataclasses.dataclass(frozen=True)
class CostEstimate:
    layers: tuple[LayerEstimate, ...]
    fifos: tuple[CostItem, ...]
    fifo_depths: tuple[int, ...]
    totals: Totals
    usage: dict[str, float]
    utilisation_limits: dict[str, float]
    fits: bool
    limiting: str
    interval_cycles: int
    slowest_layer_cycles: int
    latency_cycles: int
    images_per_s: float
    dsp_roofline_images_per_s: float
    fraction_of_roofline: float | None
    gops: float
    unit_costs: dict[str, str]  # how the unit-cost table was measured (yosys version, command)
    notes: tuple[str, ...]
    stages: tuple[StageEstimate, ...] = ()  # processes other than engine layers
    streams: tuple[str, ...] = ()  # "producer -> consumer" of each FIFO, in fifo_depths' order
    # the board design around the accelerator (shell, HLS control, vendor IP); ``totals`` and
    # ``usage`` are the whole design's, ``accelerator`` the HLS IP alone (what csynth reports)
    system: tuple[CostItem, ...] = ()
    accelerator: Totals | None = None
    # weights off chip: bytes the off-chip layers read from DDR per image, the bandwidth that is
    # at images_per_s, the board's sustained DDR rate, and the cycles per image the DDR needs
    ddr_bytes_per_image: int = 0
    ddr_gb_s: float = 0.0
    ddr_sustained_gb_s: float = 0.0
    ddr_cycles: int = 0


@dataclasses.dataclass(frozen=True)
class TaskScore:
    """One image source scored against the ground truth of an image-to-image task."""

    source: str  # "float teacher", "quantized (qonnx)", "FPGA (C simulation)", the baseline
    psnr_db: float
    ssim: float
    patch_psnr_db: float | None = None  # inpaint: PSNR inside the restored patch


@dataclasses.dataclass(frozen=True)
class ImageTaskScores:
    """An image-to-image generator's outputs on test images, against their ground truth."""

    task: str
    n_images: int
    split: str
    baseline: str  # what the task's classical answer is (bicubic upsampling, the masked input)
    scores: tuple[TaskScore, ...]


@dataclasses.dataclass(frozen=True)
class FrameRate:
    """One plan of a fully convolutional model at one frame size: its rate, resources and
    on-chip memory (:mod:`fpgagan.workflows.frame_rates`)."""

    board: str
    out_height: int
    out_width: int
    in_height: int
    in_width: int
    clock_mhz: float
    interval_cycles: int
    frames_per_s: float
    fits: bool
    limiting: str
    usage: dict[str, float]
    memory_bits: int  # every array of every engine layer (weights, biases, line buffers, ...)
    buffer_bits: int  # of which line buffers
    bram_18k: int  # block RAMs of those arrays
    plan_s: float  # seconds the planning took
    fifo_bits: int = 0  # the streams' FIFOs between processes (depth x element bits, summed)
    # whether every engine layer has the parallelism and schedule of the plan it is compared
    # with (the board flow's own, at the model's frame); None when not compared
    same_layers: bool | None = None

    @property
    def label(self) -> str:
        return f"{self.out_width}x{self.out_height}"


@dataclasses.dataclass(frozen=True)
class SrPhoto:
    """One held-out photograph's crop upscaled: bicubic, the FPGA (C simulation) and, with a
    teacher, the float model, each scored against the crop (:mod:`fpgagan.report.sr_metrics`)."""

    photo: str
    bicubic: SrScore
    fpga: SrScore
    float_teacher: SrScore | None = None


@dataclasses.dataclass(frozen=True)
class PhotoSr:
    """Super-resolution of photographs by an RGB image-to-image model: per-photograph scores as
    the literature reports them, the crop picture, and frames/s at the model's own frame and,
    planned on the same board with the same settings, at video frame sizes."""

    scale: int  # also the border cropped before scoring
    height: int  # of the crops (the model's output)
    width: int
    photos: tuple[SrPhoto, ...]
    picture: str  # file name: bicubic | FPGA | ground truth, one row per photograph
    frames: tuple[FrameRate, ...] = ()  # the model's own frame first

    @property
    def mean_bicubic(self) -> SrScore:
        return mean_score([p.bicubic for p in self.photos])

    @property
    def mean_fpga(self) -> SrScore:
        return mean_score([p.fpga for p in self.photos])

    @property
    def mean_float(self) -> SrScore | None:
        scores = [p.float_teacher for p in self.photos]
        return None if any(s is None for s in scores) else mean_score(scores)  # type: ignore[arg-type]


@dataclasses.dataclass(frozen=True)
class Skipped:
    """A score or picture the flow did not make for this model, and why (one line)."""

    name: str  # e.g. "FID-FMNIST", "float comparison", "per-layer error"
    reason: str


def huffman_bound(stored_bits: dict[str, dict[str, int]], huffman_bits: dict[str, int]) -> int:
    """All stored bits with every codebook layer's indices and codebook replaced by their
    Huffman-coded size: the storage bound of Deep Compression's third stage."""
    total = 0
    for name, arrays in stored_bits.items():
        if name in huffman_bits:
            rest = {k: v for k, v in arrays.items() if k not in ("indices", "codebook")}
            total += huffman_bits[name] + sum(rest.values())
        else:
            total += sum(arrays.values())
    return total


@dataclasses.dataclass(frozen=True)
class HlsReport:
    board: BoardSummary
    model: str  # a description of the model
    model_path: str | None  # the model file, when one was given
    n_latents: int
    csim: CsimSummary
    bit_exact: BitExact  # against qonnx's execution of the graph the converter reads
    # against the exact integer reference of the model as given (before fpgagan's rewrites)
    bit_exact_independent: BitExact
    vs_float: FloatComparison | None
    heat_map_scale: float
    quality: Quality | None  # FID-FMNIST of 1x28x28 latent-to-image images (else in skipped)
    per_layer_error: tuple[LayerError, ...]
    cost: CostEstimate
    stored_bits: dict[str, dict[str, int]]  # per layer: bits of each array the design declares
    synthesis: dict[str, Any]
    wall_s: float
    provenance: dict[str, Any]
    step_s: dict[str, float]  # seconds each step of the flow took
    version: int = REPORT_VERSION
    image_task: ImageTaskScores | None = None  # an image-to-image generator's scores
    # per codebook layer: its indices Huffman-coded plus its codebook (fpgagan.hls.memory.coded_bits)
    huffman_bits: dict[str, int] = dataclasses.field(default_factory=dict)
    skipped: tuple[Skipped, ...] = ()  # what does not apply to this model, each with its reason
    # an RGB super-resolution model fed the held-out photographs: Y-PSNR per photograph, frames/s
    photo_sr: PhotoSr | None = None

    @property
    def stored_bits_total(self) -> int:
        return sum(sum(v.values()) for v in self.stored_bits.values())

    @property
    def huffman_bound_bits(self) -> int:
        return huffman_bound(self.stored_bits, self.huffman_bits)

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> HlsReport:
        if data.get("version") != REPORT_VERSION:
            raise ConfigError(
                f"report version {data.get('version')!r} is not {REPORT_VERSION}; run the flow again"
            )
        return _build(cls, data)


def _build(tp: Any, value: Any) -> Any:
    """``value`` (from JSON) as an instance of the annotation ``tp``."""
    origin = typing.get_origin(tp)
    if dataclasses.is_dataclass(tp):
        hints = typing.get_type_hints(tp)
        return tp(
            **{
                f.name: _build(hints[f.name], value[f.name])
                for f in dataclasses.fields(tp)
                if f.name in value
            }
        )
    if origin in (typing.Union, types.UnionType):
        if value is None:
            return None
        (inner,) = [a for a in typing.get_args(tp) if a is not type(None)]
        return _build(inner, value)
    if origin is tuple:
        (inner, _) = typing.get_args(tp)
        return tuple(_build(inner, v) for v in value)
    return value
