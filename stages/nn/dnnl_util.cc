#include "stages/nn/dnnl_util.h"

namespace pipe::nn::dnn {

using dnnl::prop_kind;
using dt = dnnl::memory::data_type;

namespace {

// Every primitive takes its scratchpad from the plan that runs it (a buffer per plan),
// so plans on different threads never share one.
dnnl::primitive_attr with_scratchpad(dnnl::primitive_attr attr = {}) {
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  return attr;
}

prop_kind forward_kind(bool training) {
  return training ? prop_kind::forward_training : prop_kind::forward_inference;
}

Dims zero_based(const Dims& dilation) {
  Dims out;
  for (int64_t d : dilation) out.push_back(d - 1);
  return out;
}

memory::format_tag plain_tag(size_t rank) {
  switch (rank) {
    case 1:
      return memory::format_tag::a;
    case 2:
      return memory::format_tag::ab;
    case 3:
      return memory::format_tag::abc;
    case 4:
      return memory::format_tag::abcd;
    case 5:
      return memory::format_tag::abcde;
    default:
      return memory::format_tag::abcdef;
  }
}

}  // namespace

md plain(const Dims& dims) { return md(dims, dt::f32, plain_tag(dims.size())); }
md any(const Dims& dims) { return md(dims, dt::f32, memory::format_tag::any); }
md tagged(const Dims& dims, memory::format_tag tag) { return md(dims, dt::f32, tag); }
md strided(const Dims& dims, const Dims& strides) { return md(dims, dt::f32, strides); }

bool is_plain(const md& d) {
  if (d.data.ndims == 0) return false;
  return d == plain(dims_of(d));
}

Dims dims_of(const md& d) { return d.dims(); }
size_t floats(const md& d) { return d.get_size() / sizeof(float); }

// ---- convolution ------------------------------------------------------------------

namespace {

enum class ConvPass { kForward, kBackwardData, kBackwardWeights };

// Training takes Winograd's algorithm (3x3 kernels, stride 1, no dilation) for the
// passes where oneDNN's AVX-512 version measured faster than the direct one: at least
// 32 input and output channels (the weight gradient gains from 16 input channels) over
// at least 8,192 output pixels a pass (batch x height x width).  Smaller maps spend
// more on the transforms than they save in multiplications.  The rule reads only the
// shapes, so a net computes the same numbers every time it is built.
bool winograd_pays(const md& src, const md& weights, const md& dst, const ConvGeometry& g, ConvPass pass) {
  const Dims w = weights.dims(), s = src.dims(), d = dst.dims();
  if (w.size() != 4 || s.size() != 4 || d.size() != 4) return false;
  if (w[2] != 3 || w[3] != 3 || g.stride != Dims{1, 1} || g.dilation != Dims{1, 1}) return false;
  const int64_t in_channels = s[1], out_channels = d[1], pixels = d[0] * d[2] * d[3];
  const int64_t min_in = pass == ConvPass::kBackwardWeights ? 16 : 32;
  return in_channels >= min_in && out_channels >= 32 && pixels >= 8192;
}

// make(algorithm) with Winograd's algorithm when `winograd` holds and oneDNN
// offers it for these shapes, else with the direct one.
template <class Make>
auto winograd_or_direct(bool winograd, const Make& make) {
  if (winograd) {
    try {
      return make(algorithm::convolution_winograd);
    } catch (const dnnl::error&) {
    }
  }
  return make(algorithm::convolution_direct);
}

}  // namespace

dnnl::convolution_forward::primitive_desc conv_forward(const engine& eng, bool training, const md& src,
                                                       const md& weights, const md& bias, const md& dst,
                                                       const ConvGeometry& g,
                                                       const dnnl::primitive_attr& attr, const md& arriving) {
  auto make = [&](algorithm alg, const md& s) {
    dnnl::convolution_forward::desc d(forward_kind(training), alg, s, weights, bias, dst, g.stride,
                                      zero_based(g.dilation), g.pad_l, g.pad_r);
    return dnnl::convolution_forward::primitive_desc(d, with_scratchpad(attr), eng);
  };
  // Inference takes Winograd's algorithm where oneDNN has it (3x3, stride 1, blocked
  // channels): a third fewer operations for the usual 3x3 layers, at a rounding error
  // far below what a prediction notices.  It and then the direct algorithm are tried
  // on the layout the input arrives in, which saves a reorder.  Training takes it where
  // winograd_pays says so.
  if (!training && arriving.data.ndims == 4) {
    for (algorithm alg : {algorithm::convolution_winograd, algorithm::convolution_direct}) {
      try {
        return make(alg, arriving);
      } catch (const dnnl::error&) {
      }
    }
  }
  return winograd_or_direct(training && winograd_pays(src, weights, dst, g, ConvPass::kForward),
                            [&](algorithm alg) { return make(alg, src); });
}

dnnl::convolution_backward_data::primitive_desc conv_backward_data(
    const engine& eng, const md& diff_src, const md& weights, const md& diff_dst, const ConvGeometry& g,
    const dnnl::convolution_forward::primitive_desc& hint) {
  auto make = [&](algorithm alg) {
    dnnl::convolution_backward_data::desc d(alg, diff_src, weights, diff_dst, g.stride, zero_based(g.dilation),
                                            g.pad_l, g.pad_r);
    return dnnl::convolution_backward_data::primitive_desc(d, with_scratchpad(), eng, hint);
  };
  return winograd_or_direct(winograd_pays(diff_src, weights, diff_dst, g, ConvPass::kBackwardData), make);
}

dnnl::convolution_backward_weights::primitive_desc conv_backward_weights(
    const engine& eng, const md& src, const md& diff_weights, const md& diff_bias, const md& diff_dst,
    const ConvGeometry& g, const dnnl::convolution_forward::primitive_desc& hint) {
  auto make = [&](algorithm alg) {
    dnnl::convolution_backward_weights::desc d(alg, src, diff_weights, diff_bias, diff_dst, g.stride,
                                               zero_based(g.dilation), g.pad_l, g.pad_r);
    return dnnl::convolution_backward_weights::primitive_desc(d, with_scratchpad(), eng, hint);
  };
  return winograd_or_direct(winograd_pays(src, diff_weights, diff_dst, g, ConvPass::kBackwardWeights), make);
}

// ---- pooling ------------------------------------------------------------------------

dnnl::pooling_v2_forward::primitive_desc pool_forward(const engine& eng, bool training, algorithm alg,
                                                      const md& src, const md& dst, const PoolGeometry& g) {
  dnnl::pooling_v2_forward::desc d(forward_kind(training), alg, src, dst, g.stride, g.kernel,
                                   Dims(g.kernel.size(), 0), g.pad_l, g.pad_r);
  return dnnl::pooling_v2_forward::primitive_desc(d, with_scratchpad(), eng);
}

dnnl::pooling_v2_backward::primitive_desc pool_backward(
    const engine& eng, algorithm alg, const md& diff_src, const md& diff_dst, const PoolGeometry& g,
    const dnnl::pooling_v2_forward::primitive_desc& hint) {
  dnnl::pooling_v2_backward::desc d(alg, diff_src, diff_dst, g.stride, g.kernel, Dims(g.kernel.size(), 0),
                                    g.pad_l, g.pad_r);
  return dnnl::pooling_v2_backward::primitive_desc(d, with_scratchpad(), eng, hint);
}

// ---- inner product ----------------------------------------------------------------

dnnl::inner_product_forward::primitive_desc dense_forward(const engine& eng, bool training, const md& src,
                                                          const md& weights, const md& bias, const md& dst,
                                                          const dnnl::primitive_attr& attr) {
  dnnl::inner_product_forward::desc d(forward_kind(training), src, weights, bias, dst);
  return dnnl::inner_product_forward::primitive_desc(d, with_scratchpad(attr), eng);
}

dnnl::inner_product_backward_data::primitive_desc dense_backward_data(
    const engine& eng, const md& diff_src, const md& weights, const md& diff_dst,
    const dnnl::inner_product_forward::primitive_desc& hint) {
  dnnl::inner_product_backward_data::desc d(diff_src, weights, diff_dst);
  return dnnl::inner_product_backward_data::primitive_desc(d, with_scratchpad(), eng, hint);
}

dnnl::inner_product_backward_weights::primitive_desc dense_backward_weights(
    const engine& eng, const md& src, const md& diff_weights, const md& diff_bias, const md& diff_dst,
    const dnnl::inner_product_forward::primitive_desc& hint) {
  dnnl::inner_product_backward_weights::desc d(src, diff_weights, diff_bias, diff_dst);
  return dnnl::inner_product_backward_weights::primitive_desc(d, with_scratchpad(), eng, hint);
}

// ---- element-wise, softmax ----------------------------------------------------------

dnnl::primitive_attr eltwise_attr(algorithm alg, float alpha, float beta) {
  dnnl::post_ops ops;
  ops.append_eltwise(1.0f, alg, alpha, beta);
  dnnl::primitive_attr attr;
  attr.set_post_ops(ops);
  return attr;
}

dnnl::eltwise_forward::primitive_desc eltwise_forward(const engine& eng, bool training, algorithm alg,
                                                      const md& data, float alpha, float beta) {
  dnnl::eltwise_forward::desc d(forward_kind(training), alg, data, alpha, beta);
  return dnnl::eltwise_forward::primitive_desc(d, with_scratchpad(), eng);
}

dnnl::eltwise_backward::primitive_desc eltwise_backward(const engine& eng, algorithm alg, const md& diff_data,
                                                        const md& data, float alpha, float beta,
                                                        const dnnl::eltwise_forward::primitive_desc& hint) {
  dnnl::eltwise_backward::desc d(alg, diff_data, data, alpha, beta);
  return dnnl::eltwise_backward::primitive_desc(d, with_scratchpad(), eng, hint);
}

dnnl::softmax_forward::primitive_desc softmax_forward(const engine& eng, bool training, const md& data,
                                                      int axis) {
  dnnl::softmax_forward::desc d(forward_kind(training), data, axis);
  return dnnl::softmax_forward::primitive_desc(d, with_scratchpad(), eng);
}

dnnl::softmax_backward::primitive_desc softmax_backward(const engine& eng, const md& diff_data,
                                                        const md& data, int axis,
                                                        const dnnl::softmax_forward::primitive_desc& hint) {
  dnnl::softmax_backward::desc d(diff_data, data, axis);
  return dnnl::softmax_backward::primitive_desc(d, with_scratchpad(), eng, hint);
}

// ---- batch normalization ------------------------------------------------------------

dnnl::batch_normalization_forward::primitive_desc batchnorm_forward(const engine& eng, bool training,
                                                                    const md& data, float eps,
                                                                    dnnl::normalization_flags flags) {
  dnnl::batch_normalization_forward::desc d(forward_kind(training), data, eps, flags);
  return dnnl::batch_normalization_forward::primitive_desc(d, with_scratchpad(), eng);
}

dnnl::batch_normalization_backward::primitive_desc batchnorm_backward(
    const engine& eng, bool with_weights, const md& diff_data, const md& data, float eps,
    dnnl::normalization_flags flags, const dnnl::batch_normalization_forward::primitive_desc& hint) {
  dnnl::batch_normalization_backward::desc d(with_weights ? prop_kind::backward : prop_kind::backward_data,
                                             diff_data, data, eps, flags);
  return dnnl::batch_normalization_backward::primitive_desc(d, with_scratchpad(), eng, hint);
}

// ---- recurrent ------------------------------------------------------------------------

RnnPrimitives rnn(const engine& eng, Cell cell, algorithm activation, bool training, bool with_backward,
                  const RnnDescs& f, const RnnDescs& b) {
  const auto dir = dnnl::rnn_direction::unidirectional_left2right;
  const prop_kind kind = forward_kind(training);
  // The backward reads the weights in its own layout (ldgoi); query it.
  const md wl = any(f.weights_layer.dims()), wi = any(f.weights_iter.dims());
  RnnPrimitives out;
  switch (cell) {
    case Cell::kVanilla: {
      dnnl::vanilla_rnn_forward::desc fd(kind, activation, dir, f.src_layer, f.src_iter, f.weights_layer,
                                         f.weights_iter, f.bias, f.dst_layer, f.dst_iter);
      dnnl::vanilla_rnn_forward::primitive_desc fpd(fd, with_scratchpad(), eng);
      out.forward_pd = fpd;
      out.forward = dnnl::vanilla_rnn_forward(fpd);
      if (with_backward) {
        dnnl::vanilla_rnn_backward::desc bd(prop_kind::backward, activation, dir, f.src_layer, f.src_iter, wl,
                                            wi, f.bias, f.dst_layer, f.dst_iter, b.src_layer, b.src_iter,
                                            b.weights_layer, b.weights_iter, b.bias, b.dst_layer, b.dst_iter);
        dnnl::vanilla_rnn_backward::primitive_desc bpd(bd, with_scratchpad(), eng, fpd);
        out.backward_pd = bpd;
        out.backward = dnnl::vanilla_rnn_backward(bpd);
      }
      break;
    }
    case Cell::kLstm: {
      dnnl::lstm_forward::desc fd(kind, dir, f.src_layer, f.src_iter, f.src_iter_c, f.weights_layer,
                                  f.weights_iter, f.bias, f.dst_layer, f.dst_iter, f.dst_iter_c);
      dnnl::lstm_forward::primitive_desc fpd(fd, with_scratchpad(), eng);
      out.forward_pd = fpd;
      out.forward = dnnl::lstm_forward(fpd);
      if (with_backward) {
        dnnl::lstm_backward::desc bd(prop_kind::backward, dir, f.src_layer, f.src_iter, f.src_iter_c, wl, wi,
                                     f.bias, f.dst_layer, f.dst_iter, f.dst_iter_c, b.src_layer, b.src_iter,
                                     b.src_iter_c, b.weights_layer, b.weights_iter, b.bias, b.dst_layer,
                                     b.dst_iter, b.dst_iter_c);
        dnnl::lstm_backward::primitive_desc bpd(bd, with_scratchpad(), eng, fpd);
        out.backward_pd = bpd;
        out.backward = dnnl::lstm_backward(bpd);
      }
      break;
    }
    case Cell::kGru: {
      dnnl::lbr_gru_forward::desc fd(kind, dir, f.src_layer, f.src_iter, f.weights_layer, f.weights_iter,
                                     f.bias, f.dst_layer, f.dst_iter);
      dnnl::lbr_gru_forward::primitive_desc fpd(fd, with_scratchpad(), eng);
      out.forward_pd = fpd;
      out.forward = dnnl::lbr_gru_forward(fpd);
      if (with_backward) {
        dnnl::lbr_gru_backward::desc bd(prop_kind::backward, dir, f.src_layer, f.src_iter, wl, wi, f.bias,
                                        f.dst_layer, f.dst_iter, b.src_layer, b.src_iter, b.weights_layer,
                                        b.weights_iter, b.bias, b.dst_layer, b.dst_iter);
        dnnl::lbr_gru_backward::primitive_desc bpd(bd, with_scratchpad(), eng, fpd);
        out.backward_pd = bpd;
        out.backward = dnnl::lbr_gru_backward(bpd);
      }
      break;
    }
  }
  return out;
}

dnnl::reorder reorder(const memory& from, const memory& to) {
  return dnnl::reorder(dnnl::reorder::primitive_desc(from, to, with_scratchpad()));
}

void reorder_now(const memory& from, const memory& to) {
  dnnl::stream s(from.get_engine());
  memory src = from, dst = to;
  dnnl::reorder(src, dst).execute(s, src, dst);
  s.wait();
}

memory::desc scratchpad_of(const dnnl::primitive& p) {
  const_dnnl_primitive_desc_t pd = nullptr;
  dnnl::error::wrap_c_api(dnnl_primitive_get_primitive_desc(p.get(), &pd), "cannot query a primitive");
  const dnnl_memory_desc_t* md = dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0);
  return md ? memory::desc(*md) : memory::desc();
}

}  // namespace pipe::nn::dnn
