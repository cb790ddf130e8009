// Parity with PyTorch for the three multiscript models (MLP, SimpleRNN, CNN).
//
// tests/nn/fixtures/make_parity.py writes, per model, the PyTorch weights, a batch of
// inputs and labels, and float64 PyTorch's logits, loss, gradients and weights after 20
// Adam steps.  Here pipe's Net is built from the matching layer list, takes the same
// weights through set_param, and must land on the same numbers: logits, loss and
// gradients within 1e-4, the weights after 20 Adam steps within 1e-3 (relative error
// ||pipe - torch|| / ||torch|| per tensor; see make_parity.py for why not per element).
// The fixtures are committed, so this runs without PyTorch.
// PIPE_PARITY_VERBOSE=1 prints every tensor's error.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "stages/nn/net.h"

namespace {

using nlohmann::json;
using nlohmann::ordered_json;

struct Tensor {
  std::vector<int64_t> shape;
  std::vector<float> data;
};

// A safetensors file of F32 tensors, in file order, with its __metadata__.
struct Fixture {
  std::vector<std::pair<std::string, Tensor>> tensors;
  json meta;

  const Tensor* find(const std::string& name) const {
    for (auto& [n, t] : tensors)
      if (n == name) return &t;
    return nullptr;
  }
  const Tensor& at(const std::string& name) const {
    const Tensor* t = find(name);
    if (!t) FAIL("fixture has no tensor " << name);
    return *t;
  }
};

std::string fixture_path(const std::string& file) {
  return std::string(PIPE_SOURCE_DIR) + "/tests/nn/fixtures/" + file;
}

Fixture load_fixture(const std::string& model) {
  std::string path = fixture_path("parity_" + model + ".safetensors");
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in.good());
  uint64_t header_len = 0;
  in.read(reinterpret_cast<char*>(&header_len), 8);  // little-endian, as is x86-64
  std::string header(header_len, '\0');
  in.read(header.data(), static_cast<std::streamsize>(header_len));
  std::vector<char> blob((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  Fixture f;
  ordered_json entries = ordered_json::parse(header);
  for (auto& [name, info] : entries.items()) {
    if (name == "__metadata__") {
      for (auto& [k, v] : info.items()) {
        std::string s = v.get<std::string>();
        f.meta[k] = (!s.empty() && (s[0] == '{' || s[0] == '[')) ? json::parse(s) : json(s);
      }
      continue;
    }
    REQUIRE(info["dtype"] == "F32");
    Tensor t;
    t.shape = info["shape"].get<std::vector<int64_t>>();
    size_t begin = info["data_offsets"][0], end = info["data_offsets"][1];
    REQUIRE(end <= blob.size());
    t.data.resize((end - begin) / sizeof(float));
    std::memcpy(t.data.data(), blob.data() + begin, end - begin);
    f.tensors.emplace_back(name, std::move(t));
  }
  return f;
}

// make_parity.py's generated_weight: splitmix64(seed + i * golden), top 24 bits.
std::vector<float> generated_weight(int64_t n, uint64_t seed, int scale_log2) {
  std::vector<float> w(n);
  for (int64_t i = 0; i < n; ++i) {
    uint64_t z = seed + static_cast<uint64_t>(i) * 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z = z ^ (z >> 31);
    int64_t k = static_cast<int64_t>(z >> 40) - (int64_t(1) << 23);
    w[i] = static_cast<float>(std::ldexp(static_cast<double>(k), scale_log2));
  }
  return w;
}

double rel_error(const std::vector<float>& got, const std::vector<float>& want) {
  REQUIRE(got.size() == want.size());
  double diff = 0, norm = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    double d = double(got[i]) - double(want[i]);
    diff += d * d;
    norm += double(want[i]) * double(want[i]);
  }
  return std::sqrt(diff) / (norm > 0 ? std::sqrt(norm) : 1.0);
}

// Every row_step-th row of a [rows, cols] tensor, as the fixture stores large ones.
std::vector<float> every_nth_row(const std::vector<float>& v, int64_t rows, int step) {
  if (step <= 1) return v;
  int64_t cols = static_cast<int64_t>(v.size()) / rows;
  std::vector<float> out;
  for (int64_t r = 0; r < rows; r += step) out.insert(out.end(), v.begin() + r * cols, v.begin() + (r + 1) * cols);
  return out;
}

bool verbose() {
  const char* v = std::getenv("PIPE_PARITY_VERBOSE");
  return v && *v && std::string(v) != "0";
}

struct Worst {
  std::string model;
  std::map<std::string, double> err;  // kind → worst relative error
  void add(const std::string& kind, const std::string& what, double e) {
    if (verbose()) std::fprintf(stderr, "parity %s %s %s: %.3e\n", model.c_str(), kind.c_str(), what.c_str(), e);
    err[kind] = std::max(err[kind], e);
  }
  ~Worst() {
    std::string line = "parity " + model + " worst relative error:";
    for (auto& [k, e] : err) {
      char buf[64];
      std::snprintf(buf, sizeof buf, " %s %.2e", k.c_str(), e);
      line += buf;
    }
    std::fprintf(stderr, "%s\n", line.c_str());
  }
};

// Pairs each trainable PyTorch parameter (file order = named_parameters order) with
// pipe's parameter at the same position, checking that the shapes and kinds agree.
std::vector<std::pair<std::string, std::string>> match_params(const Fixture& f, const pipe::nn::Net& net) {
  std::vector<std::string> torch_names;
  for (auto& [n, t] : f.tensors)
    if (n.rfind("grad.", 0) == 0) torch_names.push_back(n.substr(5));
  std::vector<std::string> pipe_names = net.param_names();
  REQUIRE(pipe_names.size() == torch_names.size());
  std::vector<std::pair<std::string, std::string>> pairs;
  for (size_t i = 0; i < torch_names.size(); ++i) {
    const std::string& tn = torch_names[i];
    const std::string& pn = pipe_names[i];
    // "weight" ↔ "0.weight", "weight_ih" ↔ "1.rnn.weight_ih_l0"
    std::string kind = pn.substr(pn.rfind('.') + 1);
    INFO("pipe parameter " << pn << " against PyTorch's " << tn);
    CHECK(tn.find("." + kind) != std::string::npos);
    std::vector<int64_t> want;
    if (const Tensor* t = f.find("param." + tn)) want = t->shape;
    else want = f.meta["generated"]["param." + tn]["shape"].get<std::vector<int64_t>>();
    CHECK(net.param_shape(pn) == want);
    pairs.emplace_back(tn, pn);
  }
  return pairs;
}

std::vector<float> initial_param(const Fixture& f, const std::string& torch_name) {
  if (const Tensor* t = f.find("param." + torch_name)) return t->data;
  const json& g = f.meta["generated"]["param." + torch_name];
  int64_t n = 1;
  for (int64_t d : g["shape"].get<std::vector<int64_t>>()) n *= d;
  return generated_weight(n, g["seed"].get<uint64_t>(), g["scale_log2"].get<int>());
}

// The stored expectation for `key` ("grad.<torch name>" / "adam20.<torch name>") and pipe's
// values cut the same way.
double compare(const Fixture& f, const std::string& key, const std::vector<float>& pipe_values,
               const std::vector<int64_t>& shape) {
  int step = f.meta["row_step"].contains(key) ? f.meta["row_step"][key].get<int>() : 1;
  return rel_error(every_nth_row(pipe_values, shape.at(0), step), f.at(key).data);
}

std::vector<float> softmax_rows(const std::vector<float>& logits, int classes) {
  std::vector<float> p(logits.size());
  for (size_t r = 0; r < logits.size() / classes; ++r) {
    const float* z = &logits[r * classes];
    double mx = z[0], sum = 0;
    for (int c = 1; c < classes; ++c) mx = std::max(mx, double(z[c]));
    for (int c = 0; c < classes; ++c) sum += std::exp(z[c] - mx);
    for (int c = 0; c < classes; ++c) p[r * classes + c] = static_cast<float>(std::exp(z[c] - mx) / sum);
  }
  return p;
}

// micro_batch: passed to Net::set_micro_batch; -1 keeps the batch whole, 3 splits the batch of
// 8 into passes of 3, 3 and 2 whose gradients the net must sum to the whole batch's.
void check_parity(const std::string& model, int micro_batch) {
  const double kForward = 1e-4, kAdam = 1e-3;
  Fixture f = load_fixture(model);
  std::ifstream yaml(fixture_path("parity_" + model + ".yaml"));
  REQUIRE(yaml.good());
  json layers = json::parse(yaml)["layers"];
  int classes = std::stoi(f.meta["classes"].get<std::string>());
  const Tensor& x = f.at("input");
  int n = static_cast<int>(x.shape[0]);
  pipe::nn::InputShape in{int(x.shape[1]), int(x.shape[2]), int(x.shape[3])};
  std::vector<int32_t> labels;
  for (float v : f.at("labels").data) labels.push_back(static_cast<int32_t>(v));

  auto net = pipe::nn::Net::build(layers, in, classes, /*seed=*/1, /*threads=*/0);
  net->set_micro_batch(micro_batch);
  auto pairs = match_params(f, *net);
  for (auto& [tn, pn] : pairs) net->set_param(pn, initial_param(f, tn));
  for (auto& [tn, pn] : pairs) REQUIRE(net->get_param(pn) == initial_param(f, tn));  // round trip

  Worst worst{model + (micro_batch > 0 ? " (passes of " + std::to_string(micro_batch) + ")" : ""), {}};
  // Inference: predict's probabilities are the softmax of PyTorch's logits.
  std::vector<float> probs(size_t(n) * classes);
  pipe::nn::StepStats inf = net->predict(x.data.data(), n, probs.data(), labels.data());
  std::vector<float> want_probs = softmax_rows(f.at("logits").data, classes);
  double e = rel_error(probs, want_probs);
  worst.add("probs", "predict", e);
  CHECK(e <= kForward);
  double want_loss = f.at("loss").data[0];
  e = std::abs(inf.loss_sum / n - want_loss) / std::abs(want_loss);
  worst.add("loss", "predict", e);
  CHECK(e <= kForward);

  // Training mode: the same loss and every parameter's gradient.
  pipe::nn::StepStats tr = net->forward_backward(x.data.data(), labels.data(), n);
  REQUIRE(tr.n == n);
  e = std::abs(tr.loss_sum / n - want_loss) / std::abs(want_loss);
  worst.add("loss", "forward_backward", e);
  CHECK(e <= kForward);
  for (auto& [tn, pn] : pairs) {
    INFO("gradient of " << pn << " (PyTorch " << tn << ")");
    e = compare(f, "grad." + tn, net->get_grad(pn), net->param_shape(pn));
    worst.add("grad", pn, e);
    CHECK(e <= kForward);
  }

  // 20 Adam steps on the same batch; the first uses the gradients just checked.
  net->set_optimizer(f.meta["optimizer"]);
  net->apply_optimizer();
  int steps = std::stoi(f.meta["steps"].get<std::string>());
  for (int s = 1; s < steps; ++s) net->train_step(x.data.data(), labels.data(), n);
  CHECK(net->step_count() == steps);
  for (auto& [tn, pn] : pairs) {
    INFO("parameter " << pn << " (PyTorch " << tn << ") after " << steps << " Adam steps");
    e = compare(f, "adam20." + tn, net->get_param(pn), net->param_shape(pn));
    worst.add("adam20", pn, e);
    CHECK(e <= kAdam);
  }
}

}  // namespace

TEST_CASE("the multiscript MLP matches PyTorch: logits, loss, gradients, 20 Adam steps", "[nn][parity]") {
  check_parity("mlp", -1);
}

TEST_CASE("the multiscript SimpleRNN matches PyTorch: logits, loss, gradients, 20 Adam steps", "[nn][parity]") {
  check_parity("rnn", -1);
}

TEST_CASE("the multiscript CNN matches PyTorch: logits, loss, gradients, 20 Adam steps", "[nn][parity]") {
  check_parity("cnn", -1);
}

TEST_CASE("the multiscript models match PyTorch when a batch runs in micro-batches", "[nn][parity]") {
  for (const char* model : {"mlp", "rnn", "cnn"}) {
    SECTION(model) { check_parity(model, 3); }
  }
}

TEST_CASE("the parity fixtures' generated weights are the ones make_parity.py generated", "[nn][parity]") {
  // The MLP's large weights are not stored but generated; the script records their first values.
  Fixture f = load_fixture("mlp");
  REQUIRE(f.meta["generated"].size() == 2);
  for (auto& [name, g] : f.meta["generated"].items()) {
    INFO(name);
    std::vector<float> w = generated_weight(8, g["seed"].get<uint64_t>(), g["scale_log2"].get<int>());
    CHECK(w == g["head"].get<std::vector<float>>());
  }
}
