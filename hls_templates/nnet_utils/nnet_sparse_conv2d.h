// fpgagan: sparse 2-D convolution (io_parallel and io_stream), channels-last.
//
// Only the non-zero weights are stored, grouped by kernel tap and output channel: entries
// run_start[t * n_filt + co] .. run_start[t * n_filt + co + 1] are the weights of output channel co
// in tap t = kh * filt_width + kw, each with the compile-time index of its input channel.  An output
// pixel checks each tap once against the padding and multiplies only that tap's non-zero weights
// (sparse_conv_tap of nnet_sparse.h, shared with the transposed convolution), so with reuse factor
// R a layer needs ceil(n_nonzero / R) multipliers instead of
// ceil(n_chan * n_filt * filt_height * filt_width / R).  Padding is handled here (no ZeroPadding2D
// layer in front).
//
// Exactness: every product is added to accum_t, sized from the input and weight types and the
// fan-in (fpgagan/hls/fixed_point.py), so no sum rounds or wraps; the only rounding is the final
// cast to res_T.
//
// Layouts: data[ih][iw][ci], res[oh][ow][co], biases[co].
#ifndef NNET_SPARSE_CONV2D_H_
#define NNET_SPARSE_CONV2D_H_

#include "hls_stream.h"
#include "nnet_common.h"
#include "nnet_conv2d_transpose.h"
#include "nnet_conv2d_transpose_stream.h"
#include "nnet_sparse.h"

namespace nnet {

struct sparse_conv2d_config {
    static const unsigned in_height = 1;
    static const unsigned in_width = 1;
    static const unsigned n_chan = 1;
    static const unsigned n_filt = 1;
    static const unsigned filt_height = 1;
    static const unsigned filt_width = 1;
    static const unsigned stride_height = 1;
    static const unsigned stride_width = 1;
    static const unsigned pad_top = 0;
    static const unsigned pad_left = 0;
    static const unsigned out_height = 1;
    static const unsigned out_width = 1;
    static const unsigned n_nonzero = 1;
    static const unsigned reuse_factor = 1;
    static const unsigned multiplier_limit = 1;
    typedef float accum_t;
    typedef float bias_t;
    typedef float weight_t;
    typedef unsigned index_t;
    typedef unsigned start_t;
};

// One output pixel: bias plus the non-zero weights of every tap that lands on a real input pixel.
template <class CONFIG_T, class Source>
void sparse_conv2d_pixel(const Source &src, unsigned oh, unsigned ow,
                         const typename CONFIG_T::weight_t weights[CONFIG_T::n_nonzero],
                         const typename CONFIG_T::index_t index[CONFIG_T::n_nonzero],
                         const typename CONFIG_T::start_t run_start[CONFIG_T::filt_height * CONFIG_T::filt_width * CONFIG_T::n_filt + 1],
                         const typename CONFIG_T::bias_t biases[CONFIG_T::n_filt],
                         typename CONFIG_T::accum_t acc[CONFIG_T::n_filt]) {
    #pragma HLS INLINE
    const int top = (int)(oh * CONFIG_T::stride_height) - (int)CONFIG_T::pad_top;
    const int left = (int)(ow * CONFIG_T::stride_width) - (int)CONFIG_T::pad_left;

InitAccum:
    for (unsigned co = 0; co < CONFIG_T::n_filt; co++) {
        #pragma HLS UNROLL
        acc[co] = (typename CONFIG_T::accum_t)biases[co];
    }
KernelHeight:
    for (unsigned kh = 0; kh < CONFIG_T::filt_height; kh++) {
        const int ih = top + (int)kh;
        if (ih < 0 || ih >= (int)CONFIG_T::in_height)
            continue;
    KernelWidth:
        for (unsigned kw = 0; kw < CONFIG_T::filt_width; kw++) {
            const int iw = left + (int)kw;
            if (iw < 0 || iw >= (int)CONFIG_T::in_width)
                continue;
            sparse_conv_tap<CONFIG_T>(src.pixel(ih, iw), kh * CONFIG_T::filt_width + kw, weights, index, run_start, acc);
        }
    }
}

// The non-zero weights of one layer, as a pixel functor.
template <typename CONFIG_T> struct sparse_conv2d_sparse_pixel {
    const typename CONFIG_T::weight_t *weights;
    const typename CONFIG_T::index_t *index;
    const typename CONFIG_T::start_t *run_start;
    const typename CONFIG_T::bias_t *biases;
    template <class Source>
    void operator()(const Source &src, unsigned oh, unsigned ow, typename CONFIG_T::accum_t acc[CONFIG_T::n_filt]) const {
        #pragma HLS INLINE
        sparse_conv2d_pixel<CONFIG_T>(src, oh, ow, weights, index, run_start, biases, acc);
    }
};

// io_stream row scheduler with a line buffer of filt_height input rows: after input row ih, every
// output row whose last input row (oh * stride_height - pad_top + filt_height - 1) is at most ih is
// emitted, pixel by pixel; after the last input row the remaining output rows follow.
// `pixel(src, oh, ow, acc)` computes one output pixel.
template <class data_T, class res_T, typename CONFIG_T, class Pixel>
void conv2d_stream_rows(hls::stream<data_T> &data, hls::stream<res_T> &res, const Pixel &pixel) {
    #pragma HLS INLINE
    typedef typename data_T::value_type value_T;
    value_T lines[CONFIG_T::filt_height][CONFIG_T::in_width][CONFIG_T::n_chan];
    #pragma HLS ARRAY_PARTITION variable=lines complete dim=1
    #pragma HLS ARRAY_PARTITION variable=lines complete dim=3
    const conv2d_transpose_line_reader<value_T, CONFIG_T, CONFIG_T::filt_height> src = {lines};
    typename CONFIG_T::accum_t acc[CONFIG_T::n_filt];
    #pragma HLS ARRAY_PARTITION variable=acc complete

    unsigned next_oh = 0;
InRows:
    for (unsigned ih = 0; ih < CONFIG_T::in_height; ih++) {
    ReadRow:
        for (unsigned iw = 0; iw < CONFIG_T::in_width; iw++) {
            #pragma HLS PIPELINE II=1
            const data_T in_pixel = data.read();
            for (unsigned ci = 0; ci < CONFIG_T::n_chan; ci++) {
                #pragma HLS UNROLL
                lines[ih % CONFIG_T::filt_height][iw][ci] = in_pixel[ci];
            }
        }
        const bool last = ih + 1 == CONFIG_T::in_height;
    EmitRows:
        for (; next_oh < CONFIG_T::out_height &&
               (last || next_oh * CONFIG_T::stride_height + CONFIG_T::filt_height - 1 <= ih + CONFIG_T::pad_top);
             next_oh++) {
        EmitCols:
            for (unsigned ow = 0; ow < CONFIG_T::out_width; ow++) {
                #pragma HLS PIPELINE II=CONFIG_T::reuse_factor
                pixel(src, next_oh, ow, acc);
                res_T out;
                PRAGMA_DATA_PACK(out)
                for (unsigned co = 0; co < CONFIG_T::n_filt; co++) {
                    #pragma HLS UNROLL
                    out[co] = (typename res_T::value_type)acc[co];
                }
                res.write(out);
            }
        }
    }
}

// io_parallel: the output frame loop of nnet_conv2d_transpose.h, sparse arithmetic per pixel
template <class data_T, class res_T, typename CONFIG_T>
void sparse_conv_2d_cl(data_T data[CONFIG_T::in_height * CONFIG_T::in_width * CONFIG_T::n_chan],
                       res_T res[CONFIG_T::out_height * CONFIG_T::out_width * CONFIG_T::n_filt],
                       typename CONFIG_T::weight_t weights[CONFIG_T::n_nonzero],
                       typename CONFIG_T::index_t index[CONFIG_T::n_nonzero],
                       typename CONFIG_T::start_t run_start[CONFIG_T::filt_height * CONFIG_T::filt_width * CONFIG_T::n_filt + 1],
                       typename CONFIG_T::bias_t biases[CONFIG_T::n_filt]) {
    #pragma HLS ARRAY_RESHAPE variable=weights block factor=CONFIG_T::reuse_factor
    #pragma HLS ARRAY_RESHAPE variable=index block factor=CONFIG_T::reuse_factor
    #pragma HLS ALLOCATION operation instances=mul limit=CONFIG_T::multiplier_limit
    const sparse_conv2d_sparse_pixel<CONFIG_T> pixel = {weights, index, run_start, biases};
    conv2d_transpose_frame<data_T, res_T, CONFIG_T>(data, res, pixel);
}

// io_stream
template <class data_T, class res_T, typename CONFIG_T>
void sparse_conv_2d_cl(hls::stream<data_T> &data, hls::stream<res_T> &res,
                       typename CONFIG_T::weight_t weights[CONFIG_T::n_nonzero],
                       typename CONFIG_T::index_t index[CONFIG_T::n_nonzero],
                       typename CONFIG_T::start_t run_start[CONFIG_T::filt_height * CONFIG_T::filt_width * CONFIG_T::n_filt + 1],
                       typename CONFIG_T::bias_t biases[CONFIG_T::n_filt]) {
    #pragma HLS ARRAY_RESHAPE variable=weights block factor=CONFIG_T::reuse_factor
    #pragma HLS ARRAY_RESHAPE variable=index block factor=CONFIG_T::reuse_factor
    #pragma HLS ALLOCATION operation instances=mul limit=CONFIG_T::multiplier_limit
    const sparse_conv2d_sparse_pixel<CONFIG_T> pixel = {weights, index, run_start, biases};
    conv2d_stream_rows<data_T, res_T, CONFIG_T>(data, res, pixel);
}

} // namespace nnet

#endif
