"""Typed errors a user can cause, and the exit codes the CLI turns them into.

The CLI prints an error's one-line message and exits with its ``exit_code``:

- ``EXIT_OK`` (0): done.
- ``EXIT_MISMATCH`` (1): the result was computed, and it differs from the reference.
- ``EXIT_BAD_INPUT`` (2): a file, folder, option, board or model fpgagan refuses (one line says why).
- ``EXIT_INTERNAL`` (3): a bug in fpgagan; the traceback goes to a log file, not to the screen.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_MISMATCH = 1
EXIT_BAD_INPUT = 2
EXIT_INTERNAL = 3
MAX_MESSAGE_CHARS = 600  # of one error line


def one_line(text: str) -> str:
    """``text`` with line breaks and other control characters escaped, and a length limit."""
    out = "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in text)
    return out if len(out) <= MAX_MESSAGE_CHARS else out[: MAX_MESSAGE_CHARS - 3] + "..."


class FpgaganError(Exception):
    """Base class for every error caused by user input (files, configs, names)."""

    exit_code = EXIT_BAD_INPUT


class ConfigError(FpgaganError):
    """A YAML config or a typed option is malformed (unknown key, wrong type, out of range)."""


class DatasetError(FpgaganError):
    """A dataset cannot be found or read."""


class CheckpointError(FpgaganError):
    """A checkpoint is missing, corrupt, or does not match the model it is loaded into."""


class ModelError(FpgaganError):
    """An unknown model name or an unsupported model configuration."""


class ExportError(FpgaganError):
    """A model cannot be exported to, or read back from, QONNX."""


class UnsupportedModelError(FpgaganError):
    """A model uses an op, attribute or quantizer that fpgagan cannot map to exact hardware."""


class SimulationError(FpgaganError):
    """A C simulation cannot be built or run, or its input does not fit the model."""


class InputError(FpgaganError):
    """An input array or an output path is unusable (NaN, empty batch, wrong container, a folder)."""


class BoardError(FpgaganError):
    """An unknown board name or a malformed board file."""


class FolderError(FpgaganError):
    """A folder fpgagan would write into holds files it did not make, or is in use by another run."""


class MismatchError(FpgaganError):
    """A computed result differs from its reference (e.g. QONNX execution vs the Brevitas forward)."""

    exit_code = EXIT_MISMATCH


class PragmaError(FpgaganError):
    """A generated HLS project uses a pragma, or a pragma option, its target tool does not document
    (e.g. Vivado HLS's DATA_PACK in a Vitis HLS project), or cannot be read to find its pragmas."""


def short_repr(value: object, limit: int = 60) -> str:
    """``repr(value)`` cut to about ``limit`` characters, without ever building the whole repr
    (a YAML alias bomb or a huge list would take minutes and gigabytes to print)."""
    import reprlib

    r = reprlib.Repr()
    r.maxlevel, r.maxdict, r.maxlist, r.maxtuple, r.maxset = 3, 4, 6, 6, 6
    r.maxstring = r.maxother = r.maxlong = limit
    out = r.repr(value)
    return out if len(out) <= limit + 3 else out[:limit] + "..."
