"""Compression: GAN training (float and quantization-aware), later pruning and distillation."""
