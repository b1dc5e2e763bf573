"""Reports: image-quality metrics (FID-FMNIST, classifier IS, PSNR, SSIM), the typed board-flow
report, its cost estimate and its rendering (report.md), the compression table's Pareto plot."""
