"""Every loop inside a pipelined region of fpgagan's HLS headers has a compile-time trip count."""

from __future__ import annotations

import pytest

from fpgagan.hls.register import header_dir
from tests.hls.pipeline_bounds import check_flat, check_text, check_word_reads

HEADERS = sorted(header_dir().glob("*.h"))

VARIABLE_BOUND = """
template <class CONFIG_T>
void sparse_dot(const int *index, unsigned begin, unsigned end, int &sum) {
    for (unsigned k = begin; k < end; k++) {
        sum += index[k];
    }
}
template <class CONFIG_T>
void layer(const int *run_start, int *acc) {
    for (unsigned r = 0; r < CONFIG_T::n_steps; r++) {
        #pragma HLS PIPELINE II=1
        sparse_dot<CONFIG_T>(run_start, run_start[r], run_start[r + 1], acc[0]);
    }
}
"""

CONSTANT_BOUNDS = """
template <class CONFIG_T, unsigned N>
void body(int *acc) {
    for (unsigned j = CONFIG_T::dsp_cols; j < CONFIG_T::n_par; j += CONFIG_T::dsp_pack) {
        #pragma HLS UNROLL
        for (unsigned i = 0; i < N / data_T::size; i++) acc[j] += i;
    }
}
template <class CONFIG_T>
void layer(int *acc, unsigned n) {
    for (unsigned row = 0; row < n; row++) {  // outside the pipelined region: may vary
        for (unsigned r = 0; r < CONFIG_T::n_steps; r++) {
            #pragma HLS PIPELINE II=1
            body<CONFIG_T, 4>(acc);
        }
    }
}
"""


def test_headers_exist():
    assert {h.name for h in HEADERS} >= {"nnet_fg_engine.h", "nnet_fg_layers.h"}


@pytest.mark.parametrize("header", HEADERS, ids=lambda p: p.name)
def test_pipelined_loops_have_constant_bounds(header):
    violations = check_text(header.read_text(), header.name)
    assert not violations, "\n".join(map(str, violations))


def test_checker_finds_a_runtime_bound_in_a_called_function():
    violations = check_text(VARIABLE_BOUND)
    assert [v.why for v in violations] == ["bound uses 'begin'"]


def test_checker_accepts_constant_bounds_and_outer_runtime_loops():
    assert check_text(CONSTANT_BOUNDS) == []


# the headers whose functions are processes of the dataflow pipeline (engine, data movement, shell)
LAYER_HEADERS = [
    h for h in HEADERS if h.name in ("nnet_fg_layers.h", "nnet_fg_spatial.h", "nnet_fg_axis.h")
]

NESTED = """
template <class CONFIG_T>
void steps(int *acc) {
    for (unsigned r = 0; r < CONFIG_T::n_steps; r++) {
        #pragma HLS PIPELINE II=1
        acc[0] += r;
    }
}
template <class CONFIG_T>
void layer(int *acc) {
    for (unsigned row = 0; row < CONFIG_T::rows; row++) {
        steps<CONFIG_T>(acc);
    }
    for (unsigned p = 0; p < CONFIG_T::n_pix; p++) {
        for (unsigned r = 0; r < CONFIG_T::n_steps; r++) {
            #pragma HLS PIPELINE II=1
            acc[p] += r;
        }
    }
}
"""

FLAT_INDEX = """
void read(const int *buf, int *x, unsigned p, unsigned c) {
    for (unsigned i = 0; i < CONFIG_T::k_par; i++) x[i] = buf[p * CONFIG_T::n_chan + c * CONFIG_T::k_par + i];
    x[0] = buf[p][c * CONFIG_T::k_par];
}
"""


@pytest.mark.parametrize("header", LAYER_HEADERS, ids=lambda p: p.name)
def test_each_layer_is_one_pipelined_loop(header):
    """No pipelined loop sits inside another loop (its pipeline would refill once per outer
    iteration unless the tool merged the nest): each layer is one flat loop of counters."""
    violations = check_flat(header.read_text(), header.name)
    assert not violations, "\n".join(map(str, violations))


@pytest.mark.parametrize(
    "header",
    LAYER_HEADERS + [h for h in HEADERS if h.name == "nnet_fg_engine.h"],
    ids=lambda p: p.name,
)
def test_every_memory_read_names_its_word(header):
    """Buffers and ROMs are two-dimensional (a row per word): no access computes a flat index
    scaled by the word's size, so one read per step is evident from the code."""
    violations = check_word_reads(header.read_text(), header.name)
    assert not violations, "\n".join(map(str, violations))


def test_checker_finds_nested_pipelines_directly_and_through_calls():
    whys = sorted(v.why for v in check_flat(NESTED))
    assert whys == [
        "calls steps, which holds a pipelined loop",
        "nested in for (unsigned p = 0; p < CONFIG_T::n_pix; p++)",
    ]


def test_checker_finds_flat_word_indices():
    violations = check_word_reads(FLAT_INDEX)
    assert len(violations) == 1 and "n_chan" in violations[0].why
