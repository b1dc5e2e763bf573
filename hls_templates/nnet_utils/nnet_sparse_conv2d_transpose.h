// fpgagan: sparse 2-D transposed convolution (io_parallel and io_stream), channels-last.
//
// Only the non-zero weights are stored, grouped by phase, kernel tap and output channel: entries
// run_start[t * n_filt + co] .. run_start[t * n_filt + co + 1] are the weights of output channel
// co in tap t = (phase * taps_height + jh) * taps_width + jw of phase
// (oh + pad_top) % stride_height * stride_width + (ow + pad_left) % stride_width, each with the
// compile-time index of its input channel.  An output pixel checks each of its taps once and
// multiplies only that tap's non-zero weights (sparse_conv_tap of nnet_sparse.h), so with reuse
// factor R a layer needs ceil(max_phase_nnz / R) multipliers instead of
// ceil(n_chan * n_filt * taps / R).  Arithmetic and types are those of nnet_conv2d_transpose.h:
// bit-exact with the dense kernel.
#ifndef NNET_SPARSE_CONV2D_TRANSPOSE_H_
#define NNET_SPARSE_CONV2D_TRANSPOSE_H_

#include "hls_stream.h"
#include "nnet_common.h"
#include "nnet_conv2d_transpose.h"
#include "nnet_conv2d_transpose_stream.h"
#include "nnet_sparse.h"

namespace nnet {

template <class CONFIG_T, class Source>
void sparse_conv2d_transpose_pixel(const Source &src, unsigned oh, unsigned ow,
                                   const typename CONFIG_T::weight_t weights[CONFIG_T::n_nonzero],
                                   const typename CONFIG_T::index_t index[CONFIG_T::n_nonzero],
                                   const typename CONFIG_T::start_t run_start[CONFIG_T::n_taps * CONFIG_T::n_filt + 1],
                                   const typename CONFIG_T::bias_t biases[CONFIG_T::n_filt],
                                   typename CONFIG_T::accum_t acc[CONFIG_T::n_filt]) {
    #pragma HLS INLINE
    const unsigned ph = (oh + CONFIG_T::pad_top) % CONFIG_T::stride_height;
    const unsigned pw = (ow + CONFIG_T::pad_left) % CONFIG_T::stride_width;
    const int base_h = (oh + CONFIG_T::pad_top) / CONFIG_T::stride_height;
    const int base_w = (ow + CONFIG_T::pad_left) / CONFIG_T::stride_width;
    const unsigned phase_taps = (ph * CONFIG_T::stride_width + pw) * CONFIG_T::taps_height * CONFIG_T::taps_width;

InitAccum:
    for (unsigned co = 0; co < CONFIG_T::n_filt; co++) {
        #pragma HLS UNROLL
        acc[co] = (typename CONFIG_T::accum_t)biases[co];
    }
TapsHeight:
    for (unsigned jh = 0; jh < CONFIG_T::taps_height; jh++) {
        const int ih = base_h - (int)jh;
        if (ih < 0 || ih >= (int)CONFIG_T::in_height)
            continue;
    TapsWidth:
        for (unsigned jw = 0; jw < CONFIG_T::taps_width; jw++) {
            const int iw = base_w - (int)jw;
            if (iw < 0 || iw >= (int)CONFIG_T::in_width)
                continue;
            const unsigned t = phase_taps + jh * CONFIG_T::taps_width + jw;
            sparse_conv_tap<CONFIG_T>(src.pixel(ih, iw), t, weights, index, run_start, acc);
        }
    }
}

// The non-zero weights of one layer, as a pixel functor.
template <typename CONFIG_T> struct sparse_conv2d_transpose_sparse_pixel {
    const typename CONFIG_T::weight_t *weights;
    const typename CONFIG_T::index_t *index;
    const typename CONFIG_T::start_t *run_start;
    const typename CONFIG_T::bias_t *biases;
    template <class Source>
    void operator()(const Source &src, unsigned oh, unsigned ow, typename CONFIG_T::accum_t acc[CONFIG_T::n_filt]) const {
        #pragma HLS INLINE
        sparse_conv2d_transpose_pixel<CONFIG_T>(src, oh, ow, weights, index, run_start, biases, acc);
    }
};

// io_parallel
template <class data_T, class res_T, typename CONFIG_T>
void sparse_conv_2d_transpose_cl(data_T data[CONFIG_T::in_height * CONFIG_T::in_width * CONFIG_T::n_chan],
                                 res_T res[CONFIG_T::out_height * CONFIG_T::out_width * CONFIG_T::n_filt],
                                 typename CONFIG_T::weight_t weights[CONFIG_T::n_nonzero],
                                 typename CONFIG_T::index_t index[CONFIG_T::n_nonzero],
                                 typename CONFIG_T::start_t run_start[CONFIG_T::n_taps * CONFIG_T::n_filt + 1],
                                 typename CONFIG_T::bias_t biases[CONFIG_T::n_filt]) {
    #pragma HLS ARRAY_RESHAPE variable=weights block factor=CONFIG_T::reuse_factor
    #pragma HLS ARRAY_RESHAPE variable=index block factor=CONFIG_T::reuse_factor
    #pragma HLS ALLOCATION operation instances=mul limit=CONFIG_T::multiplier_limit
    const sparse_conv2d_transpose_sparse_pixel<CONFIG_T> pixel = {weights, index, run_start, biases};
    conv2d_transpose_frame<data_T, res_T, CONFIG_T>(data, res, pixel);
}

// io_stream: the line buffer of nnet_conv2d_transpose_stream.h, sparse arithmetic per pixel
template <class data_T, class res_T, typename CONFIG_T>
void sparse_conv_2d_transpose_cl(hls::stream<data_T> &data, hls::stream<res_T> &res,
                                 typename CONFIG_T::weight_t weights[CONFIG_T::n_nonzero],
                                 typename CONFIG_T::index_t index[CONFIG_T::n_nonzero],
                                 typename CONFIG_T::start_t run_start[CONFIG_T::n_taps * CONFIG_T::n_filt + 1],
                                 typename CONFIG_T::bias_t biases[CONFIG_T::n_filt]) {
    #pragma HLS ARRAY_RESHAPE variable=weights block factor=CONFIG_T::reuse_factor
    #pragma HLS ARRAY_RESHAPE variable=index block factor=CONFIG_T::reuse_factor
    #pragma HLS ALLOCATION operation instances=mul limit=CONFIG_T::multiplier_limit
    const sparse_conv2d_transpose_sparse_pixel<CONFIG_T> pixel = {weights, index, run_start, biases};
    conv2d_transpose_stream_rows<data_T, res_T, CONFIG_T>(data, res, pixel);
}

} // namespace nnet

#endif
