// fpgagan: an engine layer whose weights live in DDR (io_stream; fpgagan/hw/offchip.py).
//
// The layer is two processes in a DATAFLOW region (its generated wrapper, weights/fg_<index>.h):
//
//   fetch     one loop, pipelined at II=1, over the image_beats 64-bit beats of the layer's DDR
//             image, read through the layer's AXI4 master port at consecutive addresses (bursts);
//             beats_per_word beats make a weight word (the first beat in the low bits), written
//             to the stream of weight words.  The image holds the words in the order the compute
//             loop takes them (fixed at conversion): tile by tile, a tile being one output
//             block's words of every weight matrix.
//   compute   the layer's one loop, pipelined at II=1, n_iter iterations per image in three
//             phases, every index from counters:
//               take     take_iters = max(n_inputs, tile_words): input element e into the frame
//                        buffer (the whole input map), tile word k into tile half 0;
//               compute  block by block (weight-stationary): each output pixel's steps_per_block
//                        steps of the block, reading the block's tile half; the block's n_par
//                        outputs of the pixel go into the output map; meanwhile, one word every
//                        `pace` iterations, the next block's tile goes into the other half;
//               emit     the output map, one word (a block of a pixel) per iteration; the pixel
//                        is written to the stream after its last block.
//
// Every weight word leaves DDR once per image.  The arithmetic is the dense schedule's
// (nnet_fg_engine.h `window_mac`, `emit`): the same products in the same order for each output, so
// the outputs equal the on-chip layer's bit for bit.
//
// Memories, declared in the compute wrapper with their storage (fpgagan/hw/layer_memories.py); its
// one ROM is the bias ROM (`bias_rom` in nnet_fg_engine.h), the weights being the stream's:
//   buf    [buf_words]        input map, a row struct of n_chan values per pixel (one write per
//                             take iteration, one read per step)
//   tile   [2 * tile_words]   row structs of `lanes` weights: written by the take / prefetch
//                             (one row per iteration at most), read by the steps (one row each)
//   omap   [n_pix * n_blocks] row structs of n_par outputs: one write per block of a pixel,
//                             one read per emit iteration
// The tile is written in one half while the other is read: a step never reads a row that an
// iteration still in the pipeline writes (the halves swap only at a block's end, after the
// block's last prefetch, tile_words * pace <= the block's iterations), hence the DEPENDENCE
// pragma on the layer's loop.
#ifndef NNET_FG_OFFCHIP_H_
#define NNET_FG_OFFCHIP_H_

#include "nnet_fg_layers.h"
#include <stdint.h>

namespace nnet {
namespace fg {

// one beat of a weight port (the AXI4 master's data width); the DDR image is an array of them
typedef uint64_t ddr_beat_t;
static const unsigned ddr_beat_bits = 64;

// A weight word as the fetch assembles it: beats_per_word beats, the first in the low bits.
template <class CONFIG_T> struct offchip_types {
    typedef ap_uint<CONFIG_T::beats_per_word * ddr_beat_bits> word_t;
    struct tile_row {
        typename types<CONFIG_T>::w_rom_t v[CONFIG_T::lanes];
    };
};

template <class OUT_T, unsigned N> struct omap_row {
    OUT_T v[N];
};

// The fetch process: the layer's DDR image, beat by beat, into weight words.
template <class CONFIG_T>
void fetch_weights(const ddr_beat_t *ddr, hls::stream<typename offchip_types<CONFIG_T>::word_t> &words) {
    typedef typename offchip_types<CONFIG_T>::word_t word_t;
    static const unsigned W = CONFIG_T::beats_per_word * ddr_beat_bits;
    word_t word = 0;
    unsigned b = 0; // beat of the current word
Fetch:
    for (unsigned i = 0; i < CONFIG_T::image_beats; i++) {
        #pragma HLS PIPELINE II=1
        const ap_uint<ddr_beat_bits> beat = ddr[i];
        word = CONFIG_T::beats_per_word == 1 ? (word_t)beat : (word_t)((word >> ddr_beat_bits) | ((word_t)beat << (W - ddr_beat_bits)));
        if (b == CONFIG_T::beats_per_word - 1) {
            words.write(word);
            b = 0;
        } else {
            b++;
        }
    }
}

// A weight word's lanes (w_bits each, two's complement, lane 0 in the low bits) as a tile row.
template <class CONFIG_T>
inline typename offchip_types<CONFIG_T>::tile_row unpack_word(const typename offchip_types<CONFIG_T>::word_t &word) {
    #pragma HLS INLINE
    typename offchip_types<CONFIG_T>::tile_row row;
UnpackLanes:
    for (unsigned l = 0; l < CONFIG_T::lanes; l++) {
        #pragma HLS UNROLL
        ap_int<CONFIG_T::w_bits> v;
        v.range(CONFIG_T::w_bits - 1, 0) = word.range(l * CONFIG_T::w_bits + CONFIG_T::w_bits - 1, l * CONFIG_T::w_bits);
        row.v[l] = (typename types<CONFIG_T>::w_rom_t)v.to_int();
    }
    return row;
}

// Where output pixel (p, oh, ow) reads its window, and its weight matrix: a Dense reads its input
// vector (a generator head: matrix p), a convolution its taps in the frame buffer (ROWS =
// in_height: the whole input map, so a tap's row is its input row).
// a convolution (KIND 1) or a transposed convolution (KIND 2)
template <class CONFIG_T, int KIND> struct offchip_geometry {
    typedef geometry<CONFIG_T, KIND == 2, CONFIG_T::in_height> G; // the cursor of nnet_fg_layers.h
    typedef typename G::locate_t locate_t;
    G cursor;
    void reset() {
        #pragma HLS INLINE
        cursor.reset();
    }
    void next_col() {
        #pragma HLS INLINE
        cursor.next_col();
    }
    void next_row() {
        #pragma HLS INLINE
        cursor.next_row();
    }
    const locate_t &at() const { return cursor.at(); }
    static unsigned mat(const locate_t &l, unsigned) { return l.mat(); }
};

// a Dense (KIND 0)
template <class CONFIG_T> struct offchip_geometry<CONFIG_T, 0> {
    typedef vector_locate<CONFIG_T> locate_t;
    void reset() {}
    void next_col() {}
    void next_row() {}
    locate_t at() const { return locate_t(); }
    static unsigned mat(const locate_t &, unsigned p) { return dense_mat<CONFIG_T>(p); }
};

// The compute process (see the top of this file).  KIND: 0 Dense, 1 convolution, 2 transposed.
template <class data_T, class res_T, class CONFIG_T, int KIND>
void offchip_compute(hls::stream<data_T> &data, hls::stream<res_T> &res,
                     hls::stream<typename offchip_types<CONFIG_T>::word_t> &words,
                     typename buffer<CONFIG_T>::row_t *buf, typename offchip_types<CONFIG_T>::tile_row *tile,
                     omap_row<typename res_T::value_type, CONFIG_T::n_par> *omap,
                     typename bias_rom<CONFIG_T>::type &biases) {
    #pragma HLS INLINE
    typedef offchip_geometry<CONFIG_T, KIND> Geo;
    typedef typename res_T::value_type out_t;
    static const unsigned C_BLOCKS = CONFIG_T::n_chan / CONFIG_T::k_par;
    stream_source<data_T, CONFIG_T> src = {data};
    typename types<CONFIG_T>::acc_t acc[CONFIG_T::n_par];
    #pragma HLS ARRAY_PARTITION variable=acc complete
    out_t pixel[res_T::size];
    #pragma HLS ARRAY_PARTITION variable=pixel complete
    unsigned e = 0, k = 0;                                  // take: inputs taken, tile-0 words
    unsigned nb = 0, half = 0, p = 0, ow = 0;               // compute: block, its tile half, pixel
    unsigned th = 0, tw = 0, c = 0, r = 0;                  // the step within the block
    unsigned pk = 0, pc = 0;                                // prefetch: next tile's words, pace
    unsigned ep = 0, eb = 0;                                // emit: pixel, block
    Geo geo;                                                // the taps of pixel (oh, ow)
    geo.reset();
Layer:
    for (unsigned it = 0; it < CONFIG_T::n_iter; it++) {
        #pragma HLS PIPELINE II=1
        // a step reads the tile half the prefetch does not write (see the top of this file)
        #pragma HLS DEPENDENCE variable=tile type=inter dependent=false
        if (it < CONFIG_T::take_iters) {
            if (e < CONFIG_T::n_inputs) {
                buf[e] = src.take(e);
                e++;
            }
            if (k < CONFIG_T::tile_words) {
                tile[k] = unpack_word<CONFIG_T>(words.read());
                k++;
            }
        } else if (it < CONFIG_T::take_iters + CONFIG_T::compute_iters) {
            if (pc == 0 && pk < CONFIG_T::tile_words && nb + 1 < CONFIG_T::n_blocks) {
                tile[(1 - half) * CONFIG_T::tile_words + pk] = unpack_word<CONFIG_T>(words.read());
                pk++;
            }
            pc = pc == CONFIG_T::pace - 1 ? 0 : pc + 1;
            const typename Geo::locate_t loc = geo.at();
            const window<CONFIG_T, typename Geo::locate_t> win = {buf, loc};
            const unsigned mat = Geo::mat(loc, p);
            const bool last = r == CONFIG_T::steps_per_block - 1;
            window_mac<CONFIG_T>(win, th, tw, c, tile[half * CONFIG_T::tile_words + mat * CONFIG_T::steps_per_block + r].v,
                                 biases[bias_word<CONFIG_T>(mat, nb)], r == 0, acc);
            // the step's counters: channel block, tap column, tap row, step of the block
            const bool c_wrap = c == C_BLOCKS - 1;
            const bool tw_wrap = c_wrap && tw == CONFIG_T::taps_width - 1;
            c = c_wrap ? 0 : c + 1;
            if (c_wrap)
                tw = tw_wrap ? 0 : tw + 1;
            if (tw_wrap)
                th = th == CONFIG_T::taps_height - 1 ? 0 : th + 1;
            r = last ? 0 : r + 1;
            if (last) {
                omap_row<out_t, CONFIG_T::n_par> o;
                emit<CONFIG_T, out_t>(acc, 0, o.v);
                omap[p * CONFIG_T::n_blocks + nb] = o;
                const bool row_done = ow == CONFIG_T::out_width - 1;
                const bool image_done = p == CONFIG_T::n_pix - 1;
                ow = row_done ? 0 : ow + 1;
                if (image_done)
                    geo.reset();
                else if (row_done)
                    geo.next_row();
                else
                    geo.next_col();
                p = image_done ? 0 : p + 1;
                if (image_done) { // the block is done: the next one reads the other half
                    nb++;
                    half = 1 - half;
                    pk = 0;
                    pc = 0;
                }
            }
        } else {
            const omap_row<out_t, CONFIG_T::n_par> o = omap[ep * CONFIG_T::n_blocks + eb];
        EmitBlock:
            for (unsigned j = 0; j < CONFIG_T::n_par; j++) {
                #pragma HLS UNROLL
                pixel[eb * CONFIG_T::n_par + j] = o.v[j];
            }
            if (eb == CONFIG_T::n_blocks - 1) {
                res_T element;
            CopyPixel:
                for (unsigned q = 0; q < res_T::size; q++) {
                    #pragma HLS UNROLL
                    element[q] = pixel[q];
                }
                res.write(element);
                eb = 0;
                ep++;
            } else {
                eb++;
            }
        }
    }
}

} // namespace fg
} // namespace nnet

#endif
