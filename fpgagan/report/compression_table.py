"""The compression table's rows and files: ``table.{md,csv,json}`` and ``pareto.png``."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path

from fpgagan.io import atomic_path
from fpgagan.report.pareto import pareto_plot
from fpgagan.report.tables import Column, markdown_table, write_tables

# the targets: a Pareto recipe >= 16x within 1.25x the teacher's FID (stretch 32x, 1.5x)
TARGETS = ((16.0, 1.25), (32.0, 1.5))
# issue #15's targets for weight-sharing (codebook) recipes: >= 24x within 1.25x, >= 40x within 1.5x
ENCODING_TARGETS = ((24.0, 1.25), (40.0, 1.5))
GENERATE = "generate"  # the latent -> image task; any other task is image -> image (PSNR/SSIM)


@dataclasses.dataclass(frozen=True)
class Row:
    """One recipe.  A recipe whose training or board flow failed has only its name, precision and
    ``error`` (one line: which stage, the exception type, its message); every figure is None.

    Latent generators are scored by FID-FMNIST (``fid``, ``fid_ratio``, ``inception_score``);
    image-to-image generators (``task`` other than ``generate``) against ground truth on the test
    split instead: ``gt_psnr_db`` / ``gt_ssim`` of the model (float or quantized, every test
    image), ``gt_drop_db`` below the float teacher, ``fpga_gt_psnr_db`` of the C-simulated images
    (the ``csim_latents`` test images of the bit-exact check)."""

    recipe: str
    precision: str
    params: int | None
    stored_bits: int | None  # weights, biases and sparse indices as the HLS design declares them
    compression: float | None
    macs: int | None
    bops: int | None
    fid: float | None
    fid_ratio: float | None
    inception_score: float | None
    csim_bit_exact: bool | None
    csim_latents: int | None
    psnr_db: float | None
    dsp: float | None
    lut: float | None
    bram_18k: float | None
    images_per_s: float | None
    fits: bool | None
    pareto: bool = False
    error: str | None = None
    task: str = GENERATE
    gt_psnr_db: float | None = None
    gt_ssim: float | None = None
    gt_drop_db: float | None = None
    fpga_gt_psnr_db: float | None = None
    # codebook layers' indices Huffman-coded (Deep Compression's third stage): a storage bound
    huffman_compression: float | None = None

    @classmethod
    def failed(cls, recipe: str, precision: str, error: str) -> Row:
        empty = {f.name: None for f in dataclasses.fields(cls) if f.default is dataclasses.MISSING}
        return cls(**{**empty, "recipe": recipe, "precision": precision, "error": error})

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def loss(self) -> float | None:
        """What the Pareto front minimises: FID, or minus PSNR for an image-to-image task."""
        if self.task == GENERATE:
            return self.fid
        return None if self.gt_psnr_db is None else -self.gt_psnr_db


COLUMNS: tuple[Column, ...] = (
    ("recipe", "recipe", "{}"),
    ("precision", "precision", "{}"),
    ("params", "params", "{:,}"),
    ("stored_bits", "stored bits", "{:,}"),
    ("compression", "compression", "{:.1f}x"),
    ("macs", "MACs", "{:,}"),
    ("bops", "BOPs", "{:.3g}"),
    ("fid", "FID-FMNIST", "{:.2f}"),
    ("fid_ratio", "/ teacher", "{:.3f}"),
    ("inception_score", "IS", "{:.2f}"),
    ("csim_bit_exact", "csim exact", "{}"),
    ("psnr_db", "PSNR dB", "{:.2f}"),
    ("dsp", "DSP", "{:,.0f}"),
    ("lut", "LUT", "{:,.0f}"),
    ("bram_18k", "BRAM_18K", "{:,.0f}"),
    ("images_per_s", "images/s", "{:,.0f}"),
    ("fits", "fits", "{}"),
    ("pareto", "Pareto", "{}"),
)
# image-to-image tables: quality against ground truth instead of FID / IS
IMAGE_TASK_QUALITY: tuple[Column, ...] = (
    ("gt_psnr_db", "PSNR dB", "{:.2f}"),
    ("gt_ssim", "SSIM", "{:.4f}"),
    ("gt_drop_db", "- teacher dB", "{:.2f}"),
    ("csim_bit_exact", "csim exact", "{}"),
    ("fpga_gt_psnr_db", "FPGA PSNR dB", "{:.2f}"),
    ("psnr_db", "FPGA vs teacher dB", "{:.2f}"),
)
FAILED_COLUMN: Column = ("error", "failed", "{}")  # shown only when some recipe failed
HUFFMAN_COLUMN: Column = ("huffman_compression", "Huffman bound", "{:.1f}x")  # codebook rows


def columns_for(rows: Sequence[Row]) -> tuple[Column, ...]:
    """The table's columns: FID-scored for latent generators, ground-truth-scored otherwise."""
    columns = COLUMNS
    if any(r.task != GENERATE for r in rows):
        quality = {"fid", "fid_ratio", "inception_score", "csim_bit_exact", "psnr_db"}
        at = [c[0] for c in COLUMNS].index("fid")
        kept = [c for c in COLUMNS if c[0] not in quality]
        columns = (*kept[:at], *IMAGE_TASK_QUALITY, *kept[at:])
    if any(r.huffman_compression is not None for r in rows):
        at = [c[0] for c in columns].index("compression") + 1
        columns = (*columns[:at], HUFFMAN_COLUMN, *columns[at:])
    return columns + ((FAILED_COLUMN,) if any(not r.ok for r in rows) else ())


def markdown(
    rows: Sequence[Row], board: str, n: int, floor: float | None = None, scoring: str = ""
) -> str:
    columns = columns_for(rows)
    if any(r.task != GENERATE for r in rows):
        quality = [
            f"- PSNR dB, SSIM: against the ground truth, {scoring or 'see each run'}; - teacher "
            "dB: below the float teacher of the same task.",
            f"- csim exact: C simulation of the HLS design equals qonnx execute_onnx on {n} test "
            "inputs (0 mismatching elements); FPGA PSNR dB: those C-simulated images against "
            "their ground truth; FPGA vs teacher dB: against the float teacher's images.",
        ]
    else:
        quality = [
            f"- FID-FMNIST: Frechet distance on fpgagan's own Fashion-MNIST classifier features "
            f"(not Inception), {scoring or 'see each run'}"
            f"{'' if floor is None else f'; floor (train vs test) {floor:.2f}'}.",
            f"- csim exact: C simulation of the HLS design equals qonnx execute_onnx on {n} "
            "latents (0 mismatching elements).",
        ]
    notes = [
        "",
        *quality,
        "- compression: float32 bits of the teacher's weights and biases / bits the HLS design "
        "stores (weights, biases, sparse indices).",
        "- MACs: multiplications per image the design performs (a layer whose quantized weights are "
        ">= 50% zeros, by pruning or by low-bit rounding, gets a sparse kernel that skips them); "
        "a codebook layer performs K per output; BOPs = MACs x weight bits x input bits.",
        f"- DSP, LUT, BRAM_18K, images/s, fits: fpgagan's analytic cost model on the {board} "
        "(an estimate, not synthesis).",
    ]
    if any(r.huffman_compression is not None for r in rows):
        notes.append(
            "- Huffman bound: the compression if every codebook layer's stored indices were "
            "Huffman-coded on their own histogram (Deep Compression's third stage; code tables "
            "not counted); the design stores fixed-width indices (the compression column)."
        )
    if any(not r.ok for r in rows):
        notes.append("- failed: the stage that failed and its one-line error; the others ran.")
    records = [dataclasses.asdict(r) for r in rows]
    return markdown_table(columns, records) + "\n" + "\n".join(notes) + "\n"


def write_table(
    rows: Sequence[Row],
    out_dir: Path,
    board: str,
    n: int,
    floor: float | None = None,
    scoring: str = "",
) -> None:
    write_tables(
        out_dir,
        [dataclasses.asdict(r) for r in rows],
        markdown(rows, board, n, floor, scoring),
        {"board": board, "csim_latents": n, "fid_floor": floor},
    )
    ok = [r for r in rows if r.ok]
    with atomic_path(out_dir / "pareto.png") as tmp:
        if any(r.task != GENERATE for r in rows):
            pareto_plot(
                [(r.recipe, r.compression, r.gt_psnr_db, r.pareto) for r in ok],
                tmp,
                y_label="PSNR dB against ground truth (higher is better)",
            )
        else:
            pareto_plot(
                [(r.recipe, r.compression, r.fid, r.pareto) for r in ok],
                tmp,
                teacher_fid=next((r.fid for r in ok if r.precision == "float32"), None),
                targets=plot_targets(ok),
            )


def is_codebook(row: Row) -> bool:
    """A weight-sharing recipe: its precision tag names K (``W6A8 K4``)."""
    return " K" in row.precision


def plot_targets(rows: Sequence[Row]) -> tuple[tuple[float, float], ...]:
    """The targets the plot marks: the encoding ones for a table of codebook recipes (with the
    float teacher), the compression table's otherwise, both for a mix."""
    quantized = [r for r in rows if r.precision != "float32"]
    coded = [r for r in quantized if is_codebook(r)]
    if coded and len(coded) == len(quantized):
        return ENCODING_TARGETS
    return TARGETS + ENCODING_TARGETS if coded else TARGETS
