// fpgagan: data-movement layers (io_parallel and io_stream), channels-last: nearest upsampling by
// integer factors, depth-to-space (pixel shuffle) and padding (zero, reflect, edge).  They copy
// values and compute nothing, so they are exact whatever the type; the output type is the input's.
//
// io_stream: one element per pixel.  Each layer keeps a buffer of input rows (a row for
// upsampling and depth-to-space; max(pad_top, pad_bottom) + 1 rows for padding) and writes one
// output pixel per cycle in a pipelined loop whose bounds are constants.
#ifndef NNET_FG_SPATIAL_H_
#define NNET_FG_SPATIAL_H_

#include "hls_stream.h"
#include "nnet_common.h"

namespace nnet {
namespace fg {

enum pad_mode { pad_zero = 0, pad_reflect = 1, pad_edge = 2 };

struct spatial_config {
    static const unsigned in_height = 1;
    static const unsigned in_width = 1;
    static const unsigned n_chan = 1;   // input channels
    static const unsigned out_height = 1;
    static const unsigned out_width = 1;
    static const unsigned n_out = 1;    // output channels
    static const unsigned scale_h = 1;  // upsampling
    static const unsigned scale_w = 1;
    static const unsigned block = 1;    // depth-to-space
    static const bool crd = false;      // depth-to-space channel order: CRD (else DCR)
    static const unsigned pad_top = 0;  // padding
    static const unsigned pad_left = 0;
    static const unsigned pad_bottom = 0;
    static const unsigned pad_right = 0;
    static const unsigned pad_mode = pad_zero;
    static const unsigned rows = 1;     // rows of the input buffer
};

// ---------------------------------------------------------------- index maps
// input channel of output channel co at offset (bh, bw) inside a depth-to-space block
template <class CONFIG_T> inline unsigned d2s_channel(unsigned bh, unsigned bw, unsigned co) {
    #pragma HLS INLINE
    const unsigned b = CONFIG_T::block;
    return CONFIG_T::crd ? (co * b + bh) * b + bw : (bh * b + bw) * CONFIG_T::n_out + co;
}

// source index of padded coordinate o (0 .. n + before + after - 1) in an axis of n, or -1 (zero)
template <class CONFIG_T> inline int pad_source(int o, unsigned before, unsigned n) {
    #pragma HLS INLINE
    const int i = o - (int)before;
    if (i >= 0 && i < (int)n)
        return i;
    if (CONFIG_T::pad_mode == pad_zero)
        return -1;
    if (CONFIG_T::pad_mode == pad_edge)
        return i < 0 ? 0 : (int)n - 1;
    return i < 0 ? -i : 2 * ((int)n - 1) - i; // reflect (pads smaller than n)
}

// ---------------------------------------------------------------- io_parallel
template <class data_T, class res_T, class CONFIG_T>
void upsample(data_T data[CONFIG_T::in_height * CONFIG_T::in_width * CONFIG_T::n_chan],
              res_T res[CONFIG_T::out_height * CONFIG_T::out_width * CONFIG_T::n_chan]) {
OutPixels:
    for (unsigned p = 0; p < CONFIG_T::out_height * CONFIG_T::out_width; p++) {
        #pragma HLS PIPELINE II=1
        const unsigned ih = (p / CONFIG_T::out_width) / CONFIG_T::scale_h;
        const unsigned iw = (p % CONFIG_T::out_width) / CONFIG_T::scale_w;
    Chan:
        for (unsigned c = 0; c < CONFIG_T::n_chan; c++) {
            #pragma HLS UNROLL
            res[p * CONFIG_T::n_chan + c] = data[(ih * CONFIG_T::in_width + iw) * CONFIG_T::n_chan + c];
        }
    }
}

template <class data_T, class res_T, class CONFIG_T>
void depth_to_space(data_T data[CONFIG_T::in_height * CONFIG_T::in_width * CONFIG_T::n_chan],
                    res_T res[CONFIG_T::out_height * CONFIG_T::out_width * CONFIG_T::n_out]) {
OutPixels:
    for (unsigned p = 0; p < CONFIG_T::out_height * CONFIG_T::out_width; p++) {
        #pragma HLS PIPELINE II=1
        const unsigned oh = p / CONFIG_T::out_width, ow = p % CONFIG_T::out_width;
        const unsigned src = ((oh / CONFIG_T::block) * CONFIG_T::in_width + ow / CONFIG_T::block) * CONFIG_T::n_chan;
    Chan:
        for (unsigned c = 0; c < CONFIG_T::n_out; c++) {
            #pragma HLS UNROLL
            res[p * CONFIG_T::n_out + c] =
                data[src + d2s_channel<CONFIG_T>(oh % CONFIG_T::block, ow % CONFIG_T::block, c)];
        }
    }
}

template <class data_T, class res_T, class CONFIG_T>
void pad(data_T data[CONFIG_T::in_height * CONFIG_T::in_width * CONFIG_T::n_chan],
         res_T res[CONFIG_T::out_height * CONFIG_T::out_width * CONFIG_T::n_chan]) {
OutPixels:
    for (unsigned p = 0; p < CONFIG_T::out_height * CONFIG_T::out_width; p++) {
        #pragma HLS PIPELINE II=1
        const int ih = pad_source<CONFIG_T>(p / CONFIG_T::out_width, CONFIG_T::pad_top, CONFIG_T::in_height);
        const int iw = pad_source<CONFIG_T>(p % CONFIG_T::out_width, CONFIG_T::pad_left, CONFIG_T::in_width);
    Chan:
        for (unsigned c = 0; c < CONFIG_T::n_chan; c++) {
            #pragma HLS UNROLL
            res[p * CONFIG_T::n_chan + c] =
                (ih < 0 || iw < 0) ? (res_T)0 : (res_T)data[((unsigned)ih * CONFIG_T::in_width + (unsigned)iw) * CONFIG_T::n_chan + c];
        }
    }
}

// ---------------------------------------------------------------- io_stream
template <class data_T, class CONFIG_T>
inline void read_row(hls::stream<data_T> &data, typename data_T::value_type *row) {
    #pragma HLS INLINE
ReadRow:
    for (unsigned iw = 0; iw < CONFIG_T::in_width; iw++) {
        #pragma HLS PIPELINE II=1
        const data_T px = data.read();
    StorePixel:
        for (unsigned c = 0; c < CONFIG_T::n_chan; c++) {
            #pragma HLS UNROLL
            row[iw * CONFIG_T::n_chan + c] = px[c];
        }
    }
}

template <class data_T, class res_T, class CONFIG_T>
void upsample(hls::stream<data_T> &data, hls::stream<res_T> &res) {
    typename data_T::value_type row[CONFIG_T::in_width * CONFIG_T::n_chan];
    #pragma HLS ARRAY_RESHAPE variable=row cyclic factor=CONFIG_T::n_chan
InRows:
    for (unsigned ih = 0; ih < CONFIG_T::in_height; ih++) {
        read_row<data_T, CONFIG_T>(data, row);
    OutRows:
        for (unsigned r = 0; r < CONFIG_T::scale_h; r++) {
        OutCols:
            for (unsigned ow = 0; ow < CONFIG_T::out_width; ow++) {
                #pragma HLS PIPELINE II=1
                res_T out;
                PRAGMA_DATA_PACK(out)
            Chan:
                for (unsigned c = 0; c < CONFIG_T::n_chan; c++) {
                    #pragma HLS UNROLL
                    out[c] = row[(ow / CONFIG_T::scale_w) * CONFIG_T::n_chan + c];
                }
                res.write(out);
            }
        }
    }
}

template <class data_T, class res_T, class CONFIG_T>
void depth_to_space(hls::stream<data_T> &data, hls::stream<res_T> &res) {
    typename data_T::value_type row[CONFIG_T::in_width * CONFIG_T::n_chan];
    #pragma HLS ARRAY_RESHAPE variable=row cyclic factor=CONFIG_T::n_chan
InRows:
    for (unsigned ih = 0; ih < CONFIG_T::in_height; ih++) {
        read_row<data_T, CONFIG_T>(data, row);
    OutRows:
        for (unsigned bh = 0; bh < CONFIG_T::block; bh++) {
        OutCols:
            for (unsigned ow = 0; ow < CONFIG_T::out_width; ow++) {
                #pragma HLS PIPELINE II=1
                res_T out;
                PRAGMA_DATA_PACK(out)
                const unsigned base = (ow / CONFIG_T::block) * CONFIG_T::n_chan;
            Chan:
                for (unsigned c = 0; c < CONFIG_T::n_out; c++) {
                    #pragma HLS UNROLL
                    out[c] = row[base + d2s_channel<CONFIG_T>(bh, ow % CONFIG_T::block, c)];
                }
                res.write(out);
            }
        }
    }
}

// one padded output row from the row buffer (source row `src` of the input, or -1: zeros)
template <class value_T, class res_T, class CONFIG_T>
inline void pad_row(const value_T *lines, int src, hls::stream<res_T> &res) {
    #pragma HLS INLINE
OutCols:
    for (unsigned ow = 0; ow < CONFIG_T::out_width; ow++) {
        #pragma HLS PIPELINE II=1
        const int iw = pad_source<CONFIG_T>(ow, CONFIG_T::pad_left, CONFIG_T::in_width);
        const unsigned base = (((unsigned)(src < 0 ? 0 : src) % CONFIG_T::rows) * CONFIG_T::in_width +
                               (unsigned)(iw < 0 ? 0 : iw)) * CONFIG_T::n_chan;
        res_T out;
        PRAGMA_DATA_PACK(out)
    Chan:
        for (unsigned c = 0; c < CONFIG_T::n_chan; c++) {
            #pragma HLS UNROLL
            out[c] = (src < 0 || iw < 0) ? (typename res_T::value_type)0 : (typename res_T::value_type)lines[base + c];
        }
        res.write(out);
    }
}

template <class data_T, class res_T, class CONFIG_T>
void pad(hls::stream<data_T> &data, hls::stream<res_T> &res) {
    // the last `rows` input rows, circularly; an output row is written once its source row is in
    typename data_T::value_type lines[CONFIG_T::rows * CONFIG_T::in_width * CONFIG_T::n_chan];
    #pragma HLS ARRAY_RESHAPE variable=lines cyclic factor=CONFIG_T::n_chan
    unsigned next = 0; // next output row
InRows:
    for (unsigned ih = 0; ih < CONFIG_T::in_height; ih++) {
        read_row<data_T, CONFIG_T>(data, lines + (ih % CONFIG_T::rows) * CONFIG_T::in_width * CONFIG_T::n_chan);
        const bool last = ih + 1 == CONFIG_T::in_height;
    EmitRows:
        for (; next < CONFIG_T::out_height; next++) {
            const int src = pad_source<CONFIG_T>(next, CONFIG_T::pad_top, CONFIG_T::in_height);
            if (!last && src > (int)ih)
                break;
            if (!last && src < 0 && (int)next >= (int)CONFIG_T::pad_top)
                break; // a bottom zero row: after the last input row
            pad_row<typename data_T::value_type, res_T, CONFIG_T>(lines, src, res);
        }
    }
}

} // namespace fg
} // namespace nnet

#endif
