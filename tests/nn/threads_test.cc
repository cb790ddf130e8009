// Training and inference give the same bytes with any number of OpenMP threads.
#include <omp.h>

#include <catch2/catch.hpp>
#include <cstring>

#include "tests/nn/helpers.h"

namespace pipe::nn::test {

namespace {

// The layer kinds of the multiscript study (pipelines/models/*.yaml), at their sizes.
const char* const kMlp = R"(["flatten", {"dense": {"units": 512, "activation": "elu"}}, {"dropout": 0.2},
  {"dense": {"units": 512, "activation": "relu"}}, {"dropout": 0.2}, {"dense": {"units": 6, "activation": "softmax"}}])";
const char* const kCnn = R"([{"conv": {"filters": 32, "kernel": 3, "padding": "same", "activation": "elu"}},
  {"maxpool": 2}, {"conv": {"filters": 64, "kernel": 3, "padding": "same", "activation": "relu"}},
  {"maxpool": 2}, "flatten", {"dense": {"units": 6, "activation": "softmax"}}])";
const char* const kCnnBatchnormDropout = R"([
  {"conv": {"filters": 16, "kernel": 3, "padding": "same", "activation": "relu"}}, "batchnorm",
  {"maxpool": 2}, {"dropout": 0.25},
  {"conv": {"filters": 32, "kernel": 3, "padding": "same", "activation": "relu"}}, "batchnorm",
  {"maxpool": 2}, "flatten", {"dense": {"units": 64, "activation": "relu"}}, {"dropout": 0.3},
  {"dense": {"units": 6, "activation": "softmax"}}])";
const char* const kRnn = R"([{"simple_rnn": {"units": 28, "activation": "relu", "return_sequences": true}},
  {"dropout": 0.2}, {"simple_rnn": {"units": 28, "activation": "relu"}}, {"dropout": 0.2},
  {"dense": {"units": 6, "activation": "softmax"}}])";

struct Outcome {
  std::vector<std::vector<float>> params;
  std::vector<float> probs;
  double loss_sum = 0;
};

bool same_bytes(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

// A few Adam steps on batches cut in chunks (96, 70) or not (13), then inference over all
// 150 images (in chunks).
Outcome train(const char* layers, int threads, const std::vector<float>& x, const std::vector<int32_t>& y) {
  auto net = Net::build(nlohmann::json::parse(layers), {1, 28, 28}, 6, 801, threads);
  Outcome out;
  for (int n : {96, 96, 70, 13, 96}) out.loss_sum += net->train_step(x.data(), y.data(), n).loss_sum;
  for (const auto& name : net->param_names()) out.params.push_back(net->get_param(name));
  out.probs.resize(y.size() * 6);
  out.loss_sum += net->predict(x.data(), static_cast<int>(y.size()), out.probs.data(), y.data()).loss_sum;
  return out;
}

}  // namespace

TEST_CASE("training and inference are bit-identical with 1, 2 and 3 threads", "[nn][threads]") {
  const int images = 150;
  auto x = random_values(images * 784, 61, 0, 1);
  auto y = random_labels(images, 6, 62);
  const std::pair<const char*, const char*> models[] = {
      {"mlp", kMlp}, {"cnn", kCnn}, {"cnn with batchnorm and dropout", kCnnBatchnormDropout}, {"rnn", kRnn}};
  for (const auto& [model, layers] : models) {
    const Outcome one = train(layers, 1, x, y);
    for (int threads : {2, 3}) {
      INFO(model << ", " << threads << " threads");
      const Outcome other = train(layers, threads, x, y);
      REQUIRE(other.params.size() == one.params.size());
      for (size_t i = 0; i < one.params.size(); ++i) {
        INFO("parameter " << i);
        CHECK(same_bytes(other.params[i], one.params[i]));
      }
      CHECK(same_bytes(other.probs, one.probs));
      CHECK(std::memcmp(&other.loss_sum, &one.loss_sum, sizeof(double)) == 0);
    }
  }
  omp_set_num_threads(1);
}

}  // namespace pipe::nn::test
