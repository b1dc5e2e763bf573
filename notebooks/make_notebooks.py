"""Write the notebooks from these cell lists (keeps them thin, reviewable and output-free).

python notebooks/make_notebooks.py
"""

from __future__ import annotations

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
            "report['bit_exact']"
        ),
        new_markdown_cell("Float teacher | FPGA C simulation | |difference|:"),
        new_code_cell(
            "from IPython.display import Image, Markdown\nImage(str(out / 'float_vs_fpga.png'))"
        ),
        new_code_cell(
            "c = report['cost']\n"
            "print(f\"fits: {c['fits']} (limit {c['limiting']}), {c['images_per_s']:,.0f} images/s, \"\n"
            "      f\"DSP roofline {c['dsp_roofline_images_per_s']:,.0f} images/s\")\n"
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
}


def main() -> None:
    for name, cells in NOTEBOOKS.items():
        nb = new_notebook(
            cells=cells,
            metadata={
                "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
            },
        )
        nbformat.write(nb, HERE / name)
        print("wrote", HERE / name)


if __name__ == "__main__":
    main()
