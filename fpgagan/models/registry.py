"""Name -> model spec.  ``dcgan-tiny`` is for tests; ``dcgan-default`` is the shipped default.

Image-to-image generators (U-Nets) and their conditional PatchGAN discriminators have tables of
their own: ``unet-sr2x`` (14x14 -> 28x28), ``unet-inpaint`` (28x28 -> 28x28) and their tiny
test twins.
"""

from __future__ import annotations

import dataclasses

from fpgagan.config import Precision
from fpgagan.errors import ModelError
from fpgagan.models.discriminator import Discriminator, DiscriminatorSpec
from fpgagan.models.generator import Generator, GeneratorSpec
from fpgagan.models.patchgan import PatchGAN, PatchGANSpec
from fpgagan.models.unet import UNet, UNetSpec

GENERATORS: dict[str, GeneratorSpec] = {
    "dcgan-tiny": GeneratorSpec(latent_dim=8, base_channels=8),
    "dcgan-small": GeneratorSpec(latent_dim=32, base_channels=32),
    "dcgan-default": GeneratorSpec(latent_dim=64, base_channels=128),
}

DISCRIMINATORS: dict[str, DiscriminatorSpec] = {
    "dcgan-disc-tiny": DiscriminatorSpec(base_channels=8),
    "dcgan-disc": DiscriminatorSpec(base_channels=64),
}


UNETS: dict[str, UNetSpec] = {
    "unet-tiny": UNetSpec("sr2x", widths=(4, 8), in_size=14),
    "unet-tiny-inpaint": UNetSpec("inpaint", widths=(4, 8, 8), in_size=28),
    "unet-sr2x": UNetSpec("sr2x", widths=(16, 32), in_size=14),
    "unet-inpaint": UNetSpec("inpaint", widths=(8, 16, 32), in_size=28),
}

PATCHGANS: dict[str, PatchGANSpec] = {
    "patchgan-tiny": PatchGANSpec(base_channels=8),
    "patchgan": PatchGANSpec(base_channels=16),
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


def unet_spec(name: str) -> UNetSpec:
    return _lookup(UNETS, "U-Net generator", name)


def build_unet(
    name: str,
    precision: Precision | None = None,
    batch_norm: bool = True,
    widths: tuple[int, ...] = (),
) -> UNet:
    """Float teacher (``precision=None``) or low-bit student of the named U-Net.

    ``widths`` overrides the channel counts per level (a channel-pruned member of the family).
    """
    spec = unet_spec(name)
    if widths:
        spec = dataclasses.replace(spec, widths=tuple(widths))
    return UNet(spec, precision, batch_norm=batch_norm)


def build_patchgan(name: str, precision: Precision | None = None) -> PatchGAN:
    return PatchGAN(_lookup(PATCHGANS, "PatchGAN discriminator", name), precision)
