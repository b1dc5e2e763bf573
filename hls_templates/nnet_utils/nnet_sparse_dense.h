// fpgagan: sparse fully connected layer (io_parallel and io_stream).
//
// Only the non-zero weights are stored, column by column (CSR over outputs): output o uses
// weights col_start[o] .. col_start[o+1], each with its input index row[k] (one sparse_dot of
// nnet_sparse.h); with reuse factor R the layer needs ceil(n_nonzero / R) multipliers.  Products
// are added to accum_t, sized exactly from the input and weight types and the fan-in, so the result
// equals the dense layer's bit for bit; the only rounding is the final cast to res_T.
#ifndef NNET_SPARSE_DENSE_H_
#define NNET_SPARSE_DENSE_H_

#include "hls_stream.h"
#include "nnet_common.h"
#include "nnet_sparse.h"

namespace nnet {

struct sparse_dense_config {
    static const unsigned n_in = 1;
    static const unsigned n_out = 1;
    static const unsigned n_nonzero = 1;
    static const unsigned reuse_factor = 1;
    static const unsigned multiplier_limit = 1;
    typedef float accum_t;
    typedef float bias_t;
    typedef float weight_t;
    typedef unsigned index_t;
    typedef unsigned start_t;
};

template <class input_T, typename CONFIG_T>
void sparse_dense_accumulate(const input_T data[CONFIG_T::n_in], const typename CONFIG_T::weight_t weights[CONFIG_T::n_nonzero],
                             const typename CONFIG_T::index_t row[CONFIG_T::n_nonzero],
                             const typename CONFIG_T::start_t col_start[CONFIG_T::n_out + 1],
                             const typename CONFIG_T::bias_t biases[CONFIG_T::n_out],
                             typename CONFIG_T::accum_t acc[CONFIG_T::n_out]) {
    #pragma HLS INLINE
    #pragma HLS ARRAY_RESHAPE variable=weights block factor=CONFIG_T::reuse_factor
    #pragma HLS ARRAY_RESHAPE variable=row block factor=CONFIG_T::reuse_factor
    #pragma HLS ALLOCATION operation instances=mul limit=CONFIG_T::multiplier_limit
Outputs:
    for (unsigned o = 0; o < CONFIG_T::n_out; o++) {
        typename CONFIG_T::accum_t sum = (typename CONFIG_T::accum_t)biases[o];
        sparse_dot<CONFIG_T>(data, weights, row, col_start[o], col_start[o + 1], sum);
        acc[o] = sum;
    }
}

template <class data_T, class res_T, typename CONFIG_T>
void sparse_dense(data_T data[CONFIG_T::n_in], res_T res[CONFIG_T::n_out],
                  typename CONFIG_T::weight_t weights[CONFIG_T::n_nonzero], typename CONFIG_T::index_t row[CONFIG_T::n_nonzero],
                  typename CONFIG_T::start_t col_start[CONFIG_T::n_out + 1], typename CONFIG_T::bias_t biases[CONFIG_T::n_out]) {
    typename CONFIG_T::accum_t acc[CONFIG_T::n_out];
    sparse_dense_accumulate<data_T, CONFIG_T>(data, weights, row, col_start, biases, acc);
Store:
    for (unsigned o = 0; o < CONFIG_T::n_out; o++) {
        #pragma HLS UNROLL factor=CONFIG_T::reuse_factor
        res[o] = (res_T)acc[o];
    }
}

template <class data_T, class res_T, typename CONFIG_T>
void sparse_dense(hls::stream<data_T> &data_stream, hls::stream<res_T> &res_stream,
                  typename CONFIG_T::weight_t weights[CONFIG_T::n_nonzero], typename CONFIG_T::index_t row[CONFIG_T::n_nonzero],
                  typename CONFIG_T::start_t col_start[CONFIG_T::n_out + 1], typename CONFIG_T::bias_t biases[CONFIG_T::n_out]) {
    typename data_T::value_type data[CONFIG_T::n_in];
ReadInput:
    for (unsigned i = 0; i < CONFIG_T::n_in / data_T::size; i++) {
        #pragma HLS PIPELINE
        const data_T chunk = data_stream.read();
        for (unsigned j = 0; j < data_T::size; j++) {
            #pragma HLS UNROLL
            data[i * data_T::size + j] = chunk[j];
        }
    }
    typename CONFIG_T::accum_t acc[CONFIG_T::n_out];
    sparse_dense_accumulate<typename data_T::value_type, CONFIG_T>(data, weights, row, col_start, biases, acc);
WriteOutput:
    for (unsigned i = 0; i < CONFIG_T::n_out / res_T::size; i++) {
        #pragma HLS PIPELINE
        res_T chunk;
        PRAGMA_DATA_PACK(chunk)
        for (unsigned j = 0; j < res_T::size; j++) {
            #pragma HLS UNROLL
            chunk[j] = (typename res_T::value_type)acc[i * res_T::size + j];
        }
        res_stream.write(chunk);
    }
}

} // namespace nnet

#endif
