// fpgagan: the MAC engine every fpgagan compute layer is built from (Dense, Conv2D, transposed
// convolution; dense, sparse and codebook weights; io_parallel and io_stream).
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
// Three schedules, each a set of ROMs (the ROMs it has, no others: dense_roms, sparse_roms,
// codebook_roms below; the `rom_names` of fpgagan/hw/schedules/, the arrays the cost model counts)
// and one step function:
//   dense     the steps are output blocks x taps x channel blocks (dense_roms: weights, biases);
//   sparse    a constant schedule of the non-zero weights generated at conversion time
//             (sparse_roms: weights, lane offsets, step control, biases);
//   codebook  the dense schedule on weights taking at most 16 distinct values
//             (fpgagan/hw/codebook.py; codebook_roms: indices, biases, the codebook's values): each
//             output keeps one partial sum per codebook entry (adders only) and multiplies the
//             entries' values once per output, cb_size - cb_first multiplications whatever the
//             fan-in.
// The layer's wrapper declares its schedule's set and the kernel takes exactly that type
// (rom_set<CONFIG_T>), so a layer cannot be given a ROM its schedule does not have.
//
// Every loop bound inside the pipelined region is a compile-time constant (tests/hls check it).
//
// Arithmetic is on raw integers (an ap_fixed value is an integer times a power of two): the input
// value x = raw(x) * 2^-x_frac, the weight w = raw(w) * 2^-w_frac, so every product and sum is an
// exact integer and the accumulator (acc_bits wide, sized from the fan-in by fpgagan) never wraps.
// The only rounding is the cast of the accumulator to the layer's output type, done with the
// ap_fixed types of the model, so results equal the quantized model bit for bit.
//
// Two forms of the same loops, each a small policy type (native_form, synth_form) chosen once
// below; the schedules call the form for what differs and nothing else tests a macro:
//   synthesis form (always under __SYNTHESIS__; g++ with FPGAGAN_SYNTH_FORM): ap_int<W> of the
//     exact widths, BIND_OP pragmas choosing fabric or DSP multipliers, two products packed into
//     one DSP48E1 where the layer asks for it, a codebook's partial sums as masked adder trees;
//   native form (C simulation): the same sums on int8/16/32/64, which g++ vectorises.
// Both compute the same integers: CI compiles the synthesis form with g++ and requires the golden
// outputs of the native form (tests/golden).
#ifndef NNET_FG_ENGINE_H_
#define NNET_FG_ENGINE_H_

#include "ap_fixed.h"
#include "ap_int.h"
#include "hls_stream.h"
#include "nnet_common.h"
#include <stdint.h>

namespace nnet {
namespace fg {

struct native_form;
struct synth_form;
struct native_rom_ints;
struct exact_rom_ints;

// The form of the arithmetic and the element type of the ROMs, chosen here once:
//   Vitis HLS: the synthesis form, each ROM exactly W bits wide (ap_int<W>);
//   g++ with FPGAGAN_SYNTH_FORM: the synthesis form's arithmetic on ROMs of native integers (a C
//     simulation compiles 400,000 constants in a second; the same integers either way);
//   g++: the native form.
#if defined(__SYNTHESIS__)
typedef synth_form form;
typedef exact_rom_ints rom_ints;
#elif defined(FPGAGAN_SYNTH_FORM)
typedef synth_form form;
typedef native_rom_ints rom_ints;
#else
typedef native_form form;
typedef native_rom_ints rom_ints;
#endif

enum activation_kind { act_none = 0, act_relu = 1 };

template <bool C, class A, class B> struct pick { typedef A type; };
template <class A, class B> struct pick<false, A, B> { typedef B type; };

// smallest native signed integer with at least W bits
template <int W> struct native_int {
    typedef typename pick<(W <= 8), int8_t,
                          typename pick<(W <= 16), int16_t, typename pick<(W <= 32), int32_t, int64_t>::type>::type>::type
        type;
};

// a value of W bits (signed or not) as a native integer (an unsigned one takes a bit more)
template <int W, bool S> struct native_value { typedef typename native_int<W + (S ? 0 : 1)>::type type; };
// a value of W bits (signed or not) as an ap_(u)int<W>
template <int W, bool S> struct exact_value { typedef typename pick<S, ap_int<W>, ap_uint<W> >::type type; };

struct native_rom_ints {
    template <int W, bool S> struct value : native_value<W, S> {};
};
struct exact_rom_ints {
    template <int W, bool S> struct value : exact_value<W, S> {};
};

// The element type of a ROM of W-bit values (what a layer's wrapper declares).
template <int W, bool S> struct rom_int { typedef typename rom_ints::template value<W, S>::type type; };

template <class CONFIG_T> struct types;
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
    static const unsigned w_words = 1;    // weight (or codebook index) ROM rows (n_mats * n_steps)
    static const unsigned off_words = 1;  // sparse: offset ROM rows
    static const unsigned ctl_size = 1;   // sparse: control ROM entries
    static const unsigned b_words = 1;    // bias ROM rows (bias_mats * n_blocks)
    static const unsigned buf_words = 1;  // input buffer rows (pixels, or Dense input elements)
    static const unsigned word_values = 1; // values per input buffer row (n_chan, or a Dense input element's)
    static const unsigned n_iter = 1;     // iterations of the layer's one pipelined loop per image
    static const unsigned buf_distance = 1; // least iterations between dependent input-buffer accesses
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

// ---------------------------------------------------------------- the two forms
// Each form gives the engine's integer types and the few pieces of a step that the two forms
// compute differently: an ap_fixed value's integer and back (raw_of, from_raw), the k_par x n_par
// products of a dense step summed per output (dot), one product of a sparse lane (fabric_mul), and
// a codebook step's partial sums (code_sums).  The steps themselves (window, accumulate, emit) are
// written once, below the forms.

// The native form (C simulation).
struct native_form {
    template <int W, bool S> struct value_int : native_value<W, S> {};
    template <int W> struct sum_int { typedef typename pick<(W <= 32), int32_t, int64_t>::type type; };

    template <int W, bool S, class T> static typename value_int<W, S>::type raw_of(const T &v) {
        return (typename value_int<W, S>::type)v.V.VAL;
    }
    template <class T, class R> static T from_raw(const R &r) {
        T t;
        t.V = (long long)r;
        return t;
    }

    // s[j] += sum_i x[i] * word[i * n_par + j]
    template <class CONFIG_T>
    static void dot(const typename types<CONFIG_T>::x_t x[CONFIG_T::k_par],
                    const typename types<CONFIG_T>::w_rom_t word[CONFIG_T::lanes],
                    typename types<CONFIG_T>::tree_t s[CONFIG_T::n_par]) {
        typedef types<CONFIG_T> T;
        for (unsigned i = 0; i < CONFIG_T::k_par; i++) {
            const typename T::tree_t xi = x[i];
            for (unsigned j = 0; j < CONFIG_T::n_par; j++)
                s[j] += xi * word[i * CONFIG_T::n_par + j];
        }
    }

    template <class CONFIG_T>
    static typename types<CONFIG_T>::prod_t fabric_mul(typename types<CONFIG_T>::x_t x, typename types<CONFIG_T>::w_t w) {
        return (typename types<CONFIG_T>::prod_t)x * w;
    }

    // psum[j][e] (+)= the window values whose index for output j is e: each value scattered into
    // the entry its index names (the zero entry's sum, when cb_first is 1, is kept but never
    // multiplied)
    template <class CONFIG_T>
    static void code_sums(const typename types<CONFIG_T>::x_t x[CONFIG_T::k_par],
                          const typename types<CONFIG_T>::code_rom_t idx[CONFIG_T::lanes], bool first,
                          typename types<CONFIG_T>::psum_t psum[CONFIG_T::n_par][CONFIG_T::cb_size]) {
        typedef types<CONFIG_T> T;
        if (first) {
            for (unsigned j = 0; j < CONFIG_T::n_par; j++)
                for (unsigned e = 0; e < CONFIG_T::cb_size; e++)
                    psum[j][e] = 0;
        }
        for (unsigned i = 0; i < CONFIG_T::k_par; i++) {
            const typename T::psum_t xi = x[i];
            for (unsigned j = 0; j < CONFIG_T::n_par; j++)
                psum[j][(unsigned)idx[i * CONFIG_T::n_par + j]] += xi;
        }
    }
};

// The synthesis form (what Vitis HLS builds).
struct synth_form {
    template <int W, bool S> struct value_int : exact_value<W, S> {};
    template <int W> struct sum_int { typedef ap_int<W> type; };

    template <int W, bool S, class T> static typename value_int<W, S>::type raw_of(const T &v) {
        #pragma HLS INLINE
        typename value_int<W, S>::type r;
        r.range(W - 1, 0) = v.range(W - 1, 0);
        return r;
    }
    template <class T, class R> static T from_raw(const R &r) {
        #pragma HLS INLINE
        T t;
        t.range(T::width - 1, 0) = r.range(T::width - 1, 0);
        return t;
    }

    template <class CONFIG_T>
    static typename types<CONFIG_T>::prod_t fabric_mul(typename types<CONFIG_T>::x_t x, typename types<CONFIG_T>::w_t w) {
        #pragma HLS INLINE
        const typename types<CONFIG_T>::prod_t p = x * w;
        #pragma HLS BIND_OP variable=p op=mul impl=fabric
        return p;
    }

    template <class CONFIG_T>
    static typename types<CONFIG_T>::prod_t dsp_mul(typename types<CONFIG_T>::x_t x, typename types<CONFIG_T>::w_t w) {
        #pragma HLS INLINE
        const typename types<CONFIG_T>::prod_t p = x * w;
        #pragma HLS BIND_OP variable=p op=mul impl=dsp
        return p;
    }

    // Two products sharing the input a in one DSP48E1: a (B port) x (w1 * 2^18 + w0) (A port, 25
    // bits) = a*w0 + a*w1*2^18.  |a*w0| < 2^17 (fpgagan packs only when x_bits + w_bits <= 17), so
    // the low 18 bits, sign-extended, are a*w0 exactly and the rest is a*w1: (p - lo) >> 18, which
    // is (p >> 18) + p[17] (the borrow of a negative low product), an incrementer, not a subtractor.
    template <class CONFIG_T>
    static void packed_pair(typename types<CONFIG_T>::x_t a, typename types<CONFIG_T>::w_t w0,
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

    // s[j] += sum_i x[i] * word[i * n_par + j]: output lanes 0 .. dsp_cols - 1 on DSPs (two
    // products per DSP where dsp_pack is 2), the others on fabric multipliers
    template <class CONFIG_T>
    static void dot(const typename types<CONFIG_T>::x_t x[CONFIG_T::k_par],
                    const typename types<CONFIG_T>::w_rom_t word[CONFIG_T::lanes],
                    typename types<CONFIG_T>::tree_t s[CONFIG_T::n_par]) {
        #pragma HLS INLINE
        typedef types<CONFIG_T> T;
    Inputs:
        for (unsigned i = 0; i < CONFIG_T::k_par; i++) {
            #pragma HLS UNROLL
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
                    s[j] += dsp_mul<CONFIG_T>(x[i], (typename T::w_t)word[i * CONFIG_T::n_par + j]);
                }
            }
        FabricLanes:
            for (unsigned j = CONFIG_T::dsp_cols; j < CONFIG_T::n_par; j++) {
                #pragma HLS UNROLL
                s[j] += fabric_mul<CONFIG_T>(x[i], (typename T::w_t)word[i * CONFIG_T::n_par + j]);
            }
        }
    }

    // psum[j][e] (+)= the window values whose index for output j is e: per output and entry a
    // tree of k_par masked values (adders only)
    template <class CONFIG_T>
    static void code_sums(const typename types<CONFIG_T>::x_t x[CONFIG_T::k_par],
                          const typename types<CONFIG_T>::code_rom_t idx[CONFIG_T::lanes], bool first,
                          typename types<CONFIG_T>::psum_t psum[CONFIG_T::n_par][CONFIG_T::cb_size]) {
        #pragma HLS INLINE
        typedef types<CONFIG_T> T;
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
                    if ((unsigned)idx[i * CONFIG_T::n_par + j] == e)
                        s += x[i];
                }
                psum[j][e] = (first ? (typename T::psum_t)0 : psum[j][e]) + s;
            }
        }
    }
};

// The integer types of a configuration, in the form chosen above.
template <class CONFIG_T> struct types {
    typedef typename form::value_int<CONFIG_T::x_bits, CONFIG_T::x_signed>::type x_t;
    typedef typename form::value_int<CONFIG_T::w_bits, true>::type w_t;
    typedef typename form::value_int<CONFIG_T::b_bits, true>::type b_t;
    // the ROMs' element types (what the layer's wrapper declares)
    typedef typename rom_int<CONFIG_T::w_bits, true>::type w_rom_t;
    typedef typename rom_int<CONFIG_T::b_bits, true>::type b_rom_t;
    typedef typename rom_int<CONFIG_T::index_bits, false>::type off_rom_t;
    typedef typename rom_int<CONFIG_T::code_bits, false>::type code_rom_t;
    typedef typename form::sum_int<CONFIG_T::ps_bits>::type psum_t;
    typedef typename form::sum_int<CONFIG_T::w_bits + CONFIG_T::ps_bits>::type code_prod_t;
    typedef typename form::sum_int<CONFIG_T::prod_bits>::type prod_t;
    typedef typename form::sum_int<CONFIG_T::tree_bits>::type tree_t;
    typedef typename form::sum_int<CONFIG_T::acc_bits>::type acc_t;
};

// The integer an ap_fixed / ap_int value stands for (its W bits, sign-extended when signed).
template <int W, bool S, class T> inline typename form::value_int<W, S>::type raw_of(const T &v) {
    #pragma HLS INLINE
    return form::raw_of<W, S>(v);
}

// The ap_fixed value of type T whose integer is r (r fits T's width: T is the exact accumulator).
template <class T, class R> inline T from_raw(const R &r) {
    #pragma HLS INLINE
    return form::from_raw<T>(r);
}

// ---------------------------------------------------------------- the ROMs of each schedule
// As the layer's wrapper (firmware/weights/fg_<index>.h) declares them: two-dimensional, one row
// per memory word, the second dimension reshaped completely (ARRAY_RESHAPE dim=2 complete), so
// every access below names a row and reads exactly one word.  A set holds references to the
// wrapper's arrays; `state_t` is what its steps keep between steps (registers).

// Control word of a sparse step: the tap it reads, the output block it accumulates, and whether
// it starts (bias) or ends (output) the block.
struct sparse_step_ctl {
    unsigned short tap;
    unsigned short block;
    bool first;
    bool last;
};

// biases [b_words][n_par]: one word per output block (per pixel for a Dense head); every schedule
// has it, the off-chip stream too (nnet_fg_offchip.h)
template <class CONFIG_T> struct bias_rom {
    typedef const typename types<CONFIG_T>::b_rom_t type[CONFIG_T::b_words][CONFIG_T::n_par];
};
// weights [w_words][lanes]: one word per step, the step's k_par x n_par weights
template <class CONFIG_T> struct weight_rom {
    typedef const typename types<CONFIG_T>::w_rom_t type[CONFIG_T::w_words][CONFIG_T::lanes];
};

template <class CONFIG_T> struct dense_roms {
    typedef typename types<CONFIG_T>::acc_t state_t[CONFIG_T::n_par]; // the accumulators
    typename weight_rom<CONFIG_T>::type &weights;
    typename bias_rom<CONFIG_T>::type &biases;
};

template <class CONFIG_T> struct sparse_roms {
    typedef typename types<CONFIG_T>::acc_t state_t[CONFIG_T::n_par]; // the accumulators
    // offsets [off_words][lanes]: each lane's channel offset in its bank, one word per step
    typedef const typename types<CONFIG_T>::off_rom_t offsets_t[CONFIG_T::off_words][CONFIG_T::lanes];
    // ctl [ctl_size]: each step's tap, block and first/last flags
    typedef const sparse_step_ctl ctl_t[CONFIG_T::ctl_size];
    typename weight_rom<CONFIG_T>::type &weights;
    offsets_t &offsets;
    ctl_t &ctl;
    typename bias_rom<CONFIG_T>::type &biases;
};

template <class CONFIG_T> struct codebook_roms {
    // one partial sum per output and codebook entry
    typedef typename types<CONFIG_T>::psum_t state_t[CONFIG_T::n_par][CONFIG_T::cb_size];
    // indices [w_words][lanes]: one word per step, the codebook entry of each of its k_par x n_par weights
    typedef const typename types<CONFIG_T>::code_rom_t indices_t[CONFIG_T::w_words][CONFIG_T::lanes];
    // codebook [cb_size]: the entries' values (constants of the multipliers; registers)
    typedef const typename types<CONFIG_T>::w_rom_t codebook_t[CONFIG_T::cb_size];
    indices_t &indices;
    typename bias_rom<CONFIG_T>::type &biases;
    codebook_t &codebook;
};

// The set of ROMs of CONFIG_T's schedule: the type every kernel takes.
template <class CONFIG_T> struct rom_set {
    typedef typename pick<CONFIG_T::codebook, codebook_roms<CONFIG_T>,
                          typename pick<CONFIG_T::sparse, sparse_roms<CONFIG_T>, dense_roms<CONFIG_T> >::type>::type
        type;
};

// ---------------------------------------------------------------- parts every schedule shares
template <class CONFIG_T, class S> inline void clear(S s[CONFIG_T::n_par]) {
    #pragma HLS INLINE
Clear:
    for (unsigned j = 0; j < CONFIG_T::n_par; j++) {
        #pragma HLS UNROLL
        s[j] = 0;
    }
}

// acc[j] = (first ? bias[j] : acc[j]) + (s[j] << prod_shift)
template <class CONFIG_T, class S>
inline void accumulate(const S s[CONFIG_T::n_par], const typename types<CONFIG_T>::b_rom_t bias[CONFIG_T::n_par],
                       bool first, typename types<CONFIG_T>::acc_t acc[CONFIG_T::n_par]) {
    #pragma HLS INLINE
    typedef typename types<CONFIG_T>::acc_t acc_t;
Accumulate:
    for (unsigned j = 0; j < CONFIG_T::n_par; j++) {
        #pragma HLS UNROLL
        const acc_t base = first ? (acc_t)bias[j] : acc[j];
        acc[j] = base + ((acc_t)s[j] << CONFIG_T::prod_shift);
    }
}

// One dense step: s[j] = sum_i x[i] * word[i * n_par + j]; acc[j] = (first ? bias[j] : acc[j]) + (s[j] << prod_shift).
template <class CONFIG_T>
inline void mac(const typename types<CONFIG_T>::x_t x[CONFIG_T::k_par],
                const typename types<CONFIG_T>::w_rom_t word[CONFIG_T::lanes],
                const typename types<CONFIG_T>::b_rom_t bias[CONFIG_T::n_par], bool first,
                typename types<CONFIG_T>::acc_t acc[CONFIG_T::n_par]) {
    #pragma HLS INLINE
    typename types<CONFIG_T>::tree_t s[CONFIG_T::n_par];
    #pragma HLS ARRAY_PARTITION variable=s complete
    clear<CONFIG_T>(s);
    form::dot<CONFIG_T>(x, word, s);
    accumulate<CONFIG_T>(s, bias, first, acc);
}

// mac on window values c * k_par .. of tap (th, tw): the dense step's arithmetic (the off-chip
// stream's too, nnet_fg_offchip.h), whatever memory the ROM word comes from.
template <class CONFIG_T, class Window>
inline void window_mac(const Window &win, unsigned th, unsigned tw, unsigned c,
                       const typename types<CONFIG_T>::w_rom_t word[CONFIG_T::lanes],
                       const typename types<CONFIG_T>::b_rom_t bias[CONFIG_T::n_par], bool first,
                       typename types<CONFIG_T>::acc_t acc[CONFIG_T::n_par]) {
    #pragma HLS INLINE
    typename types<CONFIG_T>::x_t x[CONFIG_T::k_par];
    #pragma HLS ARRAY_PARTITION variable=x complete
    win.read(th, tw, c, x);
    mac<CONFIG_T>(x, word, bias, first, acc);
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

// ---------------------------------------------------------------- one step of each schedule
// schedule_step(roms, win, mat, sc, state, out): step sc of an output pixel through weight matrix
// mat; the ROM set's type picks the schedule (overload resolution: a layer instantiates its own
// step only).  `win` is the pixel's window (nnet_fg_layers.h): win.read(th, tw, c, x) gives k_par
// values of a tap, win.read_pixel(th, tw, px) all n_chan values of one (0 for taps outside the
// input).  The finished block's outputs go to `out`.

// Dense: output block sc.nb (n_par outputs), window values sc.c * k_par .. of tap (sc.th, sc.tw);
// the step's ROM word is row mat * n_steps + sc.r.
template <class CONFIG_T, class Window, class OUT_T>
inline void schedule_step(const dense_roms<CONFIG_T> &roms, const Window &win, unsigned mat,
                          const step_counter<CONFIG_T> &sc, typename types<CONFIG_T>::acc_t acc[CONFIG_T::n_par],
                          OUT_T *out) {
    #pragma HLS INLINE
    window_mac<CONFIG_T>(win, sc.th, sc.tw, sc.c, roms.weights[mat * CONFIG_T::n_steps + sc.r],
                         roms.biases[bias_word<CONFIG_T>(mat, sc.nb)], sc.first_of_block(), acc);
    if (sc.last_of_block())
        emit<CONFIG_T, OUT_T>(acc, sc.nb, out);
}

// Row and column of tap `tap` (< n_taps, row-major in a taps_height x taps_width window), without
// a division by taps_width (3 for a 3x3 window): taps_height - 1 comparisons with constants, the
// column the tap less the chosen row's first tap (a constant).
template <class CONFIG_T> inline void tap_position(unsigned tap, unsigned &th, unsigned &tw) {
    #pragma HLS INLINE
    th = 0;
    tw = tap;
TapRow:
    for (unsigned k = 1; k < CONFIG_T::taps_height; k++) {
        #pragma HLS UNROLL
        if (tap >= k * CONFIG_T::taps_width) {
            th = k;
            tw = tap - k * CONFIG_T::taps_width;
        }
    }
}

// Sparse: step r of the schedule generated by fpgagan at conversion time (fpgagan/hw/engine.py):
// lane (i, j) multiplies the channel i + k_par * offset[i][j] of the step's tap (bank i of the
// pixel, so a lane's input multiplexer spans n_chan / k_par values) by its stored weight.  Lanes
// with nothing left to do hold weight 0.  Requires k_par <= n_chan and k_par | n_chan.
template <class CONFIG_T, class Window, class OUT_T>
inline void schedule_step(const sparse_roms<CONFIG_T> &roms, const Window &win, unsigned mat,
                          const step_counter<CONFIG_T> &sc, typename types<CONFIG_T>::acc_t acc[CONFIG_T::n_par],
                          OUT_T *out) {
    #pragma HLS INLINE
    typedef types<CONFIG_T> T;
    const unsigned r = mat * CONFIG_T::n_steps + sc.r;
    const sparse_step_ctl c = roms.ctl[r];
    typename T::x_t px[CONFIG_T::n_chan];
    #pragma HLS ARRAY_PARTITION variable=px complete
    unsigned th, tw;
    tap_position<CONFIG_T>(c.tap, th, tw);
    win.read_pixel(th, tw, px);
    typename T::tree_t s[CONFIG_T::n_par];
    #pragma HLS ARRAY_PARTITION variable=s complete
    clear<CONFIG_T>(s);
SparseInputs:
    for (unsigned i = 0; i < CONFIG_T::k_par; i++) {
        #pragma HLS UNROLL
    SparseLanes:
        for (unsigned j = 0; j < CONFIG_T::n_par; j++) {
            #pragma HLS UNROLL
            const unsigned lane = i * CONFIG_T::n_par + j;
            const typename T::x_t xv = px[i + CONFIG_T::k_par * (unsigned)roms.offsets[r][lane]];
            s[j] += form::fabric_mul<CONFIG_T>(xv, (typename T::w_t)roms.weights[r][lane]);
        }
    }
    accumulate<CONFIG_T>(s, roms.biases[bias_word<CONFIG_T>(mat, c.block)], c.first, acc);
    if (c.last)
        emit<CONFIG_T, OUT_T>(acc, c.block, out);
}

// Codebook (the dense schedule's order): lane (i, j) of the step's ROM word is the index of the
// weight that window value i has for output j.  Output j keeps one partial sum per codebook
// entry: entry e adds the window values whose index is e.  At the block's last step,
//   acc[j] = bias[j] + (sum_e codebook[e] * psum[j][e]) << prod_shift,
// cb_size - cb_first multiplications per output whatever the fan-in (UCNN's factorisation; the
// values are constants of the layer, so the multipliers are constant multipliers).  The sum is the
// dense accumulator's exactly: the same products, grouped by their weight.
template <class CONFIG_T, class Window, class OUT_T>
inline void schedule_step(const codebook_roms<CONFIG_T> &roms, const Window &win, unsigned mat,
                          const step_counter<CONFIG_T> &sc,
                          typename types<CONFIG_T>::psum_t psum[CONFIG_T::n_par][CONFIG_T::cb_size], OUT_T *out) {
    #pragma HLS INLINE
    typedef types<CONFIG_T> T;
    typename T::x_t x[CONFIG_T::k_par];
    #pragma HLS ARRAY_PARTITION variable=x complete
    win.read(sc.th, sc.tw, sc.c, x);
    form::code_sums<CONFIG_T>(x, roms.indices[mat * CONFIG_T::n_steps + sc.r], sc.first_of_block(), psum);
    if (!sc.last_of_block())
        return;
    typename T::acc_t sum[CONFIG_T::n_par];
    #pragma HLS ARRAY_PARTITION variable=sum complete
CodeCombine:
    for (unsigned j = 0; j < CONFIG_T::n_par; j++) {
        #pragma HLS UNROLL
        sum[j] = 0;
    CodeProducts:
        for (unsigned e = CONFIG_T::cb_first; e < CONFIG_T::cb_size; e++) {
            #pragma HLS UNROLL
            const typename T::code_prod_t p = (typename T::code_prod_t)(typename T::w_t)roms.codebook[e] * psum[j][e];
            sum[j] += p;
        }
    }
    typename T::acc_t acc[CONFIG_T::n_par];
    #pragma HLS ARRAY_PARTITION variable=acc complete
    accumulate<CONFIG_T>(sum, roms.biases[bias_word<CONFIG_T>(mat, sc.nb)], true, acc);
    emit<CONFIG_T, OUT_T>(acc, sc.nb, out);
}

// One step of an output pixel, with the layer's schedule; true at the pixel's last step (its
// outputs are then in `out`).
template <class CONFIG_T, class ROMS, class Window, class OUT_T>
inline bool pixel_step(const ROMS &roms, const Window &win, unsigned mat, step_counter<CONFIG_T> &sc,
                       typename ROMS::state_t state, OUT_T *out) {
    #pragma HLS INLINE
    const bool last = sc.last();
    schedule_step<CONFIG_T, Window, OUT_T>(roms, win, mat, sc, state, out);
    sc.advance();
    return last;
}

} // namespace fg
} // namespace nnet

#endif
