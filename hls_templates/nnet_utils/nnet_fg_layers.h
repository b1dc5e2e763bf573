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
// Each layer is ONE loop, pipelined at II=1, of n_iter iterations per image (a constant fpgagan
// computes: input elements + output pixels x n_steps).  An iteration either takes one input
// element into the buffer or performs one step of the current output pixel; which one, and every
// index, comes from counters updated each iteration (input row/column, output row/column, the
// step counter of nnet_fg_engine.h): there is no loop nest for the tool to flatten and so no
// pipeline refill but the one at the end of the image.  A convolution computes an output row as
// soon as the input rows it needs are in (rows_ready), so in io_stream its line buffer keeps
// line_rows input rows; in io_parallel the buffer holds the whole frame.
//
// Memories, all declared in the layer's generated wrapper (firmware/weights/fg_<index>.h), one
// element per memory word: the ROMs two-dimensional with the second dimension reshaped completely,
// the input buffer an array of row structs aggregated into words; every access below names one
// element: one word per read or write, evident from the code.
//   input buffer  buf[buf_words] of rows of word_values values (aggregated into one word each): a
//                 convolution's rows are pixels (n_chan values; one written per input element,
//                 one read per step); a Dense's rows are its input elements (word_values = n_chan
//                 / input elements; a step reads k_par values of one row, k_par | word_values)
//   ROMs          those of the layer's schedule: `dense_roms`, `sparse_roms`, `codebook_roms` in
//                 nnet_fg_engine.h
// The ROMs hold raw integers compiled into the library: nothing is read from files.
//
// The buffer is written (input iterations) and read (step iterations) by different iterations
// through the two ports of a simple dual-port memory.  Its loop-carried dependences are a step
// reading a pixel written before (RAW) and an input element overwriting a row slot (ih mod
// line_rows, a counter) the previous steps read (WAR).  A pixel is read only once its row is
// complete and a slot rewritten only after the last output row that reads it, so no two dependent
// accesses are fewer than buf_distance iterations apart (computed at conversion,
// fpgagan.hls.dependence): the loop's DEPENDENCE pragma states that distance, so II=1 does not
// rest on the tool's own analysis; on a frame of real width it exceeds the pipeline's depth.
#ifndef NNET_FG_LAYERS_H_
#define NNET_FG_LAYERS_H_

#include "hls_stream.h"
#include "nnet_common.h"
#include "nnet_fg_engine.h"

namespace nnet {
namespace fg {

// Every layer takes the ROMs of its schedule, and only those: a `rom_set<CONFIG_T>::type`
// (dense_roms, sparse_roms or codebook_roms in nnet_fg_engine.h) holding references to the arrays
// its generated wrapper (weights/fg_<index>.h) defines, reshapes and binds to LUT-ROM or BRAM.
// The kernels are inlined into the wrapper, so the wrapper is the layer's one function (its
// process in the dataflow pipeline), as the off-chip layer's compute wrapper is.

// A row of the input buffer: word_values raw input values, one memory word.  The wrapper
// aggregates the struct (#pragma HLS AGGREGATE compact=bit), so a row is read and written whole:
// an input iteration builds the row in registers and stores it with one write.
template <class CONFIG_T> struct buffer_row {
    typename types<CONFIG_T>::x_t v[CONFIG_T::word_values];
};
template <class CONFIG_T> struct buffer {
    typedef buffer_row<CONFIG_T> row_t;
};

// Window of one output pixel over a buffer of input words.  `Locate` maps a tap (th, tw) to the
// buffer row of its input pixel, or -1 when the tap falls outside the input.
template <class CONFIG_T, class Locate> struct window {
    typedef typename types<CONFIG_T>::x_t x_t;
    const typename buffer<CONFIG_T>::row_t *buf;
    Locate locate;

    // window values c * k_par .. c * k_par + k_par - 1 of tap (th, tw): one row, k_par of its values
    void read(unsigned th, unsigned tw, unsigned c, x_t x[CONFIG_T::k_par]) const {
        #pragma HLS INLINE
        const int p = locate(th, tw, c);
        // a pixel word holds all n_chan values (c * k_par < n_chan): the remainder is the identity,
        // kept out of the hardware; a Dense input element of word_values < n_chan values divides
        // by the constant word_values
        const unsigned first = CONFIG_T::word_values == CONFIG_T::n_chan
                                   ? c * CONFIG_T::k_par
                                   : (c * CONFIG_T::k_par) % CONFIG_T::word_values;
    Window:
        for (unsigned i = 0; i < CONFIG_T::k_par; i++) {
            #pragma HLS UNROLL
            x[i] = p >= 0 ? buf[p].v[first + i] : (x_t)0;
        }
    }

    // all n_chan values of tap (th, tw)'s input pixel (sparse steps): one row
    void read_pixel(unsigned th, unsigned tw, x_t px[CONFIG_T::n_chan]) const {
        #pragma HLS INLINE
        const int p = locate(th, tw, 0);
    Pixel:
        for (unsigned c = 0; c < CONFIG_T::n_chan; c++) {
            #pragma HLS UNROLL
            px[c] = p >= 0 ? buf[p].v[c] : (x_t)0;
        }
    }
};

// Where the input comes from: a stream (io_stream: one element per input iteration) or an array
// (io_parallel: element e of the input).  `take(e)` is element e's values as raw integers, one
// buffer row (built in registers; the caller stores it with one write).
template <class data_T, class CONFIG_T> struct stream_source {
    hls::stream<data_T> &data;
    typename buffer<CONFIG_T>::row_t take(unsigned) {
        #pragma HLS INLINE
        const data_T in = data.read();
        typename buffer<CONFIG_T>::row_t row;
    TakeValues:
        for (unsigned v = 0; v < CONFIG_T::word_values; v++) {
            #pragma HLS UNROLL
            row.v[v] = raw_of<CONFIG_T::x_bits, CONFIG_T::x_signed>(in[v]);
        }
        return row;
    }
};
template <class data_T, class CONFIG_T> struct array_source {
    const data_T *data;
    typename buffer<CONFIG_T>::row_t take(unsigned e) {
        #pragma HLS INLINE
        typename buffer<CONFIG_T>::row_t row;
    TakeValues:
        for (unsigned v = 0; v < CONFIG_T::word_values; v++) {
            #pragma HLS UNROLL
            row.v[v] = raw_of<CONFIG_T::x_bits, CONFIG_T::x_signed>(data[e * CONFIG_T::word_values + v]);
        }
        return row;
    }
};

// Where a finished pixel goes: a stream element written at the pixel's last step (io_stream), or
// the output frame (io_parallel).  In io_stream the pixel is collected in `pixel`, an array the
// layer partitions completely (registers: emit writes n_par of them at the block's position),
// and copied into the stream element with constant indices when the pixel is done.
template <class res_T> struct stream_sink {
    hls::stream<res_T> &res;
    typename res_T::value_type *pixel;
    typename res_T::value_type *out(unsigned) { return pixel; }
    void done() {
        #pragma HLS INLINE
        res_T element;
    CopyPixel:
        for (unsigned c = 0; c < res_T::size; c++) {
            #pragma HLS UNROLL
            element[c] = pixel[c];
        }
        res.write(element);
    }
};
template <class res_T, unsigned N_OUT> struct frame_sink {
    res_T *base;
    res_T *out(unsigned pix) { return base + pix * N_OUT; }
    void done() {}
};

// ---------------------------------------------------------------- Dense
// A Dense's window is its input vector: window values c * k_par .. are in row c * k_par / word_values.
template <class CONFIG_T> struct vector_locate {
    int operator()(unsigned, unsigned, unsigned c) const {
        #pragma HLS INLINE
        return CONFIG_T::word_values == CONFIG_T::n_chan ? 0 : (int)((c * CONFIG_T::k_par) / CONFIG_T::word_values);
    }
};

template <class CONFIG_T> inline unsigned dense_mat(unsigned pixel) { return CONFIG_T::n_mats == 1 ? 0 : pixel; }

// The layer's one loop: buf_words input iterations, then n_pix x n_steps step iterations.
template <class CONFIG_T, class Source, class Sink, class Roms>
void dense_layer(Source &src, Sink &sink, typename buffer<CONFIG_T>::row_t *buf, const Roms &roms) {
    #pragma HLS INLINE
    typename Roms::state_t state; // the schedule's accumulators (registers)
    #pragma HLS ARRAY_PARTITION variable=state complete dim=0
    const window<CONFIG_T, vector_locate<CONFIG_T> > win = {buf, vector_locate<CONFIG_T>()};
    step_counter<CONFIG_T> sc;
    sc.reset();
    static_assert(CONFIG_T::buf_distance >= 1, "a dependence distance is at least one iteration");
    unsigned e = 0; // input elements taken
    unsigned p = 0; // output pixel
Layer:
    for (unsigned it = 0; it < CONFIG_T::n_iter; it++) {
        #pragma HLS PIPELINE II=1
        // every word is written before the first step; a step reads no word written fewer than
        // buf_distance iterations before (fpgagan.hls.dependence)
        #pragma HLS DEPENDENCE variable=buf type=inter dependent=true distance=CONFIG_T::buf_distance
        if (e < CONFIG_T::buf_words) {
            buf[e] = src.take(e);
            e++;
        } else if (pixel_step<CONFIG_T>(roms, win, dense_mat<CONFIG_T>(p), sc, state, sink.out(p))) {
            sink.done();
            p++;
        }
    }
}

// io_parallel
template <class data_T, class res_T, class CONFIG_T>
void dense_engine(data_T data[CONFIG_T::n_chan], res_T res[CONFIG_T::n_pix * CONFIG_T::n_out],
                  typename buffer<CONFIG_T>::row_t buf[CONFIG_T::buf_words],
                  const typename rom_set<CONFIG_T>::type &roms) {
    #pragma HLS INLINE
    array_source<data_T, CONFIG_T> src = {data};
    frame_sink<res_T, CONFIG_T::n_out> sink = {res};
    dense_layer<CONFIG_T>(src, sink, buf, roms);
}

// io_stream: the input vector arrives in buf_words elements of word_values values; the output
// leaves as n_pix elements of n_out values (one pixel each).
template <class data_T, class res_T, class CONFIG_T>
void dense_engine(hls::stream<data_T> &data, hls::stream<res_T> &res,
                  typename buffer<CONFIG_T>::row_t buf[CONFIG_T::buf_words],
                  const typename rom_set<CONFIG_T>::type &roms) {
    #pragma HLS INLINE
    stream_source<data_T, CONFIG_T> src = {data};
    typename res_T::value_type pixel[res_T::size];
    #pragma HLS ARRAY_PARTITION variable=pixel complete
    stream_sink<res_T> sink = {res, pixel};
    dense_layer<CONFIG_T>(src, sink, buf, roms);
}

// ---------------------------------------------------------------- geometry of convolutions
// The buffer slot of an input row.  A buffer of ROWS >= in_height rows holds the whole frame:
// row ih is slot ih.  A line buffer (io_stream, ROWS = line_rows < in_height) keeps its rows
// circularly, row ih in slot ih mod ROWS; ROWS need not be a power of two (3 for a 3x3 filter),
// so no slot is computed by a division: the cursor below keeps the slot of its anchor row as a
// counter (advanced with the output row, like the input's write slot), and the slot of a tap
// d < ROWS rows away is that counter plus or minus d with one conditional correction by ROWS.
template <unsigned ROWS> inline unsigned ring_up(unsigned slot, unsigned d) { // slot + d mod ROWS
    #pragma HLS INLINE
    const unsigned t = slot + d;
    return t >= ROWS ? t - ROWS : t;
}
template <unsigned ROWS> inline unsigned ring_down(unsigned slot, unsigned d) { // slot - d mod ROWS
    #pragma HLS INLINE
    return slot >= d ? slot - d : slot + ROWS - d;
}

// Transposed convolution: tap (jh, jw) of the output pixel's phase.
template <class CONFIG_T, unsigned ROWS> struct conv_transpose_locate {
    int base_h, base_w;  // (oh + pad_top) / stride_h, (ow + pad_left) / stride_w
    unsigned ph, pw;     // the phase: (oh + pad_top) % stride_h, (ow + pad_left) % stride_w
    unsigned base_slot;  // slot of input row base_h (a line buffer's; base_h mod ROWS)
    int operator()(unsigned jh, unsigned jw, unsigned) const {
        #pragma HLS INLINE
        const unsigned kh = ph + jh * CONFIG_T::stride_height, kw = pw + jw * CONFIG_T::stride_width;
        const int ih = base_h - (int)jh, iw = base_w - (int)jw;
        if (kh >= CONFIG_T::filt_height || kw >= CONFIG_T::filt_width || ih < 0 || iw < 0 ||
            ih >= (int)CONFIG_T::in_height || iw >= (int)CONFIG_T::in_width)
            return -1;
        const unsigned slot = ROWS >= CONFIG_T::in_height ? (unsigned)ih : ring_down<ROWS>(base_slot, jh);
        return (int)(slot * CONFIG_T::in_width + (unsigned)iw);
    }
    unsigned mat() const { return ph * CONFIG_T::stride_width + pw; }
};

// Convolution: tap (kh, kw).
template <class CONFIG_T, unsigned ROWS> struct conv_locate {
    int top, left;     // oh * stride_h - pad_top, ow * stride_w - pad_left
    unsigned top_slot; // slot of input row `top` (a line buffer's; top mod ROWS, top may be < 0)
    int operator()(unsigned kh, unsigned kw, unsigned) const {
        #pragma HLS INLINE
        const int ih = top + (int)kh, iw = left + (int)kw;
        if (ih < 0 || iw < 0 || ih >= (int)CONFIG_T::in_height || iw >= (int)CONFIG_T::in_width)
            return -1;
        const unsigned slot = ROWS >= CONFIG_T::in_height ? (unsigned)ih : ring_up<ROWS>(top_slot, kh);
        return (int)(slot * CONFIG_T::in_width + (unsigned)iw);
    }
    unsigned mat() const { return 0; }
};

// Output rows oh whose last input row is at most ih: a transposed convolution needs input rows
// down to (oh + pad_top) / stride_h, a convolution up to oh * stride_h - pad_top + filt_height - 1.
// Evaluated when an input row is complete; its divisor is the constant stride_height (a shift for
// strides 1, 2 and 4).
template <class CONFIG_T, bool TRANSPOSE> inline unsigned rows_ready(unsigned ih) {
    #pragma HLS INLINE
    if (ih + 1 == CONFIG_T::in_height)
        return CONFIG_T::out_height;
    if (TRANSPOSE) {
        const unsigned end = (ih + 1) * CONFIG_T::stride_height;
        const unsigned n = end > CONFIG_T::pad_top ? end - CONFIG_T::pad_top : 0;
        return n < CONFIG_T::out_height ? n : CONFIG_T::out_height;
    }
    const unsigned reach = ih + CONFIG_T::pad_top + 1; // input rows available, counted from the padded top
    if (reach < CONFIG_T::filt_height)
        return 0;
    const unsigned n = (reach - CONFIG_T::filt_height) / CONFIG_T::stride_height + 1;
    return n < CONFIG_T::out_height ? n : CONFIG_T::out_height;
}

// The cursor of the current output pixel (oh, ow) over a buffer of ROWS input rows: its locate
// (where each tap's input pixel is), kept by counters advanced with the pixel (next_col) and the
// row (next_row), from constants at reset: no division or multiplication by a variable.
template <class CONFIG_T, bool TRANSPOSE, unsigned ROWS> struct geometry;
template <class CONFIG_T, unsigned ROWS> struct geometry<CONFIG_T, true, ROWS> {
    typedef conv_transpose_locate<CONFIG_T, ROWS> locate_t;
    static_assert(ROWS >= CONFIG_T::in_height || ROWS >= CONFIG_T::taps_height,
                  "a line buffer holds at least the taps_height rows of a phase's window");
    locate_t loc;
    void reset() {
        #pragma HLS INLINE
        loc.ph = CONFIG_T::pad_top % CONFIG_T::stride_height;
        loc.base_h = (int)(CONFIG_T::pad_top / CONFIG_T::stride_height);
        loc.base_slot = (CONFIG_T::pad_top / CONFIG_T::stride_height) % ROWS;
        first_col();
    }
    void first_col() {
        #pragma HLS INLINE
        loc.pw = CONFIG_T::pad_left % CONFIG_T::stride_width;
        loc.base_w = (int)(CONFIG_T::pad_left / CONFIG_T::stride_width);
    }
    void next_col() {
        #pragma HLS INLINE
        const bool wrap = loc.pw == CONFIG_T::stride_width - 1;
        loc.pw = wrap ? 0 : loc.pw + 1;
        if (wrap)
            loc.base_w++;
    }
    void next_row() {
        #pragma HLS INLINE
        first_col();
        const bool wrap = loc.ph == CONFIG_T::stride_height - 1;
        loc.ph = wrap ? 0 : loc.ph + 1;
        if (wrap) {
            loc.base_h++;
            loc.base_slot = ring_up<ROWS>(loc.base_slot, 1 % ROWS);
        }
    }
    const locate_t &at() const { return loc; }
};
template <class CONFIG_T, unsigned ROWS> struct geometry<CONFIG_T, false, ROWS> {
    typedef conv_locate<CONFIG_T, ROWS> locate_t;
    static_assert(ROWS >= CONFIG_T::in_height || ROWS >= CONFIG_T::filt_height,
                  "a line buffer holds at least the filt_height rows of a window");
    locate_t loc;
    void reset() {
        #pragma HLS INLINE
        loc.top = -(int)CONFIG_T::pad_top;
        loc.top_slot = (ROWS - CONFIG_T::pad_top % ROWS) % ROWS; // -pad_top mod ROWS
        loc.left = -(int)CONFIG_T::pad_left;
    }
    void next_col() {
        #pragma HLS INLINE
        loc.left += (int)CONFIG_T::stride_width;
    }
    void next_row() {
        #pragma HLS INLINE
        loc.left = -(int)CONFIG_T::pad_left;
        loc.top += (int)CONFIG_T::stride_height;
        loc.top_slot = ring_up<ROWS>(loc.top_slot, CONFIG_T::stride_height % ROWS);
    }
    const locate_t &at() const { return loc; }
};

// ---------------------------------------------------------------- convolutions
// The layer's one loop: an iteration steps the current output pixel when its row is ready
// (oh < row_end), else takes the next input pixel into row slot ih mod ROWS of the buffer.
template <class CONFIG_T, bool TRANSPOSE, unsigned ROWS, class Source, class Sink, class Roms>
void conv_layer(Source &src, Sink &sink, typename buffer<CONFIG_T>::row_t *buf, const Roms &roms) {
    #pragma HLS INLINE
    static_assert(CONFIG_T::buf_distance >= 1, "a dependence distance is at least one iteration");
    typedef geometry<CONFIG_T, TRANSPOSE, ROWS> G;
    typename Roms::state_t state; // the schedule's accumulators (registers)
    #pragma HLS ARRAY_PARTITION variable=state complete dim=0
    step_counter<CONFIG_T> sc;
    sc.reset();
    unsigned ih = 0, iw = 0, slot = 0; // next input pixel; slot = ih mod ROWS (a counter)
    unsigned oh = 0, ow = 0;           // current output pixel
    unsigned row_end = 0;              // output rows whose input rows are all in
    G cursor;                          // where the current output pixel's taps are
    cursor.reset();
Layer:
    for (unsigned it = 0; it < CONFIG_T::n_iter; it++) {
        #pragma HLS PIPELINE II=1
        // No step reads a buffer word written fewer than buf_distance iterations before, no input
        // overwrites a word fewer than buf_distance iterations after a step read it, and no word
        // is rewritten sooner: a pixel is read only once its row is complete, by output pixels
        // in order, and a slot is rewritten only after the last output row that reads it
        // (fpgagan.hls.dependence computes the least distance from the layer's geometry; tests
        // check it against the access trace).  Stated here so that II=1 does not depend on the
        // tool's own dependence analysis of the buffer.
        #pragma HLS DEPENDENCE variable=buf type=inter dependent=true distance=CONFIG_T::buf_distance
        if (oh < row_end) {
            const typename G::locate_t &loc = cursor.at();
            const window<CONFIG_T, typename G::locate_t> win = {buf, loc};
            if (pixel_step<CONFIG_T>(roms, win, loc.mat(), sc, state, sink.out(oh * CONFIG_T::out_width + ow))) {
                sink.done();
                const bool row_done = ow == CONFIG_T::out_width - 1;
                ow = row_done ? 0 : ow + 1;
                if (row_done) {
                    oh++;
                    cursor.next_row();
                } else {
                    cursor.next_col();
                }
            }
        } else {
            buf[slot * CONFIG_T::in_width + iw] = src.take(ih * CONFIG_T::in_width + iw);
            const bool row_in = iw == CONFIG_T::in_width - 1;
            if (row_in) {
                row_end = rows_ready<CONFIG_T, TRANSPOSE>(ih);
                ih++;
                slot = slot == ROWS - 1 ? 0 : slot + 1;
            }
            iw = row_in ? 0 : iw + 1;
        }
    }
}

template <class data_T, class res_T, class CONFIG_T, bool TRANSPOSE>
void conv_frame(const data_T *data, res_T *res, typename buffer<CONFIG_T>::row_t *buf,
                const typename rom_set<CONFIG_T>::type &roms) {
    #pragma HLS INLINE
    array_source<data_T, CONFIG_T> src = {data};
    frame_sink<res_T, CONFIG_T::n_out> sink = {res};
    // io_parallel: the buffer holds the whole frame (buf_words = in_height * in_width)
    conv_layer<CONFIG_T, TRANSPOSE, CONFIG_T::in_height>(src, sink, buf, roms);
}

template <class data_T, class res_T, class CONFIG_T, bool TRANSPOSE>
void conv_stream(hls::stream<data_T> &data, hls::stream<res_T> &res, typename buffer<CONFIG_T>::row_t *buf,
                 const typename rom_set<CONFIG_T>::type &roms) {
    #pragma HLS INLINE
    stream_source<data_T, CONFIG_T> src = {data};
    typename res_T::value_type pixel[res_T::size];
    #pragma HLS ARRAY_PARTITION variable=pixel complete
    stream_sink<res_T> sink = {res, pixel};
    // io_stream: the line buffer holds line_rows input rows (buf_words = line_rows * in_width)
    conv_layer<CONFIG_T, TRANSPOSE, CONFIG_T::line_rows>(src, sink, buf, roms);
}

template <class data_T, class res_T, class CONFIG_T>
void conv2d_engine(data_T data[CONFIG_T::in_height * CONFIG_T::in_width * CONFIG_T::n_chan],
                   res_T res[CONFIG_T::out_height * CONFIG_T::out_width * CONFIG_T::n_out],
                   typename buffer<CONFIG_T>::row_t buf[CONFIG_T::buf_words],
                   const typename rom_set<CONFIG_T>::type &roms) {
    #pragma HLS INLINE
    conv_frame<data_T, res_T, CONFIG_T, false>(data, res, buf, roms);
}

template <class data_T, class res_T, class CONFIG_T>
void conv2d_engine(hls::stream<data_T> &data, hls::stream<res_T> &res,
                   typename buffer<CONFIG_T>::row_t buf[CONFIG_T::buf_words],
                   const typename rom_set<CONFIG_T>::type &roms) {
    #pragma HLS INLINE
    conv_stream<data_T, res_T, CONFIG_T, false>(data, res, buf, roms);
}

template <class data_T, class res_T, class CONFIG_T>
void conv2d_transpose_engine(data_T data[CONFIG_T::in_height * CONFIG_T::in_width * CONFIG_T::n_chan],
                             res_T res[CONFIG_T::out_height * CONFIG_T::out_width * CONFIG_T::n_out],
                             typename buffer<CONFIG_T>::row_t buf[CONFIG_T::buf_words],
                             const typename rom_set<CONFIG_T>::type &roms) {
    #pragma HLS INLINE
    conv_frame<data_T, res_T, CONFIG_T, true>(data, res, buf, roms);
}

template <class data_T, class res_T, class CONFIG_T>
void conv2d_transpose_engine(hls::stream<data_T> &data, hls::stream<res_T> &res,
                             typename buffer<CONFIG_T>::row_t buf[CONFIG_T::buf_words],
                             const typename rom_set<CONFIG_T>::type &roms) {
    #pragma HLS INLINE
    conv_stream<data_T, res_T, CONFIG_T, true>(data, res, buf, roms);
}

} // namespace fg
} // namespace nnet

#endif
