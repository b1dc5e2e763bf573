"""Generators (DCGAN, U-Net), discriminators (DCGAN, PatchGAN) and their registry; float twins
and Brevitas low-bit students."""

from __future__ import annotations

from fpgagan.models.discriminator import Discriminator, DiscriminatorSpec
from fpgagan.models.folding import fold_batch_norm
from fpgagan.models.generator import Generator, GeneratorSpec
from fpgagan.models.patchgan import PatchGAN, PatchGANSpec
from fpgagan.models.registry import (
    DISCRIMINATORS,
    GENERATORS,
    PATCHGANS,
    UNETS,
    build_discriminator,
    build_generator,
    build_patchgan,
    build_unet,
    generator_spec,
    unet_spec,
)
from fpgagan.models.unet import UNet, UNetSpec

__all__ = [
    "DISCRIMINATORS",
    "GENERATORS",
    "PATCHGANS",
    "UNETS",
    "Discriminator",
    "DiscriminatorSpec",
    "Generator",
    "GeneratorSpec",
    "PatchGAN",
    "PatchGANSpec",
    "UNet",
    "UNetSpec",
    "build_discriminator",
    "build_generator",
    "build_patchgan",
    "build_unet",
    "fold_batch_norm",
    "generator_spec",
    "unet_spec",
]
