"""Reports: image-quality metrics (FID-FMNIST, classifier IS, PSNR), later cost models and rendering."""
