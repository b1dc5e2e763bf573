// fpgagan: 2-D transposed convolution for hls4ml, io_stream, channels-last.
//
// A streaming design with a line buffer: input pixels arrive row by row (one stream element per
// pixel holding n_chan values) and are kept in a circular buffer of taps_height input rows, never
// the whole frame.  After input row ih is complete, every output row whose phase taps end at ih
// is emitted, pixel by pixel; after the last input row the remaining output rows follow.  The
// arithmetic per output pixel is conv2d_transpose_pixel from nnet_conv2d_transpose.h (phase
// decomposition, exact accumulation), so io_stream and io_parallel give identical results.
#ifndef NNET_CONV2D_TRANSPOSE_STREAM_H_
#define NNET_CONV2D_TRANSPOSE_STREAM_H_

#include "hls_stream.h"
#include "nnet_common.h"
#include "nnet_conv2d_transpose.h"

namespace nnet {

// Reads input pixel (ih, iw) from a circular line buffer of `rows` input rows.
template <class value_T, class CONFIG_T, unsigned rows = CONFIG_T::taps_height> struct conv2d_transpose_line_reader {
    const value_T (*lines)[CONFIG_T::in_width][CONFIG_T::n_chan];
    value_T operator()(int ih, int iw, unsigned ci) const { return lines[ih % rows][iw][ci]; }
    // the n_chan values of input pixel (ih, iw)
    const value_T *pixel(int ih, int iw) const { return lines[ih % rows][iw]; }
};

// The row scheduler with its line buffer; `pixel(src, oh, ow, acc)` computes one output pixel.
template <class data_T, class res_T, typename CONFIG_T, class Pixel>
void conv2d_transpose_stream_rows(hls::stream<data_T> &data, hls::stream<res_T> &res, const Pixel &pixel) {
    #pragma HLS INLINE
    typedef typename data_T::value_type value_T;
    // taps_height input rows: the only frame storage of this layer
    value_T lines[CONFIG_T::taps_height][CONFIG_T::in_width][CONFIG_T::n_chan];
    #pragma HLS ARRAY_PARTITION variable=lines complete dim=1
    #pragma HLS ARRAY_PARTITION variable=lines complete dim=3
    const conv2d_transpose_line_reader<value_T, CONFIG_T> src = {lines};
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
                lines[ih % CONFIG_T::taps_height][iw][ci] = in_pixel[ci];
            }
        }
        // output rows oh with (oh + pad_top) / stride_height == ih need no later input row
        const unsigned row_end = (ih + 1 == CONFIG_T::in_height)
                                     ? CONFIG_T::out_height
                                     : ((ih + 1) * CONFIG_T::stride_height > CONFIG_T::pad_top
                                            ? (ih + 1) * CONFIG_T::stride_height - CONFIG_T::pad_top
                                            : 0);
    EmitRows:
        for (; next_oh < row_end && next_oh < CONFIG_T::out_height; next_oh++) {
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

template <class data_T, class res_T, typename CONFIG_T>
void conv_2d_transpose_cl(hls::stream<data_T> &data, hls::stream<res_T> &res,
                          typename CONFIG_T::weight_t weights[CONFIG_T::filt_height * CONFIG_T::filt_width *
                                                              CONFIG_T::n_chan * CONFIG_T::n_filt],
                          typename CONFIG_T::bias_t biases[CONFIG_T::n_filt]) {
    #pragma HLS ARRAY_RESHAPE variable=weights block factor=CONFIG_T::reuse_factor
    #pragma HLS ALLOCATION operation instances=mul limit=CONFIG_T::multiplier_limit
    const conv2d_transpose_dense_pixel<typename data_T::value_type, CONFIG_T> pixel = {weights, biases};
    conv2d_transpose_stream_rows<data_T, res_T, CONFIG_T>(data, res, pixel);
}

} // namespace nnet

#endif
