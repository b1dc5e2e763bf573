// fpgagan: the layers built on the MAC engine (nnet_fg_engine.h), io_parallel and io_stream.
//
//   dense_engine           Dense, optionally streaming its output as an out_height x out_width map
//                          of n_out-channel pixels (a generator head: Dense + Reshape): one stream
//                          element per pixel, never the whole vector.
//   conv2d_engine          2-D convolution behind a line buffer of filt_height input rows.
//   conv2d_transpose_engine
//                          2-D transposed convolution by phase decomposition, behind a line buffer
//                          of taps_height input rows: output pixel (oh, ow) has phase
//                          ((oh + pad_top) % stride_h, (ow + pad_left) % stride_w), whose taps are
//                          kh = ph + jh * stride_h, ih = (oh + pad_top) / stride_h - jh (likewise
//                          for w); no multiplication touches an inserted zero.
//
// Each layer computes its output pixels one after another, n_steps cycles each (one pipelined
// step loop, II=1, compile-time trip count; the pixel loop around it is a perfect nest, so it
// flattens).  In io_stream a layer reads an input row (one element per pixel, II=1), then emits
// every output row that needs no later input row.
//
// Memories, all declared in the layer's generated wrapper (firmware/weights/fg_<index>.h) with
// their reshape factors and storage binding (registers, LUTRAM/LUT-ROM or BRAM, chosen by
// fpgagan/hls/storage.py, the rule the cost model counts):
//   input buffer  io_stream convolutions: line_rows x in_width words of n_chan values (one word
//                 written per input pixel, one word read per step); io_parallel: the input frame;
//                 a Dense: the input vector, k_par values a word
//   weight ROM    n_mats * n_steps words of k_par * n_par weights (one word per step)
//   bias ROM      words of n_par biases (read at the first step of a block)
//   codebook      a codebook layer's cb_size values (constants of the layer), its weight ROM holding
//                 n_mats * n_steps words of k_par * n_par indices
// The ROMs hold raw integers compiled into the library: nothing is read from files.
#ifndef NNET_FG_LAYERS_H_
#define NNET_FG_LAYERS_H_

#include "hls_stream.h"
#include "nnet_common.h"
#include "nnet_fg_engine.h"

namespace nnet {
namespace fg {

// Window of one output pixel over a buffer of input pixels (n_chan values each).  `Locate` maps a
// tap to the index of its input pixel in the buffer, or -1 when the tap falls outside the input.
template <class CONFIG_T, class Locate> struct window {
    typedef typename types<CONFIG_T>::x_t x_t;
    const x_t *buf;
    Locate locate;

    // window values of tap t, channels c * k_par .. c * k_par + k_par - 1
    void read(unsigned t, unsigned c, x_t x[CONFIG_T::k_par]) const {
        #pragma HLS INLINE
        const int p = locate(t);
    Window:
        for (unsigned i = 0; i < CONFIG_T::k_par; i++) {
            #pragma HLS UNROLL
            x[i] = p >= 0 ? buf[p * CONFIG_T::n_chan + c * CONFIG_T::k_par + i] : (x_t)0;
        }
    }

    // all n_chan values of tap t's input pixel (sparse steps)
    void read_pixel(unsigned t, x_t px[CONFIG_T::n_chan]) const {
        #pragma HLS INLINE
        const int p = locate(t);
    Pixel:
        for (unsigned c = 0; c < CONFIG_T::n_chan; c++) {
            #pragma HLS UNROLL
            px[c] = p >= 0 ? buf[p * CONFIG_T::n_chan + c] : (x_t)0;
        }
    }
};

// Where a finished pixel goes: a stream element written at the pixel's last step (io_stream), or
// straight into the output frame (io_parallel: emit writes there, nothing is left to do).
template <class res_T> struct stream_sink {
    hls::stream<res_T> &res;
    res_T &pixel;
    typename res_T::value_type *out() { return pixel.data; }
    void done() { res.write(pixel); }
};
template <class res_T> struct frame_sink {
    res_T *base;
    res_T *out() { return base; }
    void done() {}
};

// One output pixel: all its steps, in a loop nest pipelined at II=1 whose bounds are constants
// (dense: output blocks x taps x channel blocks; sparse: the schedule's n_steps).  The nest is
// perfect (the pixel's write happens inside its last step), so it flattens with the pixel loop
// around it.
template <class CONFIG_T, class Window, class Sink>
inline void pixel_steps(const Window &win, unsigned mat, const typename types<CONFIG_T>::word_t *weights,
                        const typename types<CONFIG_T>::off_rom_t *offsets, const sparse_step_ctl *ctl,
                        const typename types<CONFIG_T>::b_rom_t *biases,
                        const typename types<CONFIG_T>::w_rom_t *codebook,
                        typename types<CONFIG_T>::acc_t acc[CONFIG_T::n_par], Sink &sink) {
    #pragma HLS INLINE
    if (CONFIG_T::codebook) {
        // one partial sum per output lane and codebook entry (the layer's only accumulators)
        typename types<CONFIG_T>::psum_t psum[CONFIG_T::n_par][CONFIG_T::cb_size];
        #pragma HLS ARRAY_PARTITION variable=psum complete dim=0
    CodeBlocks:
        for (unsigned nb = 0; nb < CONFIG_T::n_blocks; nb++) {
        CodeTaps:
            for (unsigned t = 0; t < CONFIG_T::n_taps; t++) {
            CodeChans:
                for (unsigned c = 0; c < CONFIG_T::n_chan / CONFIG_T::k_par; c++) {
                    #pragma HLS PIPELINE II=1
                    codebook_step<CONFIG_T>(win, mat, nb, t, c, weights, codebook, biases, psum, sink.out());
                    if (nb == CONFIG_T::n_blocks - 1 && t == CONFIG_T::n_taps - 1 &&
                        c == CONFIG_T::n_chan / CONFIG_T::k_par - 1)
                        sink.done();
                }
            }
        }
        return;
    }
    if (CONFIG_T::sparse) {
    SparseSteps:
        for (unsigned r = 0; r < CONFIG_T::n_steps; r++) {
            #pragma HLS PIPELINE II=1
            sparse_step<CONFIG_T>(win, mat, r, ctl, weights, offsets, biases, acc, sink.out());
            if (r == CONFIG_T::n_steps - 1)
                sink.done();
        }
        return;
    }
Blocks:
    for (unsigned nb = 0; nb < CONFIG_T::n_blocks; nb++) {
    Taps:
        for (unsigned t = 0; t < CONFIG_T::n_taps; t++) {
        Chans:
            for (unsigned c = 0; c < CONFIG_T::n_chan / CONFIG_T::k_par; c++) {
                #pragma HLS PIPELINE II=1
                dense_step<CONFIG_T>(win, mat, nb, t, c, weights, biases, acc, sink.out());
                if (nb == CONFIG_T::n_blocks - 1 && t == CONFIG_T::n_taps - 1 &&
                    c == CONFIG_T::n_chan / CONFIG_T::k_par - 1)
                    sink.done();
            }
        }
    }
}

// The arguments every layer takes: its ROMs (weights or codebook indices, sparse offsets, sparse
// step control, biases, the codebook's values).
// The ROMs are defined, reshaped (a word of k_par * n_par weights or offsets per step, n_par biases
// per block) and bound to LUT-ROM or BRAM in the layer's generated wrapper (weights/fg_<index>.h).
#define FG_ROM_ARGS(CONFIG_T)                                                                      \
    const typename types<CONFIG_T>::word_t weights[CONFIG_T::w_size],                              \
        const typename types<CONFIG_T>::off_rom_t offsets[CONFIG_T::off_size],                     \
        const sparse_step_ctl ctl[CONFIG_T::ctl_size],                                             \
        const typename types<CONFIG_T>::b_rom_t biases[CONFIG_T::b_size],                          \
        const typename types<CONFIG_T>::w_rom_t codebook[CONFIG_T::cb_size]

// ---------------------------------------------------------------- Dense
struct vector_locate {
    int operator()(unsigned) const { return 0; }
};

template <class CONFIG_T> inline unsigned dense_mat(unsigned pixel) { return CONFIG_T::n_mats == 1 ? 0 : pixel; }

// io_parallel
template <class data_T, class res_T, class CONFIG_T>
void dense_engine(data_T data[CONFIG_T::n_chan], res_T res[CONFIG_T::n_pix * CONFIG_T::n_out],
                  typename types<CONFIG_T>::x_t xin[CONFIG_T::n_chan], FG_ROM_ARGS(CONFIG_T)) {
ReadInput:
    for (unsigned i = 0; i < CONFIG_T::n_chan; i++) {
        #pragma HLS UNROLL
        xin[i] = raw_of<CONFIG_T::x_bits, CONFIG_T::x_signed>(data[i]);
    }
    const window<CONFIG_T, vector_locate> win = {xin, vector_locate()};
    typename types<CONFIG_T>::acc_t acc[CONFIG_T::n_par];
    #pragma HLS ARRAY_PARTITION variable=acc complete
Pixels:
    for (unsigned p = 0; p < CONFIG_T::n_pix; p++) {
        frame_sink<res_T> sink = {res + p * CONFIG_T::n_out};
        pixel_steps<CONFIG_T>(win, dense_mat<CONFIG_T>(p), weights, offsets, ctl, biases, codebook, acc, sink);
    }
}

// io_stream: the input vector arrives in n_chan / data_T::size elements; the output leaves as
// n_pix elements of n_out values (one pixel each).
template <class data_T, class res_T, class CONFIG_T>
void dense_engine(hls::stream<data_T> &data, hls::stream<res_T> &res,
                  typename types<CONFIG_T>::x_t xin[CONFIG_T::n_chan], FG_ROM_ARGS(CONFIG_T)) {
ReadInput:
    for (unsigned i = 0; i < CONFIG_T::n_chan / data_T::size; i++) {
        #pragma HLS PIPELINE II=1
        const data_T chunk = data.read();
    ReadChunk:
        for (unsigned c = 0; c < data_T::size; c++) {
            #pragma HLS UNROLL
            xin[i * data_T::size + c] = raw_of<CONFIG_T::x_bits, CONFIG_T::x_signed>(chunk[c]);
        }
    }
    const window<CONFIG_T, vector_locate> win = {xin, vector_locate()};
    typename types<CONFIG_T>::acc_t acc[CONFIG_T::n_par];
    #pragma HLS ARRAY_PARTITION variable=acc complete
    res_T out;
    PRAGMA_DATA_PACK(out)
    stream_sink<res_T> sink = {res, out};
Pixels:
    for (unsigned p = 0; p < CONFIG_T::n_pix; p++) {
        pixel_steps<CONFIG_T>(win, dense_mat<CONFIG_T>(p), weights, offsets, ctl, biases, codebook, acc, sink);
    }
}

// ---------------------------------------------------------------- geometry of convolutions
// Transposed convolution: taps t = jh * taps_width + jw of the output pixel's phase.
template <class CONFIG_T> struct conv_transpose_locate {
    int base_h, base_w;  // (oh + pad_top) / stride_h, (ow + pad_left) / stride_w
    unsigned ph, pw;     // the phase
    unsigned rows;       // rows of the buffer (a line buffer keeps rows, a frame keeps in_height)
    int operator()(unsigned t) const {
        #pragma HLS INLINE
        const unsigned jh = t / CONFIG_T::taps_width, jw = t % CONFIG_T::taps_width;
        const unsigned kh = ph + jh * CONFIG_T::stride_height, kw = pw + jw * CONFIG_T::stride_width;
        const int ih = base_h - (int)jh, iw = base_w - (int)jw;
        if (kh >= CONFIG_T::filt_height || kw >= CONFIG_T::filt_width || ih < 0 || iw < 0 ||
            ih >= (int)CONFIG_T::in_height || iw >= (int)CONFIG_T::in_width)
            return -1;
        return (int)(((unsigned)ih % rows) * CONFIG_T::in_width + (unsigned)iw);
    }
    unsigned mat() const { return ph * CONFIG_T::stride_width + pw; }
};

template <class CONFIG_T> inline conv_transpose_locate<CONFIG_T> locate_transpose(unsigned oh, unsigned ow, unsigned rows) {
    #pragma HLS INLINE
    conv_transpose_locate<CONFIG_T> l;
    l.base_h = (oh + CONFIG_T::pad_top) / CONFIG_T::stride_height;
    l.base_w = (ow + CONFIG_T::pad_left) / CONFIG_T::stride_width;
    l.ph = (oh + CONFIG_T::pad_top) % CONFIG_T::stride_height;
    l.pw = (ow + CONFIG_T::pad_left) % CONFIG_T::stride_width;
    l.rows = rows;
    return l;
}

// Convolution: taps t = kh * filt_width + kw.
template <class CONFIG_T> struct conv_locate {
    int top, left;   // oh * stride_h - pad_top, ow * stride_w - pad_left
    unsigned rows;
    int operator()(unsigned t) const {
        #pragma HLS INLINE
        const int ih = top + (int)(t / CONFIG_T::filt_width), iw = left + (int)(t % CONFIG_T::filt_width);
        if (ih < 0 || iw < 0 || ih >= (int)CONFIG_T::in_height || iw >= (int)CONFIG_T::in_width)
            return -1;
        return (int)(((unsigned)ih % rows) * CONFIG_T::in_width + (unsigned)iw);
    }
    unsigned mat() const { return 0; }
};

template <class CONFIG_T> inline conv_locate<CONFIG_T> locate_conv(unsigned oh, unsigned ow, unsigned rows) {
    #pragma HLS INLINE
    conv_locate<CONFIG_T> l;
    l.top = (int)(oh * CONFIG_T::stride_height) - (int)CONFIG_T::pad_top;
    l.left = (int)(ow * CONFIG_T::stride_width) - (int)CONFIG_T::pad_left;
    l.rows = rows;
    return l;
}

// Output rows oh whose last input row is at most ih: a transposed convolution needs input rows
// down to (oh + pad_top) / stride_h, a convolution up to oh * stride_h - pad_top + filt_height - 1.
template <class CONFIG_T, bool TRANSPOSE> inline unsigned rows_ready(unsigned ih) {
    #pragma HLS INLINE
    if (ih + 1 == CONFIG_T::in_height)
        return CONFIG_T::out_height;
    if (TRANSPOSE) {
        const unsigned end = (ih + 1) * CONFIG_T::stride_height;
        return end > CONFIG_T::pad_top ? end - CONFIG_T::pad_top : 0;
    }
    const unsigned reach = ih + CONFIG_T::pad_top + 1; // input rows available, counted from the padded top
    if (reach < CONFIG_T::filt_height)
        return 0;
    const unsigned n = (reach - CONFIG_T::filt_height) / CONFIG_T::stride_height + 1;
    return n < CONFIG_T::out_height ? n : CONFIG_T::out_height;
}

template <class CONFIG_T, bool TRANSPOSE> struct geometry;
template <class CONFIG_T> struct geometry<CONFIG_T, true> {
    typedef conv_transpose_locate<CONFIG_T> locate_t;
    static locate_t at(unsigned oh, unsigned ow, unsigned rows) { return locate_transpose<CONFIG_T>(oh, ow, rows); }
};
template <class CONFIG_T> struct geometry<CONFIG_T, false> {
    typedef conv_locate<CONFIG_T> locate_t;
    static locate_t at(unsigned oh, unsigned ow, unsigned rows) { return locate_conv<CONFIG_T>(oh, ow, rows); }
};

// ---------------------------------------------------------------- convolutions, io_parallel
template <class data_T, class res_T, class CONFIG_T, bool TRANSPOSE>
void conv_frame(data_T data[CONFIG_T::in_height * CONFIG_T::in_width * CONFIG_T::n_chan],
                res_T res[CONFIG_T::out_height * CONFIG_T::out_width * CONFIG_T::n_out],
                typename types<CONFIG_T>::x_t *frame, const typename types<CONFIG_T>::word_t *weights,
                const typename types<CONFIG_T>::off_rom_t *offsets, const sparse_step_ctl *ctl,
                const typename types<CONFIG_T>::b_rom_t *biases, const typename types<CONFIG_T>::w_rom_t *codebook) {
    #pragma HLS INLINE
    typedef geometry<CONFIG_T, TRANSPOSE> G;
    // frame: the input frame as raw integers, one word per pixel
ReadFrame:
    for (unsigned px = 0; px < CONFIG_T::in_height * CONFIG_T::in_width; px++) {
        #pragma HLS PIPELINE II=1
    ReadPixel:
        for (unsigned c = 0; c < CONFIG_T::n_chan; c++) {
            #pragma HLS UNROLL
            frame[px * CONFIG_T::n_chan + c] = raw_of<CONFIG_T::x_bits, CONFIG_T::x_signed>(data[px * CONFIG_T::n_chan + c]);
        }
    }
    typename types<CONFIG_T>::acc_t acc[CONFIG_T::n_par];
    #pragma HLS ARRAY_PARTITION variable=acc complete
OutRows:
    for (unsigned oh = 0; oh < CONFIG_T::out_height; oh++) {
    OutCols:
        for (unsigned ow = 0; ow < CONFIG_T::out_width; ow++) {
            const typename G::locate_t loc = G::at(oh, ow, CONFIG_T::in_height);
            const window<CONFIG_T, typename G::locate_t> win = {frame, loc};
            frame_sink<res_T> sink = {res + (oh * CONFIG_T::out_width + ow) * CONFIG_T::n_out};
            pixel_steps<CONFIG_T>(win, loc.mat(), weights, offsets, ctl, biases, codebook, acc, sink);
        }
    }
}

// ---------------------------------------------------------------- convolutions, io_stream
template <class data_T, class res_T, class CONFIG_T, bool TRANSPOSE>
void conv_stream(hls::stream<data_T> &data, hls::stream<res_T> &res, typename types<CONFIG_T>::x_t *lines,
                 const typename types<CONFIG_T>::word_t *weights, const typename types<CONFIG_T>::off_rom_t *offsets,
                 const sparse_step_ctl *ctl, const typename types<CONFIG_T>::b_rom_t *biases,
                 const typename types<CONFIG_T>::w_rom_t *codebook) {
    #pragma HLS INLINE
    typedef geometry<CONFIG_T, TRANSPOSE> G;
    // lines: line_rows input rows of in_width pixels; a word is a pixel (n_chan values)
    typename types<CONFIG_T>::acc_t acc[CONFIG_T::n_par];
    #pragma HLS ARRAY_PARTITION variable=acc complete
    res_T out;
    PRAGMA_DATA_PACK(out)
    stream_sink<res_T> sink = {res, out};

    unsigned next_oh = 0;
InRows:
    for (unsigned ih = 0; ih < CONFIG_T::in_height; ih++) {
    ReadRow:
        for (unsigned iw = 0; iw < CONFIG_T::in_width; iw++) {
            #pragma HLS PIPELINE II=1
            const data_T in_pixel = data.read();
            const unsigned base = ((ih % CONFIG_T::line_rows) * CONFIG_T::in_width + iw) * CONFIG_T::n_chan;
        StorePixel:
            for (unsigned c = 0; c < CONFIG_T::n_chan; c++) {
                #pragma HLS UNROLL
                lines[base + c] = raw_of<CONFIG_T::x_bits, CONFIG_T::x_signed>(in_pixel[c]);
            }
        }
        const unsigned row_end = rows_ready<CONFIG_T, TRANSPOSE>(ih);
    EmitRows:
        for (; next_oh < row_end; next_oh++) {
        EmitCols:
            for (unsigned ow = 0; ow < CONFIG_T::out_width; ow++) {
                const typename G::locate_t loc = G::at(next_oh, ow, CONFIG_T::line_rows);
                const window<CONFIG_T, typename G::locate_t> win = {lines, loc};
                pixel_steps<CONFIG_T>(win, loc.mat(), weights, offsets, ctl, biases, codebook, acc, sink);
            }
        }
    }
}

template <class data_T, class res_T, class CONFIG_T>
void conv2d_engine(data_T data[CONFIG_T::in_height * CONFIG_T::in_width * CONFIG_T::n_chan],
                   res_T res[CONFIG_T::out_height * CONFIG_T::out_width * CONFIG_T::n_out],
                   typename types<CONFIG_T>::x_t buf[CONFIG_T::buf_size], FG_ROM_ARGS(CONFIG_T)) {
    conv_frame<data_T, res_T, CONFIG_T, false>(data, res, buf, weights, offsets, ctl, biases, codebook);
}

template <class data_T, class res_T, class CONFIG_T>
void conv2d_engine(hls::stream<data_T> &data, hls::stream<res_T> &res,
                   typename types<CONFIG_T>::x_t buf[CONFIG_T::buf_size], FG_ROM_ARGS(CONFIG_T)) {
    conv_stream<data_T, res_T, CONFIG_T, false>(data, res, buf, weights, offsets, ctl, biases, codebook);
}

template <class data_T, class res_T, class CONFIG_T>
void conv2d_transpose_engine(data_T data[CONFIG_T::in_height * CONFIG_T::in_width * CONFIG_T::n_chan],
                             res_T res[CONFIG_T::out_height * CONFIG_T::out_width * CONFIG_T::n_out],
                             typename types<CONFIG_T>::x_t buf[CONFIG_T::buf_size], FG_ROM_ARGS(CONFIG_T)) {
    conv_frame<data_T, res_T, CONFIG_T, true>(data, res, buf, weights, offsets, ctl, biases, codebook);
}

template <class data_T, class res_T, class CONFIG_T>
void conv2d_transpose_engine(hls::stream<data_T> &data, hls::stream<res_T> &res,
                             typename types<CONFIG_T>::x_t buf[CONFIG_T::buf_size], FG_ROM_ARGS(CONFIG_T)) {
    conv_stream<data_T, res_T, CONFIG_T, true>(data, res, buf, weights, offsets, ctl, biases, codebook);
}

} // namespace fg
} // namespace nnet

#endif
