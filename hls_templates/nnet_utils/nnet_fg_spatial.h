// fpgagan: data-movement layers (io_parallel and io_stream), channels-last: nearest upsampling by
// integer factors, depth-to-space (pixel shuffle) and padding (zero, reflect, edge).  They copy
// values and compute nothing, so they are exact whatever the type; the output type is the input's.
//
// io_stream: one element per pixel.  Each layer keeps a buffer of input rows (a row for
// upsampling and depth-to-space; max(pad_top, pad_bottom) + 1 rows for padding) and is one loop
// pipelined at II=1 whose bound is a constant (spatial_stream below).
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
    static const unsigned storage = 0;  // its storage (spatial_storage; the cost model's choice)
    static const unsigned buf_distance = 1; // least iterations between dependent buffer accesses
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
// Each layer is one loop, pipelined at II=1, of in_height * in_width + out_height * out_width
// iterations per image: an iteration writes the next output pixel when the input rows it needs are
// in (Map::ready), else takes the next input pixel into the row buffer; every index comes from
// counters.  The row buffer has one element per pixel (a struct of n_chan values aggregated into
// one word), `rows` input rows kept circularly: one word written per input iteration (the pixel
// built in registers, stored whole), one read per output iteration.  Its storage is the cost
// model's (fpgagan.hw.stages.spatial_stage, storage.choose): `storage` of the config, bound by
// row_buffer below.
template <class value_T, unsigned N> struct pixel_word {
    value_T v[N];
};

enum spatial_storage { storage_registers = 0, storage_lutram = 1, storage_bram = 2 };

// The output pixel (oh, ow) and, as counters, its source pixel in a repeat of rep_h x rep_w output
// pixels per input pixel (upsampling: the scale; depth-to-space: the block; padding: 1 x 1):
// sh = oh / rep_h, bh = oh % rep_h (likewise for w), with no division by rep_h (3 for x3).
template <class CONFIG_T, unsigned REP_H, unsigned REP_W> struct out_cursor {
    unsigned oh, ow, sh, sw, bh, bw;
    void reset() {
        #pragma HLS INLINE
        oh = ow = sh = sw = bh = bw = 0;
    }
    void next() {
        #pragma HLS INLINE
        const bool row_done = ow == CONFIG_T::out_width - 1;
        const bool bw_wrap = bw == REP_W - 1, bh_wrap = bh == REP_H - 1;
        ow = row_done ? 0 : ow + 1;
        bw = row_done || bw_wrap ? 0 : bw + 1;
        sw = row_done ? 0 : bw_wrap ? sw + 1 : sw;
        if (row_done) {
            oh++;
            bh = bh_wrap ? 0 : bh + 1;
            if (bh_wrap)
                sh++;
        }
    }
};

// Buffer slot of input row src of a complete input row rows_in - rows <= src < rows_in, `slot`
// being the next row's slot (rows_in mod rows, a counter): rows_in - src (1 .. rows) back, with one
// conditional correction by rows instead of src % rows.
template <class CONFIG_T> inline unsigned source_slot(unsigned slot, unsigned rows_in, unsigned src) {
    #pragma HLS INLINE
    if (CONFIG_T::rows == 1)
        return 0;
    const unsigned back = rows_in - src;
    return slot >= back ? slot - back : slot + CONFIG_T::rows - back;
}

template <class data_T, class res_T, class CONFIG_T, class Map, class Buffer>
void spatial_loop(hls::stream<data_T> &data, hls::stream<res_T> &res, Buffer *buf) {
    #pragma HLS INLINE
    static_assert(CONFIG_T::buf_distance >= 1, "a dependence distance is at least one iteration");
    typedef typename Map::cursor_t cursor_t;
    unsigned ih = 0, iw = 0, slot = 0; // next input pixel; ih = input rows complete; slot = ih mod rows
    cursor_t o;                        // next output pixel
    o.reset();
Layer:
    for (unsigned it = 0; it < CONFIG_T::in_height * CONFIG_T::in_width + CONFIG_T::out_height * CONFIG_T::out_width;
         it++) {
        #pragma HLS PIPELINE II=1
        // No output reads a word written fewer than buf_distance iterations before, no input
        // overwrites a word fewer than buf_distance iterations after an output read it (or wrote
        // it): a row is read only once complete, a slot rewritten only after the last output row
        // that reads its row (fpgagan.hls.dependence; tests check it against the access trace).
        #pragma HLS DEPENDENCE variable=buf type=inter dependent=true distance=CONFIG_T::buf_distance
        if (o.oh < CONFIG_T::out_height && Map::ready(o, ih)) {
            res_T out;
            Map::pixel(buf, o, ih, slot, out);
            res.write(out);
            o.next();
        } else {
            const data_T px = data.read();
            Buffer w;
        StorePixel:
            for (unsigned c = 0; c < CONFIG_T::n_chan; c++) {
                #pragma HLS UNROLL
                w.v[c] = px[c];
            }
            buf[slot * CONFIG_T::in_width + iw] = w;
            const bool row_in = iw == CONFIG_T::in_width - 1;
            if (row_in) {
                ih++;
                slot = slot == CONFIG_T::rows - 1 ? 0 : slot + 1;
            }
            iw = row_in ? 0 : iw + 1;
        }
    }
}

// The row buffer, bound to the storage the cost model counts (one specialisation per storage:
// a pragma's impl= is a word, not a template argument), then the layer's loop.
template <class data_T, class res_T, class CONFIG_T, class Map, unsigned STORAGE> struct row_buffer;
template <class data_T, class res_T, class CONFIG_T, class Map>
struct row_buffer<data_T, res_T, CONFIG_T, Map, storage_registers> {
    static void run(hls::stream<data_T> &data, hls::stream<res_T> &res) {
        #pragma HLS INLINE
        pixel_word<typename data_T::value_type, CONFIG_T::n_chan> buf[CONFIG_T::rows * CONFIG_T::in_width];
        #pragma HLS AGGREGATE variable=buf compact=bit
        #pragma HLS ARRAY_PARTITION variable=buf complete dim=1
        spatial_loop<data_T, res_T, CONFIG_T, Map>(data, res, buf);
    }
};
template <class data_T, class res_T, class CONFIG_T, class Map>
struct row_buffer<data_T, res_T, CONFIG_T, Map, storage_lutram> {
    static void run(hls::stream<data_T> &data, hls::stream<res_T> &res) {
        #pragma HLS INLINE
        pixel_word<typename data_T::value_type, CONFIG_T::n_chan> buf[CONFIG_T::rows * CONFIG_T::in_width];
        #pragma HLS AGGREGATE variable=buf compact=bit
        #pragma HLS BIND_STORAGE variable=buf type=ram_s2p impl=lutram
        spatial_loop<data_T, res_T, CONFIG_T, Map>(data, res, buf);
    }
};
template <class data_T, class res_T, class CONFIG_T, class Map>
struct row_buffer<data_T, res_T, CONFIG_T, Map, storage_bram> {
    static void run(hls::stream<data_T> &data, hls::stream<res_T> &res) {
        #pragma HLS INLINE
        pixel_word<typename data_T::value_type, CONFIG_T::n_chan> buf[CONFIG_T::rows * CONFIG_T::in_width];
        #pragma HLS AGGREGATE variable=buf compact=bit
        #pragma HLS BIND_STORAGE variable=buf type=ram_s2p impl=bram
        spatial_loop<data_T, res_T, CONFIG_T, Map>(data, res, buf);
    }
};

template <class data_T, class res_T, class CONFIG_T, class Map> void spatial_stream(hls::stream<data_T> &data, hls::stream<res_T> &res) {
    #pragma HLS INLINE
    row_buffer<data_T, res_T, CONFIG_T, Map, CONFIG_T::storage>::run(data, res);
}

template <class data_T, class res_T, class CONFIG_T> struct upsample_map {
    typedef typename data_T::value_type value_t;
    typedef out_cursor<CONFIG_T, CONFIG_T::scale_h, CONFIG_T::scale_w> cursor_t;
    static bool ready(const cursor_t &o, unsigned rows_in) { return o.sh < rows_in; }
    static void pixel(const pixel_word<value_t, CONFIG_T::n_chan> *buf, const cursor_t &o, unsigned rows_in,
                      unsigned slot, res_T &out) {
        #pragma HLS INLINE
        const unsigned word = source_slot<CONFIG_T>(slot, rows_in, o.sh) * CONFIG_T::in_width + o.sw;
    Chan:
        for (unsigned c = 0; c < CONFIG_T::n_chan; c++) {
            #pragma HLS UNROLL
            out[c] = buf[word].v[c];
        }
    }
};

template <class data_T, class res_T, class CONFIG_T> struct depth_to_space_map {
    typedef typename data_T::value_type value_t;
    typedef out_cursor<CONFIG_T, CONFIG_T::block, CONFIG_T::block> cursor_t;
    static bool ready(const cursor_t &o, unsigned rows_in) { return o.sh < rows_in; }
    static void pixel(const pixel_word<value_t, CONFIG_T::n_chan> *buf, const cursor_t &o, unsigned rows_in,
                      unsigned slot, res_T &out) {
        #pragma HLS INLINE
        const unsigned word = source_slot<CONFIG_T>(slot, rows_in, o.sh) * CONFIG_T::in_width + o.sw;
    Chan:
        for (unsigned c = 0; c < CONFIG_T::n_out; c++) {
            #pragma HLS UNROLL
            out[c] = buf[word].v[d2s_channel<CONFIG_T>(o.bh, o.bw, c)];
        }
    }
};

// An output row is ready once its source row is in; zero rows above the image at once, zero rows
// below it (and every row, once the whole input is in) after the last input row.
template <class data_T, class res_T, class CONFIG_T> struct pad_map {
    typedef typename data_T::value_type value_t;
    typedef out_cursor<CONFIG_T, 1, 1> cursor_t;
    static bool ready(const cursor_t &o, unsigned rows_in) {
        #pragma HLS INLINE
        const int src = pad_source<CONFIG_T>(o.oh, CONFIG_T::pad_top, CONFIG_T::in_height);
        if (rows_in == CONFIG_T::in_height)
            return true;
        return src >= 0 ? src < (int)rows_in : o.oh < CONFIG_T::pad_top;
    }
    static void pixel(const pixel_word<value_t, CONFIG_T::n_chan> *buf, const cursor_t &o, unsigned rows_in,
                      unsigned slot, res_T &out) {
        #pragma HLS INLINE
        const int src = pad_source<CONFIG_T>(o.oh, CONFIG_T::pad_top, CONFIG_T::in_height);
        const int iw = pad_source<CONFIG_T>(o.ow, CONFIG_T::pad_left, CONFIG_T::in_width);
        // a zero pixel's read is discarded (source row and column clamped to 0)
        const unsigned row = src < 0 ? 0 : source_slot<CONFIG_T>(slot, rows_in, (unsigned)src);
        const unsigned word = row * CONFIG_T::in_width + (unsigned)(iw < 0 ? 0 : iw);
    Chan:
        for (unsigned c = 0; c < CONFIG_T::n_chan; c++) {
            #pragma HLS UNROLL
            out[c] = (src < 0 || iw < 0) ? (typename res_T::value_type)0 : (typename res_T::value_type)buf[word].v[c];
        }
    }
};

template <class data_T, class res_T, class CONFIG_T> void upsample(hls::stream<data_T> &data, hls::stream<res_T> &res) {
    spatial_stream<data_T, res_T, CONFIG_T, upsample_map<data_T, res_T, CONFIG_T> >(data, res);
}

template <class data_T, class res_T, class CONFIG_T>
void depth_to_space(hls::stream<data_T> &data, hls::stream<res_T> &res) {
    spatial_stream<data_T, res_T, CONFIG_T, depth_to_space_map<data_T, res_T, CONFIG_T> >(data, res);
}

template <class data_T, class res_T, class CONFIG_T> void pad(hls::stream<data_T> &data, hls::stream<res_T> &res) {
    spatial_stream<data_T, res_T, CONFIG_T, pad_map<data_T, res_T, CONFIG_T> >(data, res);
}

} // namespace fg
} // namespace nnet

#endif
