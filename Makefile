# fpgagan: every target creates .venv on first use, so a fresh clone needs nothing else typed.
PYTHON      ?= python3
VENV        := .venv
PY          := $(VENV)/bin/python
STAMP       := $(VENV)/.installed
FMNIST_DIR  ?= /usr/share/datasets/fashion-mnist
FMNIST_PKG  := dataset-fashion-mnist
CONFIG      ?= configs/default.yaml
BOARD       ?= pynq-z2
MODEL       ?=
N           ?= 1000
WORKERS     ?= 1
PYTEST_ARGS ?=

.PHONY: help venv data hls train-qat export test test-notebooks test-slow lint bench-train bench-csim bench-compression docs golden calibrate-costs clean

help:
	@echo "make hls BOARD=pynq-z2 [MODEL=x.onnx|x.pt] [N=1000]  HLS project + bit-exact csim + report (main job)"
	@echo "make train-qat [CONFIG=configs/default.yaml]  train float teacher + low-bit generator, export QONNX"
	@echo "make export                                    re-export the shipped default checkpoint to QONNX"
	@echo "make test                                      default test suite (what CI runs)"
	@echo "make test-notebooks                            run the notebooks with small settings"
	@echo "make test-slow                                 the slow tests (full-size training and export)"
	@echo "make bench-train                               wall time of a default training run"
	@echo "make bench-compression [N=1000] [WORKERS=1]    every recipe in configs/compression on one table (+ Pareto plot)"
	@echo "make lint                                      ruff"
	@echo "make calibrate-costs                           re-measure fpgagan/hw/unit_costs.json with yosys (long)"

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	# torch==2.13.0 is pinned in pyproject.toml: it is the local CPU build on our machines
	$(PY) -m pip install --quiet -e '.[dev,ray]'
	touch $(STAMP)

venv: $(STAMP)

# Fashion-MNIST comes from Debian's package; install it when missing and we are root.
data:
	@if [ -f "$(FMNIST_DIR)/train-images-idx3-ubyte.gz" ] || [ -n "$$FPGAGAN_FMNIST_DIR" ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "installing Debian package $(FMNIST_PKG)"; \
	  (apt-get install -y -qq $(FMNIST_PKG) >/dev/null 2>&1 || \
	   (apt-get update -qq >/dev/null && apt-get install -y -qq $(FMNIST_PKG) >/dev/null)); \
	else \
	  echo "Fashion-MNIST missing: run  sudo apt-get install $(FMNIST_PKG)  (or set FPGAGAN_FMNIST_DIR)"; exit 1; \
	fi

hls: $(STAMP) data
	$(PY) -m fpgagan hls --board $(BOARD) $(if $(MODEL),--model $(MODEL)) -n $(N)

train-qat: $(STAMP) data
	$(PY) -m fpgagan train-qat --config $(CONFIG)

export: $(STAMP)
	$(PY) -m fpgagan export --checkpoint fpgagan/assets/default/generator.pt --out runs/default-export/generator.onnx

test: $(STAMP) data
	$(PY) -m pytest -q $(PYTEST_ARGS)

# the notebooks, top to bottom with small settings
test-notebooks: $(STAMP) data
	FPGAGAN_NB_SMALL=1 $(PY) -m pytest -q -p no:cacheprovider -o addopts="" --nbmake --nbmake-timeout=900 notebooks

test-slow: $(STAMP) data
	$(PY) -m pytest -q -m slow $(PYTEST_ARGS)

bench-train: $(STAMP) data
	$(PY) benchmarks/bench_train.py

bench-csim: $(STAMP) data
	$(PY) benchmarks/bench_csim.py

# trains (or reuses) every recipe, verifies each in csim on N latents (01_float trains the teacher);
# WORKERS > 1: a local Ray instance of that many CPUs; RAY_ADDRESS set: that Ray cluster
bench-compression: $(STAMP) data
	$(PY) benchmarks/bench_compression.py -n $(N) --workers $(WORKERS)

# regenerate the generated docs (board pages from boards/*.yaml, the phase-decomposition and
# architecture figures)
docs: $(STAMP)
	$(PY) tools/make_board_docs.py
	$(PY) docs/figures/make_phase_figure.py
	$(PY) docs/figures/make_hardware_figure.py
	$(PY) docs/figures/make_architecture_figure.py

# regenerate the committed golden C-simulation outputs (only after a deliberate kernel/type change)
golden: $(STAMP)
	$(PY) -m tests.golden.make_golden

# the cost model's unit costs, synthesised with Debian's yosys (installed when missing and we are root);
# subsets and checks: $(PY) tools/calibrate_costs.py --only 'mux *' | --check 20
calibrate-costs: $(STAMP)
	@if command -v yosys >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "installing Debian package yosys"; \
	  (apt-get install -y -qq yosys >/dev/null 2>&1 || \
	   (apt-get update -qq >/dev/null && apt-get install -y -qq yosys >/dev/null)); \
	else \
	  echo "yosys missing: run  sudo apt-get install yosys"; exit 1; \
	fi
	$(PY) tools/calibrate_costs.py

lint: $(STAMP)
	$(PY) -m ruff check fpgagan tests benchmarks tools docs/figures notebooks/make_notebooks.py
	$(PY) -m ruff format --check fpgagan tests benchmarks tools docs/figures notebooks/make_notebooks.py

clean:
	rm -rf runs .pytest_cache
