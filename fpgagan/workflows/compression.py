"""``make bench-compression``: every compression recipe on one table, each verified in C simulation.

For every recipe (``configs/compression/*.yaml``): train it (or resume/reuse its run folder), then
run the board flow on its generator (HLS project, C simulation on ``n`` latents compared bit for bit
with qonnx, PSNR against the float teacher, cost model on the board) and collect one row.  Writes
``table.md``, ``table.csv``, ``table.json``, ``pareto.png`` and ``samples/<recipe>.png``.

Each recipe's training and each board flow is a task of an executor
(:mod:`fpgagan.workflows.executor`: serial, or Ray); a recipe whose teacher is another recipe's
(``teacher.reuse_from`` naming that recipe's run) trains after it.  A task that fails leaves its
recipe's row saying so, and the others finish.

Compression ratio = float32 bits of the teacher's weights and biases / bits the HLS design stores
for the recipe's generator (weights at their width, biases at theirs, sparse indices included).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from torch import nn

from fpgagan.boards import get_board
from fpgagan.compress.prune import weight_layers
from fpgagan.config import TrainQatConfig, load_yaml
from fpgagan.errors import ConfigError, ModelError
from fpgagan.folders import claim_folder, folder_lock
from fpgagan.geometry import multiplications
from fpgagan.images import save_grid
from fpgagan.io import provenance, write_text_atomic
from fpgagan.models import (
    Generator,
    UNet,
    build_discriminator,
    build_generator,
    build_patchgan,
    build_unet,
)
from fpgagan.models.checkpoint import load_generator, read_checkpoint
from fpgagan.models.inference import generate
from fpgagan.report.compression_table import GENERATE, TARGETS, Row, markdown, write_table
from fpgagan.report.hls_report import REPORT_VERSION, HlsReport
from fpgagan.report.pareto import pareto_front
from fpgagan.workflows.executor import Executor, Outcome, SerialExecutor, Task
from fpgagan.workflows.hls_flow import run_hls_flow
from fpgagan.workflows.hls_image_task import task_pairs
from fpgagan.workflows.image_tasks import check_recipe, save_comparison
from fpgagan.workflows.train_qat import train_qat

COMPRESSION_OUTPUT = "compression table output"  # the kind its folder marker records

__all__ = ["TARGETS", "Row", "markdown", "run_compression", "write_table"]

log = logging.getLogger(__name__)

FLOAT_BITS = 32
SAMPLE_SEED = 7
N_TASK_SAMPLES = 8  # test images in an image-to-image recipe's sample grid


def generator_macs(gen: Generator | UNet) -> int:
    """Multiplications per image of the dense generator: transposed convolutions without inserted
    zeros; a U-Net's convolutions over their whole (zero-padded) windows, as the engine computes."""
    if isinstance(gen, UNet):
        return _unet_macs(gen)
    s = gen.spec
    macs = gen.fc.in_features * gen.fc.out_features
    size = s.start_size
    for deconv in gen.deconvs:
        cin, cout, kh, kw = deconv.weight.shape
        out = size * 2
        macs += multiplications(size, size, cin, cout, kh, kw, 2, 2, (1, 1, 1, 1), out, out)
        size = out
    return int(macs)


def _unet_macs(gen: UNet) -> int:
    """Output elements x window size of every convolution, from one forward pass's shapes."""
    counts: list[int] = []

    def hook(module: nn.Module, _inputs: Any, output: torch.Tensor) -> None:
        cout, cin, kh, kw = module.weight.shape
        counts.append(int(output.shape[-2] * output.shape[-1]) * cout * cin * kh * kw)

    handles = [m.register_forward_hook(hook) for m in gen.weight_layers().values()]
    try:
        with torch.no_grad():
            gen.eval()(torch.zeros(1, *gen.input_shape))
    finally:
        for h in handles:
            h.remove()
    return sum(counts)


def parameter_count(gen: Generator | UNet) -> int:
    return sum(
        int(m.weight.numel() + (m.bias.numel() if m.bias is not None else 0))
        for m in weight_layers(gen).values()
    )


def _task(metrics: dict[str, Any]) -> str:
    return str(metrics.get("task", GENERATE))


def _float_row(name: str, teacher: Generator | UNet, metrics: dict[str, Any]) -> Row:
    n = parameter_count(teacher)
    macs = generator_macs(teacher)
    t = metrics["teacher"]
    common = dict(recipe=name, precision="float32", params=n, stored_bits=n * FLOAT_BITS,
                  compression=1.0, macs=macs, bops=macs * FLOAT_BITS * FLOAT_BITS,
                  csim_bit_exact=None, csim_latents=0, psnr_db=None, dsp=None, lut=None,
                  bram_18k=None, images_per_s=None, fits=None)  # fmt: skip
    if _task(metrics) == GENERATE:
        return Row(**common, fid=t["fid"], fid_ratio=1.0, inception_score=t["is"])
    return Row(**common, fid=None, fid_ratio=None, inception_score=None, task=_task(metrics),
               gt_psnr_db=t["psnr"], gt_ssim=t["ssim"], gt_drop_db=0.0)  # fmt: skip


def _quantized_row(
    name: str, precision: str, metrics: dict[str, Any], report: HlsReport, float_bits: int
) -> Row:
    q, cost = metrics["qat"], report.cost
    stored = report.stored_bits_total
    gen, _ = load_generator(Path(report.model_path))
    common = dict(
        recipe=name,
        precision=precision,
        params=parameter_count(gen),
        stored_bits=stored,
        compression=float_bits / stored,
        huffman_compression=(
            float_bits / report.huffman_bound_bits if report.huffman_bits else None
        ),
        macs=cost.totals.macs,
        bops=cost.totals.bops,
        csim_bit_exact=report.bit_exact.exact,
        csim_latents=report.n_latents,
        psnr_db=report.vs_float.psnr_db if report.vs_float else None,
        dsp=cost.totals.dsp,
        lut=cost.totals.lut,
        bram_18k=cost.totals.bram_18k,
        images_per_s=cost.images_per_s,
        fits=cost.fits,
    )
    if _task(metrics) == GENERATE:
        return Row(**common, fid=q["fid"], fid_ratio=q["fid"] / metrics["teacher"]["fid"],
                   inception_score=q["is"])  # fmt: skip
    if report.image_task is None:
        raise ModelError(f"{name}: the board flow did not score {_task(metrics)} outputs")
    fpga = next(s for s in report.image_task.scores if s.source.startswith("FPGA"))
    return Row(**common, fid=None, fid_ratio=None, inception_score=None, task=_task(metrics),
               gt_psnr_db=q["psnr"], gt_ssim=q["ssim"],
               gt_drop_db=metrics["teacher"]["psnr"] - q["psnr"],
               fpga_gt_psnr_db=fpga.psnr_db)  # fmt: skip


def run_compression(
    recipes: Sequence[Path],
    out_dir: Path,
    runs_dir: Path,
    board: str = "pynq-z2",
    n: int = 1000,
    data_root: str | None = None,
    executor: Executor | None = None,
    cpus_per_task: int | None = None,
) -> list[Row]:
    """Train (or reuse) every recipe, verify it on ``board`` and write the table to ``out_dir``.

    Runs on ``executor`` (default: serially here); each task uses ``cpus_per_task`` torch threads
    (None: torch's default, serial only), so two runs with the same value give the same rows.
    A ``teacher.reuse_from`` whose folder name is another recipe's name means that recipe's run in
    ``runs_dir``.  One row per recipe, in order; a failed recipe's row carries its error.
    """
    configs = [(p, load_yaml(TrainQatConfig, p)) for p in recipes]  # all refused before any work
    names = [c.name for _, c in configs]
    if not configs or len(set(names)) != len(names):
        raise ConfigError(f"recipes must be at least one, with unique names; got {names}")
    for path, cfg in configs:  # precisions that no model accepts fail now, not after hours
        try:
            if cfg.task != GENERATE:
                check_recipe(cfg)
            if cfg.qat is not None and cfg.task == GENERATE:
                build_generator(cfg.model.generator, cfg.qat.precision)
                build_discriminator(cfg.model.discriminator, cfg.qat.discriminator_precision)
            elif cfg.qat is not None:
                build_unet(cfg.model.generator, cfg.qat.precision)
                build_patchgan(cfg.model.discriminator, cfg.qat.discriminator_precision)
        except ModelError as exc:
            raise ConfigError(f"{path}: {exc}") from None
    executor = executor or SerialExecutor()
    runs = runs_dir.absolute()  # a Ray worker need not run in this process's folder
    data = str(Path(data_root).absolute()) if data_root is not None else None
    tasks = [
        task
        for path, cfg in configs
        for task in _tasks(path, cfg, runs, names, board, n, data, executor, cpus_per_task)
    ]
    # a folder the user made is refused before any work; one this command made is reused
    # (run after run) and locked while a run writes into it
    claim_folder(out_dir, COMPRESSION_OUTPUT)
    with folder_lock(out_dir):
        outcomes = dict(zip([t.key for t in tasks], executor.run(tasks), strict=True))
        rows: list[Row] = []
        floor = None
        scored: set[tuple[str, int]] = set()
        for _, cfg in configs:
            row, metrics = _row(cfg, runs / cfg.name, outcomes, out_dir, data)
            rows.append(row)
            if metrics is not None:
                if _task(metrics) == GENERATE:
                    scored.add((cfg.data.dataset, metrics["n_samples"]))
                    floor = metrics["floor"]["fid"]
                else:
                    scored.add((cfg.data.dataset, metrics["n_test"]))
        ok = [i for i, r in enumerate(rows) if r.ok]
        front = {ok[j] for j in pareto_front([(rows[i].compression, rows[i].loss) for i in ok])}
        rows = [dataclasses.replace(r, pareto=i in front) for i, r in enumerate(rows)]
        write_table(rows, out_dir, board, n, floor, _scoring_note(scored))
        return rows


def train_recipe(cfg: TrainQatConfig, run: Path, data_root: str | None, device: str) -> dict:
    """Task: train (or resume) one recipe; its metrics."""
    return train_qat(cfg, run, data_root=data_root, device=device).metrics


def _tasks(
    path: Path,
    cfg: TrainQatConfig,
    runs: Path,
    names: list[str],
    board: str,
    n: int,
    data_root: str | None,
    executor: Executor,
    cpus: int | None,
) -> list[Task]:
    """The recipe's training task (after the recipe whose teacher it reuses) and board task."""
    after: tuple[str, ...] = ()
    reuse = cfg.teacher.reuse_from
    if reuse is not None:
        if Path(reuse).name in names and Path(reuse).name != cfg.name:
            after = (f"train {Path(reuse).name}",)
            reuse = str(runs / Path(reuse).name)
        cfg = dataclasses.replace(
            cfg, teacher=dataclasses.replace(cfg.teacher, reuse_from=str(Path(reuse).absolute()))
        )
    device = cfg.device
    if device == "auto":
        device = "cuda" if executor.gpus() > 0 else "cpu"
    elif device == "cuda" and executor.gpus() == 0:
        raise ConfigError(f"{path}: device cuda, but the {executor.name} executor has no GPU")
    run = runs / cfg.name
    gpus = 1.0 if device == "cuda" else 0.0
    train = Task(
        f"train {cfg.name}", train_recipe, (cfg, run, data_root, device), cpus, gpus, after
    )
    if cfg.qat is None:
        return [train]
    args = (run, board, n, data_root)
    return [train, Task(f"board {cfg.name}", _board_report, args, cpus, after=(train.key,))]


def _row(
    cfg: TrainQatConfig,
    run: Path,
    outcomes: dict[str, Outcome],
    out_dir: Path,
    data_root: str | None,
) -> tuple[Row, dict[str, Any] | None]:
    """The recipe's row from its tasks' outcomes (and its sample grid), with its metrics."""
    precision = cfg.qat.precision.tag if cfg.qat is not None else "float32"
    if cfg.qat is not None and cfg.qat.codebook is not None:
        precision += f" K{cfg.qat.codebook.k}"  # weight sharing: the grid is not what is stored
    trained = outcomes[f"train {cfg.name}"]
    if not trained.ok:
        return Row.failed(cfg.name, precision, f"train: {trained.error}"), None
    metrics = trained.value
    teacher, _ = load_generator(run / "teacher.pt")
    float_bits = parameter_count(teacher) * FLOAT_BITS  # this recipe's own teacher
    if cfg.qat is None:
        row, gen = _float_row(cfg.name, teacher, metrics), teacher
    else:
        board = outcomes[f"board {cfg.name}"]
        if not board.ok:
            return Row.failed(cfg.name, precision, f"board: {board.error}"), metrics
        row = _quantized_row(cfg.name, precision, metrics, board.value, float_bits)
        gen, _ = load_generator(run / "generator.pt")
    _save_samples(out_dir / "samples" / f"{cfg.name}.png", gen, _task(metrics), data_root)
    return row, metrics


def _save_samples(path: Path, gen: Generator | UNet, task: str, data_root: str | None) -> None:
    """64 generated images, or input | output | ground truth of 8 test images."""
    if task == GENERATE:
        z = torch.randn(
            64, gen.spec.latent_dim, generator=torch.Generator().manual_seed(SAMPLE_SEED)
        )
        save_grid(path, generate(gen, z))
    else:
        pairs = task_pairs(task, N_TASK_SAMPLES, data_root)
        save_comparison(path, pairs, [generate(gen, pairs.inputs)])


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
    """Task: the board flow's report for the run's generator, reused while the generator file is unchanged."""
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
