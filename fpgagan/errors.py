"""Typed errors a user can cause.  The CLI prints their one-line message and exits non-zero."""

from __future__ import annotations


class FpgaganError(Exception):
    """Base class for every error caused by user input (files, configs, names)."""

    exit_code = 2


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


class BoardError(FpgaganError):
    """An unknown board name or a malformed board file."""
