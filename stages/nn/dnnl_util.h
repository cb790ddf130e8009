// Every oneDNN descriptor of the neural-net core is built here.
//
// oneDNN 2.6 builds an operation descriptor and then a primitive descriptor
// from it; oneDNN 3 builds the primitive descriptor directly from the same
// arguments.  Each function below takes exactly the v3 argument list, so moving
// to oneDNN 3 changes this file only.  Layers get primitive descriptors from
// here and create primitives and memories from them.
#pragma once

#include <oneapi/dnnl/dnnl.hpp>

#include "stages/nn/tensor.h"

namespace pipe::nn::dnn {

using dnnl::algorithm;
using dnnl::engine;
using dnnl::memory;
using md = dnnl::memory::desc;

// ---- memory descriptors (f32 everywhere) -------------------------------------
md plain(const Dims& dims);  // dense row-major
md any(const Dims& dims);    // let the primitive choose
md tagged(const Dims& dims, memory::format_tag tag);
md strided(const Dims& dims, const Dims& strides);
bool is_plain(const md& d);  // dense row-major of its own dims
Dims dims_of(const md& d);
size_t floats(const md& d);  // buffer size in floats (padding included)

// ---- convolution -------------------------------------------------------------
struct ConvGeometry {
  Dims stride{1, 1};
  Dims dilation{1, 1};  // 1 = no dilation (oneDNN counts from 0; converted here)
  Dims pad_l{0, 0};
  Dims pad_r{0, 0};
};
// bias may be a zero md (no bias).  attr carries a fused activation.  arriving: the
// layout the input comes in (a zero md when unknown), preferred in inference.
dnnl::convolution_forward::primitive_desc conv_forward(const engine& eng, bool training, const md& src,
                                                       const md& weights, const md& bias, const md& dst,
                                                       const ConvGeometry& g,
                                                       const dnnl::primitive_attr& attr,
                                                       const md& arriving = md());
dnnl::convolution_backward_data::primitive_desc conv_backward_data(
    const engine& eng, const md& diff_src, const md& weights, const md& diff_dst, const ConvGeometry& g,
    const dnnl::convolution_forward::primitive_desc& hint);
dnnl::convolution_backward_weights::primitive_desc conv_backward_weights(
    const engine& eng, const md& src, const md& diff_weights, const md& diff_bias, const md& diff_dst,
    const ConvGeometry& g, const dnnl::convolution_forward::primitive_desc& hint);

// ---- pooling -----------------------------------------------------------------
struct PoolGeometry {
  Dims kernel{2, 2};
  Dims stride{2, 2};
  Dims pad_l{0, 0};
  Dims pad_r{0, 0};
};
dnnl::pooling_v2_forward::primitive_desc pool_forward(const engine& eng, bool training, algorithm alg,
                                                      const md& src, const md& dst, const PoolGeometry& g);
dnnl::pooling_v2_backward::primitive_desc pool_backward(const engine& eng, algorithm alg, const md& diff_src,
                                                        const md& diff_dst, const PoolGeometry& g,
                                                        const dnnl::pooling_v2_forward::primitive_desc& hint);

// ---- inner product (dense) ---------------------------------------------------
dnnl::inner_product_forward::primitive_desc dense_forward(const engine& eng, bool training, const md& src,
                                                          const md& weights, const md& bias, const md& dst,
                                                          const dnnl::primitive_attr& attr);
dnnl::inner_product_backward_data::primitive_desc dense_backward_data(
    const engine& eng, const md& diff_src, const md& weights, const md& diff_dst,
    const dnnl::inner_product_forward::primitive_desc& hint);
dnnl::inner_product_backward_weights::primitive_desc dense_backward_weights(
    const engine& eng, const md& src, const md& diff_weights, const md& diff_bias, const md& diff_dst,
    const dnnl::inner_product_forward::primitive_desc& hint);

// ---- element-wise, softmax ----------------------------------------------------
// A post-op that applies alg to a primitive's output.
dnnl::primitive_attr eltwise_attr(algorithm alg, float alpha, float beta);
dnnl::eltwise_forward::primitive_desc eltwise_forward(const engine& eng, bool training, algorithm alg,
                                                      const md& data, float alpha, float beta);
// data: src for the plain algorithms, dst for the *_use_dst_for_bwd ones.
dnnl::eltwise_backward::primitive_desc eltwise_backward(const engine& eng, algorithm alg, const md& diff_data,
                                                        const md& data, float alpha, float beta,
                                                        const dnnl::eltwise_forward::primitive_desc& hint);
dnnl::softmax_forward::primitive_desc softmax_forward(const engine& eng, bool training, const md& data,
                                                      int axis);
dnnl::softmax_backward::primitive_desc softmax_backward(const engine& eng, const md& diff_data,
                                                        const md& data, int axis,
                                                        const dnnl::softmax_forward::primitive_desc& hint);

// ---- batch normalization -------------------------------------------------------
dnnl::batch_normalization_forward::primitive_desc batchnorm_forward(const engine& eng, bool training,
                                                                    const md& data, float eps,
                                                                    dnnl::normalization_flags flags);
// with_weights: also the gradients of scale and shift.
dnnl::batch_normalization_backward::primitive_desc batchnorm_backward(
    const engine& eng, bool with_weights, const md& diff_data, const md& data, float eps,
    dnnl::normalization_flags flags, const dnnl::batch_normalization_forward::primitive_desc& hint);

// ---- recurrent layers (one layer, one direction) ---------------------------------
enum class Cell { kVanilla, kLstm, kGru };  // kGru: linear-before-reset (PyTorch's GRU)
struct RnnDescs {
  md src_layer, src_iter, src_iter_c;  // iter and iter_c: zero mds = zero initial state
  md weights_layer, weights_iter, bias;
  md dst_layer, dst_iter, dst_iter_c;
};
// The primitives of one recurrent layer; mds are queried with exec_arg_md.
struct RnnPrimitives {
  dnnl::primitive forward;
  dnnl::primitive_desc forward_pd;
  dnnl::primitive backward;  // empty unless with_backward
  dnnl::primitive_desc backward_pd;
};
// activation: eltwise_relu / eltwise_tanh / eltwise_logistic for kVanilla.  fwd holds the
// forward's descs, diff the gradients' (weights: the diff weights).  The backward reads
// the weights in a layout of its own: query DNNL_ARG_WEIGHTS_LAYER / _ITER of backward_pd.
RnnPrimitives rnn(const engine& eng, Cell cell, algorithm activation, bool training, bool with_backward,
                  const RnnDescs& fwd, const RnnDescs& diff);

// ---- reorder, scratchpads -----------------------------------------------------------
dnnl::reorder reorder(const memory& from, const memory& to);
// Copies `from` into `to` now (outside plans: parameters, reading results).
void reorder_now(const memory& from, const memory& to);
// Every primitive built here wants its scratchpad passed in (DNNL_ARG_SCRATCHPAD): its
// desc, a zero desc when it needs none.
memory::desc scratchpad_of(const dnnl::primitive& p);

}  // namespace pipe::nn::dnn
