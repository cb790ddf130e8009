// The train stage gives the same model and the same epoch rows with 1, 2 and 3 threads:
// online augmentation, shuffling, dropout and the validation pass included.
#include <omp.h>

#include <catch2/catch.hpp>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>

#include "stages/model_io.h"
#include "stages/train.h"
#include "tests/stages/train_fixture.h"

using namespace pipe;
using namespace pipe::testing;

namespace {

// Batches of 64 are cut into chunks the threads share (see stages/nn/net.h).
const std::string kYaml = R"(
input: data
val_fraction: 0.25
layers:
  - conv: { filters: 4, kernel: 3, padding: same, activation: relu }
  - maxpool: 2
  - flatten
  - dense: { units: 16, activation: relu }
  - dropout: 0.3
  - dense: { units: 2, activation: softmax }
epochs: 3
batch: 64
optimizer: { adam: { lr: 0.01 } }
)";

struct Trained {
  std::map<std::string, std::vector<float>> weights;
  nlohmann::json epochs;
};

Trained train_with(const std::string& data, int threads) {
  TempFolder out;
  std::filesystem::create_directories(out.path() + "/work");
  FakeStageContext ctx(train_stage_kind(), kYaml, out.path() + "/out",
                       ContextOptions{out.path() + "/work", 800, "train", threads});
  ctx.bind("input", data);
  ctx.run();
  Trained t;
  auto model = TrainedModel::load(out.path() + "/out", threads);
  for (const auto& name : model->net().param_names()) t.weights[name] = model->net().get_param(name);
  t.epochs = ctx.epochs;
  for (auto& [epoch, row] : t.epochs.items()) {
    row.erase("seconds");
    row.erase("images_per_second");
  }
  return t;
}

}  // namespace

TEST_CASE("train gives the same weights bytes and epoch rows with 1, 2 and 3 threads") {
  TempFolder data;
  write_set(data.path(), blobs(64, 8, 8, 5));
  std::ofstream(data.path() + "/augment.json")
      << R"({"version": 1, "online": true, "seed": 3, "ops": [{"rotate": 15}, {"shift": 0.1}, {"noise": 0.05}]})";
  const Trained one = train_with(data.path(), 1);
  REQUIRE(one.epochs.size() == 3);
  for (int threads : {2, 3}) {
    INFO(threads << " threads");
    const Trained other = train_with(data.path(), threads);
    REQUIRE(other.weights.size() == one.weights.size());
    for (const auto& [name, values] : one.weights) {
      INFO(name);
      const auto& v = other.weights.at(name);
      REQUIRE(v.size() == values.size());
      CHECK(std::memcmp(v.data(), values.data(), values.size() * sizeof(float)) == 0);
    }
    CHECK(other.epochs == one.epochs);
  }
  omp_set_num_threads(1);
}
