// fpgagan's AXI4-Stream shell: the raw bits of the network's ap_fixed input and output values,
// packed into 64-bit stream beats, moved to and from hls4ml's io_stream top function.
//
// Packing (the host's fpgagan_codec.py does the same): per_beat = floor(64 / width) values per
// beat, value j of a beat in bits [j*width, j*width + width); no value straddles two beats; the
// unused high bits and the unused slots of a sample's last beat are zero.  Each sample is a whole
// number of beats; TLAST marks the last output beat of a sample.
//
// Each direction is one loop, pipelined with II=1, with a compile-time trip count: each iteration
// moves `step` = gcd(values per stream element, values per beat) values, so it reads or writes at
// most one stream element and at most one beat, and every array index is a constant (values move
// through shift registers, never through a variable index): the beat register shifts by `step`
// values, and so does the element's array, partitioned completely because every cycle moves all of
// its values.
#ifndef NNET_FG_AXIS_H_
#define NNET_FG_AXIS_H_

#include "ap_int.h"
#include "hls_stream.h"

#ifdef FPGAGAN_NATIVE_AXIS
namespace nnet {
namespace fg {
// g++ C simulation: hls4ml's ap_types have no ap_axi_sdata.h; the fields the shell uses of
// hls::axis<ap_uint<64>, 0, 0, 0>
struct axis_beat {
    ap_uint<64> data;
    ap_uint<8> keep;
    ap_uint<8> strb;
    ap_uint<1> last;
};
} // namespace fg
} // namespace nnet
#else
#include "ap_axi_sdata.h"
namespace nnet {
namespace fg {
typedef hls::axis<ap_uint<64>, 0, 0, 0> axis_beat;
} // namespace fg
} // namespace nnet
#endif

namespace nnet {
namespace fg {

// CONFIG_T (written by fpgagan.hls.shell): width, n_values (per sample), elem_values (per stream
// element), per_beat, step, beats.
template <class CONFIG_T> struct axis_plan {
    static const unsigned word_bits = CONFIG_T::per_beat * CONFIG_T::width; // used bits of a beat
    static const unsigned iterations = CONFIG_T::n_values / CONFIG_T::step;
    static const unsigned steps_per_beat = CONFIG_T::per_beat / CONFIG_T::step;
    static const unsigned steps_per_elem = CONFIG_T::elem_values / CONFIG_T::step;
    // bits a step moves through the beat's shift register (0 when one step fills a beat: the
    // register is then loaded or written whole, and a shift by its full width is never done)
    static const unsigned shift = steps_per_beat > 1 ? CONFIG_T::step * CONFIG_T::width : 0;
    // steps in the last beat of a sample, and the shift that moves them to the bottom of the beat
    static const unsigned tail_steps = iterations % steps_per_beat;
    static const unsigned tail_shift =
        tail_steps == 0 ? 0 : (steps_per_beat - tail_steps) * CONFIG_T::step * CONFIG_T::width;
};

// Beats -> stream elements of data_T (an nnet::array of ap_fixed), one sample.  The input's TLAST
// is not needed: a sample is always CONFIG_T::beats beats.
template <class data_T, class CONFIG_T>
void axis_unpack(hls::stream<axis_beat> &in, hls::stream<data_T> &out) {
    typedef axis_plan<CONFIG_T> plan;
    static const unsigned W = CONFIG_T::width;
    static const unsigned S = CONFIG_T::step;
    static const unsigned E = CONFIG_T::elem_values;
    ap_uint<plan::word_bits> word = 0;
    // the element being filled; complete: every cycle moves all E values by S
    typename data_T::value_type vals[E];
    #pragma HLS ARRAY_PARTITION variable=vals type=complete
    unsigned beat_step = 0; // steps taken from the current beat
    unsigned elem_step = 0; // steps put into the current element
UnpackLoop:
    for (unsigned i = 0; i < plan::iterations; i++) {
        #pragma HLS PIPELINE II=1
        ap_uint<plan::word_bits> cur = word;
        if (beat_step == 0) {
            axis_beat beat = in.read();
            cur = beat.data.range(plan::word_bits - 1, 0);
        }
        // the element's values move down by S; the next S values enter at its top
        for (unsigned c = 0; c + S < E; c++) {
            #pragma HLS UNROLL
            vals[c] = vals[c + S];
        }
        for (unsigned j = 0; j < S; j++) {
            #pragma HLS UNROLL
            ap_uint<W> bits = cur.range(j * W + W - 1, j * W);
            vals[E - S + j].range(W - 1, 0) = bits;
        }
        word = cur >> plan::shift;
        beat_step = beat_step + 1 == plan::steps_per_beat ? 0 : beat_step + 1;
        if (elem_step + 1 == plan::steps_per_elem) {
            data_T elem;
            for (unsigned c = 0; c < E; c++) {
                #pragma HLS UNROLL
                elem[c] = vals[c];
            }
            out.write(elem);
            elem_step = 0;
        } else {
            elem_step++;
        }
    }
}

// Stream elements of res_T -> beats, one sample; TLAST on its last beat.
template <class res_T, class CONFIG_T>
void axis_pack(hls::stream<res_T> &in, hls::stream<axis_beat> &out) {
    typedef axis_plan<CONFIG_T> plan;
    static const unsigned W = CONFIG_T::width;
    static const unsigned S = CONFIG_T::step;
    static const unsigned E = CONFIG_T::elem_values;
    static const unsigned TOP = plan::word_bits - S * W; // where a step's values enter the beat
    ap_uint<plan::word_bits> word = 0;
    // the element being emptied; complete: every cycle moves all E values by S
    typename res_T::value_type vals[E];
    #pragma HLS ARRAY_PARTITION variable=vals type=complete
    unsigned beat_step = 0; // steps put into the current beat
    unsigned elem_step = 0; // steps taken from the current element
PackLoop:
    for (unsigned i = 0; i < plan::iterations; i++) {
        #pragma HLS PIPELINE II=1
        if (elem_step == 0) {
            res_T elem = in.read();
            for (unsigned c = 0; c < E; c++) {
                #pragma HLS UNROLL
                vals[c] = elem[c];
            }
        }
        // earlier values move down by S values; the next S enter at the top
        ap_uint<plan::word_bits> next = word >> plan::shift;
        for (unsigned j = 0; j < S; j++) {
            #pragma HLS UNROLL
            ap_uint<W> bits = vals[j].range(W - 1, 0);
            next.range(TOP + j * W + W - 1, TOP + j * W) = bits;
        }
        for (unsigned c = 0; c + S < E; c++) {
            #pragma HLS UNROLL
            vals[c] = vals[c + S];
        }
        elem_step = elem_step + 1 == plan::steps_per_elem ? 0 : elem_step + 1;
        bool last = i == plan::iterations - 1;
        if (beat_step + 1 == plan::steps_per_beat || last) {
            axis_beat beat;
            beat.data = last ? ap_uint<plan::word_bits>(next >> plan::tail_shift) : next;
            beat.keep = -1;
            beat.strb = -1;
            beat.last = last;
            out.write(beat);
            beat_step = 0;
        } else {
            beat_step++;
        }
        word = next;
    }
}

} // namespace fg
} // namespace nnet

#endif
