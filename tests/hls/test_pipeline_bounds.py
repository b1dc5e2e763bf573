"""Every loop inside a pipelined region of fpgagan's HLS headers has a compile-time trip count."""

from __future__ import annotations

import pytest

from fpgagan.hls.register import header_dir
from tests.hls.pipeline_bounds import check_text

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
