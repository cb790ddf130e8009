#include "stages/nn/pool.h"

#include <immintrin.h>
#include <omp.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <limits>

#include "engine/error.h"
#include "stages/nn/activation.h"
#include "stages/nn/dnnl_util.h"

namespace pipe::nn {

namespace {

class Pool : public Layer {
 public:
  Pool(const Options& o, bool max) : max_(max) {
    size_ = o.ints("size", 2, 2);
    stride_ = o.has("stride") ? o.ints("stride", 2, 1) : size_;
    for (auto* d : {&size_, &stride_})
      for (int64_t v : *d)
        if (v < 1) throw ConfigError("size and stride must be >= 1");
    padding_ = o.text("padding", "valid");
    if (padding_ != "valid" && padding_ != "same")
      throw ConfigError("unknown padding '" + padding_ + "'").hint("allowed: valid, same");
  }

  Dims configure(const Dims& in) override {
    const char* what = max_ ? "maxpool" : "avgpool";
    if (in.size() != 3)
      throw ConfigError(std::string(what) + " expects 4-D input (batch, channels, height, width), got " +
                        shape_str(in))
          .hint("add reshape: [channels, height, width]");
    geometry_.kernel = size_;
    geometry_.stride = stride_;
    Dims out{in[0], 0, 0};
    for (int i = 0; i < 2; ++i) {
      const int64_t size = in[1 + i];
      int64_t lo = 0, hi = 0, o = 0;
      if (padding_ == "same") {
        o = (size + stride_[i] - 1) / stride_[i];
        const int64_t total = std::max<int64_t>((o - 1) * stride_[i] + size_[i] - size, 0);
        lo = total / 2;
        hi = total - lo;
      } else {
        if (size < size_[i])
          throw ConfigError(std::string(what) + " window " + shape_str(size_) + " does not fit the input " +
                            shape_str(in))
              .hint("use padding: same or a smaller size");
        o = (size - size_[i]) / stride_[i] + 1;
      }
      out[1 + i] = o;
      geometry_.pad_l[i] = lo;
      geometry_.pad_r[i] = hi;
    }
    return out;
  }

  std::unique_ptr<LayerRun> forward(Plan& plan, const Tensor& in) override;

  bool max_;
  Dims size_, stride_;
  std::string padding_;
  dnn::PoolGeometry geometry_;
};

class PoolRun : public LayerRun {
 public:
  PoolRun(Pool& layer, Plan& plan, const Tensor& in) : layer_(layer) {
    const int64_t n = plan.n();
    alg_ = layer.max_ ? dnnl::algorithm::pooling_max : dnnl::algorithm::pooling_avg_exclude_padding;
    // Pooling takes its input's layout.
    const Dims src_dims = with_batch(n, layer.in_shape);
    auto src_md = in.mem.get_desc();
    if (dnn::dims_of(src_md) != src_dims) src_md = dnn::plain(src_dims);
    const auto src = plan.convert(Plan::kForward, in.mem, src_md);
    pd_ = dnn::pool_forward(plan.engine(), plan.has_backward(), alg_, src_md,
                            dnn::any(with_batch(n, layer.out_shape)), layer.geometry_);
    const auto dst = plan.alloc(pd_.dst_desc());
    Plan::Args args{{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, dst}};
    if (layer.max_ && plan.has_backward()) {
      workspace_ = plan.alloc(pd_.workspace_desc());
      args[DNNL_ARG_WORKSPACE] = workspace_;
    }
    plan.add(Plan::kForward, dnnl::pooling_v2_forward(pd_), std::move(args));
    out = {dst, layer.out_shape};
  }

  bool fold_activation(const Activation& act) override {
    if (!layer_.max_ || !act.fusable()) return false;
    folded_ = act;
    return true;
  }

  dnnl::memory backward(Plan& plan, const dnnl::memory& diff, bool need_input_grad) override {
    if (!need_input_grad) return {};
    const auto& eng = plan.engine();
    auto pd = dnn::pool_backward(eng, alg_, dnn::any(dnn::dims_of(pd_.src_desc())), pd_.dst_desc(),
                                 layer_.geometry_, pd_);
    auto diff_dst = plan.convert(Plan::kBackward, diff, pd.diff_dst_desc());
    if (folded_.kind != Activation::kNone) {
      // d/d(pre-activation) at the chosen element: the activation's derivative from the
      // pooled value, which is that element's activation.
      const auto md = pd_.dst_desc();
      const auto alg = folded_.backward_alg();
      auto hint = dnn::eltwise_forward(eng, true, alg, md, folded_.alpha, 0.0f);
      auto act_pd = dnn::eltwise_backward(eng, alg, md, md, folded_.alpha, 0.0f, hint);
      const auto dd = plan.convert(Plan::kBackward, diff_dst, md);
      const auto scaled = plan.alloc(md);
      plan.add(Plan::kBackward, dnnl::eltwise_backward(act_pd),
               {{DNNL_ARG_DST, out.mem}, {DNNL_ARG_DIFF_DST, dd}, {DNNL_ARG_DIFF_SRC, scaled}});
      diff_dst = plan.convert(Plan::kBackward, scaled, pd.diff_dst_desc());
    }
    const auto diff_src = plan.alloc(pd.diff_src_desc());
    Plan::Args args{{DNNL_ARG_DIFF_DST, diff_dst}, {DNNL_ARG_DIFF_SRC, diff_src}};
    if (workspace_) args[DNNL_ARG_WORKSPACE] = workspace_;
    plan.add(Plan::kBackward, dnnl::pooling_v2_backward(pd), std::move(args));
    return diff_src;
  }

 private:
  Pool& layer_;
  dnnl::algorithm alg_;
  dnnl::pooling_v2_forward::primitive_desc pd_;
  dnnl::memory workspace_;
  Activation folded_;
};

// Max pooling written here for the layouts oneDNN's convolutions hand it: nChw16c and
// nChw8c (training), nhwc (inference) and nchw.  oneDNN 2.6's pooling runs several
// times slower than these loops on the small maps of image classifiers, and the
// backward applies a folded activation's derivative on the way.  Each layout is a
// stack of planes (an image, or a block of channels of an image) of h×w pixels of
// `lanes` contiguous channels.  The workspace holds the chosen window position of each
// output value.
struct MaxPoolShape {
  int64_t planes = 0, lanes = 1;
  int64_t h = 0, w = 0, oh = 0, ow = 0, kh = 0, kw = 0, sh = 0, sw = 0, pt = 0, pl = 0;
  bool stream = false;  // the 2x2 backward writes diff_src past the caches (see MaxPoolRun::backward)
  bool two_by_two() const { return kh == 2 && kw == 2 && sh == 2 && sw == 2 && pt == 0 && pl == 0; }
};

// GCC/Clang vector types of W lanes: element-wise operators, lowered to the ISA at hand.
template <int W>
struct Lanes {
  typedef float f __attribute__((vector_size(4 * W)));
  typedef int32_t i __attribute__((vector_size(4 * W)));
  typedef uint8_t u8 __attribute__((vector_size(W)));
};
template <class T>
inline T load(const void* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
template <class T>
inline void store(void* p, T v) {
  std::memcpy(p, &v, sizeof v);
}

// 2x2 windows, stride 2, no padding: the common case.  Lanes [l, l + W) of the window
// whose top row starts at a and bottom row at c (pixels L floats apart).
template <int W, bool kKeep>
inline void max_of_2x2(const float* a, const float* c, int64_t L, int64_t l, float* dst, uint8_t* ws) {
  using vf = typename Lanes<W>::f;
  using vi = typename Lanes<W>::i;
  vf m = load<vf>(a + l);
  vi k = {};
  const vf v1 = load<vf>(a + L + l), v2 = load<vf>(c + l), v3 = load<vf>(c + L + l);
  vi gt = v1 > m;
  m = gt ? v1 : m;
  k = gt ? (k & 0) + 1 : k;
  gt = v2 > m;
  m = gt ? v2 : m;
  k = gt ? (k & 0) + 2 : k;
  gt = v3 > m;
  m = gt ? v3 : m;
  k = gt ? (k & 0) + 3 : k;
  store(dst + l, m);
  if (kKeep) store(ws + l, __builtin_convertvector(k, typename Lanes<W>::u8));
}

template <bool kKeep>
void maxpool_forward_2x2(const MaxPoolShape& g, const float* src, float* dst, uint8_t* ws) {
  const int64_t L = g.lanes;
#pragma omp parallel for schedule(static) if (!omp_in_parallel())
  for (int64_t p = 0; p < g.planes; ++p) {
    for (int64_t oy = 0; oy < g.oh; ++oy) {
      const float* r0 = src + (p * g.h + 2 * oy) * g.w * L;
      const float* r1 = r0 + g.w * L;
      const int64_t o = (p * g.oh + oy) * g.ow * L;
      for (int64_t ox = 0; ox < g.ow; ++ox) {
        const float* a = r0 + 2 * ox * L;
        const float* c = r1 + 2 * ox * L;
        float* out = dst + o + ox * L;
        uint8_t* at = kKeep ? ws + o + ox * L : nullptr;
        int64_t l = 0;
        for (; l + 16 <= L; l += 16) max_of_2x2<16, kKeep>(a, c, L, l, out, at);
        for (; l + 8 <= L; l += 8) max_of_2x2<8, kKeep>(a, c, L, l, out, at);
        for (; l < L; ++l) max_of_2x2<1, kKeep>(a, c, L, l, out, at);
      }
    }
  }
}

// Any window: lanes [l, l + W) of output (oy, ox) of the plane at `in`.
template <int W, bool kKeep>
inline void max_of_window(const MaxPoolShape& g, const float* in, int64_t oy, int64_t ox, int64_t l,
                          float* dst, uint8_t* ws) {
  using vf = typename Lanes<W>::f;
  using vi = typename Lanes<W>::i;
  const int64_t L = g.lanes;
  vf m = {};
  m = m - std::numeric_limits<float>::infinity();
  vi k = {};
  for (int64_t ky = 0; ky < g.kh; ++ky) {
    const int64_t iy = oy * g.sh - g.pt + ky;
    if (iy < 0 || iy >= g.h) continue;
    for (int64_t kx = 0; kx < g.kw; ++kx) {
      const int64_t ix = ox * g.sw - g.pl + kx;
      if (ix < 0 || ix >= g.w) continue;
      const vf v = load<vf>(in + (iy * g.w + ix) * L + l);
      const vi gt = v > m;
      m = gt ? v : m;
      k = gt ? (k & 0) + static_cast<int32_t>(ky * g.kw + kx) : k;
    }
  }
  store(dst + l, m);
  if (kKeep) store(ws + l, __builtin_convertvector(k, typename Lanes<W>::u8));
}

template <bool kKeep>
void maxpool_forward_any(const MaxPoolShape& g, const float* src, float* dst, uint8_t* ws) {
  const int64_t L = g.lanes;
#pragma omp parallel for schedule(static) if (!omp_in_parallel())
  for (int64_t p = 0; p < g.planes; ++p) {
    const float* in = src + p * g.h * g.w * L;
    for (int64_t oy = 0; oy < g.oh; ++oy)
      for (int64_t ox = 0; ox < g.ow; ++ox) {
        const int64_t o = ((p * g.oh + oy) * g.ow + ox) * L;
        uint8_t* at = kKeep ? ws + o : nullptr;
        int64_t l = 0;
        for (; l + 16 <= L; l += 16) max_of_window<16, kKeep>(g, in, oy, ox, l, dst + o, at);
        for (; l + 8 <= L; l += 8) max_of_window<8, kKeep>(g, in, oy, ox, l, dst + o, at);
        for (; l < L; ++l) max_of_window<1, kKeep>(g, in, oy, ox, l, dst + o, at);
      }
  }
}

void maxpool_forward(const MaxPoolShape& g, const float* src, float* dst, uint8_t* ws) {
  if (g.two_by_two()) {
    if (ws) return maxpool_forward_2x2<true>(g, src, dst, ws);
    return maxpool_forward_2x2<false>(g, src, dst, ws);
  }
  if (ws) return maxpool_forward_any<true>(g, src, dst, ws);
  return maxpool_forward_any<false>(g, src, dst, ws);
}

// d(activation)/d(input) from the activation's output y, as oneDNN's *_use_dst_for_bwd.
template <Activation::Kind K, class V>
inline V derivative(V y, float alpha) {
  const V zero = y - y, one = zero + 1.0f;
  switch (K) {
    case Activation::kRelu:
    case Activation::kLeakyRelu:
      return y > zero ? one : zero + alpha;
    case Activation::kElu:
      return y > zero ? one : y + alpha;
    case Activation::kTanh:
      return one - y * y;
    case Activation::kSigmoid:
      return y * (one - y);
    default:
      return one;
  }
}

// Stores v at p, with kStream (16 lanes, p 64-byte aligned) as a non-temporal store.
template <bool kStream, class V>
inline void put(float* p, V v) {
#ifdef __AVX512F__
  if constexpr (kStream && sizeof(V) == 64) return _mm512_stream_ps(p, reinterpret_cast<__m512>(v));
#endif
  store(p, v);
}

// The gradient of lanes [l, l + W) of one output spread over its 2x2 window.
template <int W, Activation::Kind K, bool kStream = false>
inline void spread_2x2(const float* diff_dst, const float* dst, const uint8_t* ws, float alpha, float* a,
                       float* c, int64_t L, int64_t l) {
  using vf = typename Lanes<W>::f;
  using vi = typename Lanes<W>::i;
  const vf d = load<vf>(diff_dst + l) * derivative<K>(load<vf>(dst + l), alpha);
  const vi k = __builtin_convertvector(load<typename Lanes<W>::u8>(ws + l), vi);
  const vf zero = d - d;
  put<kStream>(a + l, k == 0 ? d : zero);
  put<kStream>(a + L + l, k == 1 ? d : zero);
  put<kStream>(c + l, k == 2 ? d : zero);
  put<kStream>(c + L + l, k == 3 ? d : zero);
}

template <Activation::Kind K, bool kStream>
void maxpool_backward_2x2(const MaxPoolShape& g, const float* diff_dst, const float* dst, const uint8_t* ws,
                          float* diff_src, float alpha) {
  const int64_t L = g.lanes;
#pragma omp parallel if (!omp_in_parallel())
  {
#pragma omp for schedule(static)
    for (int64_t p = 0; p < g.planes; ++p) {
      float* plane = diff_src + p * g.h * g.w * L;
      // rows and columns no window covers (odd sizes)
      for (int64_t y = 2 * g.oh; y < g.h; ++y) std::memset(plane + y * g.w * L, 0, sizeof(float) * g.w * L);
      if (2 * g.ow < g.w)
        for (int64_t y = 0; y < 2 * g.oh; ++y)
          std::memset(plane + (y * g.w + 2 * g.ow) * L, 0, sizeof(float) * (g.w - 2 * g.ow) * L);
      for (int64_t oy = 0; oy < g.oh; ++oy) {
        float* r0 = plane + (2 * oy) * g.w * L;
        float* r1 = r0 + g.w * L;
        const int64_t o = (p * g.oh + oy) * g.ow * L;
        for (int64_t ox = 0; ox < g.ow; ++ox) {
          float* a = r0 + 2 * ox * L;
          float* c = r1 + 2 * ox * L;
          const int64_t i = o + ox * L;
          int64_t l = 0;
          for (; l + 16 <= L; l += 16)
            spread_2x2<16, K, kStream>(diff_dst + i, dst + i, ws + i, alpha, a, c, L, l);
          for (; l + 8 <= L; l += 8) spread_2x2<8, K>(diff_dst + i, dst + i, ws + i, alpha, a, c, L, l);
          for (; l < L; ++l) spread_2x2<1, K>(diff_dst + i, dst + i, ws + i, alpha, a, c, L, l);
        }
      }
    }
    if (kStream) _mm_sfence();  // the streamed stores are visible before anyone reads them
  }
}

// Any window: the gradient of lanes [l, l + W) of one output onto its window, written
// (windows that do not overlap) or added.
template <int W, Activation::Kind K, bool kAdd>
inline void spread_window(const MaxPoolShape& g, const float* diff_dst, const float* dst, const uint8_t* ws,
                          float alpha, float* plane, int64_t oy, int64_t ox, int64_t l) {
  using vf = typename Lanes<W>::f;
  using vi = typename Lanes<W>::i;
  const int64_t L = g.lanes;
  const vf d = load<vf>(diff_dst + l) * derivative<K>(load<vf>(dst + l), alpha);
  const vi k = __builtin_convertvector(load<typename Lanes<W>::u8>(ws + l), vi);
  const vf zero = d - d;
  for (int64_t ky = 0; ky < g.kh; ++ky) {
    const int64_t iy = oy * g.sh - g.pt + ky;
    if (iy < 0 || iy >= g.h) continue;
    for (int64_t kx = 0; kx < g.kw; ++kx) {
      const int64_t ix = ox * g.sw - g.pl + kx;
      if (ix < 0 || ix >= g.w) continue;
      float* v = plane + (iy * g.w + ix) * L + l;
      const vf part = k == static_cast<int32_t>(ky * g.kw + kx) ? d : zero;
      store(v, kAdd ? load<vf>(v) + part : part);
    }
  }
}

template <Activation::Kind K, bool kAdd>
void maxpool_backward_any(const MaxPoolShape& g, const float* diff_dst, const float* dst, const uint8_t* ws,
                          float* diff_src, float alpha) {
  const int64_t L = g.lanes;
#pragma omp parallel for schedule(static) if (!omp_in_parallel())
  for (int64_t p = 0; p < g.planes; ++p) {
    float* plane = diff_src + p * g.h * g.w * L;
    if (kAdd) {
      std::memset(plane, 0, sizeof(float) * g.h * g.w * L);
    } else {  // rows and columns no window covers
      for (int64_t y = g.oh * g.sh; y < g.h; ++y)
        std::memset(plane + y * g.w * L, 0, sizeof(float) * g.w * L);
      if (g.ow * g.sw < g.w)
        for (int64_t y = 0; y < std::min(g.h, g.oh * g.sh); ++y)
          std::memset(plane + (y * g.w + g.ow * g.sw) * L, 0, sizeof(float) * (g.w - g.ow * g.sw) * L);
    }
    for (int64_t oy = 0; oy < g.oh; ++oy)
      for (int64_t ox = 0; ox < g.ow; ++ox) {
        const int64_t o = ((p * g.oh + oy) * g.ow + ox) * L;
        int64_t l = 0;
        for (; l + 16 <= L; l += 16)
          spread_window<16, K, kAdd>(g, diff_dst + o, dst + o, ws + o, alpha, plane, oy, ox, l);
        for (; l + 8 <= L; l += 8)
          spread_window<8, K, kAdd>(g, diff_dst + o, dst + o, ws + o, alpha, plane, oy, ox, l);
        for (; l < L; ++l)
          spread_window<1, K, kAdd>(g, diff_dst + o, dst + o, ws + o, alpha, plane, oy, ox, l);
      }
  }
}

template <Activation::Kind K>
void maxpool_backward(const MaxPoolShape& g, const float* diff_dst, const float* dst, const uint8_t* ws,
                      float* diff_src, float alpha) {
  if (g.two_by_two()) {
    if (g.stream) return maxpool_backward_2x2<K, true>(g, diff_dst, dst, ws, diff_src, alpha);
    return maxpool_backward_2x2<K, false>(g, diff_dst, dst, ws, diff_src, alpha);
  }
  // windows side by side (padding-free, stride = size): each input written once
  if (g.sh == g.kh && g.sw == g.kw && g.pt == 0 && g.pl == 0)
    return maxpool_backward_any<K, false>(g, diff_dst, dst, ws, diff_src, alpha);
  return maxpool_backward_any<K, true>(g, diff_dst, dst, ws, diff_src, alpha);
}

void maxpool_backward(const MaxPoolShape& g, const float* diff_dst, const float* dst, const uint8_t* ws,
                      float* diff_src, const Activation& act) {
  const float a = act.alpha;
  switch (act.kind) {
    case Activation::kRelu:
    case Activation::kLeakyRelu:
      return maxpool_backward<Activation::kRelu>(g, diff_dst, dst, ws, diff_src, a);
    case Activation::kElu:
      return maxpool_backward<Activation::kElu>(g, diff_dst, dst, ws, diff_src, a);
    case Activation::kTanh:
      return maxpool_backward<Activation::kTanh>(g, diff_dst, dst, ws, diff_src, a);
    case Activation::kSigmoid:
      return maxpool_backward<Activation::kSigmoid>(g, diff_dst, dst, ws, diff_src, a);
    default:
      return maxpool_backward<Activation::kNone>(g, diff_dst, dst, ws, diff_src, a);
  }
}

constexpr size_t kStreamBytes = size_t{4} << 20;

class MaxPoolRun : public LayerRun {
 public:
  // src in `tag`'s layout: nChw16c, nChw8c, nhwc or nchw.
  MaxPoolRun(Pool& layer, Plan& plan, const dnnl::memory& src, dnnl::memory::format_tag tag) {
    using tags = dnnl::memory::format_tag;
    const int64_t n = plan.n();
    const Dims& in = layer.in_shape;
    const auto& g = layer.geometry_;
    const int64_t lanes = tag == tags::nChw16c ? 16 : tag == tags::nChw8c ? 8 : tag == tags::nhwc ? in[0] : 1;
    const int64_t planes = tag == tags::nhwc ? n : n * ((in[0] + lanes - 1) / lanes);
    shape_ = {planes,      lanes,       in[1],       in[2],       layer.out_shape[1], layer.out_shape[2],
              g.kernel[0], g.kernel[1], g.stride[0], g.stride[1], g.pad_l[0],         g.pad_l[1]};
    src_desc_ = src.get_desc();
    const auto dst = plan.alloc(dnn::tagged(with_batch(n, layer.out_shape), tag));
    out = {dst, layer.out_shape};
    if (plan.has_backward()) ws_.assign(dnn::floats(dst.get_desc()), 0);
    const float* s = static_cast<const float*>(src.get_data_handle());
    float* d = static_cast<float*>(dst.get_data_handle());
    uint8_t* ws = ws_.empty() ? nullptr : ws_.data();
    const MaxPoolShape shape = shape_;
    plan.add(Plan::kForward, [=]() { maxpool_forward(shape, s, d, ws); });
  }

  bool fold_activation(const Activation& act) override {
    if (!act.fusable()) return false;
    folded_ = act;
    return true;
  }

  dnnl::memory backward(Plan& plan, const dnnl::memory& diff, bool need_input_grad) override {
    if (!need_input_grad) return {};
    const auto diff_dst = plan.convert(Plan::kBackward, diff, out.mem.get_desc());
    const auto diff_src = plan.alloc(src_desc_);
    const float* dd = static_cast<const float*>(diff_dst.get_data_handle());
    const float* y = static_cast<const float*>(out.mem.get_data_handle());
    float* ds = static_cast<float*>(diff_src.get_data_handle());
    const uint8_t* ws = ws_.data();
    MaxPoolShape shape = shape_;
    // A diff_src larger than the caches (2 MB of L2 a core) goes to memory anyway: writing it
    // with non-temporal stores saves reading each line in before overwriting it, which
    // halves the traffic of this pass.  Smaller ones stay in the cache for the next layer.
    shape.stream = shape.lanes == 16 && diff_src.get_desc().get_size() >= kStreamBytes &&
                   reinterpret_cast<uintptr_t>(ds) % 64 == 0;
    const Activation act = folded_;
    plan.add(Plan::kBackward, [=]() { maxpool_backward(shape, dd, y, ws, ds, act); });
    return diff_src;
  }

 private:
  MaxPoolShape shape_;
  dnnl::memory::desc src_desc_;
  std::vector<uint8_t> ws_;
  Activation folded_;
};

// The layout of md when max pooling handles it here, else undef.
dnnl::memory::format_tag maxpool_layout(const dnnl::memory::desc& md) {
  using tags = dnnl::memory::format_tag;
  const Dims dims = dnn::dims_of(md);
  if (dims.size() != 4) return tags::undef;
  for (tags t : {tags::nChw16c, tags::nChw8c, tags::nhwc, tags::nchw})
    if (md == dnn::tagged(dims, t)) return t;
  return tags::undef;
}

std::unique_ptr<LayerRun> Pool::forward(Plan& plan, const Tensor& in) {
  if (max_) {
    const Dims src_dims = with_batch(plan.n(), in_shape);
    dnnl::memory src = in.mem;
    if (dnn::dims_of(src.get_desc()) != src_dims)
      src = plan.convert(Plan::kForward, src, dnn::plain(src_dims));
    const auto tag = maxpool_layout(src.get_desc());
    if (tag != dnnl::memory::format_tag::undef) return std::make_unique<MaxPoolRun>(*this, plan, src, tag);
  }
  return std::make_unique<PoolRun>(*this, plan, in);
}

}  // namespace

LayerSpec maxpool_layer() {
  return {"maxpool", {"max_pool", "maxpool2d"}, "size", {"size", "stride", "padding"}, [](const Options& o) {
            return std::make_unique<Pool>(o, true);
          }};
}

LayerSpec avgpool_layer() {
  return {"avgpool", {"avg_pool", "avgpool2d"}, "size", {"size", "stride", "padding"}, [](const Options& o) {
            return std::make_unique<Pool>(o, false);
          }};
}

}  // namespace pipe::nn
