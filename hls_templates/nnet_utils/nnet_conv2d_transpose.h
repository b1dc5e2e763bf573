// fpgagan: 2-D transposed convolution for hls4ml, io_parallel, channels-last.
//
// Phase (sub-pixel) decomposition: output pixel (oh, ow) belongs to phase
// ((oh + pad_top) % stride_height, (ow + pad_left) % stride_width) and only the kernel taps of
// that phase reach it:  kh = phase_h + j * stride_height,  ih = (oh + pad_top) / stride_height - j.
// No multiplication ever touches a zero that zero-insertion would have put between input pixels:
// the multiply count is at most n_chan * n_filt * filt_height * filt_width * in_height * in_width.
//
// Exactness: every product is added to accum_t, which fpgagan sizes from the input and weight
// types and the fan-in (see fpgagan/hls/fixed_point.py), so no sum ever rounds or wraps; the
// only rounding is the final cast to res_T, which carries the rounding/saturation mode of the
// QONNX Quant node that follows.
//
// Layouts: data[ih][iw][ci], res[oh][ow][co], weights[kh][kw][ci][co], biases[co].
#ifndef NNET_CONV2D_TRANSPOSE_H_
#define NNET_CONV2D_TRANSPOSE_H_

#include "nnet_common.h"

namespace nnet {

struct conv2d_transpose_config {
    static const unsigned in_height = 1;
    static const unsigned in_width = 1;
    static const unsigned n_chan = 1;
    static const unsigned n_filt = 1;
    static const unsigned filt_height = 1;
    static const unsigned filt_width = 1;
    static const unsigned stride_height = 1;
    static const unsigned stride_width = 1;
    static const unsigned pad_top = 0;  // rows cropped from the top of the full output
    static const unsigned pad_left = 0; // columns cropped from the left of the full output
    static const unsigned out_height = 1;
    static const unsigned out_width = 1;
    static const unsigned taps_height = 1; // ceil(filt_height / stride_height)
    static const unsigned taps_width = 1;  // ceil(filt_width / stride_width)
    static const unsigned reuse_factor = 1;
    static const unsigned strategy = latency;
    static const unsigned multiplier_limit = 1;
    typedef float accum_t;
    typedef float bias_t;
    typedef float weight_t;
};

// One output pixel: the sum over the taps of its phase, read through `pixel(ih, iw, ci)`.
template <class input_T, class CONFIG_T, class Source>
void conv2d_transpose_pixel(const Source &src, unsigned oh, unsigned ow,
                            const typename CONFIG_T::weight_t weights[], const typename CONFIG_T::bias_t biases[],
                            typename CONFIG_T::accum_t acc[CONFIG_T::n_filt]) {
    #pragma HLS INLINE
    const unsigned ph = (oh + CONFIG_T::pad_top) % CONFIG_T::stride_height;
    const unsigned pw = (ow + CONFIG_T::pad_left) % CONFIG_T::stride_width;
    const int base_h = (oh + CONFIG_T::pad_top) / CONFIG_T::stride_height;
    const int base_w = (ow + CONFIG_T::pad_left) / CONFIG_T::stride_width;

InitAccum:
    for (unsigned co = 0; co < CONFIG_T::n_filt; co++) {
        #pragma HLS UNROLL
        acc[co] = (typename CONFIG_T::accum_t)biases[co];
    }
TapsHeight:
    for (unsigned jh = 0; jh < CONFIG_T::taps_height; jh++) {
        const unsigned kh = ph + jh * CONFIG_T::stride_height;
        const int ih = base_h - (int)jh;
        if (kh >= CONFIG_T::filt_height || ih < 0 || ih >= (int)CONFIG_T::in_height)
            continue;
    TapsWidth:
        for (unsigned jw = 0; jw < CONFIG_T::taps_width; jw++) {
            const unsigned kw = pw + jw * CONFIG_T::stride_width;
            const int iw = base_w - (int)jw;
            if (kw >= CONFIG_T::filt_width || iw < 0 || iw >= (int)CONFIG_T::in_width)
                continue;
            const unsigned wbase = (kh * CONFIG_T::filt_width + kw) * CONFIG_T::n_chan * CONFIG_T::n_filt;
        Chan:
            for (unsigned ci = 0; ci < CONFIG_T::n_chan; ci++) {
                const input_T x = src(ih, iw, ci);
            Filt:
                for (unsigned co = 0; co < CONFIG_T::n_filt; co++) {
                    acc[co] += x * weights[wbase + ci * CONFIG_T::n_filt + co];
                }
            }
        }
    }
}

template <class data_T, class CONFIG_T> struct conv2d_transpose_frame_reader {
    const data_T *data;
    data_T operator()(int ih, int iw, unsigned ci) const {
        return data[(ih * CONFIG_T::in_width + iw) * CONFIG_T::n_chan + ci];
    }
    // the n_chan values of input pixel (ih, iw)
    const data_T *pixel(int ih, int iw) const { return data + (ih * CONFIG_T::in_width + iw) * CONFIG_T::n_chan; }
};

// Loops over the output frame (io_parallel); `pixel(src, oh, ow, acc)` computes one output pixel.
template <class data_T, class res_T, typename CONFIG_T, class Pixel>
void conv2d_transpose_frame(data_T data[CONFIG_T::in_height * CONFIG_T::in_width * CONFIG_T::n_chan],
                            res_T res[CONFIG_T::out_height * CONFIG_T::out_width * CONFIG_T::n_filt],
                            const Pixel &pixel) {
    #pragma HLS INLINE
    const conv2d_transpose_frame_reader<data_T, CONFIG_T> src = {data};
    typename CONFIG_T::accum_t acc[CONFIG_T::n_filt];
    #pragma HLS ARRAY_PARTITION variable=acc complete

OutRows:
    for (unsigned oh = 0; oh < CONFIG_T::out_height; oh++) {
    OutCols:
        for (unsigned ow = 0; ow < CONFIG_T::out_width; ow++) {
            #pragma HLS PIPELINE II=CONFIG_T::reuse_factor
            pixel(src, oh, ow, acc);
        Store:
            for (unsigned co = 0; co < CONFIG_T::n_filt; co++) {
                #pragma HLS UNROLL
                res[(oh * CONFIG_T::out_width + ow) * CONFIG_T::n_filt + co] = (res_T)acc[co];
            }
        }
    }
}

// The dense weights of one layer, as a pixel functor.
template <class input_T, typename CONFIG_T> struct conv2d_transpose_dense_pixel {
    const typename CONFIG_T::weight_t *weights;
    const typename CONFIG_T::bias_t *biases;
    template <class Source>
    void operator()(const Source &src, unsigned oh, unsigned ow, typename CONFIG_T::accum_t acc[CONFIG_T::n_filt]) const {
        #pragma HLS INLINE
        conv2d_transpose_pixel<input_T, CONFIG_T>(src, oh, ow, weights, biases, acc);
    }
};

template <class data_T, class res_T, typename CONFIG_T>
void conv_2d_transpose_cl(data_T data[CONFIG_T::in_height * CONFIG_T::in_width * CONFIG_T::n_chan],
                          res_T res[CONFIG_T::out_height * CONFIG_T::out_width * CONFIG_T::n_filt],
                          typename CONFIG_T::weight_t weights[CONFIG_T::filt_height * CONFIG_T::filt_width *
                                                              CONFIG_T::n_chan * CONFIG_T::n_filt],
                          typename CONFIG_T::bias_t biases[CONFIG_T::n_filt]) {
    #pragma HLS ARRAY_RESHAPE variable=weights block factor=CONFIG_T::reuse_factor
    #pragma HLS ALLOCATION operation instances=mul limit=CONFIG_T::multiplier_limit
    const conv2d_transpose_dense_pixel<data_T, CONFIG_T> pixel = {weights, biases};
    conv2d_transpose_frame<data_T, res_T, CONFIG_T>(data, res, pixel);
}

} // namespace nnet

#endif
