// fpgagan: the MAC engine every fpgagan compute layer is built from (Dense, Conv2D, transposed
// convolution; dense and sparse weights; io_parallel and io_stream).
//
// One output pixel is n_out dot products over a window of n_win = n_taps * n_chan input values
// (a Dense: one tap, the input vector; a convolution: the kernel taps of the pixel; a transposed
// convolution: the taps of the pixel's phase).  The engine computes it in n_steps steps, in a loop
// pipelined at II=1.  Each step multiplies k_par window values by the k_par x n_par weights of one
// ROM word: n_par accumulators, each fed by an adder tree of k_par products.
//
//   multipliers     = k_par * n_par                (fabric, DSP, or two products per DSP)
//   weight ROM      = n_mats * n_steps words of k_par * n_par weights: the word read each cycle
//                     carries exactly the products of that cycle (ARRAY_RESHAPE cyclic factor =
//                     k_par * n_par)
//   accumulators    = n_par                        (ARRAY_PARTITION complete: the unroll needs all)
//   output units    = n_par                        (round/saturate [+ ReLU] once per block)
//   window read     = k_par values a step, from one input pixel (k_par <= n_chan) or from whole
//                     pixels of k_par / n_chan taps (k_par > n_chan)
//
// A codebook layer (weights taking at most 16 distinct values, fpgagan/hls/codebook.py) keeps the
// dense schedule but its ROM word holds k_par * n_par indices of code_bits bits: each output keeps
// one partial sum per codebook entry (adders only) and multiplies the entries' values once per
// output, cb_size - cb_first multiplications whatever the fan-in (codebook_step below).
//
// Every loop bound inside the pipelined region is a compile-time constant (tests/hls check it).
//
// Arithmetic is on raw integers (an ap_fixed value is an integer times a power of two): the input
// value x = raw(x) * 2^-x_frac, the weight w = raw(w) * 2^-w_frac, so every product and sum is an
// exact integer and the accumulator (acc_bits wide, sized from the fan-in by fpgagan) never wraps.
// The only rounding is the cast of the accumulator to the layer's output type, done with the
// ap_fixed types of the model, so results equal the quantized model bit for bit.
//
// Two forms of the same loops:
//   synthesis form (FPGAGAN_SYNTH_FORM; always under __SYNTHESIS__): ap_int<W> of the exact widths,
//     BIND_OP pragmas choosing fabric or DSP multipliers, two products packed into one DSP48E1
//     where the layer asks for it;
//   native form (C simulation): the same loops on int8/16/32/64, which g++ vectorises.
// Both compute the same integers: CI compiles the synthesis form with g++ and requires the golden
// outputs of the native form (tests/golden).
#ifndef NNET_FG_ENGINE_H_
#define NNET_FG_ENGINE_H_

#include "ap_fixed.h"
#include "ap_int.h"
#include "hls_stream.h"
#include "nnet_common.h"
#include <stdint.h>

#if defined(__SYNTHESIS__) && !defined(FPGAGAN_SYNTH_FORM)
#define FPGAGAN_SYNTH_FORM
#endif

namespace nnet {
namespace fg {

enum activation_kind { act_none = 0, act_relu = 1 };

template <bool C, class A, class B> struct pick { typedef A type; };
template <class A, class B> struct pick<false, A, B> { typedef B type; };

// smallest native signed integer with at least W bits
template <int W> struct native_int {
    typedef typename pick<(W <= 8), int8_t,
                          typename pick<(W <= 16), int16_t, typename pick<(W <= 32), int32_t, int64_t>::type>::type>::type
        type;
};

// The element type of a ROM of W-bit values: ap_(u)int<W> for synthesis (a ROM exactly W bits
// wide), a native integer otherwise (a C simulation compiles 400,000 constants in a second; the
// same integers either way).
#ifdef __SYNTHESIS__
template <int W, bool S> struct rom_int { typedef ap_int<W> type; };
template <int W> struct rom_int<W, false> { typedef ap_uint<W> type; };
#else
template <int W, bool S> struct rom_int { typedef typename native_int<W + (S ? 0 : 1)>::type type; };
#endif

#ifdef FPGAGAN_SYNTH_FORM
// a value of W bits (signed or not), and a sum of W bits
template <int W, bool S> struct value_int { typedef ap_int<W> type; };
template <int W> struct value_int<W, false> { typedef ap_uint<W> type; };
template <int W> struct sum_int { typedef ap_int<W> type; };
#else
template <int W, bool S> struct value_int { typedef typename native_int<W + (S ? 0 : 1)>::type type; };
template <int W> struct sum_int { typedef typename pick<(W <= 32), int32_t, int64_t>::type type; };
#endif

// The integer an ap_fixed / ap_int value stands for (its W bits, sign-extended when signed).
template <int W, bool S, class T> inline typename value_int<W, S>::type raw_of(const T &v) {
    #pragma HLS INLINE
#ifdef FPGAGAN_SYNTH_FORM
    typename value_int<W, S>::type r;
    r.range(W - 1, 0) = v.range(W - 1, 0);
    return r;
#else
    return (typename value_int<W, S>::type)v.V.VAL;
#endif
}

// The ap_fixed value of type T whose integer is r (r fits T's width: T is the exact accumulator).
template <class T, class R> inline T from_raw(const R &r) {
    #pragma HLS INLINE
    T t;
#ifdef FPGAGAN_SYNTH_FORM
    t.range(T::width - 1, 0) = r.range(T::width - 1, 0);
#else
    t.V = (long long)r;
#endif
    return t;
}

// Defaults of a layer's engine configuration; fpgagan writes one struct per layer deriving from it.
struct engine_config {
    static const unsigned n_out = 1;      // output channels per pixel
    static const unsigned n_chan = 1;     // window values per tap (input channels; a Dense's n_in)
    static const unsigned n_taps = 1;     // taps per window
    static const unsigned n_par = 1;      // outputs computed in parallel (accumulators)
    static const unsigned k_par = 1;      // window values per step (adder-tree inputs)
    static const unsigned lanes = 1;      // k_par * n_par multipliers
    static const unsigned n_blocks = 1;   // n_out / n_par
    static const unsigned k_blocks = 1;   // n_taps * n_chan / k_par (dense schedule)
    static const unsigned n_steps = 1;    // steps per output pixel (the reuse factor)
    static const unsigned taps_height = 1; // the window's taps: taps_height x taps_width = n_taps
    static const unsigned taps_width = 1;
    static const unsigned out_width = 1;  // output pixels per row (a Dense head's map; convolutions set it)
    static const unsigned w_words = 1;    // weight ROM rows (n_mats * n_steps)
    static const unsigned off_words = 1;  // sparse offset ROM rows
    static const unsigned b_words = 1;    // bias ROM rows (bias_mats * n_blocks)
    static const unsigned buf_words = 1;  // input buffer rows (pixels, or Dense input elements)
    static const unsigned word_values = 1; // values per input buffer row (n_chan, or a Dense input element's)
    static const unsigned n_iter = 1;     // iterations of the layer's one pipelined loop per image
    static const unsigned n_mats = 1;     // weight matrices (phases; the pixels of a Dense head)
    static const unsigned bias_mats = 1;  // bias vectors: 1, or n_mats (a Dense head: one per pixel)
    static const unsigned x_bits = 8;     // input value width
    static const bool x_signed = true;
    static const unsigned w_bits = 4;     // weight width (signed)
    static const unsigned b_bits = 8;     // bias width, in accumulator LSBs
    static const unsigned prod_bits = 12; // x_bits + w_bits (+1 for an unsigned input)
    static const unsigned tree_bits = 12; // prod_bits + ceil(log2(k_par))
    static const unsigned acc_bits = 16;  // exact for the whole fan-in plus the bias
    static const unsigned prod_shift = 0; // accumulator fractional bits - product fractional bits
    static const unsigned dsp_cols = 0;   // output lanes whose products use DSPs (0 .. n_par)
    static const unsigned dsp_pack = 1;   // products per DSP: 1, or 2 (two <=4-bit weights, one input)
    static const unsigned activation = act_none;
    static const bool sparse = false;     // the steps follow a constant sparse schedule
    static const unsigned index_bits = 1; // sparse: bits of a lane's channel offset in its bank
    static const bool codebook = false;   // the weight ROM holds indices into a codebook
    static const unsigned cb_size = 1;    // codebook entries
    static const unsigned cb_first = 0;   // first entry with a partial sum (1: entry 0 is zero)
    static const unsigned code_bits = 1;  // bits of an index
    static const unsigned ps_bits = 1;    // bits of a partial sum: x_bits (+1 unsigned) + ceil(log2(n_win))
    typedef ap_fixed<16, 8> accum_t;      // the accumulator as a fixed-point type
    typedef ap_fixed<16, 8> result_t;     // the layer's own output type (before the fused activation)
};

// The integer types of a configuration.
template <class CONFIG_T> struct types {
    typedef typename value_int<CONFIG_T::x_bits, CONFIG_T::x_signed>::type x_t;
    typedef typename value_int<CONFIG_T::w_bits, true>::type w_t;
    typedef typename value_int<CONFIG_T::b_bits, true>::type b_t;
    typedef typename value_int<CONFIG_T::index_bits, false>::type off_t;
    // the ROMs' element types (what the layer's wrapper declares)
    typedef typename rom_int<CONFIG_T::w_bits, true>::type w_rom_t;
    typedef typename rom_int<CONFIG_T::b_bits, true>::type b_rom_t;
    typedef typename rom_int<CONFIG_T::index_bits, false>::type off_rom_t;
    typedef typename rom_int<CONFIG_T::code_bits, false>::type code_rom_t;
    // the weight ROM's element: a weight, or a codebook layer's index
    typedef typename pick<CONFIG_T::codebook, code_rom_t, w_rom_t>::type word_t;
    typedef typename sum_int<CONFIG_T::ps_bits>::type psum_t;
    typedef typename sum_int<CONFIG_T::w_bits + CONFIG_T::ps_bits>::type code_prod_t;
    typedef typename sum_int<CONFIG_T::prod_bits>::type prod_t;
    typedef typename sum_int<CONFIG_T::tree_bits>::type tree_t;
    typedef typename sum_int<CONFIG_T::acc_bits>::type acc_t;
};

#ifdef FPGAGAN_SYNTH_FORM
// Two products sharing the input a in one DSP48E1: a (B port) x (w1 * 2^18 + w0) (A port, 25 bits)
// = a*w0 + a*w1*2^18.  |a*w0| < 2^17 (fpgagan packs only when x_bits + w_bits <= 17), so the low
// 18 bits, sign-extended, are a*w0 exactly and the rest is a*w1: (p - lo) >> 18, which is
// (p >> 18) + p[17] (the borrow of a negative low product), an incrementer, not a subtractor.
template <class CONFIG_T>
inline void packed_pair(typename types<CONFIG_T>::x_t a, typename types<CONFIG_T>::w_t w0,
                        typename types<CONFIG_T>::w_t w1, typename types<CONFIG_T>::prod_t &p0,
                        typename types<CONFIG_T>::prod_t &p1) {
    #pragma HLS INLINE
    const ap_int<25> packed = ((ap_int<25>)w1 << 18) + (ap_int<25>)w0;
    const ap_int<48> p = packed * a;
    #pragma HLS BIND_OP variable=p op=mul impl=dsp
    const ap_int<18> lo = p.range(17, 0);
    p0 = lo;
    p1 = (p >> 18) + (typename types<CONFIG_T>::prod_t)(p[17] ? 1 : 0);
}
#endif

// The ROMs of a layer, as its wrapper (firmware/weights/fg_<index>.h) declares them: two-dimensional,
// one row per memory word, the second dimension reshaped completely (ARRAY_RESHAPE dim=2 complete),
// so every access below names a row and reads exactly one word.
//   weights  [w_words][lanes]    one word per step: k_par x n_par weights (or codebook indices)
//   offsets  [off_words][lanes]  sparse: each lane's channel offset in its bank, one word per step
//   ctl      [ctl_size]          sparse: each step's tap, block and first/last flags
//   biases   [b_words][n_par]    one word per output block (per pixel for a Dense head)
//   codebook [cb_size]           codebook: the entries' values (constants of the multipliers)
template <class CONFIG_T> struct roms {
    typedef types<CONFIG_T> T;
    typedef const typename T::word_t weights_t[CONFIG_T::w_words][CONFIG_T::lanes];
    typedef const typename T::off_rom_t offsets_t[CONFIG_T::off_words][CONFIG_T::sparse ? CONFIG_T::lanes : 1];
    typedef const typename T::b_rom_t biases_t[CONFIG_T::b_words][CONFIG_T::n_par];
    typedef const typename T::w_rom_t codebook_t[CONFIG_T::cb_size];
};

// One step: s[j] = sum_i x[i] * word[i * n_par + j]; acc[j] = (first ? bias[j] : acc[j]) + (s[j] << prod_shift).
template <class CONFIG_T>
inline void mac(const typename types<CONFIG_T>::x_t x[CONFIG_T::k_par],
                const typename types<CONFIG_T>::word_t word[CONFIG_T::lanes],
                const typename types<CONFIG_T>::b_rom_t bias[CONFIG_T::n_par], bool first,
                typename types<CONFIG_T>::acc_t acc[CONFIG_T::n_par]) {
    #pragma HLS INLINE
    typedef types<CONFIG_T> T;
    typename T::tree_t s[CONFIG_T::n_par];
    #pragma HLS ARRAY_PARTITION variable=s complete
Clear:
    for (unsigned j = 0; j < CONFIG_T::n_par; j++) {
        #pragma HLS UNROLL
        s[j] = 0;
    }
Inputs:
    for (unsigned i = 0; i < CONFIG_T::k_par; i++) {
        #pragma HLS UNROLL
#ifdef FPGAGAN_SYNTH_FORM
    DspLanes:
        for (unsigned j = 0; j < CONFIG_T::dsp_cols; j += CONFIG_T::dsp_pack) {
            #pragma HLS UNROLL
            if (CONFIG_T::dsp_pack == 2) {
                typename T::prod_t p0, p1;
                packed_pair<CONFIG_T>(x[i], (typename T::w_t)word[i * CONFIG_T::n_par + j],
                                      (typename T::w_t)word[i * CONFIG_T::n_par + j + 1], p0, p1);
                s[j] += p0;
                s[j + 1] += p1;
            } else {
                const typename T::prod_t p = x[i] * (typename T::w_t)word[i * CONFIG_T::n_par + j];
                #pragma HLS BIND_OP variable=p op=mul impl=dsp
                s[j] += p;
            }
        }
    FabricLanes:
        for (unsigned j = CONFIG_T::dsp_cols; j < CONFIG_T::n_par; j++) {
            #pragma HLS UNROLL
            const typename T::prod_t p = x[i] * (typename T::w_t)word[i * CONFIG_T::n_par + j];
            #pragma HLS BIND_OP variable=p op=mul impl=fabric
            s[j] += p;
        }
#else
        const typename T::tree_t xi = x[i];
    Lanes:
        for (unsigned j = 0; j < CONFIG_T::n_par; j++) {
            s[j] += xi * word[i * CONFIG_T::n_par + j];
        }
#endif
    }
Accumulate:
    for (unsigned j = 0; j < CONFIG_T::n_par; j++) {
        #pragma HLS UNROLL
        const typename T::acc_t base = first ? (typename T::acc_t)bias[j] : acc[j];
        acc[j] = base + ((typename T::acc_t)s[j] << CONFIG_T::prod_shift);
    }
}

// The accumulator cast to the layer's output type, then the fused activation (hls4ml's ReLU:
// y > 0 ? y : 0) and the cast to the next layer's input type OUT_T.
template <class CONFIG_T, class OUT_T> inline OUT_T cast_out(const typename types<CONFIG_T>::acc_t &acc) {
    #pragma HLS INLINE
    const typename CONFIG_T::result_t y = (typename CONFIG_T::result_t)from_raw<typename CONFIG_T::accum_t>(acc);
    if (CONFIG_T::activation == act_relu)
        return y > 0 ? (OUT_T)y : (OUT_T)0;
    return (OUT_T)y;
}

// The n_par finished outputs of block nb into the pixel's output array.
template <class CONFIG_T, class OUT_T>
inline void emit(const typename types<CONFIG_T>::acc_t acc[CONFIG_T::n_par], unsigned nb, OUT_T *out) {
    #pragma HLS INLINE
Emit:
    for (unsigned j = 0; j < CONFIG_T::n_par; j++) {
        #pragma HLS UNROLL
        out[nb * CONFIG_T::n_par + j] = cast_out<CONFIG_T, OUT_T>(acc[j]);
    }
}

// Bias word of output block nb of weight matrix mat.
template <class CONFIG_T> inline unsigned bias_word(unsigned mat, unsigned nb) {
    #pragma HLS INLINE
    return (CONFIG_T::bias_mats == 1 ? 0 : mat * CONFIG_T::n_blocks) + nb;
}

// The position of a step in one output pixel's dense schedule, kept as counters (no division):
// output block nb, tap (th, tw) of a taps_height x taps_width window, channel block c, and r, the
// step's number (r = ((nb * taps_height + th) * taps_width + tw) * c_blocks + c, the ROM word of
// the step within its matrix).  A sparse schedule uses r only.
template <class CONFIG_T> struct step_counter {
    unsigned nb, th, tw, c, r;

    void reset() {
        #pragma HLS INLINE
        nb = 0;
        th = 0;
        tw = 0;
        c = 0;
        r = 0;
    }
    bool first_of_block() const { return th == 0 && tw == 0 && c == 0; }
    bool last_of_block() const {
        return th == CONFIG_T::taps_height - 1 && tw == CONFIG_T::taps_width - 1 &&
               c == CONFIG_T::n_chan / CONFIG_T::k_par - 1;
    }
    bool last() const { return r == CONFIG_T::n_steps - 1; }
    void advance() {
        #pragma HLS INLINE
        const bool c_wrap = c == CONFIG_T::n_chan / CONFIG_T::k_par - 1;
        const bool tw_wrap = c_wrap && tw == CONFIG_T::taps_width - 1;
        const bool th_wrap = tw_wrap && th == CONFIG_T::taps_height - 1;
        const bool nb_wrap = th_wrap && nb == CONFIG_T::n_blocks - 1;
        r = last() ? 0 : r + 1;
        c = c_wrap ? 0 : c + 1;
        if (c_wrap)
            tw = tw_wrap ? 0 : tw + 1;
        if (tw_wrap)
            th = th_wrap ? 0 : th + 1;
        if (th_wrap)
            nb = nb_wrap ? 0 : nb + 1;
    }
};

// One step of the dense schedule of one output pixel (weight matrix mat): output block sc.nb
// (n_par outputs), window values sc.c * k_par .. of tap (sc.th, sc.tw); the step's ROM word is row
// mat * n_steps + sc.r.  `win.read(th, tw, c, x)` gives the values (0 for taps outside the input).
template <class CONFIG_T, class Window, class OUT_T>
inline void dense_step(const Window &win, unsigned mat, const step_counter<CONFIG_T> &sc,
                       typename roms<CONFIG_T>::weights_t weights, typename roms<CONFIG_T>::biases_t biases,
                       typename types<CONFIG_T>::acc_t acc[CONFIG_T::n_par], OUT_T *out) {
    #pragma HLS INLINE
    typedef types<CONFIG_T> T;
    typename T::x_t x[CONFIG_T::k_par];
    #pragma HLS ARRAY_PARTITION variable=x complete
    win.read(sc.th, sc.tw, sc.c, x);
    mac<CONFIG_T>(x, weights[mat * CONFIG_T::n_steps + sc.r], biases[bias_word<CONFIG_T>(mat, sc.nb)],
                  sc.first_of_block(), acc);
    if (sc.last_of_block())
        emit<CONFIG_T, OUT_T>(acc, sc.nb, out);
}

// Control word of a sparse step: the tap it reads, the output block it accumulates, and whether
// it starts (bias) or ends (output) the block.
struct sparse_step_ctl {
    unsigned short tap;
    unsigned short block;
    bool first;
    bool last;
};

// Step r of a sparse schedule (generated by fpgagan at conversion time, fpgagan/hls/engine.py):
// lane (i, j) multiplies the channel i + k_par * offset[i][j] of the step's tap (bank i of the
// pixel, so a lane's input multiplexer spans n_chan / k_par values) by its stored weight.  Lanes
// with nothing left to do hold weight 0.  Requires k_par <= n_chan and k_par | n_chan.
template <class CONFIG_T, class Window, class OUT_T>
inline void sparse_step(const Window &win, unsigned mat, unsigned r, const sparse_step_ctl *ctl,
                        typename roms<CONFIG_T>::weights_t weights,
                        typename roms<CONFIG_T>::offsets_t offsets,
                        typename roms<CONFIG_T>::biases_t biases, typename types<CONFIG_T>::acc_t acc[CONFIG_T::n_par],
                        OUT_T *out) {
    #pragma HLS INLINE
    typedef types<CONFIG_T> T;
    const unsigned step = mat * CONFIG_T::n_steps + r;
    const sparse_step_ctl c = ctl[step];
    typename T::x_t px[CONFIG_T::n_chan];
    #pragma HLS ARRAY_PARTITION variable=px complete
    win.read_pixel(c.tap / CONFIG_T::taps_width, c.tap % CONFIG_T::taps_width, px);
    typedef typename T::tree_t tree_t;
    tree_t s[CONFIG_T::n_par];
    #pragma HLS ARRAY_PARTITION variable=s complete
SparseClear:
    for (unsigned j = 0; j < CONFIG_T::n_par; j++) {
        #pragma HLS UNROLL
        s[j] = 0;
    }
SparseInputs:
    for (unsigned i = 0; i < CONFIG_T::k_par; i++) {
        #pragma HLS UNROLL
    SparseLanes:
        for (unsigned j = 0; j < CONFIG_T::n_par; j++) {
            #pragma HLS UNROLL
            const unsigned lane = i * CONFIG_T::n_par + j;
            const typename T::x_t xv = px[i + CONFIG_T::k_par * (unsigned)offsets[step][lane]];
#ifdef FPGAGAN_SYNTH_FORM
            const typename T::prod_t p = xv * (typename T::w_t)weights[step][lane];
            #pragma HLS BIND_OP variable=p op=mul impl=fabric
            s[j] += p;
#else
            s[j] += (tree_t)xv * weights[step][lane];
#endif
        }
    }
SparseAccumulate:
    for (unsigned j = 0; j < CONFIG_T::n_par; j++) {
        #pragma HLS UNROLL
        const typename T::acc_t base =
            c.first ? (typename T::acc_t)biases[bias_word<CONFIG_T>(mat, c.block)][j] : acc[j];
        acc[j] = base + ((typename T::acc_t)s[j] << CONFIG_T::prod_shift);
    }
    if (c.last)
        emit<CONFIG_T, OUT_T>(acc, c.block, out);
}

// One step of the codebook schedule (the dense schedule's order).  Lane (i, j) of the step's ROM
// word is the index of the weight that window value i has for output j.  Output j keeps one
// partial sum per codebook entry: entry e adds the window values whose index is e (a tree of k_par
// masked values, adders only).  At the block's last step,
//   acc[j] = bias[j] + (sum_e codebook[e] * psum[j][e]) << prod_shift,
// cb_size - cb_first multiplications per output whatever the fan-in (UCNN's factorisation; the
// values are constants of the layer, so the multipliers are constant multipliers).  The sum is the
// dense accumulator's exactly: the same products, grouped by their weight.
template <class CONFIG_T, class Window, class OUT_T>
inline void codebook_step(const Window &win, unsigned mat, const step_counter<CONFIG_T> &sc,
                          typename roms<CONFIG_T>::weights_t weights,
                          typename roms<CONFIG_T>::codebook_t codebook,
                          typename roms<CONFIG_T>::biases_t biases,
                          typename types<CONFIG_T>::psum_t psum[CONFIG_T::n_par][CONFIG_T::cb_size], OUT_T *out) {
    #pragma HLS INLINE
    typedef types<CONFIG_T> T;
    typename T::x_t x[CONFIG_T::k_par];
    #pragma HLS ARRAY_PARTITION variable=x complete
    win.read(sc.th, sc.tw, sc.c, x);
    const typename T::word_t *word = weights[mat * CONFIG_T::n_steps + sc.r];
    const bool first = sc.first_of_block();
#ifdef FPGAGAN_SYNTH_FORM
CodeLanes:
    for (unsigned j = 0; j < CONFIG_T::n_par; j++) {
        #pragma HLS UNROLL
    CodeEntries:
        for (unsigned e = CONFIG_T::cb_first; e < CONFIG_T::cb_size; e++) {
            #pragma HLS UNROLL
            typename T::psum_t s = 0;
        CodeInputs:
            for (unsigned i = 0; i < CONFIG_T::k_par; i++) {
                #pragma HLS UNROLL
                if ((unsigned)word[i * CONFIG_T::n_par + j] == e)
                    s += x[i];
            }
            psum[j][e] = (first ? (typename T::psum_t)0 : psum[j][e]) + s;
        }
    }
#else
    // the same sums, scattered: each window value into the entry its index names (the zero
    // entry's sum, when cb_first is 1, is kept but never multiplied)
    if (first) {
        for (unsigned j = 0; j < CONFIG_T::n_par; j++)
            for (unsigned e = 0; e < CONFIG_T::cb_size; e++)
                psum[j][e] = 0;
    }
    for (unsigned i = 0; i < CONFIG_T::k_par; i++) {
        const typename T::psum_t xi = x[i];
        const typename T::word_t *w = word + i * CONFIG_T::n_par;
        for (unsigned j = 0; j < CONFIG_T::n_par; j++)
            psum[j][(unsigned)w[j]] += xi;
    }
#endif
    if (!sc.last_of_block())
        return;
    typename T::acc_t acc[CONFIG_T::n_par];
    #pragma HLS ARRAY_PARTITION variable=acc complete
    const typename T::b_rom_t *bias = biases[bias_word<CONFIG_T>(mat, sc.nb)];
CodeCombine:
    for (unsigned j = 0; j < CONFIG_T::n_par; j++) {
        #pragma HLS UNROLL
        typename T::acc_t sum = 0;
    CodeProducts:
        for (unsigned e = CONFIG_T::cb_first; e < CONFIG_T::cb_size; e++) {
            #pragma HLS UNROLL
            const typename T::code_prod_t p = (typename T::code_prod_t)(typename T::w_t)codebook[e] * psum[j][e];
            sum += p;
        }
        acc[j] = (typename T::acc_t)bias[j] + (sum << CONFIG_T::prod_shift);
    }
    emit<CONFIG_T, OUT_T>(acc, sc.nb, out);
}

// The layer's schedule as a type, so that each layer instantiates its own step only (overload
// resolution picks one of the three; the others are never compiled for it).
struct dense_schedule {};
struct sparse_schedule {};
struct codebook_schedule {};
template <class CONFIG_T> struct schedule_of {
    typedef typename pick<CONFIG_T::codebook, codebook_schedule,
                          typename pick<CONFIG_T::sparse, sparse_schedule, dense_schedule>::type>::type type;
};

#define FG_STEP_ARGS(CONFIG_T)                                                                     \
    const Window &win, unsigned mat, const step_counter<CONFIG_T> &sc,                             \
        typename roms<CONFIG_T>::weights_t weights, typename roms<CONFIG_T>::offsets_t offsets,    \
        const sparse_step_ctl *ctl, typename roms<CONFIG_T>::biases_t biases,                      \
        typename roms<CONFIG_T>::codebook_t codebook, typename types<CONFIG_T>::acc_t acc[CONFIG_T::n_par], \
        typename types<CONFIG_T>::psum_t psum[CONFIG_T::n_par][CONFIG_T::cb_size], OUT_T *out

template <class CONFIG_T, class Window, class OUT_T> inline void step_of(dense_schedule, FG_STEP_ARGS(CONFIG_T)) {
    #pragma HLS INLINE
    dense_step<CONFIG_T>(win, mat, sc, weights, biases, acc, out);
}
template <class CONFIG_T, class Window, class OUT_T> inline void step_of(sparse_schedule, FG_STEP_ARGS(CONFIG_T)) {
    #pragma HLS INLINE
    sparse_step<CONFIG_T>(win, mat, sc.r, ctl, weights, offsets, biases, acc, out);
}
template <class CONFIG_T, class Window, class OUT_T>
inline void step_of(codebook_schedule, FG_STEP_ARGS(CONFIG_T)) {
    #pragma HLS INLINE
    codebook_step<CONFIG_T>(win, mat, sc, weights, codebook, biases, psum, out);
}

// One step of an output pixel, with the layer's schedule; true at the pixel's last step (its
// outputs are then in `out`).
template <class CONFIG_T, class Window, class OUT_T>
inline bool pixel_step(const Window &win, unsigned mat, step_counter<CONFIG_T> &sc,
                       typename roms<CONFIG_T>::weights_t weights,
                       typename roms<CONFIG_T>::offsets_t offsets, const sparse_step_ctl *ctl,
                       typename roms<CONFIG_T>::biases_t biases,
                       typename roms<CONFIG_T>::codebook_t codebook,
                       typename types<CONFIG_T>::acc_t acc[CONFIG_T::n_par],
                       typename types<CONFIG_T>::psum_t psum[CONFIG_T::n_par][CONFIG_T::cb_size], OUT_T *out) {
    #pragma HLS INLINE
    const bool last = sc.last();
    step_of<CONFIG_T, Window, OUT_T>(typename schedule_of<CONFIG_T>::type(), win, mat, sc, weights, offsets, ctl,
                                     biases, codebook, acc, psum, out);
    sc.advance();
    return last;
}

} // namespace fg
} // namespace nnet

#endif
