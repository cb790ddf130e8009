#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>
#include <functional>

#include "engine/error.h"
#include "engine/posix.h"  // first: see posix.h
#include "tests/nn/helpers.h"

namespace pipe::nn::test {

namespace {

// A file name in the temporary directory, removed at the end of the test.
struct TempFile {
  explicit TempFile(const std::string& tag)
      : path("/tmp/pipe_nn_test_" + std::to_string(::getpid()) + "_" + tag + ".safetensors") {}
  ~TempFile() { std::remove(path.c_str()); }
  std::string path;
};

const char* const kNet = R"([{"conv": {"filters": 4, "kernel": 3, "padding": "same", "activation": "elu"}},
  "batchnorm", {"maxpool": 2}, {"dropout": 0.3}, "flatten", {"dense": {"units": 8, "activation": "relu"}},
  {"dropout": 0.2}, {"dense": {"units": 3, "activation": "softmax"}}])";

const nlohmann::json kAdam = {
    {"adam", {{"lr", 0.01}, {"warmup", 1}, {"schedule", {{"cosine", {{"epochs", 3}}}}}}}};

bool same_params(Net& a, Net& b) {
  for (const auto& name : a.param_names())
    if (a.get_param(name) != b.get_param(name)) return false;
  return true;
}

std::string error_line(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.line();
  }
  return "no error";
}

}  // namespace

TEST_CASE("a checkpoint round-trips bit-exactly", "[nn][checkpoint]") {
  TempFile file("roundtrip");
  auto a = make_net(kNet, {1, 8, 8}, 3, 1);
  a->set_optimizer(kAdam);
  a->set_steps_per_epoch(2);
  auto x = random_values(10 * 64, 1);
  auto y = random_labels(10, 3, 2);
  a->train_step(x.data(), y.data(), 10);
  a->train_step(x.data(), y.data(), 10);
  a->save(file.path, {{"epoch", 1}, {"note", "two steps"}});
  auto b = make_net(kNet, {1, 8, 8}, 3, 999);
  CHECK_FALSE(same_params(*a, *b));
  const nlohmann::json meta = b->load(file.path);
  CHECK(meta == nlohmann::json{{"epoch", 1}, {"note", "two steps"}});
  CHECK(same_params(*a, *b));
  CHECK(b->step_count() == 2);
  CHECK(b->lr() == a->lr());
  std::vector<float> pa(30), pb(30);
  a->predict(x.data(), 10, pa.data());
  b->predict(x.data(), 10, pb.data());
  CHECK(pa == pb);
}

TEST_CASE("resuming from a checkpoint gives the uninterrupted result bit-exactly (1 thread)",
          "[nn][checkpoint]") {
  TempFile file("resume");
  auto x = random_values(4 * 12 * 64, 3);
  auto y = random_labels(4 * 12, 3, 4);
  auto steps = [&](Net& net, int from, int to) {
    for (int s = from; s < to; ++s) net.train_step(x.data() + s * 12 * 64, y.data() + s * 12, s % 2 ? 7 : 12);
  };
  auto fresh = [&]() {
    auto net = make_net(kNet, {1, 8, 8}, 3, 5);
    net->set_optimizer(kAdam);
    net->set_loss({{"label_smoothing", 0.1}});
    net->set_steps_per_epoch(2);
    return net;
  };
  auto whole = fresh();
  steps(*whole, 0, 4);  // two epochs
  auto first = fresh();
  steps(*first, 0, 2);  // one epoch, then a checkpoint
  first->save(file.path, {{"epoch", 1}});
  auto resumed = fresh();
  resumed->load(file.path);
  steps(*resumed, 2, 4);
  CHECK(same_params(*whole, *resumed));
  CHECK(resumed->step_count() == 4);
  CHECK(resumed->lr() == whole->lr());
}

TEST_CASE("the checkpoint is a safetensors file with PyTorch-named tensors", "[nn][checkpoint]") {
  TempFile file("format");
  auto net = make_net(R"(["flatten", {"dense": 3}])", {1, 2, 2}, 3);
  net->set_param("dense_1.weight", {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12});
  net->save(file.path, nlohmann::json::object());
  std::ifstream in(file.path, std::ios::binary);
  unsigned char prefix[8];
  in.read(reinterpret_cast<char*>(prefix), 8);
  uint64_t length = 0;
  for (int i = 0; i < 8; ++i) length |= static_cast<uint64_t>(prefix[i]) << (8 * i);
  std::string text(length, ' ');
  in.read(text.data(), length);
  const auto header = nlohmann::json::parse(text);
  CHECK(header["dense_1.weight"]["dtype"] == "F32");
  CHECK(header["dense_1.weight"]["shape"] == nlohmann::json{3, 4});
  CHECK(header["dense_1.bias"]["shape"] == nlohmann::json{3});
  CHECK(header["__metadata__"]["format"] == "pipe.nn 1");
  const auto offsets = header["dense_1.weight"]["data_offsets"].get<std::vector<size_t>>();
  in.seekg(8 + length + offsets[0]);
  float first[2];
  in.read(reinterpret_cast<char*>(first), sizeof first);
  CHECK(first[0] == 1.0f);
  CHECK(first[1] == 2.0f);
}

TEST_CASE("loading checks names and shapes with clear errors", "[nn][checkpoint][errors]") {
  TempFile file("errors");
  make_net(R"(["flatten", {"dense": 3}])", {1, 2, 2}, 3)->save(file.path, nlohmann::json::object());
  auto wider = make_net(R"(["flatten", {"dense": 3}])", {1, 3, 2}, 3);
  CHECK(error_line([&] { wider->load(file.path); }) ==
        file.path + ": tensor 'dense_1.weight' is 3x4 in the checkpoint, the model's is 3x6");
  auto deeper = make_net(R"(["flatten", {"dense": 3}, {"dense": 3}])", {1, 2, 2}, 3);
  CHECK(error_line([&] { deeper->load(file.path); }) ==
        file.path + ": the checkpoint has no tensor 'dense_2.weight'");
  auto renamed = make_net(R"(["flatten", {"dense": {"units": 3, "name": "out"}}])", {1, 2, 2}, 3);
  CHECK(error_line([&] { renamed->load(file.path); }) ==
        file.path + ": the checkpoint has no tensor 'out.weight'");
  auto smaller = make_net(R"(["flatten", {"dense": {"units": 3, "bias": false}}])", {1, 2, 2}, 3);
  CHECK(error_line([&] { smaller->load(file.path); }) ==
        file.path + ": the checkpoint's tensor 'dense_1.bias' is not in the model");
  CHECK(error_line([&] { smaller->load("/nonexistent/x.safetensors"); }) ==
        "/nonexistent/x.safetensors: cannot read the checkpoint: No such file or directory");
  {
    std::ofstream junk(file.path);
    junk << "not a checkpoint at all";
  }
  CHECK(error_line([&] { smaller->load(file.path); }).find("not a safetensors file") != std::string::npos);
}

TEST_CASE("transfer: load some layers' weights, skip mismatched ones, freeze", "[nn][checkpoint]") {
  TempFile file("transfer");
  const char* six =
      R"([{"conv": {"filters": 4, "kernel": 3}}, {"conv": {"filters": 4, "kernel": 3}}, "flatten",
                        {"dense": 6}])";
  const char* four =
      R"([{"conv": {"filters": 4, "kernel": 3}}, {"conv": {"filters": 4, "kernel": 3}}, "flatten",
                         {"dense": 4}])";
  auto source = make_net(six, {1, 7, 7}, 6, 1);
  source->save(file.path, nlohmann::json::object());
  auto target = make_net(four, {1, 7, 7}, 4, 2);
  const auto dense = target->get_param("dense_1.weight");
  CHECK_THROWS_AS(target->load_weights_from(file.path, {}, false), Error);
  target->load_weights_from(file.path, {}, true);
  CHECK(target->get_param("conv2d_2.weight") == source->get_param("conv2d_2.weight"));
  CHECK(target->get_param("dense_1.weight") == dense);

  auto partial = make_net(four, {1, 7, 7}, 4, 3);
  const auto conv2 = partial->get_param("conv2d_2.weight");
  partial->load_weights_from(file.path, {"conv2d_1"}, false);
  CHECK(partial->get_param("conv2d_1.weight") == source->get_param("conv2d_1.weight"));
  CHECK(partial->get_param("conv2d_2.weight") == conv2);
  partial->freeze({"conv2d_1"});
  auto x = random_values(4 * 49, 6);
  auto y = random_labels(4, 4, 7);
  partial->train_step(x.data(), y.data(), 4);
  CHECK(partial->get_param("conv2d_1.weight") == source->get_param("conv2d_1.weight"));
  CHECK(partial->get_param("conv2d_2.weight") != conv2);
}

}  // namespace pipe::nn::test
