"""The hardware model, between ``export`` and ``hls``: what a generated design instantiates and
how fast it runs, computed from plain values (:class:`fpgagan.hw.spec.EngineShape`), never from
hls4ml or qonnx objects (tests/test_layering.py holds that rule; tests/hw/test_without_hls4ml.py
plans a design in a process where importing them fails)."""
