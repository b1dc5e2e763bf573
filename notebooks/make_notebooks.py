"""Write the notebooks from these cell lists (keeps them thin, reviewable and output-free).

python notebooks/make_notebooks.py [NAME.ipynb ...]   # all notebooks, or only those named
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent
# every notebook reads FPGAGAN_NB_SMALL=1 (set by the `notebooks` tests) to run with small settings
SMALL = (
    "import os, pathlib\nif pathlib.Path.cwd().name == 'notebooks':\n    os.chdir('..')  # paths are relative to the repository\n"
    "SMALL = os.environ.get('FPGAGAN_NB_SMALL') == '1'\n"
)

NOTEBOOKS = {
    "00_quickstart.ipynb": [
        new_markdown_cell(
            "# 00 Quickstart: the shipped generator on a PYNQ-Z2\n\n"
            "The shipped W4A8 generator goes through fpgagan's board flow: HLS project, C simulation "
            "checked bit for bit against qonnx, float-vs-FPGA images, and the cost model. "
            "This is what `make hls BOARD=pynq-z2` does."
        ),
        new_code_cell(
            SMALL
            + "from pathlib import Path\nfrom fpgagan.workflows.hls_flow import run_hls_flow\n"
            "out = Path('runs/nb-quickstart')\n"
            "report = run_hls_flow('pynq-z2', out, n=16 if SMALL else 1000)\n"
            "report.bit_exact"
        ),
        new_markdown_cell("Float teacher | FPGA C simulation | |difference|:"),
        new_code_cell(
            "from IPython.display import Image, Markdown\nImage(str(out / 'float_vs_fpga.png'))"
        ),
        new_code_cell(
            "c = report.cost\n"
            'print(f"fits: {c.fits} (limit {c.limiting}), {c.images_per_s:,.0f} images/s, "\n'
            '      f"LUT {c.totals.lut:,.0f}, FF {c.totals.ff:,.0f}, DSP {c.totals.dsp:,.0f}, BRAM_18K {c.totals.bram_18k:,.0f}")\n'
            "Markdown((out / 'report.md').read_text())"
        ),
    ],
    "01_train_qat.ipynb": [
        new_markdown_cell(
            "# 01 Quantization-aware training\n\nA float teacher, then a low-bit student fine-tuned "
            "from it. With small settings this runs on scikit-learn's digits in seconds; "
            "`make train-qat` runs `configs/default.yaml` on Fashion-MNIST."
        ),
        new_code_cell(
            SMALL
            + "from pathlib import Path\nfrom fpgagan.config import TrainQatConfig, load_yaml\n"
            "from fpgagan.workflows.train_qat import summary, train_qat\n"
            "cfg = load_yaml(TrainQatConfig, 'configs/tiny.yaml' if SMALL else 'configs/default.yaml')\n"
            "import tempfile  # small runs train from scratch in a fresh folder\n"
            "run_dir = Path(tempfile.mkdtemp(prefix='fpgagan-nb-')) if SMALL else Path('runs') / cfg.name\n"
            "result = train_qat(cfg, run_dir)\nprint(summary(result.metrics))"
        ),
        new_markdown_cell("Samples of the last QAT epoch:"),
        new_code_cell(
            "from IPython.display import Image\n"
            "Image(sorted((result.run_dir / 'samples').glob('qat_*.png'))[-1].as_posix())"
        ),
        new_markdown_cell(
            "Export the student to QONNX; the export refuses a model that does not execute exactly "
            "like the Brevitas forward."
        ),
        new_code_cell(
            "from fpgagan.workflows.export import export_checkpoint\n"
            "check = export_checkpoint(result.run_dir / 'generator.pt', result.run_dir / 'g.onnx')\ncheck"
        ),
    ],
    "02_prune_and_sparse_kernels.ipynb": [
        new_markdown_cell(
            "# 02 Pruning and sparse kernels\n\nA generator pruned during QAT (gradual magnitude "
            "pruning to 75% per layer; the masks hold through export, so the QONNX weights are exact "
            "zeros), converted with hls4ml: layers whose weights are at least 50% zeros switch to "
            "fpgagan's sparse kernels (per-layer hls4ml config keys `Sparse: auto|true|false` and "
            "`SparsityThreshold`). With small settings this is `configs/tiny_pruned.yaml` on "
            "scikit-learn's digits; otherwise `configs/w4a8_sparse75.yaml`, which fine-tunes the "
            "default teacher (run `make train-qat` first)."
        ),
        new_code_cell(
            SMALL + "import tempfile\nfrom pathlib import Path\n"
            "from fpgagan.config import TrainQatConfig, load_yaml\n"
            "from fpgagan.workflows.train_qat import summary, train_qat\n"
            "cfg = load_yaml(TrainQatConfig, 'configs/tiny_pruned.yaml' if SMALL else 'configs/w4a8_sparse75.yaml')\n"
            "run_dir = Path(tempfile.mkdtemp(prefix='fpgagan-nb-')) if SMALL else Path('runs') / cfg.name\n"
            "result = train_qat(cfg, run_dir)\nprint(summary(result.metrics))\ncfg.qat.prune"
        ),
        new_markdown_cell(
            "Share of exact zeros in each layer's quantized weights, then the export, refused "
            "unless qonnx executes it exactly like the Brevitas forward:"
        ),
        new_code_cell(
            "from fpgagan.compress.prune import weight_layers\n"
            "from fpgagan.models.checkpoint import load_generator\n"
            "from fpgagan.workflows.export import export_checkpoint\n"
            "gen, _ = load_generator(result.run_dir / 'generator.pt')\n"
            "for name, layer in weight_layers(gen).items():\n"
            "    w = layer.quant_weight().value.detach()\n"
            "    print(f'{name:8} {tuple(w.shape)!s:16} zeros {float((w == 0).float().mean()):.1%}')\n"
            "onnx_path = result.run_dir / 'generator.onnx'\n"
            "export_checkpoint(result.run_dir / 'generator.pt', onnx_path)"
        ),
        new_markdown_cell(
            "Build and run the C simulation (io_stream, as on the boards) and compare it with qonnx's "
            "execution element for element:"
        ),
        new_code_cell(
            "import numpy as np\n"
            "from fpgagan.hls.convert import HlsOptions\n"
            "from fpgagan.workflows.csim import describe, run_csim\n"
            "work = Path(tempfile.mkdtemp(prefix='fpgagan-nb-sparse-'))\n"
            "z = np.random.default_rng(0).standard_normal((64 if SMALL else 1000, gen.spec.latent_dim)).astype(np.float32)\n"
            "report = run_csim(onnx_path, z, HlsOptions(io_type='io_stream'), work / 'sparse', check=True)\n"
            "print('\\n'.join(describe(report)))\n"
            "assert report.comparison.exact"
        ),
        new_markdown_cell(
            "Which schedule each engine layer took, from its hls4ml config keys (`fpgagan csim` "
            "leaves them at `auto` and 0.5; `fpgagan hls` lets the board plan pick the cheaper; set "
            "`Sparse: true` or `false` per layer to force one):"
        ),
        new_code_cell(
            "from fpgagan.hls.engine_layers import engine_layers\n"
            "hls_model = report.csim.hls_model\n"
            "for layer in engine_layers(hls_model):\n"
            "    c = hls_model.config.get_layer_config(layer)\n"
            "    print(f\"{layer.name:34} {layer.class_name:22} Sparse={c['Sparse']} \"\n"
            "          f\"weights {layer.get_attr('weight_sparsity'):.1%} zeros, \"\n"
            "          f\"{layer.get_attr('n_steps')} steps per pixel on {layer.parallelism().lanes} lanes\")"
        ),
        new_markdown_cell(
            "The same lanes (multipliers), dense schedule against sparse schedule: steps per output "
            "pixel, stored bits (the sparse schedule stores each lane's channel offset and each step's "
            "control word too) and the cost model's count of the layer (LUT, FF, BRAM_18K; the sparse "
            "lanes each need their own input multiplexer):"
        ),
        new_code_cell(
            "from fpgagan.export import load_qonnx\n"
            "from fpgagan.hls.convert import convert, hardware_graph\n"
            "from fpgagan.hw.cost import layer_cost\n"
            "from fpgagan.hls.memory import engine_bits\n"
            "hw, _ = hardware_graph(load_qonnx(onnx_path))\n"
            "built = {k: engine_layers(convert(hw, work / k, HlsOptions(io_type='io_stream', sparse=k)))\n"
            "         for k in ('false', 'true')}\n"
            "print(f\"{'layer':34} {'steps':>13} {'stored bits':>19} {'LUT':>15} {'BRAM_18K':>9}\")\n"
            "for d, s in zip(built['false'], built['true']):\n"
            "    cd, cs = layer_cost(d.shape()), layer_cost(s.shape())\n"
            "    bd, bs = sum(engine_bits(d).values()), sum(engine_bits(s).values())\n"
            "    print(f\"{d.name:34} {d.get_attr('n_steps'):6,} -> {s.get_attr('n_steps'):5,} \"\n"
            '          f"{bd:9,} -> {bs:8,} {cd.total.lut:7,.0f} -> {cs.total.lut:6,.0f} "\n'
            '          f"{cd.total.bram_18k:3.0f} -> {cs.total.bram_18k:3.0f}")'
        ),
    ],
    "03_bring_your_own_qonnx.ipynb": [
        new_markdown_cell(
            "# 03 Bring your own QONNX model\n\nA Brevitas model written here (not one of fpgagan's), "
            "exported with `export_qonnx`, then run through `fpgagan csim --check`. Power-of-two "
            "(`*FixedPoint`) quantizers, an input quantizer and `Int32Bias` make it exact in hardware."
        ),
        new_code_cell(
            SMALL + "import numpy as np, torch, brevitas.nn as qnn\n"
            "from brevitas.quant import Int8ActPerTensorFixedPoint, Int8WeightPerTensorFixedPoint, Int32Bias\n"
            "torch.manual_seed(0)\n"
            "model = torch.nn.Sequential(\n"
            "    qnn.QuantIdentity(act_quant=Int8ActPerTensorFixedPoint, return_quant_tensor=True),\n"
            "    qnn.QuantConvTranspose2d(3, 4, kernel_size=3, stride=2, padding=1, output_padding=1,\n"
            "                             weight_quant=Int8WeightPerTensorFixedPoint, bias_quant=Int32Bias),\n"
            "    qnn.QuantReLU(act_quant=Int8ActPerTensorFixedPoint.let(signed=False)),\n"
            ")\nmodel.train()\nfor _ in range(20):\n    model(torch.randn(8, 3, 6, 5))\nmodel.eval();"
        ),
        new_code_cell(
            "from pathlib import Path\nfrom brevitas.export import export_qonnx\n"
            "work = Path('runs/nb-byo'); work.mkdir(parents=True, exist_ok=True)\n"
            "export_qonnx(model, torch.randn(1, 3, 6, 5), export_path=str(work / 'mine.onnx'))\n"
            "np.save(work / 'x.npy', np.random.default_rng(0).normal(size=(32, 3, 6, 5)).astype(np.float32))"
        ),
        new_code_cell(
            "from fpgagan.cli import main\n"
            "code = main(['csim', '--model', str(work / 'mine.onnx'), '--input', str(work / 'x.npy'),\n"
            "             '--output', str(work / 'y.npy'), '--check', '--io-type', 'io_stream'])\n"
            "assert code == 0"
        ),
        new_code_cell(
            "y = np.load(work / 'y.npy')\nwith torch.no_grad():\n"
            "    ref = model(torch.from_numpy(np.load(work / 'x.npy'))).numpy()\n"
            "print(y.shape, 'differing elements vs Brevitas:', int((y != ref).sum()))"
        ),
    ],
    "04_compression_table.ipynb": [
        new_markdown_cell(
            "# 04 The compression table\n\n"
            "Every technique on one generator family, one dataset, one metric and one board: each "
            "recipe in `configs/compression/` (float, W8A8 ... ternary, 75% sparse, a half-width "
            "student distilled from the teacher and the same student trained from scratch, GAN "
            "Slimming's combinations) is trained, converted, C-simulated on 1,000 latents and "
            "checked bit for bit, then costed on the PYNQ-Z2. This is `make bench-compression` "
            "(about an hour on 2 cores; trained runs are reused). With small settings: two "
            "seconds-long recipes on scikit-learn's digits."
        ),
        new_code_cell(
            SMALL + "import tempfile\nfrom pathlib import Path\n"
            "from fpgagan.workflows.compression import run_compression\n"
            "if SMALL:\n"
            "    work = Path(tempfile.mkdtemp(prefix='fpgagan-nb-table-'))\n"
            "    (work / 'float.yaml').write_text(Path('configs/tiny.yaml').read_text().split('qat:')[0]"
            " + 'qat: null\\neval: {n_samples: 200}\\n')\n"
            "    recipes, out, runs, n = [work / 'float.yaml', Path('configs/tiny_distill.yaml')], work / 'table', work / 'runs', 16\n"
            "else:\n"
            "    recipes, out, runs, n = sorted(Path('configs/compression').glob('*.yaml')), Path('runs/compression'), Path('runs'), 1000\n"
            "rows = run_compression(recipes, out, runs, n=n)\n"
            "[(r.recipe, r.precision, f'{r.compression:.1f}x', round(r.fid, 2), r.csim_bit_exact) for r in rows]"
        ),
        new_markdown_cell("The table (also `table.csv` and `table.json` in the same folder):"),
        new_code_cell(
            "from IPython.display import Image, Markdown\nMarkdown((out / 'table.md').read_text())"
        ),
        new_markdown_cell(
            "FID-FMNIST against compression ratio; red points are the Pareto front (no other "
            "recipe is both more compressed and better), dotted lines the targets:"
        ),
        new_code_cell("Image(str(out / 'pareto.png'))"),
        new_markdown_cell("Samples of the most compressed recipe on the front:"),
        new_code_cell(
            "best = max((r for r in rows if r.pareto), key=lambda r: r.compression)\n"
            "print(best.recipe, f'{best.compression:.1f}x', f'FID-FMNIST {best.fid:.2f}')\n"
            "Image(str(out / 'samples' / f'{best.recipe}.png'))"
        ),
    ],
    "05_image_to_image.ipynb": [
        new_markdown_cell(
            "# 05 Image-to-image generators: super-resolution and inpainting\n\n"
            "A pix2pix U-Net (skip connections, nearest upsampling, pixel shuffle) is trained as a "
            "float teacher against a conditional PatchGAN, then quantized to W4A8 with "
            "distillation (`make train-qat CONFIG=configs/sr2x.yaml`). The board flow feeds "
            "test-split images, degraded by the task, through the C simulation, checks them bit "
            "for bit and scores float, quantized and FPGA outputs against ground truth, beside "
            "bicubic upsampling. With small settings: seconds-long recipes on scikit-learn's digits "
            "and 8 test images."
        ),
        new_code_cell(
            SMALL + "import tempfile\nfrom pathlib import Path\n"
            "from fpgagan.config import TrainQatConfig, load_yaml\n"
            "from fpgagan.workflows.train_qat import train_qat\n"
            "def trained(task):\n"
            "    cfg = load_yaml(TrainQatConfig, f'configs/tiny_{task}.yaml' if SMALL else f'configs/{task}.yaml')\n"
            "    run_dir = Path(tempfile.mkdtemp(prefix='fpgagan-nb-')) if SMALL else Path('runs') / cfg.name\n"
            "    train_qat(cfg, run_dir)  # reuses a finished run\n"
            "    return run_dir\n"
            "sr_run = trained('sr2x')"
        ),
        new_code_cell(
            "from fpgagan.workflows.hls_flow import run_hls_flow\n"
            "n = 8 if SMALL else 1000\n"
            "sr = run_hls_flow('pynq-z2', Path('runs/nb-sr2x'), model=str(sr_run / 'generator.pt'), n=n)\n"
            "print('bit-exact:', sr.bit_exact.exact, sr.bit_exact_independent.exact)\n"
            "[(s.source, round(s.psnr_db, 2), round(s.ssim, 4)) for s in sr.image_task.scores]"
        ),
        new_markdown_cell("Input | float | FPGA C simulation | ground truth:"),
        new_code_cell(
            "from IPython.display import Image, Markdown\nImage(str(Path('runs/nb-sr2x') / 'task_grid.png'))"
        ),
        new_markdown_cell(
            "The cost model counts every process of the U-Net, the stream clones and the "
            "concatenation of the skip connection included, and sizes every FIFO by simulating "
            "the dataflow graph:"
        ),
        new_code_cell(
            "c = sr.cost\n"
            'print(f"fits: {c.fits} (limit {c.limiting}), {c.images_per_s:,.0f} images/s")\n'
            "[(s.name, s.kind, s.cycles, round(s.lut), round(s.ff)) for s in c.stages]"
        ),
        new_markdown_cell(
            "Inpainting: PSNR inside the restored 10x10 patch, float, W4A8 and FPGA:"
        ),
        new_code_cell(
            "ip_run = trained('inpaint')\n"
            "ip = run_hls_flow('pynq-z2', Path('runs/nb-inpaint'), model=str(ip_run / 'generator.pt'), n=n)\n"
            "print('bit-exact:', ip.bit_exact.exact)\n"
            "[(s.source, round(s.psnr_db, 2), round(s.patch_psnr_db or 0, 2)) for s in ip.image_task.scores]"
        ),
        new_code_cell("Image(str(Path('runs/nb-inpaint') / 'task_grid.png'))"),
    ],
    "06_float_generator.ipynb": [
        new_markdown_cell(
            "# 06 Your float generator, made FPGA-ready without its training data\n\n"
            "A float PyTorch generator (here the project's Fashion-MNIST teacher: Linear, "
            "batch-norm, ReLU, transposed convolutions, a hard tanh) is quantized by "
            "`fpgagan.compress.quantize` to W4A8 with power-of-two scales, then distilled from its "
            "own float self on random latents: no training image is used. The result is a QONNX "
            "file the main job takes (`make hls MODEL=...`). From the command line, with the "
            "model exported to ONNX: `fpgagan quantize --float G.onnx`. With small settings: a "
            "few steps and 16 latents."
        ),
        new_code_cell(
            SMALL + "import tempfile\nfrom pathlib import Path\n"
            "from fpgagan.compress import quantize\n"
            "from fpgagan.models.checkpoint import load_generator\n"
            "float_gen, _ = load_generator('fpgagan/assets/default/teacher.pt')  # any float nn.Module\n"
            "student = quantize(float_gen, input_shape=(64,))  # W4A8 by default\n"
            "r = student.report\n"
            "print('batch-norm folded:', r.folded_batch_norms)\n"
            "[(x.name, x.kind, f'W{x.weight_bits}', f'A{x.act_bits}') for x in r.layers]"
        ),
        new_markdown_cell(
            "Data-free distillation: pixel L1 and feature MSE against the float model on random "
            "latents, resumable in its run folder, scored after every epoch by FID-FMNIST (the "
            "output is 1x28x28) and PSNR/SSIM against the float model:"
        ),
        new_code_cell(
            "from fpgagan.workflows.quantize_float import DistilConfig, quantize_and_distil\n"
            "cfg = DistilConfig(epochs=1, steps_per_epoch=5, n_val=200) if SMALL else DistilConfig()\n"
            "run_dir = Path(tempfile.mkdtemp(prefix='fpgagan-nb-')) if SMALL else Path('runs/nb-quantize')\n"
            "result = quantize_and_distil(float_gen, run_dir, cfg=cfg, input_shape=(64,))\n"
            "for line in result.metrics['history']:\n"
            "    print({k: round(v, 3) for k, v in line.items()})\n"
            "sorted(p.name for p in run_dir.iterdir() if not p.name.startswith('.'))"
        ),
        new_markdown_cell(
            "The QONNX file goes through the main job like any other model "
            "(`make hls MODEL=runs/nb-quantize/generator.onnx BOARD=pynq-z2`): HLS project, C "
            "simulation checked bit for bit against qonnx, FID-FMNIST, cost estimate:"
        ),
        new_code_cell(
            "from fpgagan.workflows.hls_flow import run_hls_flow\n"
            "report = run_hls_flow('pynq-z2', Path('runs/nb-quantize-hls'), model=str(run_dir / 'generator.onnx'), n=16 if SMALL else 1000)\n"
            "print('bit-exact:', report.bit_exact.exact, report.bit_exact_independent.exact)\n"
            "print('FID-FMNIST of the C simulation:', report.quality.fpga_csim.fid if report.quality else None)\n"
            "print(f'{report.cost.images_per_s:,.0f} images/s, fits: {report.cost.fits}')"
        ),
    ],
    "07_photo_super_resolution.ipynb": [
        new_markdown_cell(
            "# 07 A photograph upscaled on the FPGA\n\n"
            "An ESPCN-class x2 network trained on the colour photographs that ship with "
            "scikit-image and scikit-learn (`fpgagan train-photo-sr`), a held-out photograph "
            "upscaled by its W4A8 student in the C simulation, bit for bit against qonnx, scored "
            "as the super-resolution literature does (Y-PSNR on BT.601 luma, border cropped) "
            "beside bicubic; then frames/s at 1280x720 and 1920x1080 from the board plan. "
            "With small settings: a seconds-long recipe and a 128x96 crop."
        ),
        new_code_cell(
            SMALL + "import tempfile\nfrom pathlib import Path\n"
            "from fpgagan.config import PhotoSrConfig, load_yaml\n"
            "from fpgagan.workflows.photo_sr import run_photo_sr, summary\n"
            "cfg = load_yaml(PhotoSrConfig, 'configs/tiny_photo_sr2x.yaml' if SMALL else 'configs/photo_sr2x.yaml')\n"
            "run_dir = Path(tempfile.mkdtemp(prefix='fpgagan-nb-')) / 'run' if SMALL else Path('runs') / cfg.name\n"
            "if not (run_dir / 'metrics.json').is_file():\n"
            "    run_photo_sr(cfg, run_dir)  # 9-14 minutes on 2 shared cores with the full recipe\n"
            "import json\nprint(summary(json.loads((run_dir / 'metrics.json').read_text())))"
        ),
        new_markdown_cell(
            "The W4A8 model at the frame of one crop of the astronaut (a held-out photograph), "
            "through fpgagan's board flow: HLS project, C simulation, comparison with qonnx."
        ),
        new_code_cell(
            "from fpgagan.export import load_qonnx, save_qonnx\n"
            "from fpgagan.export.frame_size import at_frame_size\n"
            "from fpgagan.workflows.hls_flow import run_hls_flow\n"
            "h, w = (48, 64) if SMALL else (180, 320)\n"
            "model = run_dir / 'student_W4A8.onnx'\n"
            "sized = run_dir / f'student_W4A8_{w}x{h}.onnx'\n"
            "save_qonnx(at_frame_size(load_qonnx(model), h, w, str(model)), sized)\n"
            "report = run_hls_flow('pynq-z2', Path('runs/nb-photo-sr'), model=str(sized), n=1)\n"
            "print('bit-exact:', report.bit_exact.exact, report.bit_exact_independent.exact)"
        ),
        new_markdown_cell(
            "The board flow's report (`runs/nb-photo-sr/report.md`) scores the crop as the "
            "literature does and gives frames/s of its plan and of plans at 1280x720 and "
            "1920x1080 outputs on the same board:"
        ),
        new_code_cell(
            "from IPython.display import Markdown\n"
            "from fpgagan.report.render import frame_rate_section\n"
            "s = report.photo_sr.photos[0]\n"
            "print(f'{s.photo}: bicubic {s.bicubic.y_psnr:.2f} dB, FPGA {s.fpga.y_psnr:.2f} dB Y-PSNR')\n"
            "Markdown('\\n'.join(frame_rate_section(report.photo_sr)))"
        ),
        new_code_cell(
            "import numpy as np, torch\n"
            "from fpgagan.data.photos import crop_to, load_photos, make_lr\n"
            "from fpgagan.data.tasks import bicubic_upsample\n"
            "from fpgagan.images import save_grid\n"
            "from fpgagan.report.sr_metrics import sr_score\n"
            "truth = crop_to(load_photos('test')[0].image, 2 * h, 2 * w)\n"
            "fpga = torch.from_numpy(np.load('runs/nb-photo-sr/csim_images.npy')[0])\n"
            "bicubic = bicubic_upsample(make_lr(truth[None]))[0]\n"
            "for name, img in (('bicubic', bicubic), ('FPGA (C simulation)', fpga)):\n"
            "    print(name, sr_score(img.numpy(), truth.numpy(), 2))\n"
            "save_grid('runs/nb-photo-sr/photo.png', torch.stack([bicubic, fpga, truth]), ncol=3)"
        ),
        new_markdown_cell("Bicubic | FPGA | ground truth:"),
        new_code_cell("from IPython.display import Image\nImage('runs/nb-photo-sr/photo.png')"),
        new_markdown_cell(
            "The same network planned at video sizes: frames/s = clock / interval; the "
            "on-chip memory follows the frame's width (line buffers), not its height."
        ),
        new_code_cell(
            "from IPython.display import Markdown\n"
            "from fpgagan.workflows.frame_rates import frame_rate_table, plan_frame\n"
            "q = load_qonnx(model)\n"
            "rates = [plan_frame(q, b, 720, 1280) for b in ('pynq-z2', 'zcu102')]\n"
            "rates += [plan_frame(q, b, 1080, 1920) for b in ('pynq-z2', 'zcu102')]\n"
            "Markdown(frame_rate_table(rates))"
        ),
    ],
}


def _notebook(name: str, cells: list) -> nbformat.NotebookNode:
    # deterministic cell ids, so rewriting an unchanged notebook changes nothing
    for i, cell in enumerate(cells):
        cell["id"] = f"{name[:2]}-{i:02d}"
    return new_notebook(
        cells=cells,
        metadata={
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
        },
    )


def main(argv: list[str] | None = None) -> None:
    names = sys.argv[1:] if argv is None else argv
    unknown = sorted(set(names) - set(NOTEBOOKS))
    if unknown:
        raise SystemExit(f"unknown notebook(s) {unknown}; known: {', '.join(NOTEBOOKS)}")
    for name in names or NOTEBOOKS:
        nbformat.write(_notebook(name, NOTEBOOKS[name]), HERE / name)
        print("wrote", HERE / name)


if __name__ == "__main__":
    main()
