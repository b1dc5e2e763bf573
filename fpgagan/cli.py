"""The ``fpgagan`` command: thin argument parsing over :mod:`fpgagan.workflows`.

Errors a user can cause (:class:`~fpgagan.errors.FpgaganError`) print one line and exit non-zero;
a traceback means a bug in fpgagan.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from fpgagan import __version__
from fpgagan.errors import FpgaganError

log = logging.getLogger("fpgagan")

DEFAULT_CONFIG = "configs/default.yaml"


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def _cmd_train_qat(args: argparse.Namespace) -> int:
    from fpgagan.config import TrainQatConfig, load_yaml
    from fpgagan.workflows.export import export_checkpoint
    from fpgagan.workflows.train_qat import summary, train_qat

    cfg = load_yaml(TrainQatConfig, args.config)
    run_dir = Path(args.out) if args.out else Path("runs") / cfg.name
    result = train_qat(cfg, run_dir, data_root=args.data_dir)
    check = export_checkpoint(run_dir / "generator.pt", run_dir / "generator.onnx")
    print(summary(result.metrics))
    print(f"QONNX: {run_dir / 'generator.onnx'} (execute_onnx == Brevitas on "
          f"{check.n_latents} latents: {check.mismatches} mismatches)")
    print(f"run folder: {run_dir}  (wall time {result.metrics['wall_s']:.0f} s)")
    return 0


def _cmd_export(args: argparse.Namespace) -> int:
    from fpgagan.workflows.export import export_checkpoint

    check = export_checkpoint(Path(args.checkpoint), Path(args.out), verify_n=args.verify)
    msg = f"wrote {args.out}"
    if check is not None:
        msg += f" (execute_onnx == Brevitas forward on {check.n_latents} latents: {check.mismatches} mismatches)"
    print(msg)
    return 0


def _cmd_train_classifier(args: argparse.Namespace) -> int:
    from fpgagan.report.classifier import default_classifier_path
    from fpgagan.report.train_classifier import train_classifier

    out = Path(args.out) if args.out else default_classifier_path()
    metrics = train_classifier(out, epochs=args.epochs, root=args.data_dir)
    print(f"wrote {out}: test accuracy {metrics['test_accuracy']:.4f}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="fpgagan", description="Low-bit GAN generators to bit-exact FPGA accelerators.")
    ap.add_argument("--version", action="version", version=f"fpgagan {__version__}")
    ap.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = ap.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("train-qat", help="train the float teacher, then the low-bit generator (QAT)")
    p.add_argument("--config", default=DEFAULT_CONFIG, help=f"YAML recipe (default {DEFAULT_CONFIG})")
    p.add_argument("--out", default=None, help="run folder (default runs/<config name>); rerun to resume")
    p.add_argument("--data-dir", default=None, help="Fashion-MNIST folder (overrides $FPGAGAN_FMNIST_DIR)")
    p.set_defaults(func=_cmd_train_qat)

    p = sub.add_parser("export", help="export a low-bit generator checkpoint to QONNX")
    p.add_argument("--checkpoint", required=True, help="generator checkpoint (.pt) from train-qat")
    p.add_argument("--out", required=True, help="QONNX file to write")
    p.add_argument("--verify", type=int, default=256, metavar="N",
                   help="compare execute_onnx with Brevitas on N latents, refuse on mismatch (0: skip)")
    p.set_defaults(func=_cmd_export)

    p = sub.add_parser("train-classifier", help="retrain the FID-FMNIST feature network")
    p.add_argument("--out", default=None, help="weights file (default: the shipped asset)")
    p.add_argument("--epochs", type=_positive_int, default=6)
    p.add_argument("--data-dir", default=None)
    p.set_defaults(func=_cmd_train_classifier)
    return ap


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO, format="%(message)s")
    for noisy in ("torch", "brevitas", "qonnx", "onnxscript", "matplotlib", "PIL"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    try:
        return int(args.func(args))
    except FpgaganError as exc:
        print(f"fpgagan: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("fpgagan: interrupted; rerun the same command to resume from the last finished epoch",
              file=sys.stderr)
        return 130
