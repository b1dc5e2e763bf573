"""hls4ml optimizer passes fpgagan registers, one per file; ``transform`` says whether it changed the graph."""
