"""The board project around the converted network: the AXI top (an AXI4-Stream shell, the
off-chip layers' weight ports), its test bench, the Vitis HLS and Vivado scripts, the PYNQ driver
and the host's codec, and the check of every pragma against the vendor tool's list."""
