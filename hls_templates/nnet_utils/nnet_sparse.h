// fpgagan: the inner loops every sparse kernel shares (nnet_sparse_dense.h, nnet_sparse_conv2d.h,
// nnet_sparse_conv2d_transpose.h).
//
// A sparse layer stores only its non-zero weights, as runs: the run of one output (a Dense output,
// or one output channel of one convolution tap) is a list of weights, each with the index of the
// input (channel) it multiplies.  A run is one sparse dot product: no index is decoded, and the
// input pixel of a convolution tap is located once per tap, not once per weight.
//
// Exactness: every product is added to accum_t, sized from the input and weight types and the
// fan-in (fpgagan/hls/fixed_point.py), so no partial sum rounds or wraps, whatever the order.
#ifndef NNET_SPARSE_H_
#define NNET_SPARSE_H_

#include "nnet_common.h"

namespace nnet {

// sum += x[index[k]] * weights[k] for k = begin .. end - 1.
template <class CONFIG_T, class X>
void sparse_dot(const X &x, const typename CONFIG_T::weight_t weights[], const typename CONFIG_T::index_t index[],
                unsigned begin, unsigned end, typename CONFIG_T::accum_t &sum) {
    #pragma HLS INLINE
NonZero:
    for (unsigned k = begin; k < end; k++) {
        #pragma HLS PIPELINE II=1
        sum += x[(unsigned)index[k]] * weights[k];
    }
}

// acc[co] += the non-zero weights of kernel tap t applied to input pixel px (its n_chan values),
// for every output channel co: runs run_start[t * n_filt + co] .. run_start[t * n_filt + co + 1].
template <class CONFIG_T, class Pixel>
void sparse_conv_tap(const Pixel &px, unsigned t, const typename CONFIG_T::weight_t weights[],
                     const typename CONFIG_T::index_t index[], const typename CONFIG_T::start_t run_start[],
                     typename CONFIG_T::accum_t acc[CONFIG_T::n_filt]) {
    #pragma HLS INLINE
    unsigned begin = run_start[t * CONFIG_T::n_filt];
Filt:
    for (unsigned co = 0; co < CONFIG_T::n_filt; co++) {
        const unsigned end = run_start[t * CONFIG_T::n_filt + co + 1];
        sparse_dot<CONFIG_T>(px, weights, index, begin, end, acc[co]);
        begin = end;
    }
}

} // namespace nnet

#endif
