"""``make bench-compression``: every compression recipe on one table, each verified in C simulation.

For every recipe (``configs/compression/*.yaml``): train it (or resume/reuse its run folder), then
run the board flow on its generator (HLS project, C simulation on ``n`` latents compared bit for bit
with qonnx, PSNR against the float teacher, cost model on the board) and collect one row.  Writes
``table.md``, ``table.csv``, ``table.json``, ``pareto.png`` and ``samples/<recipe>.png``.

Compression ratio = float32 bits of the teacher's weights and biases / bits the HLS design stores
for the recipe's generator (weights at their width, biases at theirs, sparse indices included).
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import io
import json
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from tqdm.auto import tqdm

from fpgagan.boards import get_board
from fpgagan.config import TrainQatConfig, load_yaml
from fpgagan.errors import ConfigError, ModelError
from fpgagan.geometry import multiplications
from fpgagan.images import save_grid
from fpgagan.io import atomic_path, provenance, write_json_atomic, write_text_atomic
from fpgagan.models import Generator, build_discriminator, build_generator
from fpgagan.models.checkpoint import load_generator, read_checkpoint
from fpgagan.models.inference import generate
from fpgagan.report.hls_report import REPORT_VERSION, HlsReport
from fpgagan.report.pareto import pareto_front, pareto_plot
from fpgagan.workflows.hls_flow import run_hls_flow
from fpgagan.workflows.train_qat import train_qat

log = logging.getLogger(__name__)

FLOAT_BITS = 32
SAMPLE_SEED = 7
# the targets: a Pareto recipe >= 16x within 1.25x the teacher's FID (stretch 32x, 1.5x)
TARGETS = ((16.0, 1.25), (32.0, 1.5))


@dataclasses.dataclass(frozen=True)
class Row:
    recipe: str
    precision: str
    params: int
    stored_bits: int  # weights, biases and sparse indices as the HLS design declares them
    compression: float
    macs: int
    bops: int
    fid: float
    fid_ratio: float
    inception_score: float
    csim_bit_exact: bool | None
    csim_latents: int
    psnr_db: float | None
    dsp: float | None
    lut: float | None
    bram_18k: float | None
    images_per_s: float | None
    fits: bool | None
    pareto: bool = False


def generator_macs(gen: Generator) -> int:
    """Multiplications per image of the dense generator (transposed convs without inserted zeros)."""
    s = gen.spec
    macs = gen.fc.in_features * gen.fc.out_features
    size = s.start_size
    for deconv in gen.deconvs:
        cin, cout, kh, kw = deconv.weight.shape
        out = size * 2
        macs += multiplications(size, size, cin, cout, kh, kw, 2, 2, (1, 1, 1, 1), out, out)
        size = out
    return int(macs)


def parameter_count(gen: Generator) -> int:
    return sum(
        int(m.weight.numel() + (m.bias.numel() if m.bias is not None else 0))
        for m in (gen.fc, *gen.deconvs)
    )


def _float_row(name: str, teacher: Generator, metrics: dict[str, Any]) -> Row:
    n = parameter_count(teacher)
    macs = generator_macs(teacher)
    t = metrics["teacher"]
    return Row(name, "float32", n, n * FLOAT_BITS, 1.0, macs, macs * FLOAT_BITS * FLOAT_BITS,
               t["fid"], 1.0, t["is"], None, 0, None, None, None, None, None, None)  # fmt: skip


def _quantized_row(name: str, metrics: dict[str, Any], report: HlsReport, float_bits: int) -> Row:
    q, cost = metrics["qat"], report.cost
    stored = report.stored_bits_total
    gen, _ = load_generator(Path(report.model_path))
    return Row(
        recipe=name,
        precision=q["precision"],
        params=parameter_count(gen),
        stored_bits=stored,
        compression=float_bits / stored,
        macs=cost.totals.macs,
        bops=cost.totals.bops,
        fid=q["fid"],
        fid_ratio=q["fid"] / metrics["teacher"]["fid"],
        inception_score=q["is"],
        csim_bit_exact=report.bit_exact.exact,
        csim_latents=report.n_latents,
        psnr_db=report.vs_float.psnr_db if report.vs_float else None,
        dsp=cost.totals.dsp,
        lut=cost.totals.lut,
        bram_18k=cost.totals.bram_18k,
        images_per_s=cost.images_per_s,
        fits=cost.fits,
    )


def run_compression(
    recipes: Sequence[Path],
    out_dir: Path,
    runs_dir: Path,
    board: str = "pynq-z2",
    n: int = 1000,
    data_root: str | None = None,
) -> list[Row]:
    """Train (or reuse) every recipe, verify it on ``board`` and write the table to ``out_dir``."""
    configs = [(p, load_yaml(TrainQatConfig, p)) for p in recipes]  # all refused before any work
    names = [c.name for _, c in configs]
    if not configs or len(set(names)) != len(names):
        raise ConfigError(f"recipes must be at least one, with unique names; got {names}")
    for path, cfg in configs:  # precisions that no model accepts fail now, not after hours
        try:
            if cfg.qat is not None:
                build_generator(cfg.model.generator, cfg.qat.precision)
                build_discriminator(cfg.model.discriminator, cfg.qat.discriminator_precision)
        except ModelError as exc:
            raise ConfigError(f"{path}: {exc}") from None
    out_dir.mkdir(parents=True, exist_ok=True)
    rows: list[Row] = []
    floor = None
    scored: set[tuple[str, int]] = set()
    for path, cfg in tqdm(configs, desc="recipes", unit="recipe"):
        log.info("recipe %s (%s)", cfg.name, path)
        run = runs_dir / cfg.name
        metrics = train_qat(cfg, run, data_root=data_root).metrics
        scored.add((cfg.data.dataset, metrics["n_samples"]))
        teacher, _ = load_generator(run / "teacher.pt")
        float_bits = parameter_count(teacher) * FLOAT_BITS  # this recipe's own teacher
        if cfg.qat is None:
            rows.append(_float_row(cfg.name, teacher, metrics))
            gen = teacher
        else:
            report = _board_report(run, board, n, data_root)
            rows.append(_quantized_row(cfg.name, metrics, report, float_bits))
            gen, _ = load_generator(run / "generator.pt")
        z = torch.randn(
            64, gen.spec.latent_dim, generator=torch.Generator().manual_seed(SAMPLE_SEED)
        )
        save_grid(out_dir / "samples" / f"{cfg.name}.png", generate(gen, z))
        floor = metrics["floor"]["fid"]
    front = pareto_front([(r.compression, r.fid) for r in rows])
    rows = [dataclasses.replace(r, pareto=i in front) for i, r in enumerate(rows)]
    write_table(rows, out_dir, board, n, floor, _scoring_note(scored))
    return rows


def _scoring_note(scored: set[tuple[str, int]]) -> str:
    return "; ".join(f"{n:,} samples vs the {d} test split" for d, n in sorted(scored))


def _weights_digest(checkpoint: Path) -> str:
    """Hash of a generator checkpoint's recipe and weights (not its provenance, rewritten on resume)."""
    record = read_checkpoint(checkpoint)
    h = hashlib.sha256(
        json.dumps(
            [record["generator"], record["precision"], record["widths"]], sort_keys=True
        ).encode()
    )
    for name, tensor in sorted(record["state_dict"].items()):
        h.update(name.encode())
        h.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return h.hexdigest()


def _board_report(run: Path, board: str, n: int, data_root: str | None) -> HlsReport:
    """The board flow's report for the run's generator, reused while the generator file is unchanged."""
    spec = get_board(board)
    hls_dir = run / f"hls-{spec.name}"
    path, gen, stamp = hls_dir / "report.json", run / "generator.pt", hls_dir / "inputs.sha256"
    # the report depends on the generator, its teacher (PSNR), the board and fpgagan's own code
    code = provenance()
    digest = hashlib.sha256(
        json.dumps(
            [_weights_digest(gen), _weights_digest(run / "teacher.pt"),
             dataclasses.asdict(spec), code["git_commit"], code["versions"]],
            sort_keys=True, default=str,
        ).encode()
    ).hexdigest()  # fmt: skip
    if path.is_file() and stamp.is_file() and stamp.read_text() == digest:
        data = json.loads(path.read_text())
        if data.get("version") == REPORT_VERSION and data.get("n_latents") == n:
            log.info("%s: reusing %s", run.name, path)
            return HlsReport.from_json(data)
    report = run_hls_flow(board, hls_dir, model=str(gen), n=n, teacher=str(run / "teacher.pt"),
                          data_root=data_root)  # fmt: skip
    write_text_atomic(stamp, digest)
    return report


# --------------------------------------------------------------------------- rendering

COLUMNS = (
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


def _cell(value: Any, fmt: str) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return fmt.format(value)


def markdown(
    rows: Sequence[Row], board: str, n: int, floor: float | None = None, scoring: str = ""
) -> str:
    head = "| " + " | ".join(title for _, title, _ in COLUMNS) + " |"
    rule = "|" + "|".join("---" for _ in COLUMNS) + "|"
    body = [
        "| " + " | ".join(_cell(getattr(r, key), fmt) for key, _, fmt in COLUMNS) + " |"
        for r in rows
    ]
    notes = [
        "",
        f"- FID-FMNIST: Frechet distance on fpgagan's own Fashion-MNIST classifier features (not "
        f"Inception), {scoring or 'see each run'}"
        f"{'' if floor is None else f'; floor (train vs test) {floor:.2f}'}.",
        f"- csim exact: C simulation of the HLS design equals qonnx execute_onnx on {n} latents "
        "(0 mismatching elements).",
        "- compression: float32 bits of the teacher's weights and biases / bits the HLS design "
        "stores (weights, biases, sparse indices).",
        "- MACs: multiplications per image the design performs (a layer whose quantized weights are "
        ">= 50% zeros, by pruning or by low-bit rounding, gets a sparse kernel that skips them); "
        "BOPs = MACs x weight bits x input bits.",
        f"- DSP, LUT, BRAM_18K, images/s, fits: fpgagan's analytic cost model on the {board} "
        "(an estimate, not synthesis).",
    ]
    return "\n".join([head, rule, *body, *notes]) + "\n"


def write_table(
    rows: Sequence[Row],
    out_dir: Path,
    board: str,
    n: int,
    floor: float | None = None,
    scoring: str = "",
) -> None:
    data = [dataclasses.asdict(r) for r in rows]
    write_json_atomic(
        out_dir / "table.json",
        {"board": board, "csim_latents": n, "fid_floor": floor, "rows": data,
         "provenance": provenance()},
    )  # fmt: skip
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(data[0]))
    writer.writeheader()
    writer.writerows(data)
    write_text_atomic(out_dir / "table.csv", buf.getvalue())
    write_text_atomic(out_dir / "table.md", markdown(rows, board, n, floor, scoring))
    teacher_fid = next((r.fid for r in rows if r.precision == "float32"), None)
    with atomic_path(out_dir / "pareto.png") as tmp:
        pareto_plot(
            [(r.recipe, r.compression, r.fid, r.pareto) for r in rows],
            tmp,
            teacher_fid=teacher_fid,
            targets=TARGETS,
        )
