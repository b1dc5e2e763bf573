"""GAN training: epochs of the non-saturating GAN loss and resumable training phases (float
teacher, quantization-aware student).  Compression techniques plug in through the generator's
extra loss term (distillation) and the after-step hook (pruning masks)."""
