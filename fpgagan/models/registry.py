"""Name -> model spec.  ``dcgan-tiny`` is for tests; ``dcgan-default`` is the shipped default."""

from __future__ import annotations

import dataclasses

from fpgagan.config import Precision
from fpgagan.errors import ModelError
from fpgagan.models.discriminator import Discriminator, DiscriminatorSpec
from fpgagan.models.generator import Generator, GeneratorSpec

GENERATORS: dict[str, GeneratorSpec] = {
    "dcgan-tiny": GeneratorSpec(latent_dim=8, base_channels=8),
    "dcgan-small": GeneratorSpec(latent_dim=32, base_channels=32),
    "dcgan-default": GeneratorSpec(latent_dim=64, base_channels=128),
}

DISCRIMINATORS: dict[str, DiscriminatorSpec] = {
    "dcgan-disc-tiny": DiscriminatorSpec(base_channels=8),
    "dcgan-disc": DiscriminatorSpec(base_channels=64),
}


def _lookup(table: dict, kind: str, name: str):
    try:
        return table[name]
    except KeyError:
        raise ModelError(f"unknown {kind} {name!r} (known: {', '.join(sorted(table))})") from None


def generator_spec(name: str) -> GeneratorSpec:
    return _lookup(GENERATORS, "generator", name)


def build_generator(
    name: str,
    precision: Precision | None = None,
    batch_norm: bool = True,
    widths: tuple[int, ...] = (),
) -> Generator:
    """Float teacher (``precision=None``) or low-bit student of the named generator.

    ``widths`` overrides the hidden channel counts (a channel-pruned member of the family).
    """
    spec = generator_spec(name)
    if widths:
        spec = dataclasses.replace(spec, widths=tuple(widths))
    return Generator(spec, precision, batch_norm=batch_norm)


def build_discriminator(name: str, precision: Precision | None = None) -> Discriminator:
    return Discriminator(_lookup(DISCRIMINATORS, "discriminator", name), precision)
