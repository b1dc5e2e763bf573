"""Generators, discriminators and their registry; float twins and Brevitas low-bit students."""

from __future__ import annotations

from fpgagan.models.discriminator import Discriminator, DiscriminatorSpec
from fpgagan.models.folding import fold_batch_norm
from fpgagan.models.generator import Generator, GeneratorSpec
from fpgagan.models.registry import (
    DISCRIMINATORS,
    GENERATORS,
    build_discriminator,
    build_generator,
    generator_spec,
)

__all__ = [
    "DISCRIMINATORS",
    "GENERATORS",
    "Discriminator",
    "DiscriminatorSpec",
    "Generator",
    "GeneratorSpec",
    "build_discriminator",
    "build_generator",
    "fold_batch_norm",
    "generator_spec",
]
