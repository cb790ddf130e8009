// Central-difference gradient checks of every layer and loss, w.r.t. the input
// and every trained parameter, on tiny shapes.  The loss is the net's training
// loss; eps is larger for smooth nets and smaller where max/relu kinks sit.
#include <catch2/catch.hpp>

#include "tests/nn/helpers.h"

namespace pipe::nn::test {

namespace {

void check_all(const std::string& layers, InputShape in, int classes, double eps, int n = 3,
               const nlohmann::json& loss = nullptr, double atol = 1e-3) {
  auto net = make_net(layers, in, classes, 11);
  if (!loss.is_null()) net->set_loss(loss);
  const auto x = random_values(static_cast<size_t>(n) * in.channels * in.height * in.width, 21);
  const auto y = random_labels(n, classes, 22);
  for (const auto& name : net->param_names()) {
    if (name.find("running_") != std::string::npos) continue;
    GradCheck r = check_param_grad(*net, name, x, y, eps, atol, 2e-2);
    INFO(layers << "\n" << name << ": " << r.detail);
    CHECK(r.worst <= 1.0);
    CHECK(r.directional <= 1.0);
  }
  GradCheck r = check_input_grad(*net, x, y, eps, atol, 2e-2);
  INFO(layers << "\ninput: " << r.detail);
  CHECK(r.worst <= 1.0);
  CHECK(r.directional <= 1.0);
}

}  // namespace

TEST_CASE("gradients: conv2d same / valid / strided / dilated, with bias and activations", "[nn][grad]") {
  check_all(R"([{"conv": {"filters": 4, "kernel": 3, "padding": "same", "activation": "elu"}},
                "flatten", {"dense": {"units": 3, "activation": "tanh"}}])",
            {2, 5, 5}, 3, 1e-2);
  check_all(R"([{"conv": {"filters": 3, "kernel": [2, 3], "stride": 2, "padding": [1, 0],
                          "dilation": [1, 2], "activation": "tanh"}},
                "flatten", {"dense": 3}])",
            {2, 7, 8}, 3, 1e-2);
  check_all(R"([{"conv": {"filters": 2, "kernel": 3, "stride": [2, 1], "padding": "same",
                          "bias": false, "activation": "sigmoid"}},
                {"conv": {"filters": 3, "kernel": 2, "padding": [0, 1, 1, 0], "activation": "gelu"}},
                "flatten", {"dense": 3}])",
            {1, 6, 5}, 3, 1e-2);
}

TEST_CASE("gradients: pooling layers", "[nn][grad]") {
  check_all(R"([{"conv": {"filters": 3, "kernel": 3, "padding": "same", "activation": "tanh"}},
                {"maxpool": 2}, "flatten", {"dense": 3}])",
            {2, 6, 6}, 3, 1e-3);
  check_all(R"([{"conv": {"filters": 3, "kernel": 3, "activation": "tanh"}},
                {"maxpool": {"size": 3, "stride": 2, "padding": "same"}}, "flatten", {"dense": 3}])",
            {1, 7, 7}, 3, 2e-4, 3, nullptr, 3e-3);  // overlapping windows: kinks are near
  // 3x3 windows side by side; the last row and column of 8x8 are in none
  check_all(R"([{"conv": {"filters": 3, "kernel": 3, "padding": "same", "activation": "elu"}},
                {"maxpool": 3}, "flatten", {"dense": 3}])",
            {1, 8, 8}, 3, 2e-4, 3, nullptr, 3e-3);
  check_all(R"([{"conv": {"filters": 3, "kernel": 3, "padding": "same", "activation": "tanh"}},
                {"avgpool": {"size": 2, "padding": "same"}}, "flatten", {"dense": 3}])",
            {2, 5, 5}, 3, 1e-2);
  check_all(R"([{"conv": {"filters": 4, "kernel": 3, "activation": "tanh"}}, "global_avgpool",
                {"dense": 3}])",
            {2, 5, 6}, 3, 1e-2);
}

TEST_CASE("gradients: dense, activation layers, softmax in the middle", "[nn][grad]") {
  check_all(R"(["flatten", {"dense": {"units": 6, "activation": "gelu"}}, "sigmoid",
                {"leaky_relu": 0.1}, "elu", "tanh", {"activation": "gelu"},
                {"dense": {"units": 5, "activation": "softmax"}}, {"dense": 3}])",
            {1, 3, 3}, 3, 1e-2);
  check_all(R"(["flatten", {"dense": {"units": 7, "activation": "leaky_relu"}}, "relu",
                {"dense": {"units": 4, "bias": false}}, "softmax", {"dense": 3}])",
            {2, 2, 2}, 3, 1e-3);
}

TEST_CASE("gradients: batchnorm over channels and features (batch statistics)", "[nn][grad]") {
  check_all(R"([{"conv": {"filters": 3, "kernel": 3, "padding": "same"}}, "batchnorm", "tanh",
                "global_avgpool", {"dense": 3}])",
            {2, 4, 4}, 3, 1e-2, 4);
  check_all(R"(["flatten", {"dense": {"units": 5, "activation": "tanh"}}, {"batchnorm": {"momentum": 0.9}},
                {"dense": 3}])",
            {1, 2, 3}, 3, 1e-2, 4);
}

TEST_CASE("gradients: simple_rnn, lstm, gru over image rows and stacked sequences", "[nn][grad]") {
  for (const char* cell : {"simple_rnn", "lstm", "gru"}) {
    check_all(std::string(R"([{")") + cell + R"(": {"units": 5, "return_sequences": true}}, {")" + cell +
                  R"(": 4}, {"dense": 3}])",
              {2, 4, 3}, 3, 1e-2);
    check_all(std::string(R"([{")") + cell + R"(": {"units": 3, "return_sequences": true}}, "flatten",
                  {"dense": 3}])",
              {1, 3, 4}, 3, 1e-2);
  }
  check_all(R"([{"simple_rnn": {"units": 4, "activation": "relu"}}, {"dense": 3}])", {1, 4, 3}, 3, 1e-3);
  check_all(R"(["flatten", {"reshape": [3, -1]}, {"gru": 4}, {"dense": 3}])", {2, 3, 2}, 3, 1e-2);
}

TEST_CASE("gradients: losses with label smoothing, class weights and binary cross-entropy", "[nn][grad]") {
  const char* net = R"(["flatten", {"dense": {"units": 5, "activation": "tanh"}}, {"dense": 4}])";
  check_all(net, {1, 2, 3}, 4, 1e-2, 5, {{"cross_entropy", {{"label_smoothing", 0.2}}}});
  check_all(net, {1, 2, 3}, 4, 1e-2, 5, {{"class_weights", {1.0, 2.0, 0.5, 3.0}}});
  check_all(net, {1, 2, 3}, 4, 1e-2, 5,
            {{"binary_cross_entropy", {{"label_smoothing", 0.1}, {"class_weights", {1.0, 2.0, 0.5, 3.0}}}}});
}

}  // namespace pipe::nn::test
