"""Limits on what fpgagan reads, checked before any work and before any large allocation.

Every file, model, option and recipe a user gives is measured against these before fpgagan
parses it further, builds anything or allocates memory sized from it; going over one is refused
with one line naming the limit (exit 2).  Each limit is far above what a GAN generator for an
FPGA of this project needs (the reason is beside it), and far below what would exhaust the
memory or the time of a workstation.
"""

from __future__ import annotations

MiB = 1 << 20

# ---- files
# a YAML recipe, board or planner config is a page of text; 1 MiB is 100x the largest shipped one
MAX_YAML_BYTES = 1 * MiB
# a QONNX generator that fits an FPGA's on-chip memory is a few MB (the largest board, Alveo
# U250, has ~54 MB of BRAM+URAM); 64 MiB leaves room for float weights stored unquantized
MAX_MODEL_BYTES = 64 * MiB
# a generator checkpoint holds the same weights as float32 plus a record; training states hold
# two models and their optimisers
MAX_CHECKPOINT_BYTES = 512 * MiB
# a .npy batch of inputs: 100,000 latents of 100 floats is 40 MB; 1 GiB is 25x that
MAX_INPUT_BYTES = 1024 * MiB
# one image file of a user's image set (a PNG/JPEG of a few megapixels is a few MB)
MAX_IMAGE_BYTES = 32 * MiB
# images of a user's image set read for training (Fashion-MNIST's training split is 60,000)
MAX_IMAGE_FILES = 100_000
# a file or folder name fpgagan writes: NAME_MAX (255) less the temporary prefix and suffix it
# adds beside it (".NAME.partial-XXXXXXXX", ".NAME.XXXXXXXX.tmp", "NAME_hls")
MAX_NAME_CHARS = 200

# ---- models
# fpgagan's generators export to ~50 nodes raw, a U-Net to ~300; shape inference, cleanup and
# conversion are quadratic in places (10,000 chained nodes ran for minutes)
MAX_NODES = 2000
# elements of one tensor (per batch item for activations): a 28x28 image of 256 channels is
# 200k, the largest dense weight (100 x 256*7*7) 1.3M; 4M elements is 16 MB of float32
MAX_TENSOR_ELEMENTS = 1 << 22
# one axis of any tensor: image sides and channel counts are at most a few hundred here
MAX_DIM = 1 << 16
# spatial kernel size of a convolution or pooling window (generators use 3 to 7; a kernel of 200
# made hls4ml's im2col ask for 8 GB)
MAX_KERNEL = 16
# channels of a convolution's weight (input or output); fpgagan's widest layer has 512
MAX_CHANNELS = 4096
# stride, dilation, padding and output padding of a convolution or pooling window
MAX_STRIDE = 16
MAX_PAD = 64
# the standard ONNX opset versions fpgagan reads (Brevitas exports 13 to 20; onnxruntime 1.2x
# runs up to 22); opset 99 made qonnx fail with a traceback
MIN_OPSET, MAX_OPSET = 7, 22

# ---- runs
# latents (or test images) one command simulates: the C simulation runs ~1,000 to 10,000 a
# second, so 100,000 is minutes; -n 10^9 allocated 400 GB before anything failed
MAX_LATENTS = 100_000
# channel widths a checkpoint may ask its generator to build (widths=[20000, 20000] asked for
# 25.6 GB); the widest shipped generator has 512
MAX_WIDTH = 4096
# entries of a checkpoint's widths list (generators have 2 to 8 hidden layers)
MAX_WIDTHS = 32

# ---- messages
# characters of a user's value shown in an error message (its repr is cut, never built whole)
MAX_VALUE_CHARS = 60
