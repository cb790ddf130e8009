#include <omp.h>

#include <catch2/catch.hpp>
#include <cmath>

#include "engine/error.h"
#include "tests/nn/helpers.h"

namespace pipe::nn::test {

namespace {

const char* const kCnn = R"([{"conv": {"filters": 32, "kernel": 3, "padding": "same", "activation": "elu"}},
  {"maxpool": 2}, {"conv": {"filters": 64, "kernel": 3, "padding": "same", "activation": "relu"}},
  {"maxpool": 2}, "flatten", {"dense": {"units": 6, "activation": "softmax"}}])";
const char* const kMlp = R"(["flatten", {"dense": {"units": 512, "activation": "elu"}}, {"dropout": 0.2},
  {"dense": {"units": 512, "activation": "relu"}}, {"dropout": 0.2}, {"dense": {"units": 6, "activation": "softmax"}}])";
const char* const kRnn = R"([{"simple_rnn": {"units": 28, "activation": "relu", "return_sequences": true}},
  {"dropout": 0.2}, {"simple_rnn": {"units": 28, "activation": "relu"}}, {"dropout": 0.2},
  {"dense": {"units": 6, "activation": "softmax"}}])";

// The error's line (what main prints after "pipe: error: ") and its hint.
std::pair<std::string, std::string> build_error(const std::string& layers, InputShape in = {1, 28, 28},
                                                int classes = 6) {
  try {
    make_net(layers, in, classes);
  } catch (const Error& e) {
    CHECK(e.exit_code() == 2);
    return {e.line(), e.hint_text()};
  }
  return {"no error", ""};
}

bool same_params(Net& a, Net& b) {
  for (const auto& name : a.param_names())
    if (a.get_param(name) != b.get_param(name)) return false;
  return true;
}

}  // namespace

TEST_CASE("the multiscript models build with PyTorch's parameter counts", "[nn][net]") {
  auto cnn = make_net(kCnn, {1, 28, 28}, 6);
  CHECK(cnn->param_count() == 37638);
  CHECK(cnn->layer_names() ==
        std::vector<std::string>{"conv2d_1", "maxpool_1", "conv2d_2", "maxpool_2", "flatten_1", "dense_1"});
  CHECK(cnn->last_conv_layer() == "conv2d_2");
  const std::string summary = cnn->summary();
  const size_t row = summary.find("conv2d_2 ");
  REQUIRE(row != std::string::npos);
  const std::string line = summary.substr(row, summary.find('\n', row) - row);
  CHECK(line.find(" conv2d ") != std::string::npos);
  CHECK(line.find(" 64x14x14 ") != std::string::npos);
  CHECK(line.find(" 18,496") != std::string::npos);
  CHECK(summary.find("params: 37,638 (trainable 37,638)") != std::string::npos);
  CHECK(make_net(kMlp, {1, 28, 28}, 6)->param_count() == 667654);
  auto rnn = make_net(kRnn, {1, 28, 28}, 6);
  CHECK(rnn->param_count() == 3422);  // both RNN biases, like PyTorch
  CHECK(rnn->last_conv_layer().empty());
  CHECK(rnn->param_shape("simple_rnn_2.weight_hh") == std::vector<int64_t>{28, 28});
}

TEST_CASE("layer list errors name the layer, the shapes and what is allowed", "[nn][net][errors]") {
  CHECK(build_error(R"([{"conv": {"filters": 64, "kernel": 3, "padding": "same"}}, {"maxpool": 2},
                        {"maxpool": 2}, {"dense": 6}])")
            .first == "layer 4 (dense_1): dense expects 2-D input, got 64x7x7; add flatten");
  auto unknown = build_error(R"([{"convv": 3}])");
  CHECK(unknown.first == "layer 1: unknown layer 'convv'");
  CHECK(
      unknown.second ==
      "allowed: conv2d, maxpool, avgpool, global_avgpool, dense, flatten, reshape, dropout, batchnorm, relu, "
      "leaky_relu, elu, tanh, sigmoid, gelu, softmax, activation, simple_rnn, lstm, gru");
  auto key = build_error(R"([{"conv": {"filter": 3}}])");
  CHECK(key.first == "layer 1 (conv2d_1): unknown key 'filter' for conv2d");
  CHECK(key.second ==
        "allowed: filters, kernel, stride, padding, dilation, bias, activation, kernel_initializer, "
        "bias_initializer, name");
  CHECK(build_error(R"(["flatten", {"dense": {"units": "6"}}])").first ==
        "layer 2 (dense_1): units must be an integer, got \"6\"");
  auto classes = build_error(R"(["flatten", {"dense": 10}])");
  CHECK(classes.first == "layer 2 (dense_1): the last layer outputs 10 values, the data has 6 classes");
  CHECK(classes.second == "end with dense: { units: 6 }");
  CHECK(build_error(R"([{"conv": 8}])").first ==
        "layer 1 (conv2d_1): the last layer outputs 8x26x26, the data has 6 classes");
  CHECK(build_error(R"(["flatten", {"maxpool": 2}, {"dense": 6}])").first ==
        "layer 2 (maxpool_1): maxpool expects 4-D input (batch, channels, height, width), got 784");
  CHECK(build_error(R"([{"conv": {"filters": 4, "kernel": 30}}])").first ==
        "layer 1 (conv2d_1): conv2d kernel 30x30 does not fit the input 1x28x28");
  CHECK(build_error(R"(["flatten", {"lstm": 4}, {"dense": 6}])").first ==
        "layer 2 (lstm_1): lstm expects a sequence (steps x features) or an image "
        "(channels x height x width), got 784");
  CHECK(build_error(R"([{"flatten": 3}])").first == "layer 1: flatten takes no value, got 3");
  CHECK(build_error(R"(["flatten", {"dense": {"units": 6, "activation": "swish"}}])").second ==
        "allowed: linear, relu, leaky_relu, elu, tanh, sigmoid, gelu, softmax");
  CHECK(build_error(
            R"(["flatten", {"dense": {"units": 6, "name": "out"}}, {"dense": {"units": 6, "name": "out"}}])")
            .first == "layer 3 (out): two layers are named 'out'");
  CHECK(build_error(R"([])").first == "layers must be a non-empty list of layers");
}

TEST_CASE("a net learns a fixed batch; predict agrees with the training loss", "[nn][net]") {
  auto net = make_net(kCnn, {1, 28, 28}, 6);
  net->set_optimizer({{"adam", {{"lr", 0.003}}}});
  const int n = 16;
  auto x = random_values(n * 784, 5, 0, 1);
  auto y = random_labels(n, 6, 6);
  const double first = net->train_step(x.data(), y.data(), n).loss_sum / n;
  for (int step = 0; step < 25; ++step) net->train_step(x.data(), y.data(), n);
  std::vector<float> probs(n * 6);
  StepStats s = net->predict(x.data(), n, probs.data(), y.data());
  CHECK(s.loss_sum / n < first * 0.5);
  CHECK(s.correct >= n - 2);
  for (int i = 0; i < n; ++i) {
    double sum = 0;
    for (int k = 0; k < 6; ++k) sum += probs[i * 6 + k];
    CHECK(sum == Approx(1.0).epsilon(1e-5));
  }
  // without dropout or batchnorm the training forward is the inference forward
  CHECK(net->forward_backward(x.data(), y.data(), n).loss_sum == Approx(s.loss_sum).epsilon(1e-5));
}

TEST_CASE("batch sizes change between steps; predict splits large inputs", "[nn][net]") {
  auto net = make_net(kRnn, {1, 28, 28}, 6);
  auto x = random_values(300 * 784, 7, 0, 1);
  auto y = random_labels(300, 6, 8);
  for (int n : {32, 5, 32, 5, 1, 32}) CHECK(net->train_step(x.data(), y.data(), n).n == n);
  std::vector<float> all(300 * 6), piece(7 * 6);
  net->predict(x.data(), 300, all.data());
  for (int off = 0; off + 7 <= 300; off += 7) {
    net->predict(x.data() + off * 784, 7, piece.data());
    for (int i = 0; i < 7 * 6; ++i) REQUIRE(piece[i] == Approx(all[off * 6 + i]).margin(1e-6));
  }
}

TEST_CASE("large plans are dropped when another batch size comes, rebuilt to the same results", "[nn][net]") {
  auto x = random_values(40 * 784, 21, 0, 1);
  auto y = random_labels(40, 6, 22);
  auto kept = make_net(kCnn, {1, 28, 28}, 6, 5), dropped = make_net(kCnn, {1, 28, 28}, 6, 5);
  kept->set_large_plan_bytes(~size_t{0});
  dropped->set_large_plan_bytes(0);
  for (Net* net : {kept.get(), dropped.get()}) net->set_micro_batch(-1);
  std::vector<size_t> held;
  for (int n : {40, 13, 40, 13}) {
    kept->train_step(x.data(), y.data(), n);
    dropped->train_step(x.data(), y.data(), n);
    held.push_back(dropped->plan_bytes());
  }
  CHECK(same_params(*kept, *dropped));
  // Only the plan of the batch that ran stays: the 13-sample plan is smaller than the 40's.
  CHECK(held[1] < held[0]);
  CHECK(held[2] == held[0]);
  CHECK(kept->plan_bytes() == held[0] + held[1]);
  std::vector<float> a(40 * 6), b(40 * 6);
  kept->predict(x.data(), 40, a.data());
  dropped->predict(x.data(), 40, b.data());
  CHECK(a == b);
}

TEST_CASE("training is deterministic for a seed with one thread", "[nn][net]") {
  auto x = random_values(24 * 784, 9, 0, 1);
  auto y = random_labels(24, 6, 10);
  auto train = [&](const char* layers, uint64_t seed) {
    auto net = make_net(layers, {1, 28, 28}, 6, seed);
    for (int step = 0; step < 3; ++step) net->train_step(x.data(), y.data(), step == 2 ? 10 : 24);
    return net;
  };
  for (const char* layers : {kMlp, kCnn}) {
    auto a = train(layers, 42), b = train(layers, 42), c = train(layers, 43);
    CHECK(same_params(*a, *b));
    CHECK_FALSE(same_params(*a, *c));
  }
}

TEST_CASE("two threads running chunks of a batch side by side give one thread's gradients exactly",
          "[nn][net]") {
  auto x = random_values(70 * 784, 16, 0, 1);
  auto y = random_labels(70, 6, 17);
  const char* rnn = R"([{"simple_rnn": {"units": 28, "activation": "relu", "return_sequences": true}},
    {"simple_rnn": {"units": 28, "activation": "relu"}}, {"dense": {"units": 6, "activation": "softmax"}}])";
  for (const char* layers : {kCnn, rnn}) {
    auto one = Net::build(nlohmann::json::parse(layers), {1, 28, 28}, 6, 3, 1);
    auto two = Net::build(nlohmann::json::parse(layers), {1, 28, 28}, 6, 3, 2);
    for (int n : {70, 21}) {
      const double l1 = one->forward_backward(x.data(), y.data(), n).loss_sum;
      const double l2 = two->forward_backward(x.data(), y.data(), n).loss_sum;
      CHECK(l2 == l1);
      for (const auto& name : one->param_names()) {
        INFO(layers << " " << name << " batch " << n);
        CHECK(two->get_grad(name) == one->get_grad(name));
      }
      std::vector<float> p1(n * 6), p2(n * 6);
      one->predict(x.data(), n, p1.data());
      two->predict(x.data(), n, p2.data());
      CHECK(p2 == p1);
    }
  }
  omp_set_num_threads(1);
}

TEST_CASE("initializers follow Keras: glorot_uniform kernels, zero biases, orthogonal recurrence",
          "[nn][net]") {
  auto net = make_net(R"([{"conv": {"filters": 8, "kernel": 3}}, "flatten",
                          {"dense": {"units": 6, "kernel_initializer": "he_normal"}}])",
                      {2, 5, 5}, 6);
  const auto w = net->get_param("conv2d_1.weight");
  const double limit = std::sqrt(6.0 / (2 * 9 + 8 * 9));
  double sum2 = 0;
  for (float v : w) {
    CHECK(std::fabs(v) <= limit);
    sum2 += v * v;
  }
  CHECK(std::sqrt(sum2 / w.size()) == Approx(limit / std::sqrt(3.0)).epsilon(0.15));
  for (float v : net->get_param("conv2d_1.bias")) CHECK(v == 0);
  const auto d = net->get_param("dense_1.weight");  // truncated normal, std sqrt(2 / 72)
  double s2 = 0;
  for (float v : d) {
    CHECK(std::fabs(v) <= 2 * std::sqrt(2.0 / 72) / 0.8796 + 1e-6);
    s2 += v * v;
  }
  CHECK(std::sqrt(s2 / d.size()) == Approx(std::sqrt(2.0 / 72)).epsilon(0.15));
  auto rnn = make_net(R"([{"lstm": 4}, {"dense": 6}])", {1, 5, 3}, 6);
  const auto hh = rnn->get_param("lstm_1.weight_hh");  // 16x4, orthonormal columns
  for (int a = 0; a < 4; ++a)
    for (int b = 0; b < 4; ++b) {
      double dot = 0;
      for (int r = 0; r < 16; ++r) dot += hh[r * 4 + a] * hh[r * 4 + b];
      CHECK(dot == Approx(a == b ? 1.0 : 0.0).margin(1e-5));
    }
  const auto bias = rnn->get_param("lstm_1.bias_ih");  // forget gate starts at 1
  for (int u = 0; u < 16; ++u) CHECK(bias[u] == (u >= 4 && u < 8 ? 1.0f : 0.0f));
}

TEST_CASE("Grad-CAM: activations and the class logit's gradient of a layer", "[nn][net]") {
  auto net = make_net(R"([{"conv": {"filters": 3, "kernel": 3, "activation": "relu"}}, {"conv": {"filters": 2,
                          "kernel": 3, "padding": "same", "activation": "relu", "name": "last"}}, "flatten",
                          {"dense": {"units": 4, "activation": "softmax"}}])",
                      {1, 6, 6}, 4);
  CHECK(net->last_conv_layer() == "last");
  auto x = random_values(36, 12);
  std::vector<float> act, grad;
  std::vector<int> shape;
  net->activation_and_grad(x.data(), 2, "last", &act, &grad, &shape);
  CHECK(shape == std::vector<int>{2, 4, 4});
  net->predict(x.data(), 1, nullptr);  // (inference may take Winograd's convolution)
  const auto inferred = net->layer_output("last");
  REQUIRE(act.size() == inferred.size());
  for (size_t i = 0; i < act.size(); ++i) CHECK(act[i] == Approx(inferred[i]).margin(1e-5));
  // the logit is linear in the flattened activations: its gradient is row 2 of the dense weight
  const auto w = net->get_param("dense_1.weight");
  REQUIRE(grad.size() == 32);
  for (int i = 0; i < 32; ++i) CHECK(grad[i] == Approx(w[2 * 32 + i]));
  CHECK_THROWS_AS(net->activation_and_grad(x.data(), 4, "last", &act, &grad, &shape), Error);
  CHECK_THROWS_AS(net->activation_and_grad(x.data(), 0, "nope", &act, &grad, &shape), Error);
}

TEST_CASE("frozen layers keep their parameters while the rest train", "[nn][net]") {
  auto net =
      make_net(R"([{"conv": {"filters": 4, "kernel": 3}}, "batchnorm", "relu", "flatten", {"dense": 3}])",
               {1, 6, 6}, 3);
  net->freeze({"conv2d_1", "batchnorm_1"});
  CHECK(net->trainable_param_count() == 64 * 3 + 3);
  CHECK(net->summary().find("conv2d (frozen)") != std::string::npos);
  const auto conv = net->get_param("conv2d_1.weight");
  const auto mean = net->get_param("batchnorm_1.running_mean");
  const auto dense = net->get_param("dense_1.weight");
  auto x = random_values(8 * 36, 14);
  auto y = random_labels(8, 3, 15);
  for (int i = 0; i < 3; ++i) net->train_step(x.data(), y.data(), 8);
  CHECK(net->get_param("conv2d_1.weight") == conv);
  CHECK(net->get_param("batchnorm_1.running_mean") == mean);  // frozen batchnorm: running statistics
  CHECK(net->get_param("dense_1.weight") != dense);
  CHECK_THROWS_AS(net->freeze({"conv2d_9"}), Error);
}

}  // namespace pipe::nn::test
