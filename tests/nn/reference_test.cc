// Every layer's forward against a naive implementation written here, with the
// net's own weights read through get_param (PyTorch's layouts).
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>

#include "tests/nn/helpers.h"

namespace pipe::nn::test {

namespace {

using Vec = std::vector<float>;

void require_close(const Vec& got, const Vec& want, double tol = 1e-5) {
  REQUIRE(got.size() == want.size());
  double worst = 0;
  size_t at = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    const double d = std::fabs(got[i] - want[i]) / (1.0 + std::fabs(want[i]));
    if (d > worst) worst = d, at = i;
  }
  INFO("worst at " << at << ": got " << got[at] << " want " << want[at]);
  CHECK(worst <= tol);
}

// Runs x through the net in inference and returns a layer's output.
Vec output_of(Net& net, const Vec& x, int n, const std::string& layer) {
  net.predict(x.data(), n, nullptr);
  return net.layer_output(layer);
}

// out[n][o][y][x] = b[o] + sum in[n][c][y*s - pt + ky*d][x*s - pl + kx*d] w[o][c][ky][kx]
Vec conv_ref(const Vec& in, int n, int c, int h, int w, const Vec& wt, const Vec& bias, int o, int kh, int kw,
             int sh, int sw, int dh, int dw, int pt, int pl, int oh, int ow) {
  Vec out(static_cast<size_t>(n) * o * oh * ow);
  for (int b = 0; b < n; ++b)
    for (int f = 0; f < o; ++f)
      for (int y = 0; y < oh; ++y)
        for (int x = 0; x < ow; ++x) {
          double s = bias.empty() ? 0 : bias[f];
          for (int ch = 0; ch < c; ++ch)
            for (int ky = 0; ky < kh; ++ky)
              for (int kx = 0; kx < kw; ++kx) {
                const int iy = y * sh - pt + ky * dh, ix = x * sw - pl + kx * dw;
                if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
                s += in[((b * c + ch) * h + iy) * w + ix] * wt[((f * c + ch) * kh + ky) * kw + kx];
              }
          out[((b * o + f) * oh + y) * ow + x] = static_cast<float>(s);
        }
  return out;
}

Vec pool_ref(const Vec& in, int n, int c, int h, int w, int k, int s, int pt, int pl, int oh, int ow,
             bool max) {
  Vec out(static_cast<size_t>(n) * c * oh * ow);
  for (int b = 0; b < n * c; ++b)
    for (int y = 0; y < oh; ++y)
      for (int x = 0; x < ow; ++x) {
        double best = -1e30, sum = 0;
        int count = 0;
        for (int ky = 0; ky < k; ++ky)
          for (int kx = 0; kx < k; ++kx) {
            const int iy = y * s - pt + ky, ix = x * s - pl + kx;
            if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
            const float v = in[(b * h + iy) * w + ix];
            best = std::max<double>(best, v);
            sum += v;
            ++count;
          }
        out[(b * oh + y) * ow + x] = static_cast<float>(max ? best : sum / count);
      }
  return out;
}

Vec dense_ref(const Vec& in, int n, int inputs, const Vec& wt, const Vec& bias, int units) {
  Vec out(static_cast<size_t>(n) * units);
  for (int b = 0; b < n; ++b)
    for (int u = 0; u < units; ++u) {
      double s = bias.empty() ? 0 : bias[u];
      for (int i = 0; i < inputs; ++i) s += in[b * inputs + i] * wt[u * inputs + i];
      out[b * units + u] = static_cast<float>(s);
    }
  return out;
}

double sigmoid(double x) { return 1 / (1 + std::exp(-x)); }

// PyTorch's RNN / LSTM / GRU over the sequence x[n][t][f]; returns every step's h.
Vec rnn_ref(const std::string& cell, const Vec& x, int n, int steps, int features, int units, const Vec& wih,
            const Vec& whh, const Vec& bih, const Vec& bhh, bool relu = false) {
  const int g = cell == "lstm" ? 4 : cell == "gru" ? 3 : 1;
  Vec out(static_cast<size_t>(n) * steps * units);
  for (int b = 0; b < n; ++b) {
    std::vector<double> h(units, 0), c(units, 0);
    for (int t = 0; t < steps; ++t) {
      std::vector<double> gi(g * units), gh(g * units);
      for (int r = 0; r < g * units; ++r) {
        gi[r] = bih[r];
        gh[r] = bhh[r];
        for (int f = 0; f < features; ++f) gi[r] += wih[r * features + f] * x[(b * steps + t) * features + f];
        for (int u = 0; u < units; ++u) gh[r] += whh[r * units + u] * h[u];
      }
      std::vector<double> next(units);
      for (int u = 0; u < units; ++u) {
        if (cell == "simple_rnn") {
          const double a = gi[u] + gh[u];
          next[u] = relu ? std::max(a, 0.0) : std::tanh(a);
        } else if (cell == "lstm") {
          const double i = sigmoid(gi[u] + gh[u]), fg = sigmoid(gi[units + u] + gh[units + u]);
          const double gg = std::tanh(gi[2 * units + u] + gh[2 * units + u]);
          const double o = sigmoid(gi[3 * units + u] + gh[3 * units + u]);
          c[u] = fg * c[u] + i * gg;
          next[u] = o * std::tanh(c[u]);
        } else {
          const double r = sigmoid(gi[u] + gh[u]), z = sigmoid(gi[units + u] + gh[units + u]);
          const double nn = std::tanh(gi[2 * units + u] + r * gh[2 * units + u]);
          next[u] = (1 - z) * nn + z * h[u];
        }
      }
      h = next;
      for (int u = 0; u < units; ++u) out[(b * steps + t) * units + u] = static_cast<float>(h[u]);
    }
  }
  return out;
}

}  // namespace

TEST_CASE("conv2d matches a naive convolution (padding, stride, dilation, bias)", "[nn][reference]") {
  struct Case {
    const char* layer;
    int c, h, w, o, kh, kw, sh, sw, dh, dw, pt, pl, oh, ow;
    bool bias;
  };
  const Case cases[] = {
      {R"({"conv": {"filters": 4, "kernel": 3, "padding": "same"}})", 2, 5, 6, 4, 3, 3, 1, 1, 1, 1, 1, 1, 5,
       6, true},
      {R"({"conv": {"filters": 3, "kernel": [2, 3], "stride": 2, "padding": "valid", "bias": false}})", 3, 7,
       8, 3, 2, 3, 2, 2, 1, 1, 0, 0, 3, 3, false},
      {R"({"conv": {"filters": 2, "kernel": 3, "dilation": 2, "padding": [1, 2]}})", 1, 8, 8, 2, 3, 3, 1, 1,
       2, 2, 1, 2, 6, 8, true},
      // TensorFlow's same with stride 2 on an even size pads only at the end.
      {R"({"conv": {"filters": 5, "kernel": 3, "stride": 2, "padding": "same"}})", 2, 6, 6, 5, 3, 3, 2, 2, 1,
       1, 0, 0, 3, 3, true},
  };
  for (const Case& k : cases) {
    auto net = make_net(std::string("[") + k.layer + R"(, "flatten", {"dense": 2}])", {k.c, k.h, k.w}, 2, 3);
    const int n = 2;
    const Vec x = random_values(static_cast<size_t>(n) * k.c * k.h * k.w, 4);
    const Vec want = conv_ref(x, n, k.c, k.h, k.w, net->get_param("conv2d_1.weight"),
                              k.bias ? net->get_param("conv2d_1.bias") : Vec{}, k.o, k.kh, k.kw, k.sh, k.sw,
                              k.dh, k.dw, k.pt, k.pl, k.oh, k.ow);
    INFO(k.layer);
    require_close(output_of(*net, x, n, "conv2d_1"), want);
  }
}

// ||got - want|| / ||want||: for gradients, whose scale is far below 1.
double norm_error(const Vec& got, const Vec& want) {
  REQUIRE(got.size() == want.size());
  double diff = 0, ref = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    diff += (double(got[i]) - want[i]) * (double(got[i]) - want[i]);
    ref += double(want[i]) * want[i];
  }
  return std::sqrt(diff / ref);
}

TEST_CASE("conv2d in training matches a naive convolution where it takes Winograd's algorithm",
          "[nn][reference]") {
  // 32 channels in and out over 2 x 64 x 64 output pixels: the size from which training
  // convolutions use Winograd's algorithm (dnnl_util.cc); its rounding differs from the
  // direct algorithm's, the results must not.
  const int n = 2, c = 32, h = 64, w = 64, o = 32;
  auto net = make_net(R"([{"conv": {"filters": 32, "kernel": 3, "padding": "same"}}, "flatten", {"dense": 3}])",
                      {c, h, w}, 3, 8);
  net->set_micro_batch(-1);
  net->enable_input_grad(true);
  const Vec x = random_values(static_cast<size_t>(n) * c * h * w, 9);
  const std::vector<int32_t> y{2, 0};
  net->forward_backward(x.data(), y.data(), n);
  const Vec wt = net->get_param("conv2d_1.weight");
  const Vec out = net->layer_output("conv2d_1"), dout = net->layer_output_grad("conv2d_1");
  CHECK(norm_error(out, conv_ref(x, n, c, h, w, wt, net->get_param("conv2d_1.bias"), o, 3, 3, 1, 1, 1, 1, 1, 1,
                                 h, w)) <= 1e-5);
  // dW[f][ch][ky][kx] = sum dout[b][f][y][x] in[b][ch][y + ky - 1][x + kx - 1]; dIn likewise.
  Vec dw(wt.size(), 0.0f), dx(x.size(), 0.0f);
  std::vector<double> acc_w(wt.size(), 0.0), acc_x(x.size(), 0.0);
  for (int b = 0; b < n; ++b)
    for (int f = 0; f < o; ++f)
      for (int yy = 0; yy < h; ++yy)
        for (int xx = 0; xx < w; ++xx) {
          const double g = dout[((b * o + f) * h + yy) * w + xx];
          for (int ch = 0; ch < c; ++ch)
            for (int ky = 0; ky < 3; ++ky)
              for (int kx = 0; kx < 3; ++kx) {
                const int iy = yy + ky - 1, ix = xx + kx - 1;
                if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
                const size_t wi = ((f * c + ch) * 3 + ky) * 3 + kx, xi = ((b * c + ch) * h + iy) * w + ix;
                acc_w[wi] += g * x[xi];
                acc_x[xi] += g * wt[wi];
              }
        }
  std::copy(acc_w.begin(), acc_w.end(), dw.begin());
  std::copy(acc_x.begin(), acc_x.end(), dx.begin());
  CHECK(norm_error(net->get_grad("conv2d_1.weight"), dw) <= 1e-5);
  CHECK(norm_error(net->input_grad(), dx) <= 1e-5);
}

TEST_CASE("pooling layers match naive pooling", "[nn][reference]") {
  const int n = 2, c = 3, h = 7, w = 6;
  const Vec x = random_values(static_cast<size_t>(n) * c * h * w, 5);
  auto run = [&](const std::string& layer) {
    auto net = make_net("[" + layer + R"(, "flatten", {"dense": 2}])", {c, h, w}, 2);
    return output_of(*net, x, n, net->layer_names()[0]);
  };
  require_close(run(R"({"maxpool": 2})"), pool_ref(x, n, c, h, w, 2, 2, 0, 0, 3, 3, true));
  require_close(run(R"({"maxpool": 3})"), pool_ref(x, n, c, h, w, 3, 3, 0, 0, 2, 2, true));
  require_close(run(R"({"maxpool": {"size": 3, "stride": 2, "padding": "same"}})"),
                pool_ref(x, n, c, h, w, 3, 2, 1, 0, 4, 3, true));
  require_close(run(R"({"avgpool": {"size": 2, "padding": "same"}})"),
                pool_ref(x, n, c, h, w, 2, 2, 0, 0, 4, 3, false));
  require_close(run(R"({"avgpool": {"size": 3, "stride": 1}})"),
                pool_ref(x, n, c, h, w, 3, 1, 0, 0, 5, 4, false));
  require_close(run(R"("global_avgpool")"), pool_ref(x, n, c, h, w, 7, 1, 0, 0, 1, 1, false));
}

TEST_CASE("max pooling of convolution outputs (blocked and channels-last layouts)", "[nn][reference]") {
  // The pooling sees whatever layout the convolution chose: nChw16c when training,
  // nhwc in inference on AVX-512, with 24 channels a partial block.
  const int n = 3, c = 24, h = 9, w = 8;
  for (const char* pool : {R"({"maxpool": 2})", R"({"maxpool": {"size": 3, "stride": 2, "padding": "same"}})",
                           R"({"maxpool": 3})"}) {
    auto net = make_net(
        std::string(R"([{"conv": {"filters": 24, "kernel": 3, "padding": "same", "activation": "tanh"}}, )") +
            pool + R"(, "flatten", {"dense": 2}])",
        {2, h, w}, 2);
    const Vec x = random_values(static_cast<size_t>(n) * 2 * h * w, 14);
    const std::vector<int32_t> y{0, 1, 0};
    const std::string kind(pool);
    const int k = kind == R"({"maxpool": 2})" ? 2 : 3, s = kind == R"({"maxpool": 3})" ? 3 : 2;
    const int pt = kind.find("same") != std::string::npos ? 1 : 0;
    const int oh = k == 2 ? 4 : s == 3 ? 3 : 5, ow = k == 2 ? 4 : s == 3 ? 2 : 4;
    INFO(pool);
    net->predict(x.data(), n, nullptr);
    require_close(net->layer_output("maxpool_1"),
                  pool_ref(net->layer_output("conv2d_1"), n, c, h, w, k, s, pt, 0, oh, ow, true));
    net->set_micro_batch(-1);
    net->forward_backward(x.data(), y.data(), n);
    require_close(net->layer_output("maxpool_1"),
                  pool_ref(net->layer_output("conv2d_1"), n, c, h, w, k, s, pt, 0, oh, ow, true));
  }
}

TEST_CASE("max pooling's gradient of a convolution output larger than the caches", "[nn][reference]") {
  // 4 x 16 x 129 x 128 floats (4.2 MB): the backward writes them with non-temporal stores;
  // the last row is in no window and gets no gradient.
  const int n = 4, c = 16, h = 129, w = 128, oh = 64, ow = 64;
  auto net = make_net(R"([{"conv": {"filters": 16, "kernel": 3, "padding": "same"}}, {"maxpool": 2}, "flatten",
                          {"dense": 3}])",
                      {1, h, w}, 3, 5);
  net->set_micro_batch(-1);
  const Vec x = random_values(static_cast<size_t>(n) * h * w, 15);
  const std::vector<int32_t> y{0, 1, 2, 1};
  net->forward_backward(x.data(), y.data(), n);
  const Vec conv = net->layer_output("conv2d_1"), pooled_grad = net->layer_output_grad("maxpool_1");
  Vec want(conv.size(), 0.0f);
  for (int p = 0; p < n * c; ++p)
    for (int oy = 0; oy < oh; ++oy)
      for (int ox = 0; ox < ow; ++ox) {
        size_t best = (static_cast<size_t>(p) * h + 2 * oy) * w + 2 * ox;
        for (int k = 1; k < 4; ++k) {
          const size_t at = (static_cast<size_t>(p) * h + 2 * oy + k / 2) * w + 2 * ox + k % 2;
          if (conv[at] > conv[best]) best = at;
        }
        want[best] = pooled_grad[(static_cast<size_t>(p) * oh + oy) * ow + ox];
      }
  CHECK(net->layer_output_grad("conv2d_1") == want);
}

TEST_CASE("dense, flatten and reshape match naive ones", "[nn][reference]") {
  const int n = 3;
  auto net = make_net(R"([{"conv": {"filters": 2, "kernel": 1, "activation": "relu"}}, "flatten",
                          {"reshape": [4, -1]}, "flatten", {"dense": {"units": 5, "activation": "tanh"}},
                          {"dense": 3}])",
                      {2, 3, 4}, 3);
  const Vec x = random_values(n * 24, 6);
  net->predict(x.data(), n, nullptr);
  const Vec conv = net->layer_output("conv2d_1");
  CHECK(net->layer_output("flatten_1") == conv);  // C, H, W order like PyTorch
  CHECK(net->layer_output("reshape_1") == conv);
  Vec want = dense_ref(conv, n, 24, net->get_param("dense_1.weight"), net->get_param("dense_1.bias"), 5);
  for (float& v : want) v = std::tanh(v);
  require_close(net->layer_output("dense_1"), want);
  // the last layer's output: logits
  require_close(net->layer_output("dense_2"),
                dense_ref(want, n, 5, net->get_param("dense_2.weight"), net->get_param("dense_2.bias"), 3));
}

TEST_CASE("activation layers match their formulas", "[nn][reference]") {
  const int n = 2;
  const Vec x = random_values(n * 12, 7, -3, 3);
  auto run = [&](const std::string& layer) {
    auto net = make_net("[" + layer + R"(, "flatten", {"dense": 2}])", {3, 2, 2}, 2);
    return output_of(*net, x, n, net->layer_names()[0]);
  };
  auto map = [&](double (*f)(double)) {
    Vec out(x.size());
    for (size_t i = 0; i < x.size(); ++i) out[i] = static_cast<float>(f(x[i]));
    return out;
  };
  require_close(run(R"("relu")"), map([](double v) { return std::max(v, 0.0); }));
  require_close(run(R"("leaky_relu")"), map([](double v) { return v > 0 ? v : 0.2 * v; }));
  require_close(run(R"({"leaky_relu": {"alpha": 0.05}})"),
                map([](double v) { return v > 0 ? v : 0.05 * v; }));
  require_close(run(R"("elu")"), map([](double v) { return v > 0 ? v : std::exp(v) - 1; }));
  require_close(run(R"("tanh")"), map([](double v) { return std::tanh(v); }));
  require_close(run(R"("sigmoid")"), map([](double v) { return 1 / (1 + std::exp(-v)); }));
  require_close(run(R"("gelu")"), map([](double v) { return 0.5 * v * (1 + std::erf(v / std::sqrt(2.0))); }));
  require_close(run(R"({"activation": "linear"})"), x);
  // softmax over the channels of C×H×W
  Vec want(x.size());
  for (int b = 0; b < n; ++b)
    for (int p = 0; p < 4; ++p) {
      double sum = 0;
      for (int ch = 0; ch < 3; ++ch) sum += std::exp(x[(b * 3 + ch) * 4 + p]);
      for (int ch = 0; ch < 3; ++ch)
        want[(b * 3 + ch) * 4 + p] = static_cast<float>(std::exp(x[(b * 3 + ch) * 4 + p]) / sum);
    }
  require_close(run(R"("softmax")"), want);
}

TEST_CASE("batchnorm uses batch statistics in training and running ones in inference", "[nn][reference]") {
  const int n = 4, c = 2, hw = 3;
  auto net = make_net(R"(["batchnorm", "flatten", {"dense": 2}])", {c, 1, hw}, 2);
  net->set_param("batchnorm_1.weight", {1.5f, -0.5f});
  net->set_param("batchnorm_1.bias", {0.25f, 1.0f});
  const Vec x = random_values(n * c * hw, 8, -2, 3);
  const std::vector<int32_t> y = {0, 1, 0, 1};
  net->forward_backward(x.data(), y.data(), n);
  Vec want(x.size());
  std::vector<double> mean(c, 0), var(c, 0);
  for (int ch = 0; ch < c; ++ch) {
    for (int b = 0; b < n; ++b)
      for (int i = 0; i < hw; ++i) mean[ch] += x[(b * c + ch) * hw + i] / (n * hw);
    for (int b = 0; b < n; ++b)
      for (int i = 0; i < hw; ++i) var[ch] += std::pow(x[(b * c + ch) * hw + i] - mean[ch], 2) / (n * hw);
    const double g = ch == 0 ? 1.5 : -0.5, beta = ch == 0 ? 0.25 : 1.0;
    for (int b = 0; b < n; ++b)
      for (int i = 0; i < hw; ++i) {
        const int k = (b * c + ch) * hw + i;
        want[k] = static_cast<float>(g * (x[k] - mean[ch]) / std::sqrt(var[ch] + 1e-3) + beta);
      }
  }
  require_close(net->layer_output("batchnorm_1"), want);
  // running = 0.99 running + 0.01 batch, from 0 and 1
  const Vec rm = net->get_param("batchnorm_1.running_mean"), rv = net->get_param("batchnorm_1.running_var");
  for (int ch = 0; ch < c; ++ch) {
    CHECK(rm[ch] == Approx(0.01 * mean[ch]).margin(1e-6));
    CHECK(rv[ch] == Approx(0.99 + 0.01 * var[ch]).margin(1e-6));
  }
  const Vec inferred = output_of(*net, x, n, "batchnorm_1");
  for (int ch = 0; ch < c; ++ch) {
    const double g = ch == 0 ? 1.5 : -0.5, beta = ch == 0 ? 0.25 : 1.0;
    for (int b = 0; b < n; ++b)
      for (int i = 0; i < hw; ++i) {
        const int k = (b * c + ch) * hw + i;
        want[k] = static_cast<float>(g * (x[k] - rm[ch]) / std::sqrt(rv[ch] + 1e-3) + beta);
      }
  }
  require_close(inferred, want);
}

TEST_CASE("simple_rnn, lstm and gru match PyTorch's formulas", "[nn][reference]") {
  const int n = 2, c = 2, h = 4, w = 3, units = 5;  // 4 steps of 6 features
  const Vec x = random_values(n * c * h * w, 9);
  // image rows → sequence: step t = row t of every channel
  Vec seq(x.size());
  for (int b = 0; b < n; ++b)
    for (int t = 0; t < h; ++t)
      for (int ch = 0; ch < c; ++ch)
        for (int i = 0; i < w; ++i) seq[((b * h + t) * c + ch) * w + i] = x[((b * c + ch) * h + t) * w + i];
  for (std::string cell : {"simple_rnn", "lstm", "gru"}) {
    for (bool relu : {false, true}) {
      if (relu && cell != "simple_rnn") continue;
      const std::string act = relu ? R"(, "activation": "relu")" : "";
      auto net = make_net(R"([{")" + cell + R"(": {"units": 5, "return_sequences": true)" + act + R"(}},
                              {")" +
                              cell + R"(": {"units": 3)" + act + R"(}}, {"dense": 2}])",
                          {c, h, w}, 2);
      const std::string l1 = cell + "_1", l2 = cell + "_2";
      // non-zero biases to see both
      const auto shape = net->param_shape(l1 + ".bias_ih");
      net->set_param(l1 + ".bias_ih", random_values(shape[0], 10));
      net->set_param(l1 + ".bias_hh", random_values(shape[0], 11));
      const Vec h1 = rnn_ref(cell, seq, n, h, c * w, units, net->get_param(l1 + ".weight_ih"),
                             net->get_param(l1 + ".weight_hh"), net->get_param(l1 + ".bias_ih"),
                             net->get_param(l1 + ".bias_hh"), relu);
      const Vec h2 = rnn_ref(cell, h1, n, h, units, 3, net->get_param(l2 + ".weight_ih"),
                             net->get_param(l2 + ".weight_hh"), net->get_param(l2 + ".bias_ih"),
                             net->get_param(l2 + ".bias_hh"), relu);
      Vec last(n * 3);
      for (int b = 0; b < n; ++b)
        for (int u = 0; u < 3; ++u) last[b * 3 + u] = h2[(b * h + h - 1) * 3 + u];
      INFO(cell << (relu ? " relu" : ""));
      net->predict(x.data(), n, nullptr);
      require_close(net->layer_output(l1), h1);
      require_close(net->layer_output(l2), last);
    }
  }
}

TEST_CASE("dropout drops at its rate, scales the rest and is off in inference", "[nn][reference]") {
  const int n = 64;
  auto net = make_net(R"(["flatten", {"dropout": 0.25}, {"dense": 2}])", {1, 8, 8}, 2);
  const Vec x = random_values(n * 64, 12, 0.5, 1.5);
  const auto y = random_labels(n, 2, 13);
  net->set_micro_batch(-1);  // layer_output needs the batch in one pass
  net->enable_input_grad(true);
  net->forward_backward(x.data(), y.data(), n);
  const Vec out = net->layer_output("dropout_1");
  const Vec grad = net->layer_output_grad("dropout_1");
  const Vec input_grad = net->input_grad();
  int dropped = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    if (out[i] == 0) {
      ++dropped;
      CHECK(input_grad[i] == 0);
    } else {
      CHECK(out[i] == Approx(x[i] / 0.75f));
      CHECK(input_grad[i] == Approx(grad[i] / 0.75f));
    }
  }
  CHECK(dropped > 0.2 * x.size());
  CHECK(dropped < 0.3 * x.size());
  // the mask differs from step to step
  net->forward_backward(x.data(), y.data(), n);
  CHECK(net->layer_output("dropout_1") != out);
  CHECK(output_of(*net, x, n, "dropout_1") == x);
}

}  // namespace pipe::nn::test
