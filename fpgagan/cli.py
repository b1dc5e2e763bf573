"""The ``fpgagan`` command: thin argument parsing over :mod:`fpgagan.workflows`.

Every outcome is one of the exit codes of :mod:`fpgagan.errors`: 0 done, 1 a mismatch found,
2 an input fpgagan refuses (one line names the file, folder, option, board or node), 3 a bug in
fpgagan (one line on screen, the traceback in a log file).  SIGINT and SIGTERM stop a run
cleanly (130 and 143): child compilers are killed and no half-written folder is left.
"""

from __future__ import annotations

import argparse
import datetime
import logging
import os
import sys
import tempfile
import traceback
import warnings
from pathlib import Path
from typing import NoReturn

from fpgagan import __version__
from fpgagan.boards import BACKENDS, IO_TYPES, STRATEGIES
from fpgagan.config import DEVICES
from fpgagan.errors import (
    EXIT_BAD_INPUT,
    EXIT_INTERNAL,
    EXIT_MISMATCH,
    EXIT_OK,
    FpgaganError,
    InputError,
    one_line,
)
from fpgagan.interrupts import EXIT_SIGINT, EXIT_SIGTERM, Terminated, signals_as_exceptions
from fpgagan.limits import MAX_LATENTS

log = logging.getLogger("fpgagan")

DEFAULT_CONFIG = "configs/default.yaml"
# the kinds of folder each command makes (their markers record it, fpgagan.folders)
CSIM_PROJECT = "C simulation project"  # fpgagan.sim.csim.build_csim
BOARD_FLOW = "board flow output"  # fpgagan.workflows.hls_flow.run_hls_flow
SWEEP_OUTPUT = "sweep output"  # fpgagan.workflows.sweep.run_sweep


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (and exit 2) like every other refusal."""

    def error(self, message: str) -> NoReturn:
        print(
            f"fpgagan: error: {one_line(message)} (see {self.prog} --help)",
            file=sys.stderr,
        )
        raise SystemExit(EXIT_BAD_INPUT)


def _shown(path: object) -> str:
    """A path (or any user text) as printed on success: line breaks and terminal escape codes
    escaped, like in error lines, so a file name cannot rewrite the screen."""
    return one_line(str(path))


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a positive integer, got {one_line(repr(text[:40]))}"
        ) from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value


def _latents(text: str, minimum: int = 1) -> int:
    """A count of latents (or images) to simulate: ``minimum``..:data:`MAX_LATENTS`."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected an integer, got {one_line(repr(text[:40]))}"
        ) from None
    if not minimum <= value <= MAX_LATENTS:
        raise argparse.ArgumentTypeError(
            f"expected {minimum} to {MAX_LATENTS:,} (fpgagan.limits), got {value:,}"
        )
    return value


def _latents_or_zero(text: str) -> int:
    return _latents(text, minimum=0)


def _board_file(board: str) -> str | None:
    """``board`` when it names a board file rather than a shipped board."""
    return board if board.endswith((".yaml", ".yml")) or "/" in board else None


def _cmd_train_qat(args: argparse.Namespace) -> int:
    from fpgagan.config import TrainQatConfig, load_yaml
    from fpgagan.io import check_not_input
    from fpgagan.workflows.export import export_checkpoint
    from fpgagan.workflows.train_qat import summary, train_qat

    cfg = load_yaml(TrainQatConfig, args.config)
    run_dir = Path(args.out) if args.out else Path("runs") / cfg.name
    for name in ("config.json", "metrics.json", "teacher.pt", "generator.pt", "generator.onnx"):
        check_not_input(run_dir / name, "the run folder's " + name, {"--config": args.config})
    result = train_qat(cfg, run_dir, data_root=args.data_dir, device=args.device)
    print(summary(result.metrics))
    if cfg.qat is not None:  # a float-only recipe has nothing to export to QONNX
        check = export_checkpoint(run_dir / "generator.pt", run_dir / "generator.onnx")
        print(
            f"QONNX: {_shown(run_dir / 'generator.onnx')} (execute_onnx == Brevitas on "
            f"{check.n_latents} latents: {check.mismatches} mismatches)"
        )
    print(
        f"run folder: {_shown(run_dir)}  (training {result.metrics['training_s']:.0f} s over all epochs; "
        f"this run {result.metrics['wall_s']:.0f} s)"
    )
    return 0


def _cmd_train_photo_sr(args: argparse.Namespace) -> int:
    from fpgagan.config import PhotoSrConfig, load_yaml
    from fpgagan.folders import check_target
    from fpgagan.io import check_not_input
    from fpgagan.workflows.photo_sr import WHAT, per_photo_table, run_photo_sr, summary

    cfg = load_yaml(PhotoSrConfig, args.config)
    run_dir = Path(args.out) if args.out else Path("runs") / cfg.name
    check_target(run_dir, WHAT)
    check_not_input(run_dir / "metrics.json", "the run folder", {"--config": args.config})
    metrics = run_photo_sr(cfg, run_dir, export_frame=(args.height, args.width))
    print(summary(metrics))
    print(per_photo_table(metrics))
    print(f"run folder: {_shown(run_dir)}")
    return 0


def _cmd_export(args: argparse.Namespace) -> int:
    from fpgagan.io import check_not_input, check_output_file
    from fpgagan.workflows.export import export_checkpoint

    check_output_file(Path(args.out), "--out")
    check_not_input(args.out, "--out", {"--checkpoint": args.checkpoint})
    if not 0 <= args.verify <= MAX_LATENTS:
        raise InputError(f"--verify must be in 0..{MAX_LATENTS:,} (fpgagan.limits)")
    check = export_checkpoint(Path(args.checkpoint), Path(args.out), verify_n=args.verify)
    msg = f"wrote {_shown(args.out)}"
    if check is not None:
        msg += f" (execute_onnx == Brevitas forward on {check.n_latents} latents: {check.mismatches} mismatches)"
    print(msg)
    return EXIT_OK


def _cmd_csim(args: argparse.Namespace) -> int:
    from fpgagan.folders import check_outside, check_target
    from fpgagan.hls.convert import HlsOptions
    from fpgagan.io import check_not_input, check_output_file
    from fpgagan.workflows.csim import describe, load_input, run_csim, save_output

    output = Path(args.output)
    check_output_file(output, "--output")
    check_not_input(output, "--output", {"--model": args.model, "--input": args.input})
    # a path only (fpgagan compiles nothing from it); the project's own names are fixed
    default_project = output.parent / f"{Path(args.model).stem}_hls"
    project = Path(args.project_dir) if args.project_dir else default_project
    inputs = {"--model": args.model, "--input": args.input, "--output": output}
    check_outside(project, "project folder", inputs)
    # before any work: a user folder is never touched
    check_target(project, "project folder", kind=CSIM_PROJECT)
    x = load_input(Path(args.input))
    opts = HlsOptions(
        io_type=args.io_type,
        strategy=args.strategy,
        reuse_factor=args.reuse_factor,
        backend=args.backend,
    )
    report = run_csim(Path(args.model), x, opts, project, check=args.check)
    save_output(output, report.output)
    for line in describe(report):
        print(_shown(line))
    print(f"wrote {_shown(output)}")
    return EXIT_OK if report.comparison.exact else EXIT_MISMATCH


def _cmd_hls(args: argparse.Namespace) -> int:
    from fpgagan.folders import check_outside, check_target
    from fpgagan.workflows.hls_flow import default_out_dir, load_flow_config, run_hls_flow

    out = Path(args.out) if args.out else default_out_dir(args.board)
    inputs = {"--model": args.model, "--teacher": args.teacher, "--config": args.config}
    check_outside(
        out,
        "output folder",
        inputs | {"--board": _board_file(args.board), "--data-dir": args.data_dir},
    )
    # before any work: a user folder is never touched
    check_target(out, "output folder", kind=BOARD_FLOW)
    report = run_hls_flow(
        args.board,
        out,
        model=args.model,
        n=args.n,
        cfg=load_flow_config(args.config),
        teacher=args.teacher,
        data_root=args.data_dir,
        task=args.task,
    )
    ex, c = report.bit_exact, report.cost
    what = "latents" if report.image_task is None else f"{report.image_task.task} test images"
    print(
        f"C simulation vs qonnx on {report.n_latents} {what}: {ex.mismatching_elements} mismatching "
        f"elements ({report.bit_exact_independent.mismatching_elements} vs the integer reference of "
        "the model as given)"
    )
    if report.vs_float:
        v = report.vs_float
        print(
            f"vs float teacher: PSNR {v.psnr_db:.2f} dB, SSIM {v.ssim:.4f}, max abs error {v.max_abs_error:.4f}"
        )
    if report.image_task is not None:
        for row in report.image_task.scores:
            patch = f", in the patch {row.patch_psnr_db:.2f} dB" if row.patch_psnr_db else ""
            print(f"{row.source}: PSNR {row.psnr_db:.2f} dB, SSIM {row.ssim:.4f}{patch}")
    for skipped in report.skipped:
        print(f"not scored: {skipped.name} ({skipped.reason})")
    usage = ", ".join(f"{k} {100 * u:.0f}%" for k, u in c.usage.items())
    print(
        f"estimate on {report.board.name}: {'fits' if c.fits else 'does NOT fit'} "
        f"({usage}; limit: {c.limiting}), {c.images_per_s:,.0f} images/s "
        f"(interval {c.interval_cycles:,} cycles at {report.board.clock_mhz:g} MHz)"
    )
    print(f"report: {_shown(out / 'report.md')}")
    return EXIT_OK if ex.exact and report.bit_exact_independent.exact else EXIT_MISMATCH


def _cmd_quantize(args: argparse.Namespace) -> int:
    from fpgagan.config import Precision, load_yaml
    from fpgagan.folders import check_outside, check_target
    from fpgagan.workflows.quantize_float import (
        QONNX,
        RUN_FOLDER,
        DistilConfig,
        quantize_and_distil,
        refuse_pickle,
        summary,
    )

    float_path = Path(args.float)
    refuse_pickle(float_path)  # before anything reads it
    out = Path(args.out) if args.out else Path("runs") / f"quantize-{float_path.stem}"
    inputs = {"--float": args.float, "--images": args.images, "--precision": args.precision}
    check_outside(out, "output folder", inputs | {"--data-dir": args.data_dir})
    check_target(out, "output folder", kind=RUN_FOLDER)  # a user folder is never touched
    if args.precision:
        precision = load_yaml(Precision, args.precision)
    elif args.weight_bits or args.act_bits or args.input_range or args.output_bits:
        fields = {"weight_bits": args.weight_bits, "act_bits": args.act_bits,
                  "input_range": args.input_range, "output_bits": args.output_bits}  # fmt: skip
        try:
            precision = Precision(**{k: v for k, v in fields.items() if v is not None})
        except ValueError as exc:
            raise InputError(f"precision: {exc}") from None
    else:
        precision = None  # W4A8, the input range from the input's shape
    cfg = DistilConfig(epochs=args.epochs, steps_per_epoch=args.steps, batch_size=args.batch_size,
                       lr=args.lr, n_val=args.n_val)  # fmt: skip
    result = quantize_and_distil(
        float_path, out, precision, cfg, images=args.images, data_root=args.data_dir
    )
    for line in summary(result):
        print(_shown(line))
    print(
        f"QONNX: {_shown(out / QONNX)} (next: fpgagan hls --model {_shown(out / QONNX)} --board ...)"
    )
    return EXIT_OK


def _cmd_sweep(args: argparse.Namespace) -> int:
    from fpgagan.boards import known_boards
    from fpgagan.folders import check_outside, check_target
    from fpgagan.workflows.executor import make_executor
    from fpgagan.workflows.hls_flow import load_flow_config
    from fpgagan.workflows.sweep import grid, run_sweep

    out = Path(args.out)
    boards = known_boards() if args.boards == "all" else args.boards.split(",")
    inputs = {"--model": args.model, "--teacher": args.teacher, "--config": args.config}
    inputs |= {f"--boards {b}": _board_file(b) for b in boards}
    check_outside(out, "output folder", inputs | {"--data-dir": args.data_dir})
    # before any work: a user folder is never touched
    check_target(out, "output folder", kind=SWEEP_OUTPUT)
    cells = grid(boards, args.clock_mhz or [None], args.sparse.split(","))
    base = load_flow_config(args.config)
    with make_executor(args.workers) as executor:
        rows = run_sweep(
            cells, out, args.model, base, args.n, args.teacher, args.data_dir, executor
        )
    for line in (out / "table.md").read_text().splitlines():
        print(_shown(line))
    failed = [r for r in rows if r["error"] or r.get("csim_bit_exact") is False]
    for r in failed:
        why = r["error"] or "C simulation mismatch"
        print(f"fpgagan: cell {_shown(r['board'])} failed: {_shown(why)}", file=sys.stderr)
    print(f"table: {_shown(out / 'table.md')} ({len(rows)} cells, {len(failed)} failed)")
    return EXIT_MISMATCH if failed else EXIT_OK


def _clocks(text: str) -> list[float]:
    try:
        return [float(c) for c in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected MHz like 100,150, got {text!r}") from None


def _cmd_train_classifier(args: argparse.Namespace) -> int:
    from fpgagan.io import check_output_file
    from fpgagan.report.classifier import default_classifier_path
    from fpgagan.report.train_classifier import train_classifier

    out = Path(args.out) if args.out else default_classifier_path()
    check_output_file(out, "--out")
    metrics = train_classifier(out, epochs=args.epochs, root=args.data_dir)
    print(f"wrote {_shown(out)}: test accuracy {metrics['test_accuracy']:.4f}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    ap = _Parser(
        prog="fpgagan",
        description="Low-bit GAN generators to bit-exact FPGA accelerators.",
        epilog="exit codes: 0 done, 1 mismatch found, 2 bad input or unsupported model, "
        "3 internal error (traceback in a log file), 130/143 interrupted (SIGINT/SIGTERM)",
    )
    ap.add_argument("--version", action="version", version=f"fpgagan {__version__}")
    ap.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = ap.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=_Parser)

    p = sub.add_parser(
        "train-qat", help="train the float teacher, then the low-bit generator (QAT)"
    )
    p.add_argument(
        "--config", default=DEFAULT_CONFIG, help=f"YAML recipe (default {DEFAULT_CONFIG})"
    )
    p.add_argument(
        "--out", default=None, help="run folder (default runs/<config name>); rerun to resume"
    )
    p.add_argument(
        "--data-dir", default=None, help="Fashion-MNIST folder (overrides $FPGAGAN_FMNIST_DIR)"
    )
    p.add_argument(
        "--device",
        choices=list(DEVICES),
        default=None,
        help="where to train (default: the recipe's device, auto = a GPU when torch sees one)",
    )
    p.set_defaults(func=_cmd_train_qat)

    p = sub.add_parser(
        "train-photo-sr", help="train a photo super-resolution network: float, then QAT students"
    )
    p.add_argument("--config", default="configs/photo_sr2x.yaml", help="YAML recipe")
    p.add_argument("--out", default=None, help="run folder (default runs/<config name>)")
    p.add_argument("--height", type=_positive_int, default=64, help="QONNX files' input height")
    p.add_argument("--width", type=_positive_int, default=64, help="QONNX files' input width")
    p.set_defaults(func=_cmd_train_photo_sr)

    p = sub.add_parser("export", help="export a low-bit generator checkpoint to QONNX")
    p.add_argument("--checkpoint", required=True, help="generator checkpoint (.pt) from train-qat")
    p.add_argument("--out", required=True, help="QONNX file to write")
    p.add_argument(
        "--verify",
        type=int,
        default=256,
        metavar="N",
        help="compare execute_onnx with Brevitas on N latents, refuse on mismatch (0: skip)",
    )
    p.set_defaults(func=_cmd_export)

    p = sub.add_parser(
        "csim", help="convert a QONNX model with hls4ml, run the C simulation [--check]"
    )
    p.add_argument("--model", required=True, help="QONNX file (fpgagan's or your own)")
    p.add_argument(
        "--input", required=True, help=".npy input, batch first, in the ONNX model's input layout"
    )
    p.add_argument(
        "--output", required=True, help=".npy to write, in the ONNX model's output layout"
    )
    p.add_argument("--io-type", choices=list(IO_TYPES), default="io_parallel")
    p.add_argument("--strategy", choices=list(STRATEGIES), default="latency")
    p.add_argument("--reuse-factor", type=_positive_int, default=1)
    p.add_argument("--backend", choices=list(BACKENDS), default="Vitis")
    p.add_argument(
        "--check",
        action="store_true",
        help="compare every output with qonnx execute_onnx (without it: the first "
        "few); exit 1 on any mismatch and name the first diverging layer",
    )
    p.add_argument(
        "--project-dir",
        default=None,
        help="hls4ml project folder (default: <model>_hls beside --output); must be new, "
        "empty or made by fpgagan",
    )
    p.set_defaults(func=_cmd_csim)

    p = sub.add_parser(
        "hls",
        help="board flow: HLS project, C simulation, bit-exact check, image report, cost model",
    )
    p.add_argument("--board", required=True, help="board name (see boards/) or a board YAML file")
    p.add_argument(
        "--model",
        default=None,
        help="QONNX file or generator checkpoint (default: the shipped default)",
    )
    p.add_argument(
        "--teacher", default=None, help="float teacher checkpoint for the float-vs-FPGA comparison"
    )
    p.add_argument(
        "-n",
        "--n",
        type=_latents,
        default=1000,
        help="latents (or test images, for an image-to-image model) to simulate (default 1000)",
    )
    p.add_argument(
        "--task",
        default=None,
        help="what the model does: latent (a latent (N, nz) or (N, nz, 1, 1) to images), sr2x "
        "or inpaint (image to image; default: from the checkpoint or the model's shapes)",
    )
    p.add_argument(
        "--out",
        default=None,
        help="output folder (default runs/hls-<board name>); must be new, empty or made by fpgagan",
    )
    p.add_argument(
        "--config",
        default=None,
        help="YAML overrides: io_type, strategy, reuse (per layer), clock_mhz",
    )
    p.add_argument("--data-dir", default=None, help="Fashion-MNIST folder (for FID-FMNIST)")
    p.set_defaults(func=_cmd_hls)

    p = sub.add_parser(
        "sweep", help="board plans (or board flows) over boards x planner settings, one table"
    )
    p.add_argument("--boards", default="all", help="comma-separated boards or board files, or all")
    p.add_argument("--clock-mhz", type=_clocks, default=None, help="clocks to try, e.g. 100,150")
    p.add_argument("--sparse", default="auto", help="schedules to allow, e.g. auto,false")
    p.add_argument("--model", default=None, help="QONNX file or checkpoint (default: shipped)")
    p.add_argument("--teacher", default=None, help="float teacher checkpoint (with -n)")
    p.add_argument("--config", default=None, help="YAML planner settings every cell starts from")
    p.add_argument(
        "-n",
        "--n",
        type=_latents_or_zero,
        default=0,
        help="latents to C-simulate per cell (0: plans only)",
    )
    p.add_argument("--out", default="runs/sweep", help="output folder (default runs/sweep)")
    p.add_argument("--workers", type=_positive_int, default=1, help="> 1: a local Ray instance")
    p.add_argument("--data-dir", default=None, help="Fashion-MNIST folder (with -n)")
    p.set_defaults(func=_cmd_sweep)

    p = sub.add_parser(
        "quantize",
        help="a float ONNX generator -> low-bit, distilled on random latents -> QONNX for hls",
    )
    p.add_argument(
        "--float", required=True, help="the float generator as ONNX (torch.onnx.export); no .pt"
    )
    p.add_argument(
        "--out", default=None, help="run folder (default runs/quantize-<name>); rerun to resume"
    )
    p.add_argument("--precision", default=None, help="YAML of the precision (per layer too)")
    p.add_argument("--weight-bits", type=int, default=None, help="weight bits, 1-8 (default 4)")
    p.add_argument("--act-bits", type=int, default=None, help="activation bits, 2-8 (default 8)")
    p.add_argument("--output-bits", type=int, default=None, help="image bits, 2-8 (default 8)")
    p.add_argument(
        "--input-range", type=float, default=None,
        help="the input quantizer's range [-r, r), a power of two (default 4 for latents, 1 for images)",
    )  # fmt: skip
    p.add_argument("--epochs", type=_positive_int, default=6)
    p.add_argument("--steps", type=_positive_int, default=250, help="steps per epoch (default 250)")
    p.add_argument("--batch-size", type=_positive_int, default=64)
    p.add_argument("--lr", type=float, default=1e-4)
    p.add_argument(
        "--n-val", type=_positive_int, default=2000, help="held-out inputs scored per epoch"
    )
    p.add_argument(
        "--images", default=None,
        help="optional training images (a folder of PNG/JPEG or an .npz): adds the adversarial term",
    )  # fmt: skip
    p.add_argument("--data-dir", default=None, help="Fashion-MNIST folder (for FID-FMNIST)")
    p.set_defaults(func=_cmd_quantize)

    p = sub.add_parser("train-classifier", help="retrain the FID-FMNIST feature network")
    p.add_argument("--out", default=None, help="weights file (default: the shipped asset)")
    p.add_argument("--epochs", type=_positive_int, default=6)
    p.add_argument("--data-dir", default=None)
    p.set_defaults(func=_cmd_train_classifier)
    return ap


def main(argv: list[str] | None = None) -> int:
    warnings.filterwarnings("ignore", message="fast_hadamard_transform package not found")
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO, format="%(message)s")
    for noisy in ("torch", "brevitas", "qonnx", "onnxscript", "matplotlib", "PIL"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    try:
        with signals_as_exceptions():
            return int(args.func(args))
    except FpgaganError as exc:
        print(f"fpgagan: error: {one_line(str(exc))}", file=sys.stderr)
        return exc.exit_code
    except (KeyboardInterrupt, Terminated) as exc:
        code = EXIT_SIGTERM if isinstance(exc, Terminated) else EXIT_SIGINT
        if args.command in ("train-qat", "quantize"):
            what = "rerun the same command to resume from the last finished epoch"
        else:
            what = "compilers stopped, nothing half-written left (a previous result is kept)"
        print(f"fpgagan: interrupted; {what}", file=sys.stderr)
        return code
    except OSError as exc:
        if exc.filename is None:
            return _internal_error(exc)
        # a file or folder the user named, or the place it lives, refused by the system (a name
        # too long, no permission, a full or read-only disk): their input, not fpgagan's bug
        where = exc.filename if exc.filename2 is None else f"{exc.filename} -> {exc.filename2}"
        print(
            f"fpgagan: error: {one_line(str(where))}: {one_line(exc.strerror or type(exc).__name__)}",
            file=sys.stderr,
        )
        return EXIT_BAD_INPUT
    except Exception as exc:  # a bug in fpgagan: the traceback goes to a file, one line here
        return _internal_error(exc)


def _internal_error(exc: BaseException) -> int:
    """A bug in fpgagan: one line here, the traceback in a log file; exit 3."""
    log_path = _write_traceback(exc)
    print(
        f"fpgagan: internal error ({type(exc).__name__}); this is a bug in fpgagan, "
        f"please report it with the traceback in {one_line(str(log_path))}",
        file=sys.stderr,
    )
    return EXIT_INTERNAL


def _write_traceback(exc: BaseException) -> Path:
    """Write ``exc``'s traceback to a new log file in the temporary folder; returns its path."""
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    fd, name = tempfile.mkstemp(prefix=f"fpgagan-error-{stamp}-", suffix=".log")
    with os.fdopen(fd, "w") as fh:
        fh.write(f"fpgagan {__version__}: {' '.join(sys.argv)}\n")
        fh.write("".join(traceback.format_exception(exc)))
    return Path(name)
